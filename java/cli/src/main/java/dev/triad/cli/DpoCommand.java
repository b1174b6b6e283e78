package dev.triad.cli;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.tensor.Device;
import dev.triad.train.RunInfo;
import dev.triad.train.TrainConfig;
import dev.triad.train.rlhf.Dpo;
import dev.triad.train.rlhf.DpoData;
import dev.triad.train.rlhf.DpoOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code triad dpo}: the RLHF phase by direct preference optimisation, from an SFT run. */
@Command(name = "dpo", mixinStandardHelpOptions = true,
    description = {"Align an instruction-tuned run with preference pairs by DPO (direct preference optimisation).",
        "Without --data it trains on the embedded preference data (the reward model's pairs: concise, correct and"
            + " polite replies preferred). Writes held-out pair accuracy, reward margins and the rule score of the"
            + " policy's sampled replies before and after to <out>/dpo_eval.json."})
final class DpoCommand implements TrainingCommand {
  /** The library's defaults, where every option's default below comes from (read, never set). */
  private static final DpoOptions.Builder DEFAULTS = DpoOptions.builder();
  private static final TrainConfig TRAIN = DEFAULTS.train();

  @Mixin
  TrainingOptions common = new TrainingOptions("runs/dpo", TRAIN, "(from --base)");

  @Mixin
  ScheduleOptions schedule = new ScheduleOptions(TRAIN);

  @Option(names = "--base", paramLabel = "DIR", description = "SFT run to start from (default: ${DEFAULT-VALUE})")
  Path base = Path.of("runs/sft");

  @Option(names = "--data", paramLabel = "FILE",
      description = "JSONL of {\"prompt\", \"chosen\", \"rejected\"} records (\"system\" optional); every 20th is held out")
  Path data;

  @Option(names = "--beta", description = "DPO temperature: strength of the pull towards the reference (default: ${DEFAULT-VALUE})")
  float beta = DEFAULTS.beta();

  @Option(names = "--batch", paramLabel = "B", description = "pairs per micro-batch (default: ${DEFAULT-VALUE})")
  int batch = DEFAULTS.batch();

  @Option(names = "--eval-every", paramLabel = "STEPS", description = "held-out DPO loss every N steps (default: ${DEFAULT-VALUE})")
  int evalEvery = TRAIN.evalEvery();

  @Option(names = "--eval-prompts", paramLabel = "N",
      description = "held-out prompts whose sampled replies are rule-scored before and after; 0 skips (default: ${DEFAULT-VALUE})")
  int evalPrompts = DEFAULTS.evalPrompts();

  @Option(names = "--pairs", paramLabel = "N", description = "embedded data: training pairs (default: ${DEFAULT-VALUE})")
  int pairs = 1000;

  @Option(names = "--held-out", paramLabel = "N", description = "embedded data: held-out pairs (default: ${DEFAULT-VALUE})")
  int heldOut = 100;

  /** Every option checked before anything is read or written (OptionChecks). */
  @Override
  public void validate() {
    common.validate("--base");
    OptionChecks.positive("--beta", beta);
    OptionChecks.atLeast("--batch", batch, 1);
    schedule.validate();
    OptionChecks.atLeast("--eval-every", evalEvery, 0);
    OptionChecks.atLeast("--eval-prompts", evalPrompts, 0);
    OptionChecks.atLeast("--pairs", pairs, 1);
    OptionChecks.atLeast("--held-out", heldOut, 1);
    if (data != null && (common.given("--pairs") || common.given("--held-out"))) {
      throw new IllegalArgumentException("--pairs and --held-out apply to the embedded data only, not to --data "
          + data + " (whose every 20th pair is held out)");
    }
    OptionChecks.readableFile("--data", data);
    OptionChecks.runDirectory("--base", base);
  }

  @Override
  public Integer call() {
    validate();
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(RunInfo.read(base).tokenizer()));
    DpoData.Pairs p;
    String label;
    if (data == null) {
      p = DpoData.embedded(template, common.seed, pairs, heldOut);
      label = "embedded preference data (seed " + common.seed + ")";
    } else {
      try {
        p = DpoData.readJsonl(data, template);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + data + ": " + e.getMessage(), e);
      }
      label = data.toString();
    }
    Dpo.run(options(p, label));
    return 0;
  }

  /** The run the (validated) options ask for, on pairs {@code p} described as {@code label}. */
  DpoOptions options(DpoData.Pairs p, String label) {
    TrainConfig train = common.train(schedule.applyTo(TRAIN.toBuilder()).evalEvery(evalEvery));
    Device device = common.parsedDevice();
    return DpoOptions.builder().runDir(common.out).baseRun(base).device(device).batch(batch).beta(beta).train(train)
        .resume(common.resume).trainPairs(p.train()).heldOutPairs(p.heldOut()).data(label).evalPrompts(evalPrompts)
        .precision(common.parsedPrecision(device)).build();
  }
}
