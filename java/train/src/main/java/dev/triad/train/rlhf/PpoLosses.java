package dev.triad.train.rlhf;

import dev.triad.tensor.DType;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * PPO's losses over per-token tensors [B,T] with a response mask (1 at the positions whose next
 * token is a response token, 0 elsewhere): every mean is over the masked positions only. Old
 * log-probs, old values, advantages and returns are constants (no gradient); the new log-probs,
 * values and logits carry the graph.
 */
public final class PpoLosses {
  private PpoLosses() {}

  /** The clipped policy loss (differentiable scalar) with its metrics (host values). */
  public record Policy(Tensor loss, double clipFraction, double approxKl) {}

  /** Mean of x over the mask's positions: sum(x * mask) / count. */
  static Tensor maskedMean(Tensor x, Tensor mask, long count) {
    return Ops.mulScalar(Ops.sum(Ops.mul(x, mask)), 1.0f / Math.max(1, count));
  }

  private static long count(Tensor mask) {
    long n = 0;
    for (float m : mask.toFloatArray()) {
      n += m != 0 ? 1 : 0;
    }
    return n;
  }

  /**
   * mean over masked tokens of max(-A * ratio, -A * clamp(ratio, 1 - eps, 1 + eps)), ratio =
   * exp(logpNew - logpOld); clip fraction = share of masked tokens with |ratio - 1| > eps; approx
   * KL = mean of (ratio - 1) - log ratio.
   */
  public static Policy policy(Tensor logpNew, Tensor logpOld, Tensor advantages, Tensor mask, float clipEps) {
    if (!(clipEps > 0)) {
      throw new IllegalArgumentException("ppo: clip epsilon must be > 0, got " + clipEps);
    }
    long n = count(mask);
    Tensor logRatio = Ops.sub(logpNew, logpOld);
    Tensor ratio = Ops.exp(logRatio);
    Tensor pg1 = Ops.neg(Ops.mul(advantages, ratio));
    Tensor pg2 = Ops.neg(Ops.mul(advantages, Ops.clamp(ratio, 1 - clipEps, 1 + clipEps)));
    Tensor loss = maskedMean(Ops.maximum(pg1, pg2), mask, n);
    float[] lr = logRatio.toFloatArray();
    float[] m = mask.toFloatArray();
    double clipped = 0, kl = 0;
    for (int i = 0; i < lr.length; i++) {
      if (m[i] != 0) {
        double r = Math.exp(lr[i]);
        clipped += Math.abs(r - 1) > clipEps ? 1 : 0;
        kl += (r - 1) - lr[i];
      }
    }
    return new Policy(loss, n == 0 ? 0 : clipped / n, n == 0 ? 0 : kl / n);
  }

  /**
   * 0.5 * mean over masked tokens of max((v - R)^2, (vOld + clamp(v - vOld, -eps, eps) - R)^2):
   * the value may move at most eps from its rollout value before the clipped term takes over.
   */
  public static Tensor value(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, float clipEps) {
    if (!(clipEps > 0)) {
      throw new IllegalArgumentException("ppo: value clip epsilon must be > 0, got " + clipEps);
    }
    long n = count(mask);
    Tensor unclipped = Ops.square(Ops.sub(values, returns));
    Tensor vClipped = Ops.add(Ops.clamp(Ops.sub(values, oldValues), -clipEps, clipEps), oldValues);
    Tensor clipped = Ops.square(Ops.sub(vClipped, returns));
    return Ops.mulScalar(maskedMean(Ops.maximum(unclipped, clipped), mask, n), 0.5f);
  }

  /**
   * Mean entropy (nats) of the next-token distribution at masked positions, from logits
   * [B,T,V']; columns >= vocabReal (device padding) are excluded. Differentiable.
   */
  public static Tensor entropy(Tensor logits, Tensor mask, long vocabReal) {
    long vp = logits.size(-1);
    Tensor x = Ops.cast(logits, DType.F32); // softmax statistics in f32, whatever the model's precision
    if (vocabReal < vp) {
      float[] pad = new float[(int) vp];
      for (int j = (int) vocabReal; j < vp; j++) {
        pad[j] = -1e4f;
      }
      x = Ops.add(x, Tensor.of(pad, logits.device(), vp));
    }
    Tensor lsm = Ops.logSoftmax(x);
    Tensor plogp = Ops.sum(Ops.mul(Ops.exp(lsm), lsm), lsm.rank() - 1); // [B,T]
    return Ops.neg(maskedMean(plogp, mask, count(mask)));
  }
}
