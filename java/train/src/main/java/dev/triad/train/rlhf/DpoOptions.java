package dev.triad.train.rlhf;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.TrainedPhaseBuilder;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a DPO run needs; make one with {@link #builder()}: {@code
 * DpoOptions.builder().runDir(dir).baseRun(sft).trainPairs(pairs).build()}.
 *
 * @param baseRun an SFT run (its vocabulary includes the chat template)
 * @param batch pairs per micro-batch (2 x batch sequences per forward pass)
 * @param trainPairs tokenized pairs ({@link Triple}) to train on
 * @param heldOutPairs pairs for the held-out DPO loss and dpo_eval.json; may be empty
 * @param data what the pairs are, for config.json
 * @param evalPrompts held-out RL prompts of the embedded data whose sampled replies are scored
 *     before and after ({@link PolicyEval}); 0 skips that evaluation
 */
public record DpoOptions(Path runDir, Path baseRun, Device device, int batch, float beta, TrainConfig train,
    boolean resume, List<Triple> trainPairs, List<Triple> heldOutPairs, String data, int evalPrompts,
    Precision precision) {
  public DpoOptions {
    require(runDir != null, "runDir must be given");
    require(baseRun != null, "baseRun must be given");
    require(device != null, "device must be given");
    require(batch >= 1, "batch must be >= 1, got " + batch);
    require(beta > 0 && Float.isFinite(beta), "beta must be a finite number > 0, got " + beta);
    require(train != null, "train must be given");
    require(trainPairs != null, "trainPairs must be given");
    require(evalPrompts >= 0, "evalPrompts must be >= 0, got " + evalPrompts);
    require(precision != null, "precision must be given");
    trainPairs = List.copyOf(trainPairs);
    heldOutPairs = heldOutPairs == null ? List.of() : List.copyOf(heldOutPairs);
  }

  /**
   * lr 2e-5 and beta 0.2: on the embedded data a small model at lr 5e-5, beta 0.1 ranks the pairs as
   * well but drifts into degenerate text (KL ~1 per token). 200 steps, no weight decay or text
   * samples; the rest as TrainConfig.builder().
   */
  private static final TrainConfig DEFAULT_TRAIN = TrainConfig.builder().steps(200).lr(2e-5f).warmupSteps(10)
      .weightDecay(0f).evalEvery(50).sampleEvery(0).checkpointEvery(100).build();

  /** A builder at {@code triad dpo}'s defaults; runDir, baseRun and trainPairs must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    return new Builder().runDir(runDir).baseRun(baseRun).device(device).batch(batch).beta(beta).train(train)
        .resume(resume).trainPairs(trainPairs).heldOutPairs(heldOutPairs).data(data).evalPrompts(evalPrompts)
        .precision(precision);
  }

  /**
   * Named options at their defaults (the one place they live: the CLI's options read them from the
   * getters). batch and train are TrainedPhaseBuilder's.
   */
  public static final class Builder extends TrainedPhaseBuilder<Builder> {
    private Path baseRun;
    private float beta = 0.2f;
    private List<Triple> trainPairs;
    private List<Triple> heldOutPairs = List.of();
    private String data = "pairs given in code";
    private int evalPrompts = 96;

    private Builder() {
      super(8, DEFAULT_TRAIN);
    }

    /** The SFT run to start from (and the frozen reference); required. */
    public Builder baseRun(Path baseRun) {
      this.baseRun = baseRun;
      return this;
    }

    /** DPO temperature: strength of the pull towards the reference (> 0). */
    public Builder beta(float beta) {
      this.beta = beta;
      return this;
    }

    /** Tokenized pairs to train on; required. */
    public Builder trainPairs(List<Triple> trainPairs) {
      this.trainPairs = trainPairs;
      return this;
    }

    /** Pairs for the held-out DPO loss and dpo_eval.json; none by default. */
    public Builder heldOutPairs(List<Triple> heldOutPairs) {
      this.heldOutPairs = heldOutPairs;
      return this;
    }

    /** What the pairs are, for config.json. */
    public Builder data(String data) {
      this.data = data;
      return this;
    }

    /** Held-out RL prompts whose sampled replies are scored before and after; 0 skips it. */
    public Builder evalPrompts(int evalPrompts) {
      this.evalPrompts = evalPrompts;
      return this;
    }

    public float beta() {
      return beta;
    }

    public int evalPrompts() {
      return evalPrompts;
    }

    /**
     * The options, the defaults that depend on others resolved.
     *
     * @throws IllegalArgumentException naming the first option out of range and its value
     */
    public DpoOptions build() {
      Device d = resolvedDevice();
      return new DpoOptions(runDir, baseRun, d, batch, beta, train, resume, trainPairs, heldOutPairs, data, evalPrompts,
          resolvedPrecision(d));
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("dpo: " + message);
    }
  }
}
