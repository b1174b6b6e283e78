package dev.triad.train.pretrain;

import dev.triad.data.Tokenizer;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.TrainedPhaseBuilder;
import java.nio.file.Path;

/**
 * Everything a pretraining run needs; make one with {@link #builder()}: {@code
 * PretrainOptions.builder().runDir(dir).preset("tiny").build()} trains on the embedded corpus.
 *
 * @param dataDir token shards (train_*.bin, val_*.bin), or null for the embedded corpus
 * @param initFromHf Hugging Face GPT-2 weights to start from instead of {@code preset}, or null
 * @param batch sequences per micro-batch
 * @param totalBatchTokens tokens per optimizer step, a multiple of batch x seqLen reached by gradient
 *     accumulation; 0: one micro-batch per step
 * @param train the optimisation settings; its gradAccum is derived from {@code totalBatchTokens}
 */
public record PretrainOptions(Path runDir, Path dataDir, String tokenizer, String preset, Path initFromHf, Device device,
    int batch, int seqLen, long totalBatchTokens, TrainConfig train, int evalBatches, boolean resume,
    Precision precision) {
  public PretrainOptions {
    require(runDir != null, "runDir must be given");
    require(tokenizer != null, "tokenizer must be given");
    require(preset != null || initFromHf != null, "preset (or initFromHf) must be given");
    require(device != null, "device must be given");
    require(batch >= 1, "batch must be >= 1, got " + batch);
    require(seqLen >= 1, "seqLen must be >= 1, got " + seqLen);
    require(totalBatchTokens >= 0, "totalBatchTokens must be >= 0 (0: one micro-batch per step), got "
        + totalBatchTokens);
    require(train != null, "train must be given");
    require(evalBatches >= 1, "evalBatches must be >= 1, got " + evalBatches);
    require(precision != null, "precision must be given");
  }

  /** A builder at {@code triad pretrain}'s defaults; only {@link Builder#runDir} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    return new Builder().runDir(runDir).dataDir(dataDir).tokenizer(tokenizer).preset(preset).initFromHf(initFromHf)
        .device(device).batch(batch).seqLen(seqLen).totalBatchTokens(totalBatchTokens).train(train)
        .evalBatches(evalBatches).resume(resume).precision(precision);
  }

  /**
   * Named options at their defaults (the one place they live: the CLI's read them from here, and
   * its getters say what a setting is now). batch and train are TrainedPhaseBuilder's.
   */
  public static final class Builder extends TrainedPhaseBuilder<Builder> {
    private Path dataDir;
    private String tokenizer; // null: byte for the embedded corpus, gpt2 for shards or GPT-2 weights
    private String preset = "small";
    private Path initFromHf;
    private int seqLen = 128;
    private long totalBatchTokens = 0;
    private int evalBatches = 10;

    private Builder() {
      super(8, TrainConfig.builder().build());
    }

    /** Token shards to train on; null (the default): the embedded corpus, tokenized into runDir/data. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /**
     * The data's tokenizer (Tokenizer.NAMES); null (the default): byte for the embedded corpus, gpt2
     * with {@link #dataDir} or {@link #initFromHf}.
     */
    public Builder tokenizer(String tokenizer) {
      this.tokenizer = tokenizer;
      return this;
    }

    /** The model preset (GptConfig.presetNames()); not used with {@link #initFromHf}. */
    public Builder preset(String preset) {
      this.preset = preset;
      return this;
    }

    /** Hugging Face GPT-2 weights to start from instead of {@link #preset}; null (the default): none. */
    public Builder initFromHf(Path initFromHf) {
      this.initFromHf = initFromHf;
      return this;
    }

    /** Tokens per sequence. */
    public Builder seqLen(int seqLen) {
      this.seqLen = seqLen;
      return this;
    }

    /** Tokens per optimizer step (a multiple of batch x seqLen); 0 (the default): one micro-batch. */
    public Builder totalBatchTokens(long totalBatchTokens) {
      this.totalBatchTokens = totalBatchTokens;
      return this;
    }

    /** Validation batches per evaluation. */
    public Builder evalBatches(int evalBatches) {
      this.evalBatches = evalBatches;
      return this;
    }

    public String preset() {
      return preset;
    }

    public int seqLen() {
      return seqLen;
    }

    public long totalBatchTokens() {
      return totalBatchTokens;
    }

    public int evalBatches() {
      return evalBatches;
    }

    /**
     * The options, the defaults that depend on others resolved.
     *
     * @throws IllegalArgumentException naming the first option out of range and its value
     */
    public PretrainOptions build() {
      Device d = resolvedDevice();
      String tok = tokenizer != null ? tokenizer : dataDir != null || initFromHf != null ? "gpt2" : "byte";
      return new PretrainOptions(runDir, dataDir, tok, preset, initFromHf, d, batch, seqLen, totalBatchTokens, train,
          evalBatches, resume, resolvedPrecision(d));
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("pretrain: " + message);
    }
  }
}
