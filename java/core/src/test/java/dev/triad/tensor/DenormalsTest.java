package dev.triad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.TestUtil;
import dev.triad.Triad;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * CPU ops flush subnormal floats to zero (FTZ) and read subnormal inputs as zero (DAZ) on every
 * thread that computes (native/src/common/denormals.h), stay within a float64 reference's
 * tolerance (an absolute error below the smallest normal float, 2^-126), leave Java's own
 * arithmetic untouched, and keep training bit-exact across thread counts.
 */
class DenormalsTest {
  private static final float TINY = Float.MIN_NORMAL; // 2^-126, the smallest normal float

  /** A product that lands in the subnormal range is 0; normal products are exact as before. */
  @Test
  void subnormalResultsFlushToZeroOnEveryThread() {
    Random rng = TestUtil.freshRandom();
    int n = 1 << 20; // far above the parallel threshold: every thread writes a range
    float[] a = new float[n], b = new float[n];
    for (int i = 0; i < n; i++) {
      boolean sub = i % 2 == 0; // interleaved so each thread's range has both kinds
      a[i] = (float) ((sub ? 1e-20 : 0.5) * (1 + rng.nextDouble()));
      b[i] = (float) ((sub ? 1e-20 : 0.25) * (1 + rng.nextDouble()));
    }
    float[] out;
    try (Tensor ta = Tensor.of(a, n); Tensor tb = Tensor.of(b, n); Tensor p = Ops.mul(ta, tb)) {
      out = p.toFloatArray();
    }
    for (int i = 0; i < n; i++) {
      double ref = (double) a[i] * b[i];
      if (Math.abs(ref) < TINY) {
        assertEquals(0f, out[i], "subnormal product at " + i + " (" + rng + ")");
      } else {
        assertEquals((float) ref, out[i], "normal product at " + i + " (" + rng + ")");
      }
      assertTrue(Math.abs(out[i] - ref) <= Math.max(TINY, 1e-7 * Math.abs(ref)), "error at " + i);
    }
  }

  /** A subnormal input reads as zero: 1e-40 * 1e30 gives 0, not 1e-10. */
  @Test
  void subnormalInputsReadAsZero() {
    int n = 100_000;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i % 3 == 0 ? 1e-40f : 1e-30f; // subnormal, and normal
    }
    try (Tensor t = Tensor.of(x, n); Tensor y = Ops.affine(t, 1e30f, 0f)) {
      float[] out = y.toFloatArray();
      for (int i = 0; i < n; i++) {
        assertEquals(i % 3 == 0 ? 0f : (float) (1e-30f * 1e30), out[i], 1e-6f, "element " + i);
      }
    }
  }

  /** The GEMM (OpenBLAS, on libtriad's threads) flushes too, and is otherwise unchanged. */
  @Test
  void matmulFlushesSubnormalsAndMatchesReference() {
    Random rng = TestUtil.freshRandom();
    int m = 256, k = 256, nn = 256;
    float[] a = TestUtil.randn(rng, m * k, 1), b = TestUtil.randn(rng, k * nn, 1);
    float[] aTiny = a.clone();
    for (int i = 0; i < aTiny.length; i++) {
      aTiny[i] *= 1e-21f;
    }
    float[] bTiny = b.clone();
    for (int i = 0; i < bTiny.length; i++) {
      bTiny[i] *= 1e-21f; // with aTiny: every product ~1e-42, subnormal
    }
    try (Tensor ta = Tensor.of(a, m, k); Tensor tb = Tensor.of(b, k, nn); Tensor tat = Tensor.of(aTiny, m, k);
        Tensor tbt = Tensor.of(bTiny, k, nn); Tensor normal = Ops.matmul(ta, tb, false, false);
        Tensor tiny = Ops.matmul(tat, tbt, false, false)) {
      float[] out = normal.toFloatArray(), zero = tiny.toFloatArray();
      double[] ref = new double[m * nn];
      for (int i = 0; i < m; i++) {
        for (int p = 0; p < k; p++) {
          for (int j = 0; j < nn; j++) {
            ref[i * nn + j] += (double) a[i * k + p] * b[p * nn + j];
          }
        }
      }
      TestUtil.assertClose(ref, out, 1e-4, 1e-4, "normal matmul (" + rng + ")");
      for (int i = 0; i < zero.length; i++) {
        // the exact result, ref * 1e-42, is below 2^-126 everywhere: flushed to 0 within tolerance
        assertTrue(Math.abs(ref[i] * 1e-42) < TINY, "reference out of the subnormal range at " + i);
        assertEquals(0f, zero[i], "element " + i + " (" + rng + ")");
      }
    }
  }

  /** The JVM thread that called libtriad gets its floating-point mode back: Java keeps subnormals. */
  @Test
  void javaArithmeticKeepsSubnormalsAfterNativeCalls() {
    try (Tensor t = Tensor.of(new float[] {1e-20f}, 1); Tensor p = Ops.mul(t, t)) {
      assertEquals(0f, p.item());
    }
    float half = halve(Float.MIN_NORMAL);
    assertNotEquals(0f, half, "Java's float arithmetic must still produce subnormals");
    assertEquals(Float.MIN_NORMAL / 2, half);
  }

  private static volatile float sink;

  private static float halve(float x) {
    sink = x; // through a volatile so the division happens at run time, under the thread's mode
    return sink / 2f;
  }

  /**
   * Triad's own kernels (elementwise, GELU, layernorm, attention; forward and backward) give the
   * same bits on 1 and 2 threads with subnormals in play: every thread flushes alike. (OpenBLAS's
   * GEMM is not bit-exact across thread counts at some shapes, with or without flushing: not
   * checked here.)
   */
  @Test
  void kernelsAreBitExactAcrossThreadCountsWithSubnormals() {
    int original = Triad.cpuThreads();
    try {
      Triad.setCpuThreads(1);
      List<float[]> one = kernelChain();
      Triad.setCpuThreads(Math.max(2, original));
      List<float[]> two = kernelChain();
      for (int i = 0; i < one.size(); i++) {
        assertArrayEquals(one.get(i), two.get(i), "output " + i + " differs between 1 and 2 threads");
      }
    } finally {
      Triad.setCpuThreads(original);
    }
  }

  /** x -> layerNorm -> attention -> gelu -> * tiny, then backward; outputs and input gradients. */
  private static List<float[]> kernelChain() {
    int b = 8, t = 128, h = 4, d = 32, c = h * d; // above the kernels' parallel thresholds
    Random rng = new Random(7);
    float[] xf = TestUtil.randn(rng, b * t * 3 * c, 1), wf = TestUtil.randn(rng, 3 * c, 1);
    float[] tinyf = new float[b * t * c];
    for (int i = 0; i < tinyf.length; i++) {
      tinyf[i] = (float) (rng.nextDouble() * 2e-19); // y*y and dy*tiny straddle 2^-126
    }
    List<float[]> out = new ArrayList<>();
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, b, t, 3 * c).requiresGrad(true);
      Tensor w = Tensor.of(wf, 3 * c).requiresGrad(true);
      Tensor bias = Tensor.of(new float[3 * c], 3 * c).requiresGrad(true);
      Tensor tiny = Tensor.of(tinyf, b, t, c).requiresGrad(true);
      Tensor y = Ops.mul(Ops.gelu(Ops.attention(Ops.layerNorm(x, w, bias, 1e-5f), h, null)), tiny);
      Ops.sum(Ops.mul(y, y)).backward();
      out.add(y.toFloatArray());
      for (Tensor g : new Tensor[] {x, w, bias, tiny}) {
        out.add(g.grad().toFloatArray());
      }
    }
    return out;
  }
}
