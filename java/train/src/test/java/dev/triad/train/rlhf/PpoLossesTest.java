package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** PPO's losses and metrics on hand-made tensors: values, gradient directions, finite differences. */
class PpoLossesTest {
  private static final float[] OLD = {0, 0, 0, 0};
  private static final float[] ADV = {1, -1, 2, 5};
  private static final float[] MASK = {1, 1, 1, 0};

  private static double policyLoss(float[] logpNew) {
    try (Scope s = Scope.open()) {
      return PpoLosses.policy(Tensor.of(logpNew, 1, 4), Tensor.of(OLD, 1, 4), Tensor.of(ADV, 1, 4),
          Tensor.of(MASK, 1, 4), 0.2f).loss().item();
    }
  }

  @Test
  void clippedPolicyLossValueMetricsAndGradient() {
    float[] lp = {(float) Math.log(1.5), (float) Math.log(0.5), (float) Math.log(1.1), 0.3f};
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(lp, 1, 4).requiresGrad(true);
      PpoLosses.Policy p = PpoLosses.policy(x, Tensor.of(OLD, 1, 4), Tensor.of(ADV, 1, 4), Tensor.of(MASK, 1, 4), 0.2f);
      // token 0: max(-1.5, -1.2) = -1.2 (clipped); token 1: max(0.5, 0.8) = 0.8 (clipped); token 2: -2.2; token 3 masked
      assertEquals((-1.2 + 0.8 - 2.2) / 3, p.loss().item(), 1e-5);
      assertEquals(2.0 / 3, p.clipFraction(), 1e-9);
      double kl = ((0.5 - Math.log(1.5)) + (-0.5 - Math.log(0.5)) + (0.1 - Math.log(1.1))) / 3;
      assertEquals(kl, p.approxKl(), 1e-5);
      p.loss().backward();
      float[] g = x.grad().toFloatArray();
      assertEquals(0, g[0], 1e-7, "clipped token gets no gradient");
      assertEquals(0, g[1], 1e-7, "clipped token gets no gradient");
      assertEquals(-2 * 1.1 / 3, g[2], 1e-5, "unclipped: d/dlogp = -A * ratio / n (raises logp of A > 0)");
      assertEquals(0, g[3], 0, "masked token gets no gradient");
      for (int i = 0; i < 4; i++) {
        float h = 1e-2f;
        float[] up = lp.clone(), dn = lp.clone();
        up[i] += h;
        dn[i] -= h;
        double fd = (policyLoss(up) - policyLoss(dn)) / (2 * h);
        assertEquals(fd, g[i], 2e-3, "finite difference at " + i);
      }
    }
  }

  @Test
  void clippedValueLoss() {
    try (Scope s = Scope.open()) {
      Tensor v = Tensor.of(new float[] {1.0f, 2.0f, 0.0f}, 1, 3).requiresGrad(true);
      Tensor loss = PpoLosses.value(v, Tensor.of(new float[] {0.9f, 1.0f, 0.0f}, 1, 3),
          Tensor.of(new float[] {1.5f, 1.0f, 3.0f}, 1, 3), Tensor.of(new float[] {1, 1, 1}, 1, 3), 0.2f);
      // max(0.25, 0.25), max(1, 0.04), max(9, 9)
      assertEquals(0.5 * (0.25 + 1 + 9) / 3, loss.item(), 1e-5);
      loss.backward();
      float[] g = v.grad().toFloatArray();
      assertTrue(g[0] < 0, "value below its return moves up");
      assertEquals(1.0 / 3, g[1], 1e-5, "the unclipped term dominates: 0.5 * 2 * (v - R) / n");
      assertEquals(-1.0, g[2], 1e-5);
    }
  }

  @Test
  void entropyOfUniformAndPaddedVocabulary() {
    try (Scope s = Scope.open()) {
      // row 0 uniform over 3 (counted), row 1 peaked (masked out)
      Tensor logits = Tensor.of(new float[] {0, 0, 0, 10, 0, 0}, 1, 2, 3);
      Tensor mask = Tensor.of(new float[] {1, 0}, 1, 2);
      assertEquals(Math.log(3), PpoLosses.entropy(logits, mask, 3).item(), 1e-5);
      assertEquals(Math.log(2), PpoLosses.entropy(logits, mask, 2).item(), 1e-5, "padding columns excluded");
      Tensor peaked = Tensor.of(new float[] {0, 0, 0, 10, 0, 0}, 1, 2, 3);
      double both = PpoLosses.entropy(peaked, Tensor.of(new float[] {1, 1}, 1, 2), 3).item();
      assertTrue(both < Math.log(3) && both > 0, "mean of a uniform and a peaked row: " + both);
      assertEquals(Device.CPU, logits.device());
    }
  }
}
