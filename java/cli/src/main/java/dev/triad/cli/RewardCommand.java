package dev.triad.cli;

import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.rlhf.RewardTraining;
import dev.triad.train.rlhf.RewardTrainingOptions;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code triad reward}: train a reward model on preference pairs (Bradley–Terry), from an SFT run. */
@Command(name = "reward", mixinStandardHelpOptions = true,
    description = {"Train a reward model on preference pairs (chosen vs rejected reply) from an SFT run.",
        "Without --data it uses the embedded preference data (concise beats verbose, correct beats wrong, polite"
            + " beats harmful) and reports held-out accuracy in <out>/reward_eval.json."})
final class RewardCommand implements TrainingCommand {
  /** The library's defaults, where every option's default below comes from (read, never set). */
  private static final RewardTrainingOptions.Builder DEFAULTS = RewardTrainingOptions.builder();
  private static final TrainConfig TRAIN = DEFAULTS.train();

  @Mixin
  TrainingOptions common = new TrainingOptions("runs/reward", TRAIN, "(from --base; not used)");

  @Mixin
  ScheduleOptions schedule = new ScheduleOptions(TRAIN);

  @Option(names = "--base", paramLabel = "DIR", description = "SFT run to start from (default: ${DEFAULT-VALUE})")
  Path base = Path.of("runs/sft");

  @Option(names = "--data", paramLabel = "FILE",
      description = "JSONL of {\"prompt\": str | [messages], \"chosen\": str | message, \"rejected\": str | message}")
  Path data;

  @Option(names = "--batch", paramLabel = "PAIRS", description = "pairs per micro-batch (default: ${DEFAULT-VALUE})")
  int batch = DEFAULTS.batch();

  @Option(names = "--seq", paramLabel = "T",
      description = "longest prompt + reply in tokens; longer pairs are dropped; at most the base run's context"
          + " (default: ${DEFAULT-VALUE}, or the base run's context when smaller)")
  int seq = DEFAULTS.seqLen();

  @Option(names = "--margin", description = "Bradley-Terry margin: loss -log sigmoid(r_c - r_r - margin) (default: ${DEFAULT-VALUE})")
  float margin = DEFAULTS.margin();

  @Option(names = "--eval-every", paramLabel = "STEPS", description = "held-out loss every N steps (default: ${DEFAULT-VALUE})")
  int evalEvery = TRAIN.evalEvery();

  /** Every option checked before anything is read or written (OptionChecks). */
  @Override
  public void validate() {
    common.validate("--base");
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.atLeast("--seq", seq, 2); // its upper bound, the base run's context, is checked with the run
    OptionChecks.finite("--margin", margin);
    schedule.validate();
    OptionChecks.atLeast("--eval-every", evalEvery, 0);
    OptionChecks.readableFile("--data", data);
    OptionChecks.runDirectory("--base", base);
    if (!common.given("--seq")) {
      seq = Math.min(seq, dev.triad.train.RunInfo.read(base).blockSize()); // the default fits the base's context
    }
  }

  @Override
  public Integer call() {
    validate();
    RewardTraining.run(options());
    return 0;
  }

  /** The run the (validated) options ask for. */
  RewardTrainingOptions options() {
    TrainConfig train = common.train(schedule.applyTo(TRAIN.toBuilder()).evalEvery(evalEvery));
    Device device = common.parsedDevice();
    return RewardTrainingOptions.builder().runDir(common.out).baseRun(base).dataFile(data).device(device)
        .batch(batch).seqLen(seq).margin(margin).train(train).resume(common.resume)
        .precision(common.parsedPrecision(device)).build();
  }
}
