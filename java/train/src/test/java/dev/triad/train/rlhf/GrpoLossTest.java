package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The GRPO loss against its float64 formula, its gradient against central finite differences of
 * that formula (ratios inside and outside the clip range, with and without KL), and the direction of
 * the on-policy gradient (ratio = 1): up for positive advantages, down for negative ones.
 */
class GrpoLossTest {
  private static final int B = 3, T = 4;
  // response 0: 3 tokens, response 1: 2 tokens, response 2: none
  private static final boolean[] MASK = {
      false, true, true, true,
      false, false, true, true,
      false, false, false, false};
  private static final double[] ADV = {1.3, -0.7, 0.4};

  private static float[] logp() {
    return new float[] {0f, -1.2f, -0.4f, -2.0f, 0f, 0f, -0.9f, -3.1f, 0f, 0f, 0f, 0f};
  }

  /** ratios exp(logp - old): 1.105 and 1.16 inside, 1.649 and 0.497 clipped (eps 0.3), 0.741 inside. */
  private static float[] old() {
    return new float[] {0f, -1.3f, -0.9f, -1.7f, 0f, 0f, -0.2f, -3.25f, 0f, 0f, 0f, 0f};
  }

  private static float[] ref() {
    return new float[] {0f, -1.0f, -0.6f, -2.4f, 0f, 0f, -1.5f, -2.8f, 0f, 0f, 0f, 0f};
  }

  private static double f64(float[] lp, float[] ref, float eps, float beta) {
    return GrpoLoss.stats(lp, old(), ref, MASK, ADV, T, eps, beta).loss();
  }

  @Test
  void valueAndGradientMatchFiniteDifferences() {
    for (float beta : new float[] {0f, 0.1f, 1f}) {
      float[] ref = beta == 0 ? null : ref();
      float eps = 0.3f;
      float[] lp = logp();
      float[] grad;
      double value;
      Tensor x = Tensor.of(lp, B, T).requiresGrad(true);
      try (Scope s = Scope.open()) {
        GrpoLoss.Result r = GrpoLoss.compute(x, old(), ref, MASK, ADV, eps, beta);
        value = r.loss().item();
        assertEquals(r.stats().loss(), value, 1e-5, "loss vs float64, beta " + beta);
        assertEquals(5, r.stats().tokens());
        r.loss().backward();
        grad = x.grad().toFloatArray();
      }
      x.close();
      double h = 1e-4;
      for (int i = 0; i < lp.length; i++) {
        float[] up = lp.clone(), down = lp.clone();
        up[i] += (float) h;
        down[i] -= (float) h;
        double hUsed = ((double) up[i] - down[i]) / 2;
        double fd = (f64(up, ref, eps, beta) - f64(down, ref, eps, beta)) / (2 * hUsed);
        assertEquals(fd, grad[i], 1e-3, "d loss / d logp[" + i + "], beta " + beta);
      }
      // clipped tokens (ratio 1.649 of response 0, 0.497 of response 1) get no gradient from the surrogate
      if (beta == 0) {
        assertEquals(0f, grad[2], 1e-7);
        assertEquals(0f, grad[6], 1e-7);
        assertTrue(grad[1] < 0, "positive advantage inside the clip range: the loss falls as logp rises");
      }
    }
  }

  @Test
  void onPolicyGradientIsMinusAdvantageOverLength() {
    float[] lp = logp();
    Tensor x = Tensor.of(lp, B, T).requiresGrad(true);
    float[] grad;
    try (Scope s = Scope.open()) {
      GrpoLoss.Result r = GrpoLoss.compute(x, lp, null, MASK, ADV, 0.2f, 0f);
      // ratio 1: loss = mean over the two responses with tokens of -A
      assertEquals(-(ADV[0] + ADV[1]) / 2, r.loss().item(), 1e-6);
      assertEquals(0.0, r.stats().clipFraction());
      r.loss().backward();
      grad = x.grad().toFloatArray();
    }
    x.close();
    for (int i = 0; i < lp.length; i++) {
      int b = i / T;
      double expected = !MASK[i] ? 0 : -ADV[b] / (b == 0 ? 3 : 2) / 2;
      assertEquals(expected, grad[i], 1e-6, "gradient at " + i);
    }
    assertTrue(grad[1] < 0 && grad[6] > 0, "raise the positive-advantage reply, lower the negative one");
  }

  @Test
  void klTermIsZeroAtTheReferenceAndPositiveAway() {
    float[] lp = logp();
    GrpoLoss.Stats at = GrpoLoss.stats(lp, lp, lp, MASK, new double[B], T, 0.2, 1.0);
    assertEquals(0.0, at.kl(), 0.0);
    assertEquals(0.0, at.loss(), 0.0);
    GrpoLoss.Stats away = GrpoLoss.stats(lp, lp, ref(), MASK, new double[B], T, 0.2, 1.0);
    assertTrue(away.kl() > 0 && away.loss() > 0, away.toString());
  }
}
