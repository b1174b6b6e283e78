package dev.triad.train.rlhf;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.TuningPhaseBuilder;
import java.nio.file.Path;

/**
 * Everything a reward-model run needs; make one with {@link #builder()}: {@code
 * RewardTrainingOptions.builder().runDir(dir).baseRun(sft).build()} trains on the embedded preference data.
 *
 * @param baseRun the SFT (or pretrained) run to start from
 * @param dataFile JSONL of prompt/chosen/rejected records, or null for the embedded preference data
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
   * getters). baseRun, dataFile, seqLen, batch and train are TuningPhaseBuilder's.
   */
  public static final class Builder extends TuningPhaseBuilder<Builder> {
    private float margin = 0f;

    private Builder() {
      super(8, 256, DEFAULT_TRAIN);
    }

    /** The Bradley–Terry margin (0: plain). */
    public Builder margin(float margin) {
      this.margin = margin;
      return this;
    }

    public float margin() {
      return margin;
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
