package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.triad.testing.TestUtil.SeededRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * sum/mean along one dimension of a rank-3 tensor (every dimension, positive and negative) and
 * over all elements. Forward against a float64 reference (atol 1e-6 + rtol 1e-5: the kernel
 * accumulates in double and rounds once); backward through autograd against float64 central
 * differences of sum(G * ref) (atol 1e-5 + rtol 1e-4).
 */
class ReduceOpsTest {
  private static final long[] SHAPE = {2, 3, 5};
  private static final int N = 30;

  /** float64 reduction of x [2,3,5] along axis d (0..2), row-major output without that axis. */
  private static double[] reference(double[] x, int d, boolean mean) {
    int[] s = {2, 3, 5};
    int outer = 1, inner = 1;
    for (int i = 0; i < d; i++) {
      outer *= s[i];
    }
    for (int i = d + 1; i < 3; i++) {
      inner *= s[i];
    }
    double[] out = new double[outer * inner];
    for (int o = 0; o < outer; o++) {
      for (int k = 0; k < s[d]; k++) {
        for (int i = 0; i < inner; i++) {
          out[o * inner + i] += x[(o * s[d] + k) * inner + i];
        }
      }
    }
    if (mean) {
      for (int i = 0; i < out.length; i++) {
        out[i] /= s[d];
      }
    }
    return out;
  }

  private static long[] without(long[] shape, int d) {
    long[] out = new long[shape.length - 1];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (i != d) {
        out[j++] = shape[i];
      }
    }
    return out;
  }

  private static void checkAlong(int dim, boolean mean) {
    SeededRandom rng = (SeededRandom) freshRandom();
    int d = dim < 0 ? dim + 3 : dim;
    String what = (mean ? "mean" : "sum") + " along " + dim + " (" + rng + ")";
    float[] x = randn(rng, N, 2.0);
    double[] xd = toDouble(x);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, SHAPE).requiresGrad(true);
      Tensor y = mean ? Ops.mean(xt, dim) : Ops.sum(xt, dim);
      long[] outShape = without(SHAPE, d);
      assertArrayEquals(outShape, y.shape(), what + " shape");
      assertClose(reference(xd, d, mean), y.toFloatArray(), 1e-6, 1e-5, what + " forward");

      int m = Math.toIntExact(y.numel());
      float[] g = randn(rng, m);
      Ops.sum(Ops.mul(y, Tensor.of(g, outShape))).backward();
      double[] gd = toDouble(g);
      double[] num = numericalGradient(v -> dot(gd, reference(v, d, mean)), xd);
      assertClose(num, xt.grad().toFloatArray(), 1e-5, 1e-4, what + " dx");
    }
  }

  @Test
  void sumAlongEachDimension() {
    for (int dim : new int[] {0, 1, 2, -1, -2, -3}) {
      checkAlong(dim, false);
    }
  }

  @Test
  void meanAlongEachDimension() {
    for (int dim : new int[] {0, 1, 2, -1, -2, -3}) {
      checkAlong(dim, true);
    }
  }

  /** Negative dims name the same axis as their positive counterpart: identical results. */
  @Test
  void negativeDimEqualsPositive() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] x = randn(rng, N);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, SHAPE);
      for (int d = 0; d < 3; d++) {
        assertArrayEquals(Ops.sum(xt, d).toFloatArray(), Ops.sum(xt, d - 3).toFloatArray(),
            "sum dim " + d + " vs " + (d - 3) + " (" + rng + ")");
        assertArrayEquals(Ops.mean(xt, d).toFloatArray(), Ops.mean(xt, d - 3).toFloatArray(),
            "mean dim " + d + " vs " + (d - 3) + " (" + rng + ")");
      }
    }
  }

  private static void checkFull(boolean mean) {
    SeededRandom rng = (SeededRandom) freshRandom();
    String what = (mean ? "full mean" : "full sum") + " (" + rng + ")";
    float[] x = randn(rng, N, 2.0);
    double[] xd = toDouble(x);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, SHAPE).requiresGrad(true);
      Tensor y = mean ? Ops.mean(xt) : Ops.sum(xt);
      assertEquals(0, y.rank(), what + ": a scalar");
      assertEquals(1, y.numel(), what);
      double ref = 0;
      for (double v : xd) {
        ref += v;
      }
      if (mean) {
        ref /= N;
      }
      assertClose(new double[] {ref}, new float[] {y.item()}, 1e-6, 1e-6, what + " forward");

      float g = (float) rng.nextGaussian();
      Ops.mul(y, Tensor.scalar(g)).backward();
      double[] num = numericalGradient(v -> {
        double sum = 0;
        for (double e : v) {
          sum += e;
        }
        return g * (mean ? sum / N : sum);
      }, xd);
      assertArrayEquals(SHAPE, xt.grad().shape(), what);
      assertClose(num, xt.grad().toFloatArray(), 1e-6, 1e-5, what + " dx");
    }
  }

  @Test
  void fullSum() {
    checkFull(false);
  }

  @Test
  void fullMean() {
    checkFull(true);
  }

  /** Reducing a rank-1 tensor gives a scalar; reducing a scalar gives the scalar back. */
  @Test
  void rankOneAndScalar() {
    try (Scope s = Scope.open()) {
      Tensor v = Tensor.of(new float[] {1f, 2f, 3f, 4f}, 4);
      assertEquals(10f, Ops.sum(v, 0).item());
      assertEquals(0, Ops.sum(v, -1).rank());
      assertEquals(2.5f, Ops.mean(v, 0).item());
      Tensor sc = Tensor.scalar(7.5f);
      assertEquals(7.5f, Ops.sum(sc).item());
      assertEquals(7.5f, Ops.mean(sc).item());
    }
  }

  /** A reduction followed by another: gradients compose (d mean_1 (sum_0 x) = 1/3 everywhere). */
  @Test
  void chainedReductions() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] x = randn(rng, N);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, SHAPE).requiresGrad(true);
      Tensor y = Ops.sum(Ops.mean(Ops.sum(xt, 0), 0)); // [3,5] -> [5] -> scalar
      double ref = 0;
      for (float e : x) {
        ref += e;
      }
      assertClose(new double[] {ref / 3}, new float[] {y.item()}, 1e-6, 1e-5, "forward (" + rng + ")");
      y.backward();
      double[] expected = new double[N];
      Arrays.fill(expected, 1.0 / 3);
      assertClose(expected, xt.grad().toFloatArray(), 1e-7, 1e-6, "dx (" + rng + ")");
    }
  }
}
