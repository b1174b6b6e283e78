package dev.triad.optim;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.TestUtil.SeededRandom;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AdamW against a float64 reference implementation over several steps, and global-norm gradient
 * clipping against float64. Gradients are installed through autograd: L = sum(p * G) gives
 * p.grad = G exactly.
 *
 * <p>Tolerances: parameters atol 2e-6 + rtol 1e-5 after each step (f32 state, ~1 ulp per
 * operation, lr <= 0.05); moments atol 1e-6 + rtol 1e-5; norms rtol 1e-6 (sums of squares are
 * accumulated in double, rounded to f32 once per parameter).
 */
class OptimTest {

  /** Sets p.grad = g (replacing any earlier gradient). */
  private static void setGrad(Tensor p, float[] g) {
    p.zeroGrad();
    try (Scope s = Scope.open()) {
      Ops.sum(Ops.mul(p, Tensor.of(g, p.shape()))).backward();
    }
  }

  /** float64 AdamW state of one parameter. */
  private static final class RefAdamW {
    final double[] p, m, v;
    final boolean decays;

    RefAdamW(float[] p0, boolean decays) {
      p = toDouble(p0);
      m = new double[p0.length];
      v = new double[p0.length];
      this.decays = decays;
    }

    void step(float[] grad, double lr, double b1, double b2, double eps, double wd, double scale, long t) {
      double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
      for (int i = 0; i < p.length; i++) {
        double g = grad[i] * scale;
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mhat = m[i] / bc1, vhat = v[i] / bc2;
        // decoupled weight decay on the parameter before this step's update
        p[i] -= lr * (mhat / (Math.sqrt(vhat) + eps) + (decays ? wd : 0) * p[i]);
      }
    }
  }

  @Test
  void adamWMatchesFloat64ReferenceOverSeveralSteps() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float beta1 = 0.8f, beta2 = 0.99f, eps = 1e-8f, wd = 0.1f;
    float[] lrs = {0.05f, 0.05f, 0.02f, 0.02f, 0.01f, 0.03f};
    float[] scales = {1f, 0.5f, 1f, 2f, 0.25f, 1f};
    long[][] shapes = {{3, 4}, {4}, {2, 2, 3}, {1}};
    try (Scope s = Scope.open()) {
      Tensor[] params = new Tensor[shapes.length];
      RefAdamW[] refs = new RefAdamW[shapes.length];
      for (int k = 0; k < shapes.length; k++) {
        float[] p0 = randn(rng, Math.toIntExact(dev.triad.tensor.Shapes.numel(shapes[k])));
        params[k] = Tensor.of(p0, shapes[k]).requiresGrad(true);
        refs[k] = new RefAdamW(p0, shapes[k].length >= 2);
      }
      try (AdamW opt = new AdamW(List.of(params), lrs[0], beta1, beta2, eps, wd)) {
        for (int t = 1; t <= lrs.length; t++) {
          opt.setLearningRate(lrs[t - 1]);
          assertEquals(lrs[t - 1], opt.learningRate());
          for (int k = 0; k < params.length; k++) {
            float[] g = randn(rng, Math.toIntExact(params[k].numel()), 0.1 + rng.nextDouble());
            setGrad(params[k], g);
            refs[k].step(g, lrs[t - 1], beta1, beta2, eps, wd, scales[t - 1], t);
          }
          if (scales[t - 1] == 1f) {
            opt.step();
          } else {
            opt.step(scales[t - 1]);
          }
          assertEquals(t, opt.stepCount());
          for (int k = 0; k < params.length; k++) {
            String what = "param " + k + " " + params[k] + " after step " + t + " (" + rng + ")";
            assertClose(refs[k].p, params[k].toFloatArray(), 2e-6, 1e-5, what);
            assertClose(refs[k].m, opt.firstMoment(k).toFloatArray(), 1e-6, 1e-5, what + " m");
            assertClose(refs[k].v, opt.secondMoment(k).toFloatArray(), 1e-6, 1e-5, what + " v");
          }
        }
      }
    }
  }

  /** Default betas (0.9, 0.95), eps 1e-8; a parameter without a gradient is left untouched. */
  @Test
  void defaultsAndParametersWithoutGradient() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float lr = 0.01f, wd = 0.2f;
    try (Scope s = Scope.open()) {
      float[] w0 = randn(rng, 6), u0 = randn(rng, 6);
      Tensor w = Tensor.of(w0, 2, 3).requiresGrad(true);
      Tensor unused = Tensor.of(u0, 2, 3).requiresGrad(true);
      RefAdamW ref = new RefAdamW(w0, true);
      try (AdamW opt = new AdamW(List.of(w, unused), lr, wd)) {
        for (int t = 1; t <= 3; t++) {
          float[] g = randn(rng, 6);
          setGrad(w, g);
          ref.step(g, lr, 0.9, 0.95, 1e-8, wd, 1.0, t);
          opt.step();
        }
        assertClose(ref.p, w.toFloatArray(), 2e-6, 1e-5, "w (" + rng + ")");
        assertArrayEquals(u0, unused.toFloatArray(), "a parameter without a gradient must not change");
        assertArrayEquals(new float[6], opt.firstMoment(1).toFloatArray(), "its moments stay zero");
        assertArrayEquals(new float[6], opt.secondMoment(1).toFloatArray(), "its moments stay zero");
      }
    }
  }

  /**
   * With a zero gradient the Adam term is 0 / (0 + eps) = 0, so only weight decay acts: a matrix
   * shrinks by exactly (1 - lr * wd), a vector (bias/gain) does not change at all.
   */
  @Test
  void weightDecayOnlyOnMatrices() {
    float lr = 0.1f, wd = 0.5f;
    try (Scope s = Scope.open()) {
      Tensor w = Tensor.of(new float[] {1f, -2f, 4f, 8f}, 2, 2).requiresGrad(true);
      Tensor b = Tensor.of(new float[] {1f, -2f, 4f, 8f}, 4).requiresGrad(true);
      try (AdamW opt = new AdamW(List.of(w, b), lr, wd)) {
        setGrad(w, new float[4]);
        setGrad(b, new float[4]);
        opt.step();
        assertClose(new double[] {0.95, -1.9, 3.8, 7.6}, w.toFloatArray(), 1e-6, 1e-6, "matrix decays");
        assertArrayEquals(new float[] {1f, -2f, 4f, 8f}, b.toFloatArray(), "vector must not decay");
      }
    }
  }

  /** The first step moves every element by about lr * sign(g) (|mhat / sqrt(vhat)| = 1). */
  @Test
  void firstStepMovesByLearningRate() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] p0 = randn(rng, 8);
    float[] g = randn(rng, 8);
    try (Scope s = Scope.open()) {
      Tensor p = Tensor.of(p0, 8).requiresGrad(true);
      try (AdamW opt = new AdamW(List.of(p), 0.01f, 0f)) {
        setGrad(p, g);
        opt.step();
        double[] expected = new double[8];
        for (int i = 0; i < 8; i++) {
          expected[i] = p0[i] - 0.01 * Math.signum(g[i]);
        }
        assertClose(expected, p.toFloatArray(), 1e-6, 1e-6, "(" + rng + ")");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // gradient clipping
  // ---------------------------------------------------------------------------------------------

  private static double norm(float[]... gs) {
    double s = 0;
    for (float[] g : gs) {
      for (float v : g) {
        s += (double) v * v;
      }
    }
    return Math.sqrt(s);
  }

  @Test
  void globalNormMatchesFloat64() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] g1 = randn(rng, 12, 2.0), g2 = randn(rng, 5, 0.5);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(randn(rng, 12), 3, 4).requiresGrad(true);
      Tensor b = Tensor.of(randn(rng, 5), 5).requiresGrad(true);
      Tensor noGrad = Tensor.of(randn(rng, 3), 3).requiresGrad(true);
      setGrad(a, g1);
      setGrad(b, g2);
      double expected = norm(g1, g2);
      double got = GradClip.globalNorm(List.of(a, b, noGrad));
      assertEquals(expected, got, 1e-6 * expected, "global norm (" + rng + ")");
      assertEquals(0.0, GradClip.globalNorm(List.of()), "empty list");
      assertEquals(0.0, GradClip.globalNorm(List.of(noGrad)), "no gradients");
    }
  }

  @Test
  void clipScalesGradientsDownToMaxNorm() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] g1 = randn(rng, 12, 3.0), g2 = randn(rng, 4, 3.0);
    double n = norm(g1, g2);
    double maxNorm = n / 4; // forces clipping
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(new float[12], 3, 4).requiresGrad(true);
      Tensor b = Tensor.of(new float[4], 4).requiresGrad(true);
      setGrad(a, g1);
      setGrad(b, g2);
      double before = GradClip.clip(List.of(a, b), maxNorm);
      assertEquals(n, before, 1e-6 * n, "clip returns the norm before clipping (" + rng + ")");
      double factor = maxNorm / (n + 1e-6);
      double[] e1 = new double[12], e2 = new double[4];
      for (int i = 0; i < 12; i++) {
        e1[i] = g1[i] * factor;
      }
      for (int i = 0; i < 4; i++) {
        e2[i] = g2[i] * factor;
      }
      assertClose(e1, a.grad().toFloatArray(), 1e-7, 1e-6, "clipped a (" + rng + ")");
      assertClose(e2, b.grad().toFloatArray(), 1e-7, 1e-6, "clipped b (" + rng + ")");
      double after = GradClip.globalNorm(List.of(a, b));
      assertEquals(maxNorm, after, 1e-5 * maxNorm, "norm after clipping (" + rng + ")");
    }
  }

  @Test
  void clipLeavesSmallGradientsUnchanged() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] g = randn(rng, 6);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(new float[6], 6).requiresGrad(true);
      setGrad(a, g);
      double n = GradClip.clip(List.of(a), norm(g) * 2);
      assertEquals(norm(g), n, 1e-6 * n);
      assertArrayEquals(g, a.grad().toFloatArray(), "below maxNorm: untouched (" + rng + ")");
    }
  }

  @Test
  void clipFactor() {
    assertEquals((float) (5.0 / (10.0 + 1e-6)), GradClip.clipFactor(10.0, 5.0));
    assertEquals(1.0f, GradClip.clipFactor(1.0, 5.0));
    assertEquals(1.0f, GradClip.clipFactor(5.0, 5.0), "at exactly maxNorm: no scaling");
    assertEquals(1.0f, GradClip.clipFactor(0.0, 1.0));
    assertTrue(GradClip.clipFactor(1e6, 1.0) < 1.01e-6f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipFactor(1, 0));
    assertTrue(e.getMessage().contains("maxNorm"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipFactor(1, -1));
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipFactor(1, Double.NaN));
  }

  /** step(clipFactor) folds clipping into the update: same result as clip() then step(). */
  @Test
  void clipFactorInStepEqualsClipThenStep() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] p0 = randn(rng, 6), g = randn(rng, 6, 5.0);
    try (Scope s = Scope.open()) {
      Tensor p1 = Tensor.of(p0, 2, 3).requiresGrad(true);
      Tensor p2 = Tensor.of(p0, 2, 3).requiresGrad(true);
      try (AdamW o1 = new AdamW(List.of(p1), 0.05f, 0.1f); AdamW o2 = new AdamW(List.of(p2), 0.05f, 0.1f)) {
        for (int t = 0; t < 3; t++) {
          setGrad(p1, g);
          setGrad(p2, g);
          GradClip.clip(List.of(p1), 1.0);
          o1.step();
          o2.step(GradClip.clipFactor(GradClip.globalNorm(List.of(p2)), 1.0));
        }
        assertClose(toDouble(p1.toFloatArray()), p2.toFloatArray(), 1e-6, 1e-6, "(" + rng + ")");
      }
    }
  }
}
