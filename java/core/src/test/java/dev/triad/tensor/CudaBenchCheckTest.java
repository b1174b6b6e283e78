package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * CudaBench's output checks (which run on the GPU machine only) on the CPU: each accepts a correct
 * result computed by the CPU backend and rejects a wrong one, so a fast wrong kernel cannot pass.
 */
class CudaBenchCheckTest {
  @Test
  void gemmCheckAcceptsTheProductAndRejectsAWrongOne() {
    Random rng = freshRandom();
    int n = 96;
    float[] a = randn(rng, n * n, 1.0), b = randn(rng, n * n, 1.0);
    int[][] forms = {{0, 0}, {0, 1}, {1, 0}};
    for (int[] f : forms) {
      try (Scope s = Scope.open()) {
        Tensor c = Tensor.zeros(DType.F32, Device.CPU, (long) n * n);
        Status.check(TriadNative.triad_matmul(c.buf(), Tensor.of(a, (long) n * n).buf(), Tensor.of(b, (long) n * n).buf(),
            null, 1, n, n, n, f[0], f[1], 0));
        float[] good = c.toFloatArray();
        assertTrue(CudaBench.checkGemm("test", good, a, b, n, f[0], f[1]), "correct product, form " + f[0] + f[1]);
        float[] scaled = good.clone();
        for (int i = 0; i < scaled.length; i++) {
          scaled[i] *= 1.05f;
        }
        assertFalse(CudaBench.checkGemm("test", scaled, a, b, n, f[0], f[1]), "5% off (" + rng + ")");
        float[] other = good.clone();
        other[n * n - 1] = Float.NaN;  // a corner: always sampled
        assertFalse(CudaBench.checkGemm("test", other, a, b, n, f[0], f[1]), "an unwritten element");
      }
      // the wrong transpose form
      assertFalse(CudaBench.checkGemm("test", product(a, b, n), a, b, n, 1, 1), "a different form");
    }
  }

  private static float[] product(float[] a, float[] b, int n) {
    try (Scope s = Scope.open()) {
      Tensor c = Tensor.zeros(DType.F32, Device.CPU, (long) n * n);
      Status.check(TriadNative.triad_matmul(c.buf(), Tensor.of(a, (long) n * n).buf(), Tensor.of(b, (long) n * n).buf(),
          null, 1, n, n, n, 0, 0, 0));
      return c.toFloatArray();
    }
  }

  @Test
  void attentionCheckAcceptsTheCpuResultAndRejectsAWrongOne() {
    Random rng = freshRandom();
    int B = 2, H = 3, T = 70, D = 64;
    long qn = (long) B * T * 3 * H * D, on = (long) B * T * H * D;
    try (Scope s = Scope.open()) {
      float[] qkv = randn(rng, (int) qn, 1.0), dout = randn(rng, (int) on, 1.0);
      Tensor q = Tensor.of(qkv, qn), out = Tensor.zeros(DType.F32, Device.CPU, on);
      Tensor lse = Tensor.zeros(DType.F32, Device.CPU, (long) B * H * T);
      Tensor dq = Tensor.zeros(DType.F32, Device.CPU, qn);
      Status.check(TriadNative.triad_attention_forward(out.buf(), lse.buf(), q.buf(), null, B, T, H, D));
      Status.check(TriadNative.triad_attention_backward(dq.buf(), Tensor.of(dout, on).buf(), q.buf(), out.buf(),
          lse.buf(), null, B, T, H, D));
      float[] o = out.toFloatArray(), l = lse.toFloatArray(), g = dq.toFloatArray();
      assertTrue(CudaBench.checkAttention("test", B, H, T, D, qkv, o, l, dout, g));
      float[] wrongOut = o.clone();
      wrongOut[wrongOut.length - 5] += 3f;  // in the last (batch, head), which is the one checked
      assertFalse(CudaBench.checkAttention("test", B, H, T, D, qkv, wrongOut, l, dout, g));
      float[] wrongGrad = g.clone();
      // the checked (last batch, last head) gradient 10% too large everywhere, as a missing scale would
      // make it: a relative error of exactly 0.1 whatever the data (zeroing one token's gradient, as
      // before, could fall under the 2e-2 tolerance when that token's gradient happened to be small)
      for (int t = 0; t < T; t++) {
        for (int part = 0; part < 3; part++) {
          int at = (((B - 1) * T + t) * 3 + part) * H * D + (H - 1) * D;
          for (int i = at; i < at + D; i++) {
            wrongGrad[i] *= 1.1f;
          }
        }
      }
      assertFalse(CudaBench.checkAttention("test", B, H, T, D, qkv, o, l, dout, wrongGrad), "(" + rng + ")");
    }
  }

  @Test
  void adamwCheckAcceptsTheCpuStep() {
    long n = 20011;
    try (Scope s = Scope.open(); TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      p.lr(1e-3f).beta1(0.9f).beta2(0.95f).eps(1e-8f).weight_decay(0.1f).grad_scale(1f).step(3);
      Random rng = freshRandom();
      Tensor param = Tensor.of(randn(rng, (int) n, 1.0), n), grad = Tensor.of(randn(rng, (int) n, 1.0), n);
      Tensor m = Tensor.full(0.01f, DType.F32, Device.CPU, n), v = Tensor.full(0.02f, DType.F32, Device.CPU, n);
      assertTrue(CudaBench.checkAdamw("test", p, param, grad, m, v, null));
    }
  }
}
