package dev.triad.train.sft;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.TuningPhaseBuilder;
import java.nio.file.Path;

/**
 * Everything an SFT run needs; make one with {@link #builder()}: {@code
 * SftOptions.builder().runDir(dir).baseRun(pretrained).build()} tunes on the embedded instruction data.
 *
 * @param baseRun the pretrained run to start from
 * @param dataFile JSONL of prompt/completion or messages records, or null for the embedded instruction data
 * @param batch rows per micro-batch
 * @param seqLen tokens per packed row, at most the base run's context
 */
public record SftOptions(Path runDir, Path baseRun, Path dataFile, Device device, int batch, int seqLen, boolean pack,
    TrainConfig train, int evalPerFamily, boolean resume, boolean checkOnly, Precision precision) {
  public SftOptions {
    require(runDir != null, "runDir must be given");
    require(baseRun != null, "baseRun must be given");
    require(device != null, "device must be given");
    require(batch >= 1, "batch must be >= 1, got " + batch);
    require(seqLen >= 2, "seqLen must be >= 2, got " + seqLen);
    require(train != null, "train must be given");
    require(evalPerFamily >= 0, "evalPerFamily must be >= 0 (0 skips the report), got " + evalPerFamily);
    require(precision != null, "precision must be given");
  }

  /**
   * 300 steps at peak lr 1e-4, a tenth of pretraining's peak: tuning should teach the chat format
   * and the trained skills without overwriting what pretraining stored. On the embedded data at 5e-4
   * the tuned model answered every held-out question from a trained family's answers (docs/SFT.md).
   * No weight decay, no text samples, a checkpoint every 150 steps; the rest as TrainConfig.builder().
   */
  private static final TrainConfig DEFAULT_TRAIN = TrainConfig.builder().steps(300).lr(1e-4f).warmupSteps(20)
      .weightDecay(0f).sampleEvery(0).checkpointEvery(150).build();

  /** A builder at {@code triad sft}'s defaults; runDir and baseRun must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    return new Builder().runDir(runDir).baseRun(baseRun).dataFile(dataFile).device(device).batch(batch)
        .seqLen(seqLen).pack(pack).train(train).evalPerFamily(evalPerFamily).resume(resume)
        .checkOnly(checkOnly).precision(precision);
  }

  /**
   * Named options at their defaults (the one place they live: the CLI's options read them from the
   * getters). baseRun, dataFile, seqLen, batch and train are TuningPhaseBuilder's.
   */
  public static final class Builder extends TuningPhaseBuilder<Builder> {
    private boolean pack = true;
    private int evalPerFamily = 40;
    private boolean checkOnly = false;

    private Builder() {
      super(8, 256, DEFAULT_TRAIN);
    }

    /** Best-fit packing of examples into rows; false: one example per row, padded. */
    public Builder pack(boolean pack) {
      this.pack = pack;
      return this;
    }

    /** Embedded data: prompts per task family answered for the accuracy report; 0 skips it. */
    public Builder evalPerFamily(int evalPerFamily) {
      this.evalPerFamily = evalPerFamily;
      return this;
    }

    /** Render one example with its loss tokens marked, check every mask, write nothing. */
    public Builder checkOnly(boolean checkOnly) {
      this.checkOnly = checkOnly;
      return this;
    }

    public boolean pack() {
      return pack;
    }

    public int evalPerFamily() {
      return evalPerFamily;
    }

    /**
     * The options, the defaults that depend on others resolved.
     *
     * @throws IllegalArgumentException naming the first option out of range and its value
     */
    public SftOptions build() {
      Device d = resolvedDevice();
      return new SftOptions(runDir, baseRun, dataFile, d, batch, seqLen, pack, train, evalPerFamily, resume, checkOnly,
          resolvedPrecision(d));
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("sft: " + message);
    }
  }
}
