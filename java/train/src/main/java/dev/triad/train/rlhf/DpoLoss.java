package dev.triad.train.rlhf;

import dev.triad.tensor.DType;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * Direct preference optimisation (Rafailov et al., 2023): with sequence log-probs of the policy
 * (pi) and the frozen reference (ref) for the chosen (c) and rejected (r) reply of each pair,
 *
 * <pre>
 *   z    = beta * ((pi_c - ref_c) - (pi_r - ref_r))
 *   loss = mean over pairs of -log sigmoid(z) = mean softplus(-z)
 * </pre>
 *
 * The implicit rewards are {@code beta * (pi - ref)}; the loss pushes the chosen reward above the
 * rejected one. softplus is evaluated stably as {@code relu(x) + log(1 + exp(-|x|))}, with
 * {@code -|x|} written as {@code minimum(x, -x)}: its gradient at x = 0 (minimum's tie goes to its
 * first argument) makes the composite's gradient there exactly sigmoid(0) = 1/2. Spelling
 * {@code |x|} as {@code relu(x) + relu(-x)} would give 0 there instead, and z is exactly 0 on the
 * first step, when the policy still equals the reference.
 */
public final class DpoLoss {
  private DpoLoss() {}

  /** Batch means of the implicit rewards, their margin and the share of pairs ranked right. */
  public record Stats(double loss, double rewardChosen, double rewardRejected, double margin, double accuracy,
      int pairs) {
    /** The pair-weighted mean of several batches' stats. */
    public static Stats combine(Iterable<Stats> parts) {
      double l = 0, c = 0, r = 0, m = 0, a = 0;
      int n = 0;
      for (Stats s : parts) {
        l += s.loss * s.pairs;
        c += s.rewardChosen * s.pairs;
        r += s.rewardRejected * s.pairs;
        m += s.margin * s.pairs;
        a += s.accuracy * s.pairs;
        n += s.pairs;
      }
      return n == 0 ? new Stats(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0)
          : new Stats(l / n, c / n, r / n, m / n, a / n, n);
    }
  }

  /** The differentiable loss (a scalar) and its statistics. */
  public record Result(Tensor loss, Stats stats) {}

  /**
   * The DPO loss of B pairs. policyChosen, policyRejected: [B] (differentiable); refChosen,
   * refRejected: the reference's values of the same pairs (constants).
   */
  public static Result compute(Tensor policyChosen, Tensor policyRejected, double[] refChosen, double[] refRejected,
      float beta) {
    checkShapes(policyChosen, policyRejected, refChosen, refRejected, beta);
    return fromPolicyMargin(Ops.sub(policyChosen, policyRejected), policyChosen.toFloatArray(),
        policyRejected.toFloatArray(), refChosen, refRejected, beta);
  }

  /**
   * The same from one [2B] tensor holding the B chosen sequences' log-probs and then the B rejected
   * ones (one forward pass over all 2B sequences).
   */
  public static Result computePaired(Tensor policyPairs, double[] refChosen, double[] refRejected, float beta) {
    int b = refChosen.length;
    if (policyPairs.rank() != 1 || policyPairs.size(0) != 2L * b) {
      throw new IllegalArgumentException("dpo: policy log-probs must be [2B] = [" + 2 * b + "] (chosen then rejected),"
          + " got " + policyPairs.describe());
    }
    float[] v = policyPairs.toFloatArray();
    float[] pc = java.util.Arrays.copyOfRange(v, 0, b);
    float[] pr = java.util.Arrays.copyOfRange(v, b, 2 * b);
    checkRef(refChosen, refRejected, b, beta);
    // pi_c - pi_r as sum over the pair dimension of [2,B] * [[+1...], [-1...]]
    float[] sign = new float[2 * b];
    java.util.Arrays.fill(sign, 0, b, 1f);
    java.util.Arrays.fill(sign, b, 2 * b, -1f);
    Tensor signs = Tensor.of(sign, policyPairs.device(), 2, b);
    Tensor margin = Ops.sum(Ops.mul(policyPairs.reshape(2, b), signs), 0);
    return fromPolicyMargin(margin, pc, pr, refChosen, refRejected, beta);
  }

  private static Result fromPolicyMargin(Tensor policyMargin, float[] pc, float[] pr, double[] refChosen,
      double[] refRejected, float beta) {
    int b = pc.length;
    float[] refMargin = new float[b];
    for (int i = 0; i < b; i++) {
      refMargin[i] = (float) (refChosen[i] - refRejected[i]);
    }
    Tensor ref = Tensor.of(refMargin, policyMargin.device(), b);
    Tensor z = Ops.mulScalar(Ops.sub(policyMargin, ref), beta);
    Tensor loss = Ops.mean(softplus(Ops.neg(z)));
    return new Result(loss, stats(toDouble(pc), toDouble(pr), refChosen, refRejected, beta));
  }

  /** softplus(x) = log(1 + exp(x)) = relu(x) + log(1 + exp(-|x|)), elementwise, for any x. */
  public static Tensor softplus(Tensor x) {
    Tensor negAbs = Ops.minimum(x, Ops.neg(x));
    return Ops.add(Ops.relu(x), Ops.log(Ops.addScalar(Ops.exp(negAbs), 1f)));
  }

  /** The statistics in float64 (also the loss: the reference value the tests compare against). */
  public static Stats stats(double[] pc, double[] pr, double[] rc, double[] rr, double beta) {
    int b = pc.length;
    double loss = 0, c = 0, r = 0, acc = 0;
    for (int i = 0; i < b; i++) {
      double rewardC = beta * (pc[i] - rc[i]);
      double rewardR = beta * (pr[i] - rr[i]);
      double z = rewardC - rewardR;
      loss += Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      c += rewardC;
      r += rewardR;
      acc += rewardC > rewardR ? 1 : 0;
    }
    return new Stats(loss / b, c / b, r / b, (c - r) / b, acc / b, b);
  }

  private static void checkShapes(Tensor pc, Tensor pr, double[] rc, double[] rr, float beta) {
    int b = rc.length;
    if (pc.rank() != 1 || pr.rank() != 1 || pc.size(0) != b || pr.size(0) != b) {
      throw new IllegalArgumentException("dpo: policy log-probs must be [B] = [" + b + "], got chosen "
          + pc.describe() + ", rejected " + pr.describe());
    }
    if (pc.dtype() != DType.F32 || pr.dtype() != DType.F32) {
      throw new IllegalArgumentException("dpo: policy log-probs must be f32");
    }
    checkRef(rc, rr, b, beta);
  }

  private static void checkRef(double[] rc, double[] rr, int b, float beta) {
    if (b == 0 || rc.length != b || rr.length != b) {
      throw new IllegalArgumentException("dpo: " + b + " pairs need as many reference values, got " + rc.length
          + " chosen and " + rr.length + " rejected");
    }
    if (!(beta > 0) || !Float.isFinite(beta)) {
      throw new IllegalArgumentException("dpo: beta must be > 0, got " + beta);
    }
  }

  private static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }
}
