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
    long seed) {

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
