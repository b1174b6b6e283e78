package dev.triad.train.rlhf;

import dev.triad.tensor.DType;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * The GRPO objective over B sampled responses, each with one group-normalised advantage A_b
 * ({@link GrpoAdvantages}). Per response token t of response b, with the policy's log-prob
 * {@code logp}, the log-prob of the policy that sampled it {@code old} (a constant) and the frozen
 * reference's {@code ref} (a constant):
 *
 * <pre>
 *   ratio = exp(logp - old)
 *   surr  = max(-A_b * ratio, -A_b * clamp(ratio, 1 - eps, 1 + eps))      (PPO's clipped surrogate)
 *   k3    = exp(ref - logp) - (ref - logp) - 1                               (KL(pi || ref) estimator, >= 0)
 *   loss  = mean over responses of (mean over the response's tokens of surr + beta * k3)
 * </pre>
 *
 * With one update per rollout {@code old == logp} numerically, so ratio = 1, but the gradient of
 * ratio is the gradient of logp: the policy-gradient estimate {@code -A * grad logp}. The maximum is
 * taken as {@code -minimum(A * ratio, A * clamped)}, whose tie (ratio inside the clip range, in
 * particular ratio = 1) sends the gradient to the unclipped term. Responses without a token are
 * left out of the mean; beta = 0 (or no reference) drops the KL term. There is no critic.
 */
public final class GrpoLoss {
  private GrpoLoss() {}

  /**
   * Float64 figures of the loss: its value, the mean per-token k3 KL to the reference (mean over
   * responses of the per-response token mean; NaN without a reference), the share of response tokens
   * whose ratio lies outside the clip range, and the number of response tokens.
   */
  public record Stats(double loss, double kl, double clipFraction, long tokens) {}

  /** The differentiable loss (a scalar) and its statistics. */
  public record Result(Tensor loss, Stats stats) {}

  /**
   * @param logp the policy's per-token log-probs [B,T] (differentiable; any value where mask is false)
   * @param old the sampling policy's per-token log-probs, row-major [B*T] (constants)
   * @param ref the reference's per-token log-probs [B*T], or null (no KL term)
   * @param mask which of the B*T positions are response tokens
   * @param advantages one advantage per response [B]
   * @param clipEps the clip range of the ratio, > 0
   * @param beta the KL weight, >= 0 (0 disables the KL term)
   */
  public static Result compute(Tensor logp, float[] old, float[] ref, boolean[] mask, double[] advantages,
      float clipEps, float beta) {
    if (logp.rank() != 2 || logp.dtype() != DType.F32) {
      throw new IllegalArgumentException("grpo: log-probs must be f32 [B,T], got " + logp.describe());
    }
    int B = (int) logp.size(0), T = (int) logp.size(1);
    int n = B * T;
    if (old.length != n || mask.length != n || (ref != null && ref.length != n) || advantages.length != B) {
      throw new IllegalArgumentException("grpo: log-probs " + logp.describe() + " need " + n + " old values, mask"
          + " entries and reference values and " + B + " advantages; got " + old.length + ", " + mask.length + ", "
          + (ref == null ? "none" : ref.length) + " and " + advantages.length);
    }
    if (!(clipEps > 0) || !Float.isFinite(clipEps)) {
      throw new IllegalArgumentException("grpo: clip eps must be > 0, got " + clipEps);
    }
    if (!(beta >= 0) || !Float.isFinite(beta)) {
      throw new IllegalArgumentException("grpo: beta must be >= 0, got " + beta);
    }
    boolean kl = ref != null && beta > 0;
    int[] len = new int[B];
    int responses = 0;
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < T; t++) {
        len[b] += mask[b * T + t] ? 1 : 0;
      }
      responses += len[b] > 0 ? 1 : 0;
    }
    float[] w = new float[n];
    float[] adv = new float[n];
    float[] oldMasked = new float[n];
    float[] refMasked = new float[n];
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < T; t++) {
        int i = b * T + t;
        if (mask[i]) {
          w[i] = (float) (1.0 / ((double) len[b] * responses));
          adv[i] = (float) advantages[b];
          oldMasked[i] = old[i];
          refMasked[i] = ref == null ? 0f : ref[i];
        }
      }
    }
    float[] lpv = logp.toFloatArray();
    Stats stats = stats(lpv, old, ref, mask, advantages, T, clipEps, beta);
    if (responses == 0) {
      // nothing to learn from; keep the graph so backward() still works (all gradients 0)
      return new Result(Ops.mulScalar(Ops.sum(logp), 0f), stats);
    }
    var dev = logp.device();
    Tensor oldT = Tensor.of(oldMasked, dev, B, T);
    Tensor advT = Tensor.of(adv, dev, B, T);
    Tensor wT = Tensor.of(w, dev, B, T);
    // masked positions: logp - old is replaced by 0 - 0 through the weights only; keep them finite
    Tensor maskedLogp = Ops.mul(logp, Tensor.of(maskFloats(mask), dev, B, T));
    Tensor ratio = Ops.exp(Ops.sub(maskedLogp, oldT));
    Tensor unclipped = Ops.mul(ratio, advT);
    Tensor clipped = Ops.mul(Ops.clamp(ratio, 1f - clipEps, 1f + clipEps), advT);
    Tensor perToken = Ops.neg(Ops.minimum(unclipped, clipped));
    if (kl) {
      Tensor d = Ops.sub(Tensor.of(refMasked, dev, B, T), maskedLogp);
      Tensor k3 = Ops.addScalar(Ops.sub(Ops.exp(d), d), -1f);
      perToken = Ops.add(perToken, Ops.mulScalar(k3, beta));
    }
    return new Result(Ops.sum(Ops.mul(perToken, wT)), stats);
  }

  private static float[] maskFloats(boolean[] mask) {
    float[] m = new float[mask.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = mask[i] ? 1f : 0f;
    }
    return m;
  }

  /** The loss and its statistics evaluated in float64 (also the reference the tests compare against). */
  public static Stats stats(float[] logp, float[] old, float[] ref, boolean[] mask, double[] advantages, int T,
      double clipEps, double beta) {
    int B = advantages.length;
    double loss = 0, kl = 0;
    long tokens = 0, clippedTokens = 0;
    int responses = 0;
    for (int b = 0; b < B; b++) {
      double surrSum = 0, klSum = 0;
      int len = 0;
      for (int t = 0; t < T; t++) {
        int i = b * T + t;
        if (!mask[i]) {
          continue;
        }
        len++;
        double a = advantages[b];
        double ratio = Math.exp((double) logp[i] - old[i]);
        double c = Math.min(Math.max(ratio, 1 - clipEps), 1 + clipEps);
        surrSum += Math.max(-a * ratio, -a * c);
        clippedTokens += ratio < 1 - clipEps || ratio > 1 + clipEps ? 1 : 0;
        if (ref != null) {
          double d = (double) ref[i] - logp[i];
          klSum += Math.exp(d) - d - 1;
        }
      }
      if (len > 0) {
        responses++;
        tokens += len;
        loss += (surrSum + (ref != null && beta > 0 ? beta * klSum : 0)) / len;
        kl += klSum / len;
      }
    }
    return new Stats(responses == 0 ? 0 : loss / responses, ref == null || responses == 0 ? Double.NaN : kl / responses,
        tokens == 0 ? 0 : (double) clippedTokens / tokens, tokens);
  }
}
