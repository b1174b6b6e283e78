package dev.triad.cli;

import dev.triad.train.TrainConfig;
import picocli.CommandLine.Option;

/**
 * The learning-rate schedule and checkpoint options the tuning commands share (sft, reward, dpo, grpo;
 * a picocli mixin), at the phase's defaults (the constructor's {@code defaults}, from its
 * Options.builder()). pretrain has its own: more schedule settings, other wording.
 */
final class ScheduleOptions {
  @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})")
  float lr;

  @Option(names = "--warmup", paramLabel = "STEPS", description = "linear warmup steps (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--checkpoint-every", paramLabel = "STEPS", description = "(default: ${DEFAULT-VALUE})")
  int checkpointEvery;

  /** Options at {@code defaults}' (picocli shows a field's initial value as its default in --help). */
  ScheduleOptions(TrainConfig defaults) {
    this.lr = defaults.lr();
    this.warmup = defaults.warmupSteps();
    this.checkpointEvery = defaults.checkpointEvery();
  }

  /** The parse-time checks (OptionChecks). */
  void validate() {
    OptionChecks.positive("--lr", lr);
    OptionChecks.atLeast("--warmup", warmup, 0);
    OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 0);
  }

  /** {@code train} with --lr, --warmup and --checkpoint-every. */
  TrainConfig.Builder applyTo(TrainConfig.Builder train) {
    return train.lr(lr).warmupSteps(warmup).checkpointEvery(checkpointEvery);
  }
}
