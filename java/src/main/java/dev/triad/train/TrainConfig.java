package dev.triad.train;

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

  /** AdamW's epsilon when none is given. */
  public static final float DEFAULT_EPS = 1e-8f;

  /** The settings with AdamW's default epsilon and shuffled data (what every run used before they were options). */
  public TrainConfig(int steps, int gradAccum, float lr, float minLrRatio, int warmupSteps, Schedule schedule,
      float decayFraction, float weightDecay, float beta1, float beta2, float gradClip, int evalEvery, int sampleEvery,
      int checkpointEvery, int keepCheckpoints, long seed) {
    this(steps, gradAccum, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay, beta1, beta2, gradClip,
        evalEvery, sampleEvery, checkpointEvery, keepCheckpoints, seed, DEFAULT_EPS, DataOrder.SHUFFLED);
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
      throw new IllegalArgumentException("--data-order " + name + ": expected shuffled or sequential");
    }
  }

  /** These settings with AdamW's {@code beta1}, {@code beta2}, {@code eps} and the data order. */
  public TrainConfig withOptimizer(float beta1, float beta2, float eps, DataOrder dataOrder) {
    return new TrainConfig(steps, gradAccum, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay, beta1,
        beta2, gradClip, evalEvery, sampleEvery, checkpointEvery, keepCheckpoints, seed, eps, dataOrder);
  }

  /** These settings with {@code gradAccum} micro-batches per step. */
  public TrainConfig withGradAccum(int accum) {
    return new TrainConfig(steps, accum, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay, beta1,
        beta2, gradClip, evalEvery, sampleEvery, checkpointEvery, keepCheckpoints, seed, eps, dataOrder);
  }

  /** Learning-rate shapes: warmup then cosine decay, or warmup-stable-decay (linear cool-down). */
  public enum Schedule {
    COSINE, WSD
  }

  public TrainConfig {
    require(steps >= 1, "steps must be >= 1, got " + steps);
    require(gradAccum >= 1, "gradient accumulation must be >= 1, got " + gradAccum);
    require(lr > 0, "learning rate must be > 0, got " + lr);
    require(minLrRatio >= 0 && minLrRatio <= 1, "min-lr ratio must be in [0, 1], got " + minLrRatio);
    require(warmupSteps >= 0, "warmup steps must be >= 0");
    require(decayFraction >= 0 && decayFraction <= 1, "decay fraction must be in [0, 1]");
    require(gradClip >= 0, "gradient clip must be >= 0 (0 disables it)");
    require(keepCheckpoints >= 1, "keep-checkpoints must be >= 1");
    require(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got " + beta1);
    require(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got " + beta2);
    require(eps > 0 && Float.isFinite(eps), "eps must be > 0, got " + eps);
    java.util.Objects.requireNonNull(dataOrder, "dataOrder");
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
