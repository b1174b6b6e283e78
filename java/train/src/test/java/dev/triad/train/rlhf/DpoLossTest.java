package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.triad.testing.TestUtil;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The DPO loss against the formula evaluated in float64, its gradient against central finite
 * differences of that formula (including z = 0 exactly, where the policy equals the reference, and
 * |z| large enough to overflow a naive exp in float32), and its statistics on a hand-made case.
 */
class DpoLossTest {
  /** -log sigmoid(z), evaluated stably in float64, independently of DpoLoss. */
  private static double negLogSigmoid(double z) {
    return z >= 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
  }

  private static double loss(double[] pc, double[] pr, double[] rc, double[] rr, double beta) {
    double s = 0;
    for (int i = 0; i < pc.length; i++) {
      s += negLogSigmoid(beta * ((pc[i] - rc[i]) - (pr[i] - rr[i])));
    }
    return s / pc.length;
  }

  /** Policy values with z = 0 exactly (pair 0), |z| = 200 both ways (pairs 1, 2) and random ones. */
  private static double[][] cases(Random rng, int b, float beta) {
    double[] pc = new double[b], pr = new double[b], rc = new double[b], rr = new double[b];
    for (int i = 0; i < b; i++) {
      pc[i] = (float) (-5 - 40 * rng.nextDouble());
      pr[i] = (float) (-5 - 40 * rng.nextDouble());
      rc[i] = pc[i] + (float) rng.nextGaussian() * 4;
      rr[i] = pr[i] + (float) rng.nextGaussian() * 4;
    }
    // exact in float: policy == reference
    pc[0] = -10.5;
    pr[0] = -12.25;
    rc[0] = -10.5;
    rr[0] = -12.25;
    // z = +-200: exp(200) overflows float32
    pc[1] = -2;
    pr[1] = -2;
    rc[1] = -2 - 200 / beta;
    rr[1] = -2;
    pc[2] = -2;
    pr[2] = -2;
    rc[2] = -2 + 200 / beta;
    rr[2] = -2;
    return new double[][] {pc, pr, rc, rr};
  }

  private static float[] f(double[] a) {
    float[] o = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = (float) a[i];
    }
    return o;
  }

  @Test
  void valueAndGradientMatchTheFloat64Formula() {
    Random rng = TestUtil.freshRandom();
    for (float beta : new float[] {0.1f, 0.5f}) {
      int b = 7;
      double[][] c = cases(rng, b, beta);
      double[] pc = c[0], pr = c[1], rc = c[2], rr = c[3];
      Tensor tc = Tensor.of(f(pc), b).requiresGrad(true);
      Tensor tr = Tensor.of(f(pr), b).requiresGrad(true);
      try (Scope s = Scope.open()) {
        DpoLoss.Result r = DpoLoss.compute(tc, tr, rc, rr, beta);
        double expected = loss(pc, pr, rc, rr, beta);
        assertEquals(expected, r.loss().item(), 1e-5 * (1 + expected), "loss, beta " + beta + ", " + rng);
        assertEquals(expected, r.stats().loss(), 1e-9 * (1 + expected), "float64 loss in stats");
        r.loss().backward();
      }
      double[] gc = TestUtil.numericalGradient(x -> loss(x, pr, rc, rr, beta), pc.clone(), 1e-3);
      double[] gr = TestUtil.numericalGradient(x -> loss(pc, x, rc, rr, beta), pr.clone(), 1e-3);
      // at z = 0 the gradient is -beta * sigmoid(0) / B, not 0 (or -beta / B): the kink-free spelling
      assertEquals(-beta * 0.5 / b, gc[0], 1e-6, "finite differences at z = 0");
      TestUtil.assertClose(gc, tc.grad().toFloatArray(), 1e-6, 1e-4, "d loss / d pi_chosen, beta " + beta + ", " + rng);
      TestUtil.assertClose(gr, tr.grad().toFloatArray(), 1e-6, 1e-4, "d loss / d pi_rejected, beta " + beta + ", " + rng);
      tc.close();
      tr.close();
    }
  }

  @Test
  void pairedTensorGivesTheSameLossAndGradient() {
    Random rng = TestUtil.freshRandom();
    int b = 5;
    float beta = 0.2f;
    double[][] c = cases(rng, b, beta);
    float[] both = new float[2 * b];
    System.arraycopy(f(c[0]), 0, both, 0, b);
    System.arraycopy(f(c[1]), 0, both, b, b);
    Tensor pairs = Tensor.of(both, 2 * b).requiresGrad(true);
    try (Scope s = Scope.open()) {
      DpoLoss.Result r = DpoLoss.computePaired(pairs, c[2], c[3], beta);
      assertEquals(loss(c[0], c[1], c[2], c[3], beta), r.loss().item(), 1e-5, "paired loss, " + rng);
      r.loss().backward();
    }
    double[] gc = TestUtil.numericalGradient(x -> loss(x, c[1], c[2], c[3], beta), c[0].clone(), 1e-3);
    double[] gr = TestUtil.numericalGradient(x -> loss(c[0], x, c[2], c[3], beta), c[1].clone(), 1e-3);
    double[] g = new double[2 * b];
    System.arraycopy(gc, 0, g, 0, b);
    System.arraycopy(gr, 0, g, b, b);
    TestUtil.assertClose(g, pairs.grad().toFloatArray(), 1e-6, 1e-4, "paired gradient, " + rng);
    pairs.close();
  }

  @Test
  void statisticsOnAHandMadeCase() {
    // beta 0.5: rewards chosen = 0.5 * (pi_c - ref_c) = [0.5, 0, 1], rejected = [-0.5, 0.5, 0]
    double[] pc = {-1, -2, -3}, rc = {-2, -2, -5}, pr = {-3, -1, -4}, rr = {-2, -2, -4};
    DpoLoss.Stats s = DpoLoss.stats(pc, pr, rc, rr, 0.5);
    assertEquals(0.5, s.rewardChosen(), 1e-12);
    assertEquals(0.0, s.rewardRejected(), 1e-12);
    assertEquals(0.5, s.margin(), 1e-12);
    assertEquals(2.0 / 3, s.accuracy(), 1e-12);
    assertEquals((negLogSigmoid(1) + negLogSigmoid(-0.5) + negLogSigmoid(1)) / 3, s.loss(), 1e-12);
    DpoLoss.Stats both = DpoLoss.Stats.combine(java.util.List.of(s, DpoLoss.stats(new double[] {0}, new double[] {0},
        new double[] {0}, new double[] {0}, 0.5)));
    assertEquals(4, both.pairs());
    assertEquals(0.5, both.accuracy(), 1e-12, "pair-weighted mean: 2 of 4 ranked right");
  }

  @Test
  void rejectsMismatchedInputs() {
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(new float[] {1, 2}, 2);
      assertThrows(IllegalArgumentException.class, () -> DpoLoss.compute(t, t, new double[] {0}, new double[] {0}, 0.1f));
      assertThrows(IllegalArgumentException.class,
          () -> DpoLoss.compute(t, t, new double[] {0, 0}, new double[] {0, 0}, 0f));
      assertThrows(IllegalArgumentException.class,
          () -> DpoLoss.computePaired(t, new double[] {0, 0}, new double[] {0, 0}, 0.1f));
    }
  }
}
