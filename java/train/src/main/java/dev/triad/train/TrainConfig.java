package dev.triad.train;

import dev.triad.InvalidOptionException;

/**
 * Optimisation settings shared by every phase. One optimizer step consumes
 * {@code gradAccum} micro-batches (total batch = gradAccum x micro-batch tokens).
 */
public record TrainConfig(
    int steps,
    int gradAccum,
    float lr,
    float minLrRatio,
    int warmupSteps,
    Schedule schedule,
    float decayFraction,
    float weightDecay,
    float beta1,
    float beta2,
    float gradClip,
    int evalEvery,
    int sampleEvery,
    int checkpointEvery,
    int keepCheckpoints,
    long seed,
    float eps,
    DataOrder dataOrder) {

  /**
   * A builder holding every setting's default: {@code triad pretrain}'s (500 steps, peak lr 1e-3 after
   * 50 warmup steps, cosine to a tenth, AdamW (0.9, 0.95, 1e-8) with weight decay 0.1, clip 1, seed 1337,
   * shuffled data). The other phases start from these and change what differs (e.g. SftOptions.builder()).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings: a copy with some changed is {@code c.toBuilder().lr(2e-3f).build()}. */
  public Builder toBuilder() {
    return new Builder().steps(steps).gradAccum(gradAccum).lr(lr).minLrRatio(minLrRatio).warmupSteps(warmupSteps)
        .schedule(schedule).decayFraction(decayFraction).weightDecay(weightDecay).beta1(beta1).beta2(beta2)
        .gradClip(gradClip).evalEvery(evalEvery).sampleEvery(sampleEvery).checkpointEvery(checkpointEvery)
        .keepCheckpoints(keepCheckpoints).seed(seed).eps(eps).dataOrder(dataOrder);
  }

  /**
   * Named settings for a {@link TrainConfig}, each starting at its default (the one place the defaults
   * live: the CLI's options read them from here). {@link #build()} checks them all.
   */
  public static final class Builder {
    private int steps = 500;
    private int gradAccum = 1;
    private float lr = 1e-3f;
    private float minLrRatio = 0.1f;
    private int warmupSteps = 50;
    private Schedule schedule = Schedule.COSINE;
    private float decayFraction = 0.2f;
    private float weightDecay = 0.1f;
    private float beta1 = 0.9f;
    private float beta2 = 0.95f;
    private float gradClip = 1.0f;
    private int evalEvery = 100;
    private int sampleEvery = 250;
    private int checkpointEvery = 250;
    private int keepCheckpoints = 2;
    private long seed = 1337;
    private float eps = 1e-8f;
    private DataOrder dataOrder = DataOrder.SHUFFLED;

    private Builder() {}

    /** Optimizer steps to train to (>= 1); the learning-rate schedule spans them. */
    public Builder steps(int steps) {
      this.steps = steps;
      return this;
    }

    /** Micro-batches per optimizer step (>= 1). */
    public Builder gradAccum(int gradAccum) {
      this.gradAccum = gradAccum;
      return this;
    }

    /** Peak learning rate (> 0). */
    public Builder lr(float lr) {
      this.lr = lr;
      return this;
    }

    /** Final learning rate as a fraction of the peak, in [0, 1]. */
    public Builder minLrRatio(float minLrRatio) {
      this.minLrRatio = minLrRatio;
      return this;
    }

    /** Steps of linear warmup (>= 0). */
    public Builder warmupSteps(int warmupSteps) {
      this.warmupSteps = warmupSteps;
      return this;
    }

    public Builder schedule(Schedule schedule) {
      this.schedule = schedule;
      return this;
    }

    /** {@link Schedule#WSD}: the share of steps spent decaying, in [0, 1]. */
    public Builder decayFraction(float decayFraction) {
      this.decayFraction = decayFraction;
      return this;
    }

    /** AdamW's decoupled weight decay (>= 0), applied to matrices. */
    public Builder weightDecay(float weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    /** AdamW's first-moment decay, in [0, 1). */
    public Builder beta1(float beta1) {
      this.beta1 = beta1;
      return this;
    }

    /** AdamW's second-moment decay, in [0, 1). */
    public Builder beta2(float beta2) {
      this.beta2 = beta2;
      return this;
    }

    /** Global gradient-norm clip (>= 0; 0 disables it). */
    public Builder gradClip(float gradClip) {
      this.gradClip = gradClip;
      return this;
    }

    /** Validation every N steps and after the last (>= 0; 0: after the last only). */
    public Builder evalEvery(int evalEvery) {
      this.evalEvery = evalEvery;
      return this;
    }

    /** A text sample every N steps (>= 0; 0 never). */
    public Builder sampleEvery(int sampleEvery) {
      this.sampleEvery = sampleEvery;
      return this;
    }

    /** A checkpoint every N steps and after the last (>= 0; 0: after the last only). */
    public Builder checkpointEvery(int checkpointEvery) {
      this.checkpointEvery = checkpointEvery;
      return this;
    }

    /** Checkpoints kept (>= 1). */
    public Builder keepCheckpoints(int keepCheckpoints) {
      this.keepCheckpoints = keepCheckpoints;
      return this;
    }

    /** Seed of initialisation, data order and sampling. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** AdamW's epsilon (finite, > 0). */
    public Builder eps(float eps) {
      this.eps = eps;
      return this;
    }

    public Builder dataOrder(DataOrder dataOrder) {
      this.dataOrder = dataOrder;
      return this;
    }

    /**
     * The settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range and its value
     */
    public TrainConfig build() {
      return new TrainConfig(steps, gradAccum, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay,
          beta1, beta2, gradClip, evalEvery, sampleEvery, checkpointEvery, keepCheckpoints, seed, eps, dataOrder);
    }
  }

  /**
   * The order a task visits its training data: a seeded shuffle per epoch, or file order (batches as
   * the data lists them, epoch after epoch), e.g. to reproduce another trainer's losses.
   */
  public enum DataOrder {
    SHUFFLED, SEQUENTIAL;

    public boolean shuffled() {
      return this == SHUFFLED;
    }

    /** "shuffled" or "sequential", as the CLI spells it. */
    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static DataOrder parse(String name) {
      for (DataOrder o : values()) {
        if (o.toString().equals(name)) {
          return o;
        }
      }
      throw new InvalidOptionException("dataOrder", " " + name + ": expected shuffled or sequential");
    }
  }

  /** Learning-rate shapes: warmup then cosine decay, or warmup-stable-decay (linear cool-down). */
  public enum Schedule {
    COSINE, WSD
  }

  /** Every setting checked, named as the builder names it ("gradAccum must be >= 1, got 0"). */
  public TrainConfig {
    require(steps >= 1, "steps must be >= 1, got " + steps);
    require(gradAccum >= 1, "gradAccum must be >= 1, got " + gradAccum);
    require(lr > 0 && Float.isFinite(lr), "lr must be a finite number > 0, got " + lr);
    require(minLrRatio >= 0 && minLrRatio <= 1, "minLrRatio must be in [0, 1], got " + minLrRatio);
    require(warmupSteps >= 0, "warmupSteps must be >= 0, got " + warmupSteps);
    require(schedule != null, "schedule must be given");
    require(decayFraction >= 0 && decayFraction <= 1, "decayFraction must be in [0, 1], got " + decayFraction);
    require(weightDecay >= 0 && Float.isFinite(weightDecay), "weightDecay must be a finite number >= 0, got "
        + weightDecay);
    require(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got " + beta1);
    require(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got " + beta2);
    require(gradClip >= 0 && Float.isFinite(gradClip), "gradClip must be a finite number >= 0 (0 disables it), got "
        + gradClip);
    require(evalEvery >= 0, "evalEvery must be >= 0 (0: at the end only), got " + evalEvery);
    require(sampleEvery >= 0, "sampleEvery must be >= 0 (0: never), got " + sampleEvery);
    require(checkpointEvery >= 0, "checkpointEvery must be >= 0 (0: at the end only), got " + checkpointEvery);
    require(keepCheckpoints >= 1, "keepCheckpoints must be >= 1, got " + keepCheckpoints);
    require(eps > 0 && Float.isFinite(eps), "eps must be a finite number > 0, got " + eps);
    require(dataOrder != null, "dataOrder must be given");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Learning rate of optimizer step {@code step} (0-based). */
  public float lrAt(long step) {
    if (step < warmupSteps) {
      return lr * (step + 1) / warmupSteps;
    }
    float minLr = lr * minLrRatio;
    if (schedule == Schedule.WSD) {
      long decaySteps = Math.round(steps * (double) decayFraction);
      long decayStart = steps - decaySteps;
      if (step < decayStart || decaySteps == 0) {
        return lr;
      }
      double progress = (double) (step - decayStart + 1) / decaySteps;
      return (float) (lr + (minLr - lr) * Math.min(1.0, progress));
    }
    // the first step after warmup runs at the peak, the last step (steps - 1) at minLr
    long decaySteps = Math.max(1, steps - 1 - warmupSteps);
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
    return (float) (minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress)));
  }
}
