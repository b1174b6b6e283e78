package dev.triad.train;

/**
 * The settings of the phases whose Trainer steps on micro-batches of a fixed size (Pretrain, Sft,
 * RewardTraining, Dpo): the micro-batch and the optimisation settings. What a batch counts
 * (sequences, rows, pairs) each phase's Options says.
 *
 * @param <B> the phase's builder, returned by every setter so calls chain
 */
public abstract class TrainedPhaseBuilder<B extends TrainedPhaseBuilder<B>> extends PhaseBuilder<B> {
  protected int batch;
  protected TrainConfig train;

  /** A builder at the phase's defaults. */
  protected TrainedPhaseBuilder(int batch, TrainConfig train) {
    this.batch = batch;
    this.train = train;
  }

  /** Examples per micro-batch (>= 1). */
  public B batch(int batch) {
    this.batch = batch;
    return self();
  }

  /** The optimisation settings. */
  public B train(TrainConfig train) {
    this.train = train;
    return self();
  }

  public int batch() {
    return batch;
  }

  public TrainConfig train() {
    return train;
  }
}
