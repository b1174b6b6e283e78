package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The Bradley–Terry loss, its gradient (against finite differences and the closed form) and the pair statistics. */
class BradleyTerryTest {
  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Test
  void lossOfKnownRewardsMatchesTheFormula() {
    float[] c = {2f, 0f, -1f, 0.5f};
    float[] r = {1f, 0f, 1f, 3f};
    try (Scope s = Scope.open()) {
      double want = 0;
      for (int i = 0; i < c.length; i++) {
        want += -Math.log(sigmoid(c[i] - r[i]));
      }
      want /= c.length;
      // by hand: -log s(1) = 0.31326, -log s(0) = 0.69315, -log s(-2) = 2.12693, -log s(-2.5) = 2.57889
      assertEquals((0.3132617 + 0.6931472 + 2.1269280 + 2.5788897) / 4, want, 1e-6);
      float got = BradleyTerry.loss(Tensor.of(c, 4), Tensor.of(r, 4), 0f).item();
      assertEquals(want, got, 1e-6);
      // a margin of 1 shifts every difference down by 1
      double wantMargin = 0;
      for (int i = 0; i < c.length; i++) {
        wantMargin += -Math.log(sigmoid(c[i] - r[i] - 1));
      }
      assertEquals(wantMargin / 4, BradleyTerry.loss(Tensor.of(c, 4), Tensor.of(r, 4), 1f).item(), 1e-6);
      assertEquals(wantMargin / 4, (BradleyTerry.pairLoss(2, 1, 1) + BradleyTerry.pairLoss(0, 0, 1)
          + BradleyTerry.pairLoss(-1, 1, 1) + BradleyTerry.pairLoss(0.5, 3, 1)) / 4, 1e-9);
    }
  }

  @Test
  void logSigmoidIsStableForLargeArguments() {
    try (Scope s = Scope.open()) {
      float[] x = {-200f, -30f, -1f, 0f, 1f, 30f, 200f};
      float[] y = BradleyTerry.logSigmoid(Tensor.of(x, x.length)).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        double want = -(Math.max(-x[i], 0) + Math.log1p(Math.exp(-Math.abs(x[i]))));
        assertTrue(Float.isFinite(y[i]), "log sigmoid(" + x[i] + ") = " + y[i]);
        assertEquals(want, y[i], 1e-5 * Math.max(1, Math.abs(want)), "log sigmoid(" + x[i] + ")");
      }
    }
  }

  /** d loss / d r_chosen = -(1 - sigmoid(d)) / N and d loss / d r_rejected = +(1 - sigmoid(d)) / N, also at d = 0. */
  @Test
  void gradientMatchesClosedFormAndFiniteDifferences() {
    float[] c = {0f, 3f, -2f, 0.25f, 40f, -40f};
    float[] r = {0f, 1f, 2f, 0.25f, 0f, 0f};
    int n = c.length;
    float margin = 0f;
    try (Scope s = Scope.open()) {
      Tensor tc = Tensor.of(c, n).requiresGrad(true);
      Tensor tr = Tensor.of(r, n).requiresGrad(true);
      BradleyTerry.loss(tc, tr, margin).backward();
      float[] gc = tc.grad().toFloatArray(), gr = tr.grad().toFloatArray();
      for (int i = 0; i < n; i++) {
        double d = c[i] - r[i] - margin;
        double want = -(1 - sigmoid(d)) / n;
        assertEquals(want, gc[i], 1e-6, "d loss / d chosen[" + i + "] at difference " + d);
        assertEquals(-want, gr[i], 1e-6, "d loss / d rejected[" + i + "]");
        assertTrue(gc[i] <= 0 && gr[i] >= 0, "raising chosen (lowering rejected) must not raise the loss");
        // central finite differences of the double-precision loss
        double h = 1e-3;
        double fd = (BradleyTerry.pairLoss(c[i] + h, r[i], margin) - BradleyTerry.pairLoss(c[i] - h, r[i], margin))
            / (2 * h) / n;
        assertEquals(fd, gc[i], 1e-5, "finite difference for chosen[" + i + "]");
      }
      // tied rewards (d = 0): the gradient is -1/2 per pair, not 0 (a relu/|x| composition gets 0 here)
      assertEquals(-0.5 / n, gc[0], 1e-7);
      assertEquals(-0.5 / n, gc[3], 1e-7);
    }
  }

  @Test
  void finiteDifferencesThroughTheFloatComposition() {
    float[] c = {0.7f, -0.3f, 1.9f};
    float[] r = {0.1f, 0.4f, -0.6f};
    float margin = 0.5f;
    try (Scope s = Scope.open()) {
      Tensor tc = Tensor.of(c, 3).requiresGrad(true);
      BradleyTerry.loss(tc, Tensor.of(r, 3), margin).backward();
      float[] g = tc.grad().toFloatArray();
      float h = 1e-2f;
      for (int i = 0; i < 3; i++) {
        float[] up = c.clone(), down = c.clone();
        up[i] += h;
        down[i] -= h;
        double fd = (BradleyTerry.loss(Tensor.of(up, 3), Tensor.of(r, 3), margin).item()
            - BradleyTerry.loss(Tensor.of(down, 3), Tensor.of(r, 3), margin).item()) / (2 * h);
        assertEquals(fd, g[i], 2e-4, "chosen[" + i + "]");
      }
    }
  }

  @Test
  void statsCountStrictWinsAndMeasureRewards() {
    BradleyTerry.Stats s = BradleyTerry.stats(new float[] {1f, 2f, 0f, 5f}, new float[] {0f, 2f, 1f, 3f});
    assertEquals(4, s.pairs());
    assertEquals(0.5, s.accuracy(), 1e-12, "1 > 0 and 5 > 3 win; the tie 2 = 2 does not");
    assertEquals((1 + 0 - 1 + 2) / 4.0, s.meanMargin(), 1e-12);
    assertEquals(14 / 8.0, s.rewardMean(), 1e-12);
    double var = 0;
    for (float v : new float[] {1, 2, 0, 5, 0, 2, 1, 3}) {
      var += (v - 1.75) * (v - 1.75);
    }
    assertEquals(Math.sqrt(var / 8), s.rewardStd(), 1e-12);
    assertEquals(2.0, s.chosenMean(), 1e-12);
    assertEquals(1.5, s.rejectedMean(), 1e-12);
  }
}
