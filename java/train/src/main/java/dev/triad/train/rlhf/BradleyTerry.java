package dev.triad.train.rlhf;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * The Bradley–Terry preference loss of a reward model: the probability that {@code chosen} is
 * preferred is {@code sigmoid(r_chosen - r_rejected)}, so the loss of a pair is
 * {@code -log sigmoid(r_chosen - r_rejected - margin)} (margin 0: plain Bradley–Terry; a positive
 * margin asks for a gap of at least about that much), averaged over the pairs.
 *
 * <p>Composed from differentiable {@link Ops}; no special kernel.
 */
public final class BradleyTerry {
  private BradleyTerry() {}

  /** Mean of {@code -log sigmoid(chosen - rejected - margin)} over pairs: a scalar. chosen, rejected [N]. */
  public static Tensor loss(Tensor chosen, Tensor rejected, float margin) {
    Tensor x = Ops.sub(chosen, rejected);
    if (margin != 0) {
      x = Ops.addScalar(x, -margin);
    }
    return Ops.mean(Ops.neg(logSigmoid(x)));
  }

  /**
   * {@code log sigmoid(x) = -softplus(-x)}, elementwise, stable for any x.
   *
   * <p>softplus(z) is computed as the log-sum-exp of (0, z) shifted by {@code m = max(z, 0)}:
   * {@code softplus(z) = m + log(exp(-m) + exp(z - m))}, where both exponents are {@code <= 0} (no
   * overflow) and one of them is 0 (the log's argument is in [1, 2]). The shift m is a detached
   * constant: the value does not depend on it, and so neither does the gradient, which comes out as
   * exactly {@code sigmoid(z)} everywhere. The textbook form {@code max(z,0) + log(1 + exp(-|z|))}
   * written with relu and |z| = relu(z) + relu(-z) has kinks at z = 0 whose subgradients do not add
   * up: with relu'(0) = 0 its gradient at z = 0 is 0 instead of 1/2, and z = 0 is exactly where a
   * reward model starts when its head is zero or its rewards tie.
   */
  public static Tensor logSigmoid(Tensor x) {
    Tensor z = Ops.neg(x);
    Tensor m = Ops.detach(Ops.relu(z));                         // constant shift, no gradient
    Tensor sum = Ops.add(Ops.exp(Ops.sub(z, m)), Ops.exp(Ops.neg(m)));
    return Ops.neg(Ops.add(Ops.log(sum), m));
  }

  /** Accuracy, mean margin and reward statistics of pairs of rewards. */
  public record Stats(int pairs, double accuracy, double meanMargin, double rewardMean, double rewardStd,
      double chosenMean, double rejectedMean) {}

  /** Statistics of paired rewards: accuracy is the share of pairs with chosen strictly above rejected. */
  public static Stats stats(float[] chosen, float[] rejected) {
    if (chosen.length != rejected.length) {
      throw new IllegalArgumentException("stats: " + chosen.length + " chosen but " + rejected.length + " rejected rewards");
    }
    int n = chosen.length;
    if (n == 0) {
      return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    long right = 0;
    double margin = 0, sumC = 0, sumR = 0;
    for (int i = 0; i < n; i++) {
      right += chosen[i] > rejected[i] ? 1 : 0;
      margin += (double) chosen[i] - rejected[i];
      sumC += chosen[i];
      sumR += rejected[i];
    }
    double mean = (sumC + sumR) / (2.0 * n);
    double var = 0;
    for (int i = 0; i < n; i++) {
      var += (chosen[i] - mean) * (chosen[i] - mean) + (rejected[i] - mean) * (rejected[i] - mean);
    }
    return new Stats(n, (double) right / n, margin / n, mean, Math.sqrt(var / (2.0 * n)), sumC / n, sumR / n);
  }

  /** The loss of one pair in double precision: {@code softplus(-(d - margin))}, for checks and reports. */
  public static double pairLoss(double chosen, double rejected, double margin) {
    double z = -(chosen - rejected - margin);
    return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }
}
