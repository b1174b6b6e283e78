package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ops.matmul (all four transpose forms, rank 2 and batched rank 3) and Ops.linear, forward against
 * a float64 reference and backward against central differences of that reference.
 *
 * <p>Tolerances: fp32 GEMM over K <= 16 terms of N(0,1) products gives outputs of size ~4 and
 * rounding error ~K * 6e-8 * |terms| ~ 1e-6, so forward atol 1e-5 / rtol 1e-4. Gradients reduce
 * over at most 10 rows (or N=7 columns) with an extra factor from the upstream G, so atol 1e-4 /
 * rtol 1e-3 leaves margin while any indexing or transpose mistake gives O(1) errors.
 */
class LinearOpsTest {
  private static final double FWD_ATOL = 1e-5, FWD_RTOL = 1e-4;
  private static final double GRAD_ATOL = 1e-4, GRAD_RTOL = 1e-3;

  /**
   * float64 reference of triad_matmul without bias: for each p, out[p] = op(a[p]) @ op(b[p]) where
   * a[p] is stored [M,K] (or [K,M] when ta) and b[p] is stored [K,N] (or [N,K] when tb).
   */
  static double[] matmulRef(double[] a, double[] b, int batch, int M, int N, int K, boolean ta, boolean tb) {
    double[] out = new double[batch * M * N];
    for (int p = 0; p < batch; p++) {
      int ao = p * M * K, bo = p * K * N, oo = p * M * N;
      for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
          double s = 0;
          for (int k = 0; k < K; k++) {
            double aik = ta ? a[ao + k * M + i] : a[ao + i * K + k];
            double bkj = tb ? b[bo + j * K + k] : b[bo + k * N + j];
            s += aik * bkj;
          }
          out[oo + i * N + j] = s;
        }
      }
    }
    return out;
  }

  /** float64 reference of a linear layer: y[r,o] = sum_i x[r,i] W[o,i] + bias[o] (bias may be null). */
  static double[] linearRef(double[] x, double[] w, double[] bias, int rows, int in, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = bias == null ? 0 : bias[o];
        for (int i = 0; i < in; i++) {
          s += x[r * in + i] * w[o * in + i];
        }
        y[r * out + o] = s;
      }
    }
    return y;
  }

  private static long[] dims(int rank, int batch, long rows, long cols) {
    return rank == 3 ? new long[] {batch, rows, cols} : new long[] {rows, cols};
  }

  @ParameterizedTest(name = "rank {0}, transA={1}, transB={2}")
  @CsvSource({
    "2, false, false", "2, false, true", "2, true, false", "2, true, true",
    "3, false, false", "3, false, true", "3, true, false", "3, true, true"
  })
  void matmulForwardAndBackward(int rank, boolean ta, boolean tb) {
    Random rng = freshRandom();
    // M, N, K all distinct so that a transposed index cannot go unnoticed
    int batch = rank == 3 ? 3 : 1, M = 5, N = 7, K = 6;
    String ctx = "matmul rank " + rank + " transA=" + ta + " transB=" + tb + " " + rng;
    float[] af = randn(rng, batch * M * K), bf = randn(rng, batch * K * N), gf = randn(rng, batch * M * N);
    double[] ad = toDouble(af), bd = toDouble(bf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(af, dims(rank, batch, ta ? K : M, ta ? M : K)).requiresGrad(true);
      Tensor b = Tensor.of(bf, dims(rank, batch, tb ? N : K, tb ? K : N)).requiresGrad(true);
      Tensor y = Ops.matmul(a, b, ta, tb);
      assertArrayEquals(dims(rank, batch, M, N), y.shape(), ctx + ": output shape");
      assertClose(matmulRef(ad, bd, batch, M, N, K, ta, tb), y.toFloatArray(), FWD_ATOL, FWD_RTOL, ctx + ": forward");

      Tensor g = Tensor.of(gf, y.shape());
      Ops.sum(Ops.mul(y, g)).backward();
      double[] expDa = numericalGradient(x -> dot(gd, matmulRef(x, bd, batch, M, N, K, ta, tb)), ad);
      double[] expDb = numericalGradient(x -> dot(gd, matmulRef(ad, x, batch, M, N, K, ta, tb)), bd);
      assertClose(expDa, a.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": da");
      assertClose(expDb, b.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": db");
    }
  }

  /** Only b requires a gradient: the da path is skipped and a gets none. */
  @ParameterizedTest(name = "transA={0}")
  @ValueSource(booleans = {false, true})
  void matmulGradientOnlyToB(boolean ta) {
    Random rng = freshRandom();
    int M = 4, N = 3, K = 6;
    String ctx = "matmul only-b transA=" + ta + " " + rng;
    float[] af = randn(rng, M * K), bf = randn(rng, K * N), gf = randn(rng, M * N);
    double[] ad = toDouble(af), bd = toDouble(bf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(af, ta ? K : M, ta ? M : K);
      Tensor b = Tensor.of(bf, K, N).requiresGrad(true);
      Tensor y = Ops.matmul(a, b, ta, false);
      Ops.sum(Ops.mul(y, Tensor.of(gf, M, N))).backward();
      assertNull(a.grad(), ctx + ": a must get no gradient");
      double[] expDb = numericalGradient(x -> dot(gd, matmulRef(ad, x, 1, M, N, K, ta, false)), bd);
      assertClose(expDb, b.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": db");
    }
  }

  /** y = a @ a^T uses a twice: both backward contributions must add into one gradient. */
  @Test
  void matmulSameTensorTwiceAccumulatesGradient() {
    Random rng = freshRandom();
    int M = 5, K = 7;
    String ctx = "matmul a@a^T " + rng;
    float[] af = randn(rng, M * K), gf = randn(rng, M * M);
    double[] ad = toDouble(af), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(af, M, K).requiresGrad(true);
      Tensor y = Ops.matmul(a, a, false, true);
      assertClose(matmulRef(ad, ad, 1, M, M, K, false, true), y.toFloatArray(), FWD_ATOL, FWD_RTOL, ctx + ": forward");
      Ops.sum(Ops.mul(y, Tensor.of(gf, M, M))).backward();
      double[] expDa = numericalGradient(x -> dot(gd, matmulRef(x, x, 1, M, M, K, false, true)), ad);
      assertClose(expDa, a.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": da");
    }
  }

  @ParameterizedTest(name = "bias={0}")
  @ValueSource(booleans = {false, true})
  void linearForwardAndBackward(boolean withBias) {
    Random rng = freshRandom();
    int B = 2, T = 5, in = 8, out = 12, rows = B * T;
    String ctx = "linear bias=" + withBias + " " + rng;
    float[] xf = randn(rng, rows * in), wf = randn(rng, out * in, 0.5), bf = randn(rng, out), gf = randn(rng, rows * out);
    double[] xd = toDouble(xf), wd = toDouble(wf), bd = withBias ? toDouble(bf) : null, gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, in).requiresGrad(true);
      Tensor w = Tensor.of(wf, out, in).requiresGrad(true);
      Tensor bias = withBias ? Tensor.of(bf, out).requiresGrad(true) : null;
      Tensor y = Ops.linear(x, w, bias);
      assertArrayEquals(new long[] {B, T, out}, y.shape(), ctx + ": output shape");
      assertClose(linearRef(xd, wd, bd, rows, in, out), y.toFloatArray(), FWD_ATOL, FWD_RTOL, ctx + ": forward");

      Ops.sum(Ops.mul(y, Tensor.of(gf, B, T, out))).backward();
      double[] expDx = numericalGradient(v -> dot(gd, linearRef(v, wd, bd, rows, in, out)), xd);
      double[] expDw = numericalGradient(v -> dot(gd, linearRef(xd, v, bd, rows, in, out)), wd);
      assertClose(expDx, x.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dx");
      assertClose(expDw, w.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dW");
      if (withBias) {
        double[] expDb = numericalGradient(v -> dot(gd, linearRef(xd, wd, v, rows, in, out)), bd);
        assertClose(expDb, bias.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dbias");
      }
    }
  }

  /** Input that needs no gradient (e.g. data): only the weight and bias get one. */
  @Test
  void linearGradientOnlyToParameters() {
    Random rng = freshRandom();
    int B = 2, T = 6, in = 5, out = 9, rows = B * T;
    String ctx = "linear params-only " + rng;
    float[] xf = randn(rng, rows * in), wf = randn(rng, out * in), bf = randn(rng, out), gf = randn(rng, rows * out);
    double[] xd = toDouble(xf), wd = toDouble(wf), bd = toDouble(bf), gd = toDouble(gf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, in);
      Tensor w = Tensor.of(wf, out, in).requiresGrad(true);
      Tensor bias = Tensor.of(bf, out).requiresGrad(true);
      Tensor y = Ops.linear(x, w, bias);
      Ops.sum(Ops.mul(y, Tensor.of(gf, B, T, out))).backward();
      assertNull(x.grad(), ctx + ": x must get no gradient");
      assertClose(numericalGradient(v -> dot(gd, linearRef(xd, v, bd, rows, in, out)), wd), w.grad().toFloatArray(),
          GRAD_ATOL, GRAD_RTOL, ctx + ": dW");
      assertClose(numericalGradient(v -> dot(gd, linearRef(xd, wd, v, rows, in, out)), bd), bias.grad().toFloatArray(),
          GRAD_ATOL, GRAD_RTOL, ctx + ": dbias");
    }
  }
}
