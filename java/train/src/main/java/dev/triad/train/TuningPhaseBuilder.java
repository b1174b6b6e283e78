package dev.triad.train;

import java.nio.file.Path;

/**
 * The settings of the phases that tune a base run on examples read from a JSONL file (Sft,
 * RewardTraining): the run to start from, the file, and the longest sequence, which is at most the
 * base run's context. What a record holds and what seqLen bounds each phase's Options says.
 *
 * @param <B> the phase's builder, returned by every setter so calls chain
 */
public abstract class TuningPhaseBuilder<B extends TuningPhaseBuilder<B>> extends TrainedPhaseBuilder<B> {
  protected Path baseRun;
  protected Path dataFile;
  protected int seqLen;

  /** A builder at the phase's defaults; baseRun is required, dataFile defaults to the embedded data. */
  protected TuningPhaseBuilder(int batch, int seqLen, TrainConfig train) {
    super(batch, train);
    this.seqLen = seqLen;
  }

  /** The run to start from; required. */
  public B baseRun(Path baseRun) {
    this.baseRun = baseRun;
    return self();
  }

  /** The JSONL data; null (the default): the phase's embedded data. */
  public B dataFile(Path dataFile) {
    this.dataFile = dataFile;
    return self();
  }

  /** Tokens per sequence, at most the base run's context. */
  public B seqLen(int seqLen) {
    this.seqLen = seqLen;
    return self();
  }

  public int seqLen() {
    return seqLen;
  }
}
