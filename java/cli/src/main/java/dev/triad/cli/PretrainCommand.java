package dev.triad.cli;

import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code triad pretrain}: phase one, next-token prediction on token shards or the embedded corpus. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
    description = {"Pretrain a GPT on next-token prediction.",
        "Without --data it trains on the embedded synthetic corpus (weather bulletins, facts, arithmetic,"
            + " word games, quizzes),"
            + " tokenized byte-level into <out>/data."})
final class PretrainCommand implements TrainingCommand {
  /** The library's defaults, where every option's default below comes from (read, never set). */
  private static final PretrainOptions.Builder DEFAULTS = PretrainOptions.builder();
  private static final TrainConfig TRAIN = DEFAULTS.train();

  @Mixin
  TrainingOptions common = new TrainingOptions("runs/pretrain", TRAIN, DEFAULTS.preset());

  @Option(names = "--data", paramLabel = "DIR",
      description = "directory of train_*.bin / val_*.bin token shards (from `triad tokenize` or llm.c)")
  Path data;

  @Option(names = "--tokenizer", paramLabel = "gpt2|byte|words",
      description = "tokenizer of the data (default: byte for the embedded corpus, gpt2 with --data)")
  String tokenizer;

  @Option(names = "--init-hf", paramLabel = "DIR",
      description = "start from Hugging Face GPT-2 weights (model.safetensors + config.json) instead of --model")
  Path initHf;

  @Option(names = "--batch", paramLabel = "B", description = "sequences per micro-batch (default: ${DEFAULT-VALUE})")
  int batch = DEFAULTS.batch();

  @Option(names = "--seq", paramLabel = "T", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
  int seq = DEFAULTS.seqLen();

  @Option(names = "--total-batch", paramLabel = "TOKENS",
      description = "tokens per optimizer step, reached by gradient accumulation (default: B x T)")
  long totalBatch = DEFAULTS.totalBatchTokens();

  @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})")
  float lr = TRAIN.lr();

  @Option(names = "--min-lr-ratio", description = "final learning rate as a fraction of the peak (default: ${DEFAULT-VALUE})")
  float minLrRatio = TRAIN.minLrRatio();

  @Option(names = "--warmup", paramLabel = "STEPS", description = "linear warmup steps (default: ${DEFAULT-VALUE})")
  int warmup = TRAIN.warmupSteps();

  @Option(names = "--schedule", description = "cosine, or wsd (warmup-stable-decay) (default: ${DEFAULT-VALUE})")
  String schedule = TRAIN.schedule().name().toLowerCase(java.util.Locale.ROOT);

  @Option(names = "--decay-fraction", description = "wsd: share of steps spent decaying (default: ${DEFAULT-VALUE})")
  float decayFraction = TRAIN.decayFraction();

  @Option(names = "--weight-decay", description = "AdamW weight decay on matrices (default: ${DEFAULT-VALUE})")
  float weightDecay = TRAIN.weightDecay();

  @Option(names = "--grad-clip", description = "global gradient-norm clip; 0 disables (default: ${DEFAULT-VALUE})")
  float gradClip = TRAIN.gradClip();

  @Option(names = "--eval-every", paramLabel = "STEPS", description = "validation loss every N steps (default: ${DEFAULT-VALUE})")
  int evalEvery = TRAIN.evalEvery();

  @Option(names = "--eval-batches", paramLabel = "N", description = "validation batches per evaluation (default: ${DEFAULT-VALUE})")
  int evalBatches = DEFAULTS.evalBatches();

  @Option(names = "--sample-every", paramLabel = "STEPS", description = "print a text sample every N steps; 0 never (default: ${DEFAULT-VALUE})")
  int sampleEvery = TRAIN.sampleEvery();

  @Option(names = "--checkpoint-every", paramLabel = "STEPS", description = "save a checkpoint every N steps (default: ${DEFAULT-VALUE})")
  int checkpointEvery = TRAIN.checkpointEvery();

  @Option(names = "--keep", paramLabel = "K", description = "checkpoints to keep (default: ${DEFAULT-VALUE})")
  int keep = TRAIN.keepCheckpoints();

  /** Every option checked before anything is read or written (OptionChecks). */
  @Override
  public void validate() {
    common.validate(null);
    if (initHf != null && common.given("--model")) {
      throw new IllegalArgumentException("--model " + common.model + " and --init-hf " + initHf
          + " both choose the model; give one (--init-hf takes its sizes from its config.json)");
    }
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.atLeast("--seq", seq, 1); // its upper bound, the model's context, is checked with the model
    OptionChecks.atLeast("--total-batch", totalBatch, 0);
    if (totalBatch % ((long) batch * seq) != 0) {
      throw new IllegalArgumentException("--total-batch " + totalBatch + ": must be a multiple of --batch x --seq = "
          + (long) batch * seq + " tokens (0: one micro-batch per step)");
    }
    OptionChecks.positive("--lr", lr);
    OptionChecks.within("--min-lr-ratio", minLrRatio, 0, 1);
    OptionChecks.atLeast("--warmup", warmup, 0);
    OptionChecks.oneOf("--schedule", schedule, "cosine", "wsd");
    OptionChecks.within("--decay-fraction", decayFraction, 0, 1);
    if (given("--decay-fraction") && !schedule.equalsIgnoreCase("wsd")) {
      throw new IllegalArgumentException("--decay-fraction is used only with --schedule wsd");
    }
    OptionChecks.nonNegative("--weight-decay", weightDecay);
    OptionChecks.nonNegative("--grad-clip", gradClip);
    OptionChecks.atLeast("--eval-every", evalEvery, 0);
    OptionChecks.atLeast("--eval-batches", evalBatches, 1);
    OptionChecks.atLeast("--sample-every", sampleEvery, 0);
    OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 0);
    OptionChecks.atLeast("--keep", keep, 1);
    if (tokenizer != null) {
      OptionChecks.oneOf("--tokenizer", tokenizer, dev.triad.data.Tokenizer.NAMES.toArray(new String[0]));
    }
    OptionChecks.readableDirectory("--data", data);
    OptionChecks.readableDirectory("--init-hf", initHf);
  }

  private boolean given(String option) {
    return common.given(option);
  }

  @Override
  public Integer call() {
    validate();
    Pretrain.run(options());
    return 0;
  }

  /** The run the (validated) options ask for. */
  PretrainOptions options() {
    TrainConfig train = common.train(TRAIN.toBuilder().lr(lr).minLrRatio(minLrRatio).warmupSteps(warmup)
        .schedule(parseSchedule(schedule)).decayFraction(decayFraction).weightDecay(weightDecay).gradClip(gradClip)
        .evalEvery(evalEvery).sampleEvery(sampleEvery).checkpointEvery(checkpointEvery).keepCheckpoints(keep));
    Device device = common.parsedDevice();
    // a null tokenizer is the builder's to choose: byte for the embedded corpus, gpt2 for --data or --init-hf
    return PretrainOptions.builder().runDir(common.out).dataDir(data).tokenizer(tokenizer).preset(common.model)
        .initFromHf(initHf).device(device).batch(batch).seqLen(seq).totalBatchTokens(totalBatch).train(train)
        .evalBatches(evalBatches).resume(common.resume).precision(common.parsedPrecision(device)).build();
  }

  private static TrainConfig.Schedule parseSchedule(String name) {
    try {
      return TrainConfig.Schedule.valueOf(name.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--schedule " + name + ": expected cosine or wsd");
    }
  }
}
