package dev.triad.train.rlhf;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.PolicyPhaseBuilder;
import dev.triad.train.TrainConfig;
import java.nio.file.Path;

/**
 * Everything a GRPO run needs; make one with {@link #builder()}: {@code
 * GrpoOptions.builder().runDir(dir).policyRun(sft).rewardRun(reward).build()}.
 *
 * @param prompts prompts per step (P)
 * @param group replies sampled per prompt (G >= 2)
 * @param maxNewTokens reply budget (capped by the context)
 * @param beta KL weight to the reference (0: no reference is loaded during training)
 * @param clipEps PPO clip range of the ratio
 * @param evalPrompts held-out prompts evaluated before/after (at most)
 */
public record GrpoOptions(Path runDir, Path policyRun, Path rewardRun, Device device, int prompts, int group,
    int maxNewTokens, float beta, float clipEps, int evalPrompts, TrainConfig train, boolean resume,
    Precision precision) {
  public GrpoOptions {
    require(runDir != null, "runDir must be given");
    require(policyRun != null, "policyRun must be given");
    require(rewardRun != null, "rewardRun must be given");
    require(device != null, "device must be given");
    require(prompts >= 1, "prompts must be >= 1, got " + prompts);
    require(group >= 2, "group must be >= 2 (advantages are normalised within a group), got " + group);
    require(maxNewTokens >= 1, "maxNewTokens must be >= 1, got " + maxNewTokens);
    require(beta >= 0 && Float.isFinite(beta), "beta must be a finite number >= 0, got " + beta);
    require(clipEps > 0 && clipEps < 1, "clipEps must be in (0, 1), got " + clipEps);
    require(evalPrompts >= 1, "evalPrompts must be >= 1, got " + evalPrompts);
    require(train != null, "train must be given");
    require(precision != null, "precision must be given");
  }

  /** 100 steps at lr 1e-5, no periodic validation, no weight decay; the rest as TrainConfig.builder(). */
  private static final TrainConfig DEFAULT_TRAIN = TrainConfig.builder().steps(100).lr(1e-5f).warmupSteps(5)
      .weightDecay(0f).evalEvery(0).sampleEvery(0).checkpointEvery(50).build();

  /** A builder at {@code triad grpo}'s defaults; runDir, policyRun and rewardRun must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    return new Builder().runDir(runDir).policyRun(policyRun).rewardRun(rewardRun).device(device)
        .prompts(prompts).group(group).maxNewTokens(maxNewTokens).beta(beta).clipEps(clipEps)
        .evalPrompts(evalPrompts).train(train).resume(resume).precision(precision);
  }

  /**
   * Named options at their defaults (the one place they live: the CLI's options read them from the
   * getters). policyRun and rewardRun are PolicyPhaseBuilder's.
   */
  public static final class Builder extends PolicyPhaseBuilder<Builder> {
    private int prompts = 8;
    private int group = 4;
    private int maxNewTokens = 32;
    private float beta = 0.04f;
    private float clipEps = 0.2f;
    private int evalPrompts = 96;
    private TrainConfig train = DEFAULT_TRAIN;

    private Builder() {}

    /** Prompts per step (P >= 1). */
    public Builder prompts(int prompts) {
      this.prompts = prompts;
      return this;
    }

    /** Replies sampled per prompt (G >= 2). */
    public Builder group(int group) {
      this.group = group;
      return this;
    }

    /** Reply budget (capped by the context). */
    public Builder maxNewTokens(int maxNewTokens) {
      this.maxNewTokens = maxNewTokens;
      return this;
    }

    /** KL weight to the reference (>= 0; 0: no reference is loaded during training). */
    public Builder beta(float beta) {
      this.beta = beta;
      return this;
    }

    /** PPO clip range of the ratio, in (0, 1). */
    public Builder clipEps(float clipEps) {
      this.clipEps = clipEps;
      return this;
    }

    /** Held-out prompts evaluated before/after (at most; >= 1). */
    public Builder evalPrompts(int evalPrompts) {
      this.evalPrompts = evalPrompts;
      return this;
    }

    /** The optimisation settings. */
    public Builder train(TrainConfig train) {
      this.train = train;
      return this;
    }

    public int prompts() {
      return prompts;
    }

    public int group() {
      return group;
    }

    public int maxNewTokens() {
      return maxNewTokens;
    }

    public float beta() {
      return beta;
    }

    public float clipEps() {
      return clipEps;
    }

    public int evalPrompts() {
      return evalPrompts;
    }

    public TrainConfig train() {
      return train;
    }

    /**
     * The options, the defaults that depend on others resolved.
     *
     * @throws IllegalArgumentException naming the first option out of range and its value
     */
    public GrpoOptions build() {
      Device d = resolvedDevice();
      return new GrpoOptions(runDir, policyRun, rewardRun, d, prompts, group, maxNewTokens, beta, clipEps, evalPrompts, train,
          resume, resolvedPrecision(d));
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("grpo: " + message);
    }
  }
}
