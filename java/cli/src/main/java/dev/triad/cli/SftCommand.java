package dev.triad.cli;

import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code triad sft}: phase two, instruction tuning with the loss on assistant tokens only. */
@Command(name = "sft", mixinStandardHelpOptions = true,
    description = {"Instruction-tune a pretrained run on chat data (loss on the assistant's tokens only).",
        "Without --data it uses the embedded instruction data (12 task families trained, 2 held out) and reports"
            + " task accuracy per family before and after."})
final class SftCommand implements TrainingCommand {
  /** The library's defaults, where every option's default below comes from (read, never set). */
  private static final SftOptions.Builder DEFAULTS = SftOptions.builder();
  private static final TrainConfig TRAIN = DEFAULTS.train();

  @Mixin
  TrainingOptions common = new TrainingOptions("runs/sft", TRAIN, "(from --base)");

  @Mixin
  ScheduleOptions schedule = new ScheduleOptions(TRAIN);

  @Option(names = "--base", paramLabel = "DIR", description = "pretrained run to start from (default: ${DEFAULT-VALUE})")
  Path base = Path.of("runs/pretrain");

  @Option(names = "--data", paramLabel = "FILE",
      description = "JSONL of {\"prompt\",\"completion\"} or {\"messages\":[{\"role\",\"content\"}...]} records")
  Path data;

  @Option(names = "--check", description = "show one rendered example with its loss tokens marked, check every mask, and exit")
  boolean check;

  @Option(names = "--no-packing", description = "one example per row, padded, instead of best-fit packing")
  boolean noPacking = !DEFAULTS.pack();

  @Option(names = "--batch", paramLabel = "B", description = "rows per micro-batch (default: ${DEFAULT-VALUE})")
  int batch = DEFAULTS.batch();

  @Option(names = "--seq", paramLabel = "T", description = "tokens per packed row, at most the base run's context (default: ${DEFAULT-VALUE}, or the"
          + " base run's context when smaller)")
  int seq = DEFAULTS.seqLen();

  @Option(names = "--eval-every", paramLabel = "STEPS", description = "held-out loss every N steps (default: ${DEFAULT-VALUE})")
  int evalEvery = TRAIN.evalEvery();

  @Option(names = "--eval-per-family", paramLabel = "N",
      description = "embedded data: prompts per task family answered for the accuracy report; 0 skips it (default: ${DEFAULT-VALUE})")
  int evalPerFamily = DEFAULTS.evalPerFamily();

  /** Every option checked before anything is read or written (OptionChecks). */
  @Override
  public void validate() {
    common.validate("--base");
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.atLeast("--seq", seq, 2); // its upper bound, the base run's context, is checked with the run
    schedule.validate();
    OptionChecks.atLeast("--eval-every", evalEvery, 0);
    OptionChecks.atLeast("--eval-per-family", evalPerFamily, 0);
    if (data != null && evalPerFamily > 0 && common.given("--eval-per-family")) { // 0 (skip) is harmless
      throw new IllegalArgumentException("--eval-per-family applies to the embedded data only, not to --data " + data);
    }
    OptionChecks.readableFile("--data", data);
    if (!check) {
      OptionChecks.runDirectory("--base", base);
    }
    if (!common.given("--seq") && java.nio.file.Files.isRegularFile(base.resolve("config.json"))) {
      seq = Math.min(seq, dev.triad.train.RunInfo.read(base).blockSize()); // the default fits the base's context
    }
  }

  @Override
  public Integer call() {
    validate();
    Sft.run(options());
    return 0;
  }

  /** The run the (validated) options ask for. */
  SftOptions options() {
    TrainConfig train = common.train(schedule.applyTo(TRAIN.toBuilder()).evalEvery(evalEvery));
    Device device = common.parsedDevice();
    return SftOptions.builder().runDir(common.out).baseRun(base).dataFile(data).device(device).batch(batch)
        .seqLen(seq).pack(!noPacking).train(train).evalPerFamily(evalPerFamily).resume(common.resume)
        .checkOnly(check).precision(common.parsedPrecision(device)).build();
  }
}
