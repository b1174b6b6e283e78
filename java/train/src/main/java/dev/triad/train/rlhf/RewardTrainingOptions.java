package dev.triad.train.rlhf;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.PhaseBuilder;
import dev.triad.train.TrainConfig;
import java.nio.file.Path;

/**
 * Everything a reward-model run needs; make one with {@link #builder()}: {@code
 * RewardTrainingOptions.builder().runDir(dir).baseRun(sft).build()} trains on the embedded preference data.
 *
 * @param batch pairs per micro-batch (2 x batch sequences)
 * @param seqLen longest sequence (prompt + reply) kept; pairs with a longer one are dropped. At most
 *     the base run's context (more is refused).
 * @param margin the Bradley–Terry margin (0: plain)
 */
public record RewardTrainingOptions(Path runDir, Path baseRun, Path dataFile, Device device, int batch, int seqLen, float margin,
    TrainConfig train, boolean resume, Precision precision) {
  public RewardTrainingOptions {
    require(runDir != null, "runDir must be given");
    require(baseRun != null, "baseRun must be given");
    require(device != null, "device must be given");
    require(batch >= 1, "batch must be >= 1, got " + batch);
    require(seqLen >= 2, "seqLen must be >= 2, got " + seqLen);
    require(Float.isFinite(margin), "margin must be a finite number, got " + margin);
    require(train != null, "train must be given");
    require(precision != null, "precision must be given");
  }

  /** 200 steps at peak lr 1e-4, no weight decay or text samples; the rest as TrainConfig.builder(). */
  private static final TrainConfig DEFAULT_TRAIN = TrainConfig.builder().steps(200).lr(1e-4f).warmupSteps(10)
      .weightDecay(0f).evalEvery(50).sampleEvery(0).checkpointEvery(100).build();

  /** A builder at {@code triad reward}'s defaults; runDir and baseRun must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    return new Builder().runDir(runDir).baseRun(baseRun).dataFile(dataFile).device(device).batch(batch)
        .seqLen(seqLen).margin(margin).train(train).resume(resume).precision(precision);
  }

  /**
   * Named options at their defaults (the one place they live: the CLI's options read them from the
   * getters).
   */
  public static final class Builder extends PhaseBuilder<Builder> {
    private Path baseRun;
    private Path dataFile;
    private int batch = 8;
    private int seqLen = 256;
    private float margin = 0f;
    private TrainConfig train = DEFAULT_TRAIN;

    private Builder() {}

    @Override
    protected Builder self() {
      return this;
    }

    /** The SFT (or pretrained) run to start from; required. */
    public Builder baseRun(Path baseRun) {
      this.baseRun = baseRun;
      return this;
    }

    /** JSONL of prompt/chosen/rejected records; null (the default): the embedded preference data. */
    public Builder dataFile(Path dataFile) {
      this.dataFile = dataFile;
      return this;
    }

    /** Pairs per micro-batch. */
    public Builder batch(int batch) {
      this.batch = batch;
      return this;
    }

    /** Longest prompt + reply kept, at most the base run's context. */
    public Builder seqLen(int seqLen) {
      this.seqLen = seqLen;
      return this;
    }

    /** The Bradley–Terry margin (0: plain). */
    public Builder margin(float margin) {
      this.margin = margin;
      return this;
    }

    /** The optimisation settings. */
    public Builder train(TrainConfig train) {
      this.train = train;
      return this;
    }

    public int batch() {
      return batch;
    }

    public int seqLen() {
      return seqLen;
    }

    public float margin() {
      return margin;
    }

    public TrainConfig train() {
      return train;
    }

    /**
     * The options, the defaults that depend on others resolved.
     *
     * @throws IllegalArgumentException naming the first option out of range and its value
     */
    public RewardTrainingOptions build() {
      Device d = resolvedDevice();
      return new RewardTrainingOptions(runDir, baseRun, dataFile, d, batch, seqLen, margin, train, resume,
          resolvedPrecision(d));
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("reward: " + message);
    }
  }
}
