package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Ops.layerNorm and Ops.gelu: forward against float64 references, backward (x, weight, bias for
 * layerNorm) against central differences of those references.
 */
class LayerNormGeluTest {

  // ---- layerNorm ----

  /** float64 reference: per row, (x - mean) / sqrt(biased var + eps) * w + b. */
  static double[] layerNormRef(double[] x, double[] w, double[] b, int N, int C, double eps) {
    double[] out = new double[N * C];
    for (int n = 0; n < N; n++) {
      double mean = 0;
      for (int c = 0; c < C; c++) {
        mean += x[n * C + c];
      }
      mean /= C;
      double var = 0;
      for (int c = 0; c < C; c++) {
        double d = x[n * C + c] - mean;
        var += d * d;
      }
      var /= C;
      double rstd = 1.0 / Math.sqrt(var + eps);
      for (int c = 0; c < C; c++) {
        out[n * C + c] = (x[n * C + c] - mean) * rstd * w[c] + b[c];
      }
    }
    return out;
  }

  /**
   * Tolerances: x rows carry an offset up to +-4 and spread up to 2, so x - mean in fp32 has
   * absolute error ~1e-6 relative to a spread of ~1; outputs ~3 get error ~1e-6 -> forward atol 1e-5
   * / rtol 1e-4. The x gradient combines two row means over C = 16 (error ~1e-6 * rstd), dweight
   * and dbias sum N = 10 rows -> backward atol 1e-4 / rtol 1e-3.
   */
  @Test
  void layerNormForwardAndBackward() {
    Random rng = freshRandom();
    int B = 2, T = 5, C = 16, N = B * T;
    float eps = 1e-5f;
    String ctx = "layerNorm " + rng;
    float[] xf = new float[N * C];
    for (int n = 0; n < N; n++) { // each row: its own offset and spread (not already normalised)
      double offset = rng.nextDouble() * 8 - 4, spread = 0.3 + rng.nextDouble() * 1.7;
      for (int c = 0; c < C; c++) {
        xf[n * C + c] = (float) (offset + spread * rng.nextGaussian());
      }
    }
    float[] wf = new float[C];
    for (int c = 0; c < C; c++) {
      wf[c] = (float) (1 + 0.5 * rng.nextGaussian());
    }
    float[] bf = randn(rng, C, 0.5), gf = randn(rng, N * C);
    double[] xd = toDouble(xf), wd = toDouble(wf), bd = toDouble(bf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, C).requiresGrad(true);
      Tensor w = Tensor.of(wf, C).requiresGrad(true);
      Tensor b = Tensor.of(bf, C).requiresGrad(true);
      Tensor y = Ops.layerNorm(x, w, b, eps);
      assertArrayEquals(new long[] {B, T, C}, y.shape(), ctx + ": shape");
      assertClose(layerNormRef(xd, wd, bd, N, C, eps), y.toFloatArray(), 1e-5, 1e-4, ctx + ": forward");

      Ops.sum(Ops.mul(y, Tensor.of(gf, B, T, C))).backward();
      assertClose(numericalGradient(v -> dot(gd, layerNormRef(v, wd, bd, N, C, eps)), xd),
          x.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dx");
      assertClose(numericalGradient(v -> dot(gd, layerNormRef(xd, v, bd, N, C, eps)), wd),
          w.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dweight");
      assertClose(numericalGradient(v -> dot(gd, layerNormRef(xd, wd, v, N, C, eps)), bd),
          b.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dbias");
    }
  }

  /**
   * A large eps relative to the variance matters (eps inside the sqrt, biased variance): rows of
   * variance ~0.01 with eps 0.1. Same tolerances as above (outputs are smaller here).
   */
  @Test
  void layerNormEpsInsideSqrtRank2() {
    Random rng = freshRandom();
    int N = 3, C = 8;
    float eps = 0.1f;
    String ctx = "layerNorm eps=0.1 " + rng;
    float[] xf = randn(rng, N * C, 0.1), wf = randn(rng, C), bf = randn(rng, C), gf = randn(rng, N * C);
    double[] xd = toDouble(xf), wd = toDouble(wf), bd = toDouble(bf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, N, C).requiresGrad(true);
      Tensor y = Ops.layerNorm(x, Tensor.of(wf, C), Tensor.of(bf, C), eps);
      assertClose(layerNormRef(xd, wd, bd, N, C, eps), y.toFloatArray(), 1e-5, 1e-4, ctx + ": forward");
      Ops.sum(Ops.mul(y, Tensor.of(gf, N, C))).backward();
      assertClose(numericalGradient(v -> dot(gd, layerNormRef(v, wd, bd, N, C, eps)), xd),
          x.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dx");
    }
  }

  /** Hand-computable: x = [1, 3] -> mean 2, var 1, xhat = [-1, 1] (eps tiny), w = [2, 2], b = [1, 1]. */
  @Test
  void layerNormTinyHandCase() {
    try (Scope s = Scope.open()) {
      float[] y = Ops.layerNorm(Tensor.of(new float[] {1, 3}, 1, 2), Tensor.of(new float[] {2, 2}, 2),
          Tensor.of(new float[] {1, 1}, 2), 1e-12f).toFloatArray();
      assertClose(new double[] {-1, 3}, y, 1e-6, 0, "layerNorm [1,3]");
    }
  }

  // ---- GELU ----

  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

  /** float64 reference: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  static double[] geluRef(double[] x) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double v = x[i];
      out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    }
    return out;
  }

  /**
   * Tolerances: inputs up to |x| ~ 8; fp32 tanh and the cubic give ~2 ulp of outputs <= 8 (~1e-6)
   * -> forward atol 2e-6 / rtol 1e-5; the derivative (~[-0.2, 1.2]) times G ~N(0,1) has fp32
   * error ~1e-6 -> backward atol 1e-5 / rtol 1e-4.
   */
  @Test
  void geluForwardAndBackward() {
    Random rng = freshRandom();
    String ctx = "gelu " + rng;
    int B = 2, T = 6, C = 12;
    float[] xf = randn(rng, B * T * C, 2.5), gf = randn(rng, B * T * C);
    xf[0] = 0f; // exactly 0 -> 0
    double[] xd = toDouble(xf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, C).requiresGrad(true);
      Tensor y = Ops.gelu(x);
      assertArrayEquals(new long[] {B, T, C}, y.shape(), ctx + ": shape");
      float[] yf = y.toFloatArray();
      assertEquals(0f, yf[0], ctx + ": gelu(0)");
      assertClose(geluRef(xd), yf, 2e-6, 1e-5, ctx + ": forward");
      Ops.sum(Ops.mul(y, Tensor.of(gf, B, T, C))).backward();
      assertClose(numericalGradient(v -> dot(gd, geluRef(v)), xd), x.grad().toFloatArray(), 1e-5, 1e-4,
          ctx + ": dx");
    }
  }

  /** gelu used twice in one graph (y = gelu(x) * gelu(x)): the two contributions add. */
  @Test
  void geluGradientAccumulatesOverUses() {
    Random rng = freshRandom();
    String ctx = "gelu twice " + rng;
    int n = 20;
    float[] xf = randn(rng, n, 1.5), gf = randn(rng, n);
    double[] xd = toDouble(xf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, n).requiresGrad(true);
      Tensor y = Ops.mul(Ops.gelu(x), Ops.gelu(x));
      Ops.sum(Ops.mul(y, Tensor.of(gf, n))).backward();
      double[] exp = numericalGradient(v -> {
        double[] g1 = geluRef(v);
        double sum = 0;
        for (int i = 0; i < n; i++) {
          sum += gd[i] * g1[i] * g1[i];
        }
        return sum;
      }, xd);
      assertClose(exp, x.grad().toFloatArray(), 1e-5, 1e-4, ctx + ": dx");
    }
  }
}
