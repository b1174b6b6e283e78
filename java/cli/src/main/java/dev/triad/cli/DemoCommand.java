package dev.triad.cli;

import dev.triad.demo.Demo;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code triad demo}: the main job. The three phases of LLM training end to end on the embedded
 * data, into one directory: pretraining ({@code <out>/pretrain}), instruction tuning
 * ({@code <out>/sft}), a reward model ({@code <out>/reward}) and RLHF by PPO, DPO or GRPO
 * ({@code <out>/<rl>}); then {@code <out>/summary.json} and {@code <out>/report.html} with plots.
 * See {@link Demo}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"The three phases end to end on embedded data: pretrain a small GPT, instruction-tune it, train a"
        + " reward model and align it by RLHF (PPO, DPO or GRPO).",
        "Writes each phase's run under --out, summary.json and report.html (plots, tables, samples before and after);"
            + " a few minutes on a 2-core CPU."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", paramLabel = "DIR", description = "directory for all phases (default: ${DEFAULT-VALUE})")
  Path out = Path.of("runs/demo");

  @Option(names = "--force",
      description = "replace a previous demo's directory at --out (only one the demo wrote: it holds "
          + Demo.MARKER + ")")
  boolean force;

  @Option(names = "--rl", paramLabel = "ppo|dpo|grpo", description = "the RLHF algorithm (default: ${DEFAULT-VALUE})")
  String rl = "ppo";

  @Option(names = "--quick", description = "tiny model and a handful of steps per phase (a smoke test; seconds)")
  boolean quick;

  @Option(names = "--device", paramLabel = "cpu|cuda|auto",
      description = "where to train; auto picks CUDA when available (default: ${DEFAULT-VALUE})")
  String device = "auto";

  @Option(names = "--seed", paramLabel = "N", description = "seed for initialisation, data and sampling (default: ${DEFAULT-VALUE})")
  long seed = 1337;

  @Option(names = "--precision", paramLabel = "bf16|f32|auto",
      description = "bf16 (f32 master weights, statistics and losses) or f32; auto: bf16 on cuda, f32 on cpu"
          + " (default: ${DEFAULT-VALUE})")
  String precision = "auto";

  @Option(names = "--pretrain-steps", paramLabel = "N", description = "pretraining steps (default: 800; 6 with --quick)")
  int pretrainSteps;

  @Option(names = "--sft-steps", paramLabel = "N", description = "instruction-tuning steps (default: 300; 4 with --quick)")
  int sftSteps;

  @Option(names = "--reward-steps", paramLabel = "N", description = "reward-model steps (default: 200; 3 with --quick)")
  int rewardSteps;

  @Option(names = "--rl-steps", paramLabel = "N",
      description = "RLHF steps (default: 40, each algorithm; 2 with --quick)")
  int rlSteps;

  /** Every option checked before anything is written (OptionChecks); 0 steps means the default. */
  private void validate() {
    OptionChecks.outputDirectory("--out", out);
    OptionChecks.oneOf("--rl", rl, "ppo", "dpo", "grpo");
    OptionChecks.oneOf("--device", device, "cpu", "cuda", "auto");
    OptionChecks.oneOf("--precision", precision, "bf16", "f32", "auto");
    OptionChecks.atLeast("--pretrain-steps", pretrainSteps, 0);
    OptionChecks.atLeast("--sft-steps", sftSteps, 0);
    OptionChecks.atLeast("--reward-steps", rewardSteps, 0);
    OptionChecks.atLeast("--rl-steps", rlSteps, 0);
  }

  @Override
  public Integer call() {
    validate();
    Device d = DeviceArg.parseAvailable(device);
    Precision p = PrecisionArg.parse(precision, d);
    if (force) {
      Demo.replacePrevious(out);
    }
    Demo.Result r = Demo.run(new Demo.Options(out, rl, quick, d, seed, pretrainSteps, sftSteps, rewardSteps,
        rlSteps, p));
    System.out.println("demo: summary " + r.summaryFile().toAbsolutePath());
    System.out.println("demo: report  " + r.report().toAbsolutePath());
    return 0;
  }
}
