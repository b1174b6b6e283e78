package dev.triad.train.rlhf;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.PolicyPhaseBuilder;
import dev.triad.train.TrainConfig;
import java.nio.file.Path;

/**
 * Everything a PPO run needs; make one with {@link #builder()}: {@code
 * PpoOptions.builder().runDir(dir).policyRun(sft).rewardRun(reward).build()}.
 *
 * @param batch prompts rolled out per step
 * @param miniBatch rollouts per optimisation minibatch (at most batch)
 * @param epochs passes over each rollout
 * @param beta KL penalty coefficient (its initial value when adaptive)
 * @param targetKl target KL of a reply (nats): the adaptive controller's target and the guardrails' unit
 * @param adaptiveKl whether beta follows the proportional controller toward targetKl
 * @param klHorizon the controller's horizon (in rollouts)
 * @param evalPrompts held-out RL prompts for the before/after evaluation (never trained on)
 */
public record PpoOptions(Path runDir, Path policyRun, Path rewardRun, Device device, int steps, int batch,
    int miniBatch, int epochs, float lr, float beta, float targetKl, boolean adaptiveKl, double klHorizon,
    float clipEps, float valueClipEps, float vfCoef, float entCoef, double gamma, double lambda,
    int maxNewTokens, float gradClip, int evalPrompts, long seed, boolean resume, int checkpointEvery,
    int keepCheckpoints, Precision precision, float beta1, float beta2, float eps, TrainConfig.DataOrder dataOrder) {
  public PpoOptions {
    require(runDir != null, "runDir must be given");
    require(policyRun != null, "policyRun must be given");
    require(rewardRun != null, "rewardRun must be given");
    require(device != null, "device must be given");
    require(steps >= 1, "steps must be >= 1, got " + steps);
    require(batch >= 1, "batch must be >= 1, got " + batch);
    require(miniBatch >= 1 && miniBatch <= batch, "miniBatch must be in [1, batch = " + batch + "], got " + miniBatch);
    require(epochs >= 1, "epochs must be >= 1, got " + epochs);
    require(lr > 0 && Float.isFinite(lr), "lr must be > 0, got " + lr);
    require(beta >= 0 && Float.isFinite(beta), "beta must be >= 0, got " + beta);
    require(targetKl > 0 && Float.isFinite(targetKl), "targetKl must be > 0, got " + targetKl);
    require(klHorizon > 0, "klHorizon must be > 0, got " + klHorizon);
    require(clipEps > 0, "clipEps must be > 0, got " + clipEps);
    require(valueClipEps > 0, "valueClipEps must be > 0, got " + valueClipEps);
    require(vfCoef >= 0, "vfCoef must be >= 0, got " + vfCoef);
    require(entCoef >= 0, "entCoef must be >= 0, got " + entCoef);
    require(gamma > 0 && gamma <= 1, "gamma must be in (0, 1], got " + gamma);
    require(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got " + lambda);
    require(maxNewTokens >= 1, "maxNewTokens must be >= 1, got " + maxNewTokens);
    require(gradClip > 0, "gradClip must be > 0, got " + gradClip);
    require(evalPrompts >= 1, "evalPrompts must be >= 1, got " + evalPrompts);
    require(checkpointEvery >= 1, "checkpointEvery must be >= 1, got " + checkpointEvery);
    require(keepCheckpoints >= 1, "keepCheckpoints must be >= 1, got " + keepCheckpoints);
    require(precision != null, "precision must be given");
    require(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got " + beta1);
    require(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got " + beta2);
    require(eps > 0 && Float.isFinite(eps), "eps must be > 0, got " + eps);
    require(dataOrder != null, "dataOrder must be given");
  }

  /** Seed, AdamW's betas and eps, and data order default as every phase's (TrainConfig.builder()). */
  private static final TrainConfig SHARED = TrainConfig.builder().build();

  /** A builder at {@code triad ppo}'s defaults; runDir, policyRun and rewardRun must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    return new Builder().runDir(runDir).policyRun(policyRun).rewardRun(rewardRun).device(device).steps(steps)
        .batch(batch).miniBatch(miniBatch).epochs(epochs).lr(lr).beta(beta).targetKl(targetKl)
        .adaptiveKl(adaptiveKl).klHorizon(klHorizon).clipEps(clipEps).valueClipEps(valueClipEps)
        .vfCoef(vfCoef).entCoef(entCoef).gamma(gamma).lambda(lambda).maxNewTokens(maxNewTokens)
        .gradClip(gradClip).evalPrompts(evalPrompts).seed(seed).resume(resume)
        .checkpointEvery(checkpointEvery).keepCheckpoints(keepCheckpoints).precision(precision).beta1(beta1)
        .beta2(beta2).eps(eps).dataOrder(dataOrder);
  }

  /**
   * Named options at their defaults (the one place they live: the CLI's options read them from the
   * getters). policyRun and rewardRun are PolicyPhaseBuilder's.
   */
  public static final class Builder extends PolicyPhaseBuilder<Builder> {
    private int steps = 100;
    private int batch = 16;
    private int miniBatch = 8;
    private int epochs = 4;
    private float lr = 1e-5f;
    private float beta = 0.05f;
    private float targetKl = 6f;
    private boolean adaptiveKl = true;
    private double klHorizon = 10000;
    private float clipEps = 0.2f;
    private float valueClipEps = 0.2f;
    private float vfCoef = 0.1f;
    private float entCoef = 0f;
    private double gamma = 1.0;
    private double lambda = 0.95;
    private int maxNewTokens = 32;
    private float gradClip = 1.0f;
    private int evalPrompts = 64;
    private long seed = SHARED.seed();
    private int checkpointEvery = 50;
    private int keepCheckpoints = 2;
    private float beta1 = SHARED.beta1();
    private float beta2 = SHARED.beta2();
    private float eps = SHARED.eps();
    private TrainConfig.DataOrder dataOrder = SHARED.dataOrder();

    private Builder() {}

    /** PPO steps (rollout + update) to train to. */
    public Builder steps(int steps) {
      this.steps = steps;
      return this;
    }

    /** Prompts rolled out per step. */
    public Builder batch(int batch) {
      this.batch = batch;
      return this;
    }

    /** Rollouts per optimisation minibatch, in [1, batch]. */
    public Builder miniBatch(int miniBatch) {
      this.miniBatch = miniBatch;
      return this;
    }

    /** Passes over each rollout. */
    public Builder epochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    /** Learning rate of policy and critic. */
    public Builder lr(float lr) {
      this.lr = lr;
      return this;
    }

    /** KL penalty coefficient (its initial value when adaptive). */
    public Builder beta(float beta) {
      this.beta = beta;
      return this;
    }

    /** Target KL of a reply (nats): the adaptive controller's target and the guardrails' unit. */
    public Builder targetKl(float targetKl) {
      this.targetKl = targetKl;
      return this;
    }

    /** Whether beta follows the proportional controller toward targetKl. */
    public Builder adaptiveKl(boolean adaptiveKl) {
      this.adaptiveKl = adaptiveKl;
      return this;
    }

    /** The KL controller's horizon (in rollouts). */
    public Builder klHorizon(double klHorizon) {
      this.klHorizon = klHorizon;
      return this;
    }

    /** Clip range of the policy ratio. */
    public Builder clipEps(float clipEps) {
      this.clipEps = clipEps;
      return this;
    }

    /** Clip range of the critic's values. */
    public Builder valueClipEps(float valueClipEps) {
      this.valueClipEps = valueClipEps;
      return this;
    }

    /** Weight of the value loss. */
    public Builder vfCoef(float vfCoef) {
      this.vfCoef = vfCoef;
      return this;
    }

    /** Weight of the entropy bonus. */
    public Builder entCoef(float entCoef) {
      this.entCoef = entCoef;
      return this;
    }

    /** Discount, in (0, 1]. */
    public Builder gamma(double gamma) {
      this.gamma = gamma;
      return this;
    }

    /** GAE lambda, in [0, 1]. */
    public Builder lambda(double lambda) {
      this.lambda = lambda;
      return this;
    }

    /** Reply budget. */
    public Builder maxNewTokens(int maxNewTokens) {
      this.maxNewTokens = maxNewTokens;
      return this;
    }

    /** Global gradient-norm clip (> 0). */
    public Builder gradClip(float gradClip) {
      this.gradClip = gradClip;
      return this;
    }

    /** Held-out RL prompts for the before/after evaluation (never trained on). */
    public Builder evalPrompts(int evalPrompts) {
      this.evalPrompts = evalPrompts;
      return this;
    }

    /** Seed of prompts, sampling and initialisation of the critic head. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A checkpoint every N steps (and after the last). */
    public Builder checkpointEvery(int checkpointEvery) {
      this.checkpointEvery = checkpointEvery;
      return this;
    }

    /** Checkpoints kept. */
    public Builder keepCheckpoints(int keepCheckpoints) {
      this.keepCheckpoints = keepCheckpoints;
      return this;
    }

    /** AdamW's first-moment decay (both models), in [0, 1). */
    public Builder beta1(float beta1) {
      this.beta1 = beta1;
      return this;
    }

    /** AdamW's second-moment decay (both models), in [0, 1). */
    public Builder beta2(float beta2) {
      this.beta2 = beta2;
      return this;
    }

    /** AdamW's epsilon (both models). */
    public Builder eps(float eps) {
      this.eps = eps;
      return this;
    }

    /**
     * Prompts drawn by the seed, or in order (sequential: step s rolls out prompts (s-1) B .. s B - 1,
     * wrapping, and minibatches keep the rollout's order).
     */
    public Builder dataOrder(TrainConfig.DataOrder dataOrder) {
      this.dataOrder = dataOrder;
      return this;
    }

    public int steps() {
      return steps;
    }

    public int batch() {
      return batch;
    }

    public int miniBatch() {
      return miniBatch;
    }

    public int epochs() {
      return epochs;
    }

    public float lr() {
      return lr;
    }

    public float beta() {
      return beta;
    }

    public float targetKl() {
      return targetKl;
    }

    public boolean adaptiveKl() {
      return adaptiveKl;
    }

    public double klHorizon() {
      return klHorizon;
    }

    public float clipEps() {
      return clipEps;
    }

    public float valueClipEps() {
      return valueClipEps;
    }

    public float vfCoef() {
      return vfCoef;
    }

    public float entCoef() {
      return entCoef;
    }

    public double gamma() {
      return gamma;
    }

    public double lambda() {
      return lambda;
    }

    public int maxNewTokens() {
      return maxNewTokens;
    }

    public float gradClip() {
      return gradClip;
    }

    public int evalPrompts() {
      return evalPrompts;
    }

    public long seed() {
      return seed;
    }

    public int checkpointEvery() {
      return checkpointEvery;
    }

    public int keepCheckpoints() {
      return keepCheckpoints;
    }

    public float beta1() {
      return beta1;
    }

    public float beta2() {
      return beta2;
    }

    public float eps() {
      return eps;
    }

    public TrainConfig.DataOrder dataOrder() {
      return dataOrder;
    }

    /**
     * The options, the defaults that depend on others resolved.
     *
     * @throws IllegalArgumentException naming the first option out of range and its value
     */
    public PpoOptions build() {
      Device d = resolvedDevice();
      return new PpoOptions(runDir, policyRun, rewardRun, d, steps, batch, miniBatch, epochs, lr, beta, targetKl, adaptiveKl,
          klHorizon, clipEps, valueClipEps, vfCoef, entCoef, gamma, lambda, maxNewTokens, gradClip, evalPrompts, seed,
          resume, checkpointEvery, keepCheckpoints, resolvedPrecision(d), beta1, beta2,
          eps, dataOrder);
    }
  }

  /**
   * The options as config.json records them: this record's text under its former name Ppo.Options
   * ("Options[runDir=..., steps=100, ...]"), which ResumeCheck and the CLI parse field by field, so a
   * run written before the rename resumes and a new one reads the same.
   */
  public String recorded() {
    return "Options" + toString().substring(PpoOptions.class.getSimpleName().length());
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("ppo: " + message);
    }
  }
}
