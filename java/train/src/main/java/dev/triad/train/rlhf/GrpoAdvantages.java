package dev.triad.train.rlhf;

/**
 * Group-normalised advantages of GRPO (Shao et al., 2024): the G responses sampled for one prompt
 * form a group, and each response's advantage is its reward relative to the group,
 *
 * <pre>
 *   A_i = (r_i - mean(r)) / (std(r) + eps)
 * </pre>
 *
 * with the population standard deviation over the group (divide by G). A group whose rewards are
 * all equal carries no signal: its advantages are exactly 0. No critic is needed. Pure Java, float64.
 */
public final class GrpoAdvantages {
  private GrpoAdvantages() {}

  /** The default eps added to the group standard deviation. */
  public static final double EPS = 1e-6;

  /**
   * Advantages of {@code rewards} laid out group after group: rewards[g * group + i] is response i of
   * prompt g. Returns an array of the same length.
   */
  public static double[] compute(double[] rewards, int group, double eps) {
    if (group < 1) {
      throw new IllegalArgumentException("grpo: group size must be >= 1, got " + group);
    }
    if (rewards.length % group != 0) {
      throw new IllegalArgumentException("grpo: " + rewards.length + " rewards do not split into groups of " + group);
    }
    if (!(eps >= 0) || !Double.isFinite(eps)) {
      throw new IllegalArgumentException("grpo: eps must be a finite value >= 0, got " + eps);
    }
    double[] out = new double[rewards.length];
    for (int start = 0; start < rewards.length; start += group) {
      double mean = mean(rewards, start, group);
      double std = std(rewards, start, group, mean);
      boolean allEqual = true;
      for (int i = start; i < start + group; i++) {
        if (!Double.isFinite(rewards[i])) {
          throw new IllegalArgumentException("grpo: reward " + i + " is " + rewards[i]);
        }
        allEqual &= rewards[i] == rewards[start];
      }
      for (int i = start; i < start + group; i++) {
        out[i] = allEqual ? 0.0 : (rewards[i] - mean) / (std + eps);
      }
    }
    return out;
  }

  /** {@link #compute} with {@link #EPS}. */
  public static double[] compute(double[] rewards, int group) {
    return compute(rewards, group, EPS);
  }

  /** Mean over groups of the within-group (population) standard deviation of the rewards. */
  public static double meanGroupStd(double[] rewards, int group) {
    if (group < 1 || rewards.length % group != 0 || rewards.length == 0) {
      throw new IllegalArgumentException("grpo: " + rewards.length + " rewards do not split into groups of " + group);
    }
    double s = 0;
    int groups = rewards.length / group;
    for (int start = 0; start < rewards.length; start += group) {
      s += std(rewards, start, group, mean(rewards, start, group));
    }
    return s / groups;
  }

  private static double mean(double[] r, int start, int n) {
    double s = 0;
    for (int i = start; i < start + n; i++) {
      s += r[i];
    }
    return s / n;
  }

  private static double std(double[] r, int start, int n, double mean) {
    double s = 0;
    for (int i = start; i < start + n; i++) {
      double d = r[i] - mean;
      s += d * d;
    }
    return Math.sqrt(s / n);
  }
}
