package dev.triad.cli;

import dev.triad.nn.Precision;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Device;
import dev.triad.train.StepProfile;
import dev.triad.train.TrainConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every training command shares (a picocli mixin). Their defaults are the phase's
 * (the constructor's {@code defaults}, from the phase's Options.builder()), never written here.
 */
final class TrainingOptions {
  @Option(names = "--out", paramLabel = "DIR",
      description = "run directory: config.json, metrics.jsonl, checkpoints/ (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--steps", paramLabel = "N", description = "optimizer steps to train to (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--model", paramLabel = "PRESET",
      description = "model preset: tiny, small, gpt2, gpt2-medium, gpt2-large, gpt2-xl (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--device", paramLabel = "cpu|cuda|auto",
      description = "where to train; auto picks CUDA when available (default: ${DEFAULT-VALUE})")
  String device = "auto";

  @Option(names = "--seed", paramLabel = "N", description = "seed for initialisation, data order and sampling (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--resume", description = "continue exactly from the latest checkpoint in --out, with the run's"
      + " recorded settings (<out>/options.json): options not given are restored from it; only "
      + RunOptions.CHANGEABLE_TEXT + " (and the output-only --profile, --trace, --trace-steps, --no-plan-check) may"
      + " take other values; any other option given with another value is refused")
  boolean resume;

  @Option(names = "--distributed", description = "train data-parallel over the processes of an MPI job"
      + " (mpirun -np N ./triad ... --distributed, or srun): every rank trains on its part of each batch (--batch is"
      + " the whole batch; RL: its share of the rollouts), the optimizer state is sharded over the ranks (ZeRO-1),"
      + " rank 0 prints and writes the run (docs/DISTRIBUTED.md)")
  boolean distributed;

  @Option(names = "--beta1", paramLabel = "B1", description = "AdamW's first-moment decay (default: ${DEFAULT-VALUE})")
  float beta1;

  @Option(names = "--beta2", paramLabel = "B2", description = "AdamW's second-moment decay (default: ${DEFAULT-VALUE})")
  float beta2;

  @Option(names = "--eps", paramLabel = "EPS", description = "AdamW's epsilon (default: ${DEFAULT-VALUE})")
  float eps;

  @Option(names = "--data-order", paramLabel = "shuffled|sequential",
      description = "training batches in a seeded shuffle per epoch, or in file order (default: ${DEFAULT-VALUE})")
  String dataOrder;

  @Option(names = "--precision", paramLabel = "bf16|f32|auto",
      description = "parameters and activations in bf16 (f32 master weights, statistics and losses) or all f32;"
          + " auto: bf16 on cuda, f32 on cpu (default: ${DEFAULT-VALUE})")
  String precision = "auto";

  @Option(names = "--profile",
      description = "print at the end each training step's time and, on cuda, its host syncs, cudaMalloc calls"
          + " and kernel launches, with the steady-state mean; and the time per op (forward and backward apart)"
          + " and per phase (data, forward, backward, optimizer, generation, reward scoring, evaluation, ...)."
          + " On cuda every op is then synchronised, so steps run slower")
  void profile(boolean on) {
    if (on) {
      StepProfile.enable();
      Profiler.enableProfile();
    }
  }

  private Path traceFile;
  private long[] traceSteps = {3, 5};

  @Option(names = "--trace", paramLabel = "FILE",
      description = "write a Chrome trace (JSON for Perfetto or chrome://tracing) of the --trace-steps steps:"
          + " their phases and ops")
  void trace(Path file) {
    traceFile = file;
    Profiler.enableTrace(traceFile, traceSteps[0], traceSteps[1]);
  }

  @Option(names = "--trace-steps", paramLabel = "A-B",
      description = "the steps --trace records, 1-based, e.g. 3-5 or 4 (default: 3-5)")
  void traceSteps(String steps) {
    traceSteps = Profiler.parseSteps(steps);
    if (traceFile != null) {
      Profiler.enableTrace(traceFile, traceSteps[0], traceSteps[1]);
    }
  }

  @Option(names = "--no-plan-check",
      description = "start even when the memory plan (triad plan) says the run does not fit on the device")
  void noPlanCheck(boolean on) {
    if (on) {
      dev.triad.profile.PlanCheck.disable();
    }
  }

  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
  picocli.CommandLine.Model.CommandSpec command;

  /** Whether {@code option} was on the command line (not its default). */
  boolean given(String option) {
    picocli.CommandLine.ParseResult r = command == null ? null : command.commandLine().getParseResult();
    return r != null && r.hasMatchedOption(option);
  }

  /**
   * The shared options' parse-time checks (OptionChecks); {@code modelFrom} names where a command
   * that takes no --model gets its model (e.g. "--base"), or null when --model is used.
   */
  void validate(String modelFrom) {
    OptionChecks.atLeast("--steps", steps, 1);
    OptionChecks.outputDirectory("--out", out);
    if (modelFrom != null && given("--model")) {
      throw new IllegalArgumentException("--model " + model + ": not used by this command, whose model comes from "
          + modelFrom);
    }
    if (modelFrom == null) {
      OptionChecks.oneOf("--model", model, dev.triad.nn.GptConfig.presetNames());
    }
    OptionChecks.oneOf("--device", device, "cpu", "cuda", "auto");
    OptionChecks.oneOf("--precision", precision, "bf16", "f32", "auto");
    checkBeta("--beta1", beta1);
    checkBeta("--beta2", beta2);
    OptionChecks.positive("--eps", eps);
    OptionChecks.oneOf("--data-order", dataOrder, "shuffled", "sequential");
    if (given("--trace-steps") && traceFile == null) {
      throw new IllegalArgumentException("--trace-steps is used only with --trace FILE");
    }
  }

  /** A moment decay in [0, 1): one that never decays (1) or grows (> 1) is not an average. */
  private static void checkBeta(String option, float beta) {
    if (!(beta >= 0 && beta < 1)) {
      throw new IllegalArgumentException(option + " " + beta + ": must be a number in [0, 1)");
    }
  }

  /**
   * Options at {@code defaults}' steps, seed, AdamW betas and eps, and data order (picocli shows a
   * field's initial value as its default in --help).
   */
  TrainingOptions(String defaultOut, TrainConfig defaults, String defaultModel) {
    this.out = Path.of(defaultOut);
    this.steps = defaults.steps();
    this.model = defaultModel;
    this.seed = defaults.seed();
    this.beta1 = defaults.beta1();
    this.beta2 = defaults.beta2();
    this.eps = defaults.eps();
    this.dataOrder = defaults.dataOrder().toString();
  }

  /** The training options of a command, or null when it has none. */
  static TrainingOptions of(picocli.CommandLine.Model.CommandSpec command) {
    for (picocli.CommandLine.Model.CommandSpec mixin : command.mixins().values()) {
      if (mixin.userObject() instanceof TrainingOptions t) {
        return t;
      }
    }
    return null;
  }

  /** {@code train} with --steps, --seed, --beta1, --beta2, --eps and --data-order, built (and so checked). */
  TrainConfig train(TrainConfig.Builder train) {
    return train.steps(steps).seed(seed).beta1(beta1).beta2(beta2).eps(eps).dataOrder(parsedDataOrder()).build();
  }

  TrainConfig.DataOrder parsedDataOrder() {
    return TrainConfig.DataOrder.parse(dataOrder);
  }

  /** The --precision for training on {@code device}. */
  Precision parsedPrecision(Device device) {
    return PrecisionArg.parse(precision, device);
  }

  Device parsedDevice() {
    return DeviceArg.parseAvailable(device);
  }
}
