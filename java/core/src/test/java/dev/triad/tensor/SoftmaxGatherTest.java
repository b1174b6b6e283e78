package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nativ.TriadNative;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Ops.logSoftmax and Ops.gather: forward against float64 references, backward against central
 * differences of them, and the native range check of gather indices.
 */
class SoftmaxGatherTest {

  // ---- logSoftmax ----

  /** float64 reference: out[n,j] = x[n,j] - log sum_k exp(x[n,k]) (max-shifted). */
  static double[] logSoftmaxRef(double[] x, int N, int V) {
    double[] out = new double[N * V];
    for (int n = 0; n < N; n++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < V; j++) {
        max = Math.max(max, x[n * V + j]);
      }
      double sum = 0;
      for (int j = 0; j < V; j++) {
        sum += Math.exp(x[n * V + j] - max);
      }
      double lse = max + Math.log(sum);
      for (int j = 0; j < V; j++) {
        out[n * V + j] = x[n * V + j] - lse;
      }
    }
    return out;
  }

  /**
   * Rows get offsets up to +-100 (a naive exp would overflow in fp32): the result must not depend
   * on them. Tolerances: x - lse with |x| ~ 100 in fp32 has rounding ~1e-5 (ulp of 100 is 7.6e-6),
   * so forward atol 3e-5 / rtol 1e-5. The backward (g - softmax * sum g, sums over V = 23 values
   * ~N(0,1)) has error ~1e-6 -> atol 1e-5 / rtol 1e-4.
   */
  @Test
  void logSoftmaxForwardAndBackward() {
    Random rng = freshRandom();
    int B = 2, T = 5, V = 23, N = B * T;
    String ctx = "logSoftmax " + rng;
    float[] xf = randn(rng, N * V, 3.0);
    for (int n = 0; n < N; n++) {
      float offset = (float) (rng.nextDouble() * 200 - 100);
      for (int j = 0; j < V; j++) {
        xf[n * V + j] += offset;
      }
    }
    float[] gf = randn(rng, N * V);
    double[] xd = toDouble(xf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, V).requiresGrad(true);
      Tensor y = Ops.logSoftmax(x);
      assertArrayEquals(new long[] {B, T, V}, y.shape(), ctx + ": shape");
      float[] yf = y.toFloatArray();
      assertClose(logSoftmaxRef(xd, N, V), yf, 3e-5, 1e-5, ctx + ": forward");
      for (int n = 0; n < N; n++) { // each row's probabilities sum to 1
        double p = 0;
        for (int j = 0; j < V; j++) {
          p += Math.exp(yf[n * V + j]);
        }
        assertEquals(1.0, p, 1e-4, ctx + ": row " + n + " probability mass");
      }
      Ops.sum(Ops.mul(y, Tensor.of(gf, B, T, V))).backward();
      assertClose(numericalGradient(v -> dot(gd, logSoftmaxRef(v, N, V)), xd), x.grad().toFloatArray(), 1e-5, 1e-4,
          ctx + ": dx");
    }
  }

  /** Hand-computable: log softmax of [0, ln 3] is [ln(1/4), ln(3/4)]. */
  @Test
  void logSoftmaxTinyHandCase() {
    try (Scope s = Scope.open()) {
      float[] y = Ops.logSoftmax(Tensor.of(new float[] {0f, (float) Math.log(3)}, 1, 2)).toFloatArray();
      assertClose(new double[] {Math.log(0.25), Math.log(0.75)}, y, 1e-6, 1e-6, "logSoftmax [0, ln3]");
    }
  }

  // ---- gather ----

  /** float64 reference: out[n] = x[n, index[n]]. */
  static double[] gatherRef(double[] x, int[] index, int N, int V) {
    double[] out = new double[N];
    for (int n = 0; n < N; n++) {
      out[n] = x[n * V + index[n]];
    }
    return out;
  }

  /** Gather is a copy (forward exact: atol 0) and its backward a scatter of one value per row (exact up to the FD's ~1e-9). */
  @Test
  void gatherForwardAndBackward() {
    Random rng = freshRandom();
    int B = 2, T = 6, V = 11, N = B * T;
    String ctx = "gather " + rng;
    float[] xf = randn(rng, N * V), gf = randn(rng, N);
    int[] index = new int[N];
    for (int n = 0; n < N; n++) {
      index[n] = rng.nextInt(V);
    }
    index[0] = 0;
    index[1] = V - 1;
    double[] xd = toDouble(xf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, V).requiresGrad(true);
      Tensor y = Ops.gather(x, Tensor.ofInts(index, B, T));
      assertArrayEquals(new long[] {B, T}, y.shape(), ctx + ": shape");
      assertClose(gatherRef(xd, index, N, V), y.toFloatArray(), 0, 0, ctx + ": forward");
      Ops.sum(Ops.mul(y, Tensor.of(gf, B, T))).backward();
      assertClose(numericalGradient(v -> dot(gd, gatherRef(v, index, N, V)), xd), x.grad().toFloatArray(), 1e-7, 1e-6,
          ctx + ": dx");
    }
  }

  /**
   * gather(logSoftmax(x), t): the unfused log-prob of a target, checked end to end against the
   * composed float64 reference (tolerances as for logSoftmax backward: atol 1e-5 / rtol 1e-4).
   */
  @Test
  void gatherOfLogSoftmaxComposes() {
    Random rng = freshRandom();
    int N = 7, V = 19;
    String ctx = "gather(logSoftmax) " + rng;
    float[] xf = randn(rng, N * V, 2.0), gf = randn(rng, N);
    int[] index = new int[N];
    for (int n = 0; n < N; n++) {
      index[n] = rng.nextInt(V);
    }
    double[] xd = toDouble(xf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, N, V).requiresGrad(true);
      Tensor y = Ops.gather(Ops.logSoftmax(x), Tensor.ofInts(index, N));
      assertClose(gatherRef(logSoftmaxRef(xd, N, V), index, N, V), y.toFloatArray(), 1e-5, 1e-5, ctx + ": forward");
      Ops.sum(Ops.mul(y, Tensor.of(gf, N))).backward();
      assertClose(numericalGradient(v -> dot(gd, gatherRef(logSoftmaxRef(v, N, V), index, N, V)), xd),
          x.grad().toFloatArray(), 1e-5, 1e-4, ctx + ": dx");
    }
  }

  private static void assertGatherRejects(int bad) {
    Random rng = freshRandom();
    int N = 6, V = 11;
    int[] index = new int[N];
    for (int n = 0; n < N; n++) {
      index[n] = rng.nextInt(V);
    }
    index[3] = bad;
    long before = TriadNative.triad_live_buffers(TriadNative.TRIAD_DEVICE_CPU);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(randn(rng, N * V), N, V).requiresGrad(true);
      Tensor idx = Tensor.ofInts(index, N);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.gather(x, idx),
          "gather index " + bad + ", " + rng);
      assertTrue(e.getMessage().contains("gather index " + bad), "message should name index " + bad + ": " + e.getMessage());
      index[3] = 2; // still works afterwards
      assertEquals(x.toFloatArray()[3 * V + 2], Ops.gather(x, Tensor.ofInts(index, N)).toFloatArray()[3], rng.toString());
    }
    assertEquals(before, TriadNative.triad_live_buffers(TriadNative.TRIAD_DEVICE_CPU), "live native buffers");
  }

  @Test
  void gatherIndexAtLeastVFails() {
    assertGatherRejects(11);
    assertGatherRejects(1000);
  }

  @Test
  void negativeGatherIndexFails() {
    assertGatherRejects(-1);
  }
}
