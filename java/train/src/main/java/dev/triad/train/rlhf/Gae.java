package dev.triad.train.rlhf;

/**
 * Generalised advantage estimation for one response (pure Java, float64). Step t of a response is
 * its t-th token (an action); {@code values[t]} is the critic's estimate before that token. The
 * episode ends after the last token, so the value after it is 0.
 *
 * <pre>
 *   delta_t = r_t + gamma * V_{t+1} - V_t            (V_n = 0)
 *   A_t     = delta_t + gamma * lambda * A_{t+1}     (A_n = 0)
 *   R_t     = A_t + V_t                              (the value target)
 * </pre>
 */
public final class Gae {
  private Gae() {}

  /** Default epsilon of {@link #whiten}. */
  public static final double EPS = 1e-8;

  /** Advantages and returns, one per response token. */
  public record Result(double[] advantages, double[] returns) {}

  /**
   * Per-token rewards of RLHF: {@code -beta * kl[t]} at every response token, plus the reward
   * model's {@code score} at the last one.
   */
  public static double[] rewards(double[] kl, double beta, double score) {
    if (kl.length == 0) {
      throw new IllegalArgumentException("gae: a response has at least one token");
    }
    double[] r = new double[kl.length];
    for (int t = 0; t < kl.length; t++) {
      r[t] = -beta * kl[t];
    }
    r[r.length - 1] += score;
    return r;
  }

  /** GAE(gamma, lambda) of one response. */
  public static Result compute(double[] rewards, double[] values, double gamma, double lambda) {
    if (rewards.length != values.length) {
      throw new IllegalArgumentException("gae: " + rewards.length + " rewards but " + values.length + " values");
    }
    int n = rewards.length;
    double[] adv = new double[n];
    double[] ret = new double[n];
    double next = 0;
    double lastAdv = 0;
    for (int t = n - 1; t >= 0; t--) {
      double delta = rewards[t] + gamma * next - values[t];
      lastAdv = delta + gamma * lambda * lastAdv;
      adv[t] = lastAdv;
      ret[t] = lastAdv + values[t];
      next = values[t];
    }
    return new Result(adv, ret);
  }

  /** (x - mean) / sqrt(var + EPS), population variance; a new array. */
  public static double[] whiten(double[] x) {
    return whiten(x, EPS);
  }

  public static double[] whiten(double[] x, double eps) {
    if (x.length == 0) {
      return new double[0];
    }
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    return whiten(x, mean, var, eps);
  }

  /** (x - mean) / sqrt(var + eps) with a given mean and variance (data-parallel PPO: all ranks'). */
  public static double[] whiten(double[] x, double mean, double var, double eps) {
    double inv = 1.0 / Math.sqrt(var + eps);
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (x[i] - mean) * inv;
    }
    return out;
  }
}
