package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.nativ.TriadNative.Buffer;
import dev.triad.TriadOutOfMemoryException;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every op of triad.h on CUDA against the CPU reference, on fresh random inputs, in f32 and bf16.
 * Inputs for the CPU are the exact values the GPU holds (bf16-rounded in bf16 mode), so the
 * errors measured are the kernels' own. Error measure: ||gpu - cpu|| / ||cpu|| over the output.
 * Tolerances: f32 1e-5 (attention, which uses fast exp, and layernorm's gradients, which
 * subtract nearly equal terms, 1e-4); bf16 data outputs 1e-2, 2e-2 for sums over many bf16 terms (bf16
 * stores 8 mantissa bits, 2^-9 relative rounding per element; matmul and attention add fp32
 * accumulation order differences); f32 statistics computed from bf16 inputs 1e-4. RNG and
 * sampling must be bit-identical. Every forward output is poisoned with NaN first, so an
 * unwritten element fails.
 *
 * <p>Tagged "gpu": skipped, with the reason, where CUDA is unavailable. Run on a GPU machine with
 * {@code bash .gpu/junit.sh --include-tag gpu}. {@code -Dtriad.parity.target=cpu} runs the same
 * harness CPU-vs-CPU in f32 (to check the test itself on a machine without a GPU).
 */
@Tag("gpu")
class CudaParityTest {
  private static final Device TARGET =
      "cpu".equals(System.getProperty("triad.parity.target")) ? Device.CPU : Device.CUDA;

  @BeforeEach  // per test (not @BeforeAll), so each one is reported skipped with the reason
  void requireCuda() {
    assumeTrue(TARGET.isAvailable(), () -> "CUDA is not available: " + Device.CUDA.unavailabilityCause());
  }

  private static void requireDType(DType dt) {
    assumeTrue(dt == DType.F32 || TARGET == Device.CUDA, "bf16 computes on CUDA only");
  }

  // ---- helpers ----

  private static void check(int status) {
    Status.check(status);
  }

  /** A target-device data tensor holding v (rounded to dt). */
  private static Tensor dev(float[] v, DType dt, long... shape) {
    Tensor f = Tensor.of(v, TARGET, shape);
    if (dt == DType.F32) {
      return f;
    }
    try (Tensor src = f) {
      return src.to(dt);
    }
  }

  private static Tensor devInts(int[] v, long... shape) {
    return Tensor.ofInts(v, TARGET, shape);
  }

  /** The CPU f32 (or i32) copy of a target tensor: exactly the values it holds. */
  private static Tensor cpu(Tensor t) {
    if (t.dtype() == DType.I32) {
      return Tensor.ofInts(t.toIntArray(), Device.CPU, t.shape());
    }
    return Tensor.of(t.toFloatArray(), Device.CPU, t.shape());
  }

  /** A target output poisoned with NaN. */
  private static Tensor poisoned(DType dt, long... shape) {
    return Tensor.full(Float.NaN, dt, TARGET, shape);
  }

  private static Tensor cpuNaN(long... shape) {
    return Tensor.full(Float.NaN, DType.F32, Device.CPU, shape);
  }

  private static double tol(DType dt) {
    return dt == DType.F32 ? 1e-5 : 1e-2;
  }

  private static Buffer b(Tensor t) {
    return t == null ? null : t.buf();
  }

  /** ||got - want|| / ||want|| <= tol, every element finite where want is. */
  private static void close(String what, Tensor want, Tensor got, double tol, Random rng) {
    float[] w = want.toFloatArray();
    float[] g = got.toFloatArray();
    assertEquals(w.length, g.length, what + ": length");
    double num = 0, den = 0;
    int worst = -1;
    double worstErr = -1;
    for (int i = 0; i < w.length; i++) {
      if (Float.isFinite(w[i]) != Float.isFinite(g[i])) {
        fail(what + ": element " + i + " is " + g[i] + ", expected " + w[i] + " (" + rng + ")");
      }
      if (!Float.isFinite(w[i])) {
        continue;
      }
      double d = (double) g[i] - w[i];
      num += d * d;
      den += (double) w[i] * w[i];
      if (Math.abs(d) > worstErr) {
        worstErr = Math.abs(d);
        worst = i;
      }
    }
    double rel = Math.sqrt(num / Math.max(den, 1e-30));
    assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol + "; worst element " + worst
        + (worst >= 0 ? " got " + g[worst] + " want " + w[worst] : "") + " (" + rng + ")");
  }

  private static float[] gaussian(Random rng, long n) {
    return randn(rng, Math.toIntExact(n), 1.0);
  }

  private static int[] ids(Random rng, long n, int limit) {
    int[] a = new int[Math.toIntExact(n)];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextInt(limit);
    }
    return a;
  }

  // ---- infrastructure ----

  @Test
  void availabilityAndLeakFreeBuffers() {
    assertEquals("", TARGET.unavailabilityCause());
    long before = TARGET.liveBytes();
    Random rng = freshRandom();
    float[] v = gaussian(rng, 1000);
    try (Scope s = Scope.open()) {
      Tensor g = dev(v, DType.F32, 1000);
      assertArrayEquals(v, g.toFloatArray());
      Tensor copy = g.to(TARGET);  // device to device
      assertArrayEquals(v, copy.toFloatArray());
      Tensor h = g.to(DType.BF16).to(DType.F32);  // cast on the device matches the CPU cast
      Tensor hc = Tensor.of(v, 1000).to(DType.BF16).to(DType.F32);
      assertArrayEquals(hc.toFloatArray(), h.toFloatArray());
      Tensor filled = Tensor.full(2.5f, DType.BF16, TARGET, 7);
      assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f}, filled.toFloatArray());
    }
    assertEquals(before, TARGET.liveBytes(), "live bytes return to their level");
  }

  @Test
  void outOfMemoryNamesRequestedAndFreeBytes() {
    assumeTrue(TARGET == Device.CUDA, "device memory only");
    TriadOutOfMemoryException e = assertThrows(TriadOutOfMemoryException.class,
        () -> Tensor.unscoped(DType.F32, Device.CUDA, 1L << 42).close());
    assertTrue(e.getMessage().contains("requested") && e.getMessage().contains("free"), e.getMessage());
    check(TriadNative.triad_cuda_synchronize());  // the device is still usable
  }

  @Test
  void badIdsFailWithTheirIndex() {
    Random rng = freshRandom();
    try (Scope s = Scope.open()) {
      Tensor wte = dev(gaussian(rng, 5 * 4), DType.F32, 5, 4);
      Tensor tok = devInts(new int[] {1, 2, 7, 0}, 1, 4);
      Tensor out = poisoned(DType.F32, 1, 4, 4);
      // the CPU fails at the op; CUDA (which reads no ids back) at the next synchronizing call
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
        check(TriadNative.triad_embedding_forward(out.buf(), tok.buf(), null, wte.buf(), null, 1, 4, 4, 5, 1));
        TARGET.synchronize();
      });
      assertTrue(e.getMessage().contains("token id 7 at index 2"), e.getMessage());
      TARGET.synchronize();  // reported once: the device is clean again
    }
  }

  // ---- linear ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void matmulEveryForm(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long[][] shapes = {{2, 67, 45, 131}, {1, 128, 256, 64}, {3, 1, 9, 17}, {1, 200, 136, 40}};
    for (long[] shp : shapes) {
      long batch = shp[0], M = shp[1], N = shp[2], K = shp[3];
      for (int form = 0; form < 8; form++) {
        int ta = form & 1, tb = (form >> 1) & 1, acc = (form >> 2) & 1;
        try (Scope s = Scope.open()) {
          Tensor a = dev(gaussian(rng, batch * M * K), dt, batch * M * K);
          Tensor bm = dev(gaussian(rng, batch * K * N), dt, batch * K * N);
          Tensor bias = dev(gaussian(rng, N), dt, N);
          Tensor out = acc == 1 ? dev(gaussian(rng, batch * M * N), dt, batch * M * N) : poisoned(dt, batch * M * N);
          Tensor cout = acc == 1 ? cpu(out) : cpuNaN(batch * M * N);
          check(TriadNative.triad_matmul(out.buf(), a.buf(), bm.buf(), bias.buf(), batch, M, N, K, ta, tb, acc));
          check(TriadNative.triad_matmul(cout.buf(), cpu(a).buf(), cpu(bm).buf(), cpu(bias).buf(), batch, M, N, K,
              ta, tb, acc));
          close("matmul " + java.util.Arrays.toString(shp) + " ta=" + ta + " tb=" + tb + " acc=" + acc + " " + dt,
              cout, out, tol(dt), rng);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void matmulEpilogues(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long M = 70, N = 96, K = 48;
    for (int epi = 0; epi < 3; epi++) {
      for (int acc = 0; acc < 2; acc++) {
        try (Scope s = Scope.open()) {
          Tensor a = dev(gaussian(rng, M * K), dt, M * K);
          Tensor w = dev(gaussian(rng, N * K), dt, N * K);
          Tensor bias = dev(gaussian(rng, N), dt, N);
          Tensor out = acc == 1 ? dev(gaussian(rng, M * N), dt, M * N) : poisoned(dt, M * N);
          Tensor cout = acc == 1 ? cpu(out) : cpuNaN(M * N);
          Tensor pre = epi == 2 ? dev(gaussian(rng, M * N), dt, M * N) : poisoned(dt, M * N);
          Tensor cpre = epi == 2 ? cpu(pre) : cpuNaN(M * N);
          check(TriadNative.triad_matmul_epilogue(out.buf(), pre.buf(), a.buf(), w.buf(), bias.buf(), 1, M, N, K,
              0, 1, acc, epi));
          check(TriadNative.triad_matmul_epilogue(cout.buf(), cpre.buf(), cpu(a).buf(), cpu(w).buf(),
              cpu(bias).buf(), 1, M, N, K, 0, 1, acc, epi));
          close("matmul_epilogue " + epi + " acc=" + acc + " " + dt, cout, out, tol(dt), rng);
          if (epi == 1) {
            close("matmul_epilogue pre " + dt, cpre, pre, tol(dt), rng);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void biasBackward(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long M = 3000, N = 77;
    try (Scope s = Scope.open()) {
      Tensor dout = dev(gaussian(rng, M * N), dt, M * N);
      Tensor db = dev(gaussian(rng, N), dt, N);
      Tensor cdb = cpu(db);
      check(TriadNative.triad_bias_backward(db.buf(), dout.buf(), M, N));
      check(TriadNative.triad_bias_backward(cdb.buf(), cpu(dout).buf(), M, N));
      close("bias_backward " + dt, cdb, db, tol(dt), rng);
    }
  }

  // ---- embedding, layernorm, gelu ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void embedding(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long B = 3, T = 17, C = 40, V = 11, P = 20;
    for (boolean explicitPos : new boolean[] {false, true}) {
      try (Scope s = Scope.open()) {
        Tensor tok = devInts(ids(rng, B * T, (int) V), B, T);
        Tensor pos = explicitPos ? devInts(ids(rng, B * T, (int) P), B, T) : null;
        Tensor wte = dev(gaussian(rng, V * C), dt, V * C);
        Tensor wpe = dev(gaussian(rng, P * C), dt, P * C);
        Tensor out = poisoned(dt, B * T * C);
        Tensor cout = cpuNaN(B * T * C);
        Tensor cpos = pos == null ? null : cpu(pos);
        check(TriadNative.triad_embedding_forward(out.buf(), tok.buf(), b(pos), wte.buf(), wpe.buf(), B, T, C, V, P));
        check(TriadNative.triad_embedding_forward(cout.buf(), cpu(tok).buf(), b(cpos), cpu(wte).buf(), cpu(wpe).buf(),
            B, T, C, V, P));
        close("embedding_forward " + dt, cout, out, tol(dt), rng);

        Tensor dout = dev(gaussian(rng, B * T * C), dt, B * T * C);
        Tensor dwte = dev(gaussian(rng, V * C), dt, V * C);
        Tensor dwpe = dev(gaussian(rng, P * C), dt, P * C);
        Tensor cdwte = cpu(dwte), cdwpe = cpu(dwpe);
        check(TriadNative.triad_embedding_backward(dwte.buf(), dwpe.buf(), dout.buf(), tok.buf(), b(pos), B, T, C, V, P));
        check(TriadNative.triad_embedding_backward(cdwte.buf(), cdwpe.buf(), cpu(dout).buf(), cpu(tok).buf(), b(cpos),
            B, T, C, V, P));
        close("embedding_backward dwte " + dt, cdwte, dwte, 2 * tol(dt), rng);
        close("embedding_backward dwpe " + dt, cdwpe, dwpe, 2 * tol(dt), rng);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void layernorm(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long N = 301, C = 96;
    try (Scope s = Scope.open()) {
      float[] xv = gaussian(rng, N * C);
      for (int i = 0; i < xv.length; i++) {
        xv[i] = xv[i] * 2 + 3;  // a non-zero mean
      }
      Tensor x = dev(xv, dt, N * C);
      Tensor w = dev(gaussian(rng, C), dt, C);
      Tensor bias = dev(gaussian(rng, C), dt, C);
      Tensor out = poisoned(dt, N * C);
      Tensor mean = poisoned(DType.F32, N), rstd = poisoned(DType.F32, N);
      Tensor cout = cpuNaN(N * C), cmean = cpuNaN(N), crstd = cpuNaN(N);
      Tensor cx = cpu(x), cw = cpu(w);
      check(TriadNative.triad_layernorm_forward(out.buf(), mean.buf(), rstd.buf(), x.buf(), w.buf(), bias.buf(), N, C, 1e-5f));
      check(TriadNative.triad_layernorm_forward(cout.buf(), cmean.buf(), crstd.buf(), cx.buf(), cw.buf(), cpu(bias).buf(),
          N, C, 1e-5f));
      close("layernorm out " + dt, cout, out, tol(dt), rng);
      close("layernorm mean " + dt, cmean, mean, 1e-5, rng);
      close("layernorm rstd " + dt, crstd, rstd, 1e-5, rng);

      Tensor dout = dev(gaussian(rng, N * C), dt, N * C);
      Tensor dx = dev(gaussian(rng, N * C), dt, N * C);
      Tensor dw = dev(gaussian(rng, C), dt, C);
      Tensor db = dev(gaussian(rng, C), dt, C);
      Tensor cdx = cpu(dx), cdw = cpu(dw), cdb = cpu(db);
      check(TriadNative.triad_layernorm_backward(dx.buf(), dw.buf(), db.buf(), dout.buf(), x.buf(), w.buf(),
          mean.buf(), rstd.buf(), N, C));
      check(TriadNative.triad_layernorm_backward(cdx.buf(), cdw.buf(), cdb.buf(), cpu(dout).buf(), cx.buf(), cw.buf(),
          cmean.buf(), crstd.buf(), N, C));
      // dx and dweight subtract nearly equal terms: 1e-4 in f32; bf16 storage 2e-2
      double tg = dt == DType.F32 ? 1e-4 : 2e-2;
      close("layernorm dx " + dt, cdx, dx, tg, rng);
      close("layernorm dweight " + dt, cdw, dw, tg, rng);
      close("layernorm dbias " + dt, cdb, db, tol(dt), rng);
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void gelu(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long n = 10007;
    try (Scope s = Scope.open()) {
      Tensor x = dev(randn(rng, (int) n, 3.0), dt, n);
      Tensor out = poisoned(dt, n);
      Tensor cout = cpuNaN(n);
      check(TriadNative.triad_gelu_forward(out.buf(), x.buf(), n));
      check(TriadNative.triad_gelu_forward(cout.buf(), cpu(x).buf(), n));
      close("gelu_forward " + dt, cout, out, tol(dt), rng);
      Tensor dout = dev(gaussian(rng, n), dt, n);
      Tensor dx = dev(gaussian(rng, n), dt, n);
      Tensor cdx = cpu(dx);
      check(TriadNative.triad_gelu_backward(dx.buf(), dout.buf(), x.buf(), n));
      check(TriadNative.triad_gelu_backward(cdx.buf(), cpu(dout).buf(), cpu(x).buf(), n));
      close("gelu_backward " + dt, cdx, dx, tol(dt), rng);
    }
  }

  // ---- attention ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void attention(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long[][] shapes = {{2, 70, 3, 64}, {1, 45, 2, 128}, {2, 33, 2, 40}, {1, 20, 1, 200}};
    for (long[] shp : shapes) {
      for (boolean docs : new boolean[] {false, true}) {
        long B = shp[0], T = shp[1], H = shp[2], D = shp[3];
        String what = "attention " + java.util.Arrays.toString(shp) + (docs ? " docs " : " ") + dt;
        try (Scope s = Scope.open()) {
          Tensor qkv = dev(gaussian(rng, B * T * 3 * H * D), dt, B * T * 3 * H * D);
          Tensor doc = null;
          if (docs) {
            int[] d = new int[(int) (B * T)];
            for (int bb = 0; bb < B; bb++) {
              int id = 0;
              for (int t = 0; t < T; t++) {
                if (t > 0 && rng.nextInt(12) == 0) {
                  id++;
                }
                d[(int) (bb * T + t)] = id;
              }
            }
            doc = devInts(d, B, T);
          }
          Tensor cdoc = doc == null ? null : cpu(doc);
          Tensor cqkv = cpu(qkv);
          Tensor out = poisoned(dt, B * T * H * D), lse = poisoned(DType.F32, B * H * T);
          Tensor cout = cpuNaN(B * T * H * D), clse = cpuNaN(B * H * T);
          check(TriadNative.triad_attention_forward(out.buf(), lse.buf(), qkv.buf(), b(doc), B, T, H, D));
          check(TriadNative.triad_attention_forward(cout.buf(), clse.buf(), cqkv.buf(), b(cdoc), B, T, H, D));
          double t = dt == DType.F32 ? 1e-4 : 1e-2;
          close(what + " out", cout, out, t, rng);
          close(what + " lse", clse, lse, 1e-4, rng);

          Tensor dout = dev(gaussian(rng, B * T * H * D), dt, B * T * H * D);
          Tensor dqkv = dev(gaussian(rng, B * T * 3 * H * D), dt, B * T * 3 * H * D);
          Tensor cdqkv = cpu(dqkv);
          // the CPU backward gets the GPU's own forward output (rounded as stored) and lse
          check(TriadNative.triad_attention_backward(dqkv.buf(), dout.buf(), qkv.buf(), out.buf(), lse.buf(), b(doc),
              B, T, H, D));
          check(TriadNative.triad_attention_backward(cdqkv.buf(), cpu(dout).buf(), cqkv.buf(), cpu(out).buf(),
              cpu(lse).buf(), b(cdoc), B, T, H, D));
          close(what + " dqkv", cdqkv, dqkv, t, rng);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void attentionDecode(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long B = 2, Tn = 3, past = 150, Tmax = 160, H = 2, D = 64;
    try (Scope s = Scope.open()) {
      Tensor kc = dev(gaussian(rng, B * Tmax * H * D), dt, B * Tmax * H * D);
      Tensor vc = dev(gaussian(rng, B * Tmax * H * D), dt, B * Tmax * H * D);
      Tensor ckc = cpu(kc), cvc = cpu(vc);
      Tensor qkv = dev(gaussian(rng, B * Tn * 3 * H * D), dt, B * Tn * 3 * H * D);
      Tensor start = devInts(new int[] {0, 7}, B);
      Tensor out = poisoned(dt, B * Tn * H * D);
      Tensor cout = cpuNaN(B * Tn * H * D);
      check(TriadNative.triad_attention_decode(out.buf(), kc.buf(), vc.buf(), qkv.buf(), start.buf(), B, Tn, past,
          Tmax, H, D));
      check(TriadNative.triad_attention_decode(cout.buf(), ckc.buf(), cvc.buf(), cpu(qkv).buf(), cpu(start).buf(), B,
          Tn, past, Tmax, H, D));
      close("attention_decode out " + dt, cout, out, dt == DType.F32 ? 1e-4 : 1e-2, rng);
      close("attention_decode kcache " + dt, ckc, kc, 0, rng);
      close("attention_decode vcache " + dt, cvc, vc, 0, rng);
    }
  }

  // ---- classifier ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void crossEntropy(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long N = 37, V = 5000, vReal = 4903;
    int ignore = -100;
    try (Scope s = Scope.open()) {
      Tensor logits = dev(randn(rng, (int) (N * V), 3.0), dt, N * V);
      int[] tv = ids(rng, N, (int) vReal);
      tv[3] = ignore;
      tv[20] = ignore;
      Tensor targets = devInts(tv, N);
      Tensor weights = dev(uniform(rng, (int) N, -1, 2), DType.F32, N);
      Tensor loss = poisoned(DType.F32, N), lp = poisoned(DType.F32, N), lse = poisoned(DType.F32, N);
      Tensor closs = cpuNaN(N), clp = cpuNaN(N), clse = cpuNaN(N);
      Tensor clogits = cpu(logits), ct = cpu(targets), cw = cpu(weights);
      check(TriadNative.triad_cross_entropy_forward(loss.buf(), lp.buf(), lse.buf(), logits.buf(), targets.buf(),
          weights.buf(), N, V, vReal, ignore));
      check(TriadNative.triad_cross_entropy_forward(closs.buf(), clp.buf(), clse.buf(), clogits.buf(), ct.buf(),
          cw.buf(), N, V, vReal, ignore));
      close("cross_entropy loss " + dt, closs, loss, 1e-5, rng);
      close("cross_entropy logprob " + dt, clp, lp, 1e-5, rng);
      close("cross_entropy lse " + dt, clse, lse, 1e-5, rng);

      Tensor dloss = dev(gaussian(rng, N), DType.F32, N), dlp = dev(gaussian(rng, N), DType.F32, N);
      Tensor dlogits = dev(gaussian(rng, N * V), dt, N * V);
      Tensor cdlogits = cpu(dlogits);
      check(TriadNative.triad_cross_entropy_backward(dlogits.buf(), dloss.buf(), dlp.buf(), logits.buf(),
          targets.buf(), weights.buf(), lse.buf(), N, V, vReal, ignore));
      check(TriadNative.triad_cross_entropy_backward(cdlogits.buf(), cpu(dloss).buf(), cpu(dlp).buf(), clogits.buf(),
          ct.buf(), cw.buf(), cpu(lse).buf(), N, V, vReal, ignore));
      close("cross_entropy dlogits " + dt, cdlogits, dlogits, tol(dt), rng);
    }
  }

  // ---- elementwise ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void unaryOps(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long n = 4099;
    for (int op = 0; op < 8; op++) {
      try (Scope s = Scope.open()) {
        boolean positive = op == TriadNative.TRIAD_UNARY_LOG || op == TriadNative.TRIAD_UNARY_SQRT;
        Tensor x = dev(positive ? uniform(rng, (int) n, 0.1, 4) : randn(rng, (int) n, 2.0), dt, n);
        float p0 = op == TriadNative.TRIAD_UNARY_CLAMP ? -0.5f : 1.5f;
        float p1 = op == TriadNative.TRIAD_UNARY_CLAMP ? 0.75f : -0.25f;
        Tensor out = poisoned(dt, n);
        Tensor cout = cpuNaN(n);
        check(TriadNative.triad_unary_forward(op, out.buf(), x.buf(), n, p0, p1));
        check(TriadNative.triad_unary_forward(op, cout.buf(), cpu(x).buf(), n, p0, p1));
        close("unary_forward " + op + " " + dt, cout, out, tol(dt), rng);
        Tensor dout = dev(gaussian(rng, n), dt, n);
        Tensor dx = dev(gaussian(rng, n), dt, n);
        Tensor cdx = cpu(dx);
        check(TriadNative.triad_unary_backward(op, dx.buf(), dout.buf(), x.buf(), out.buf(), n, p0, p1));
        check(TriadNative.triad_unary_backward(op, cdx.buf(), cpu(dout).buf(), cpu(x).buf(), cpu(out).buf(), n, p0, p1));
        close("unary_backward " + op + " " + dt, cdx, dx, tol(dt), rng);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void binaryOpsAndWhere(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long na = 3000, nb = 120;
    for (int op = 0; op < 8; op++) {
      for (long bn : new long[] {nb, na}) {
        try (Scope s = Scope.open()) {
          Tensor a = dev(gaussian(rng, na), dt, na);
          float[] bv = gaussian(rng, bn);
          if (op == TriadNative.TRIAD_BINARY_DIV) {
            for (int i = 0; i < bv.length; i++) {
              bv[i] = bv[i] >= 0 ? bv[i] + 0.5f : bv[i] - 0.5f;
            }
          }
          Tensor bt = dev(bv, dt, bn);
          Tensor out = poisoned(dt, na);
          Tensor cout = cpuNaN(na);
          Tensor ca = cpu(a), cb = cpu(bt);
          check(TriadNative.triad_binary_forward(op, out.buf(), a.buf(), bt.buf(), na, bn));
          check(TriadNative.triad_binary_forward(op, cout.buf(), ca.buf(), cb.buf(), na, bn));
          close("binary_forward " + op + " nb=" + bn + " " + dt, cout, out, tol(dt), rng);
          Tensor dout = dev(gaussian(rng, na), dt, na);
          Tensor da = dev(gaussian(rng, na), dt, na), db = dev(gaussian(rng, bn), dt, bn);
          Tensor cda = cpu(da), cdb = cpu(db);
          check(TriadNative.triad_binary_backward(op, da.buf(), db.buf(), dout.buf(), a.buf(), bt.buf(), na, bn));
          check(TriadNative.triad_binary_backward(op, cda.buf(), cdb.buf(), cpu(dout).buf(), ca.buf(), cb.buf(), na, bn));
          close("binary_backward da " + op + " nb=" + bn + " " + dt, cda, da, tol(dt), rng);
          close("binary_backward db " + op + " nb=" + bn + " " + dt, cdb, db, 2 * tol(dt), rng);
        }
      }
    }
    long n = 999;
    try (Scope s = Scope.open()) {
      float[] cv = new float[(int) n];
      for (int i = 0; i < cv.length; i++) {
        cv[i] = rng.nextBoolean() ? 1 : 0;
      }
      Tensor cond = dev(cv, dt, n), a = dev(gaussian(rng, n), dt, n), bt = dev(gaussian(rng, n), dt, n);
      Tensor out = poisoned(dt, n);
      Tensor cout = cpuNaN(n);
      check(TriadNative.triad_where_forward(out.buf(), cond.buf(), a.buf(), bt.buf(), n));
      check(TriadNative.triad_where_forward(cout.buf(), cpu(cond).buf(), cpu(a).buf(), cpu(bt).buf(), n));
      close("where_forward " + dt, cout, out, 0, rng);
      Tensor dout = dev(gaussian(rng, n), dt, n);
      Tensor da = dev(gaussian(rng, n), dt, n), db = dev(gaussian(rng, n), dt, n);
      Tensor cda = cpu(da), cdb = cpu(db);
      check(TriadNative.triad_where_backward(da.buf(), db.buf(), dout.buf(), cond.buf(), n));
      check(TriadNative.triad_where_backward(cda.buf(), cdb.buf(), cpu(dout).buf(), cpu(cond).buf(), n));
      close("where_backward da " + dt, cda, da, tol(dt), rng);
      close("where_backward db " + dt, cdb, db, tol(dt), rng);
    }
  }

  // ---- reductions, gather, log-softmax ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void reductions(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long[][] shapes = {{3, 1000, 1}, {4, 50, 33}, {1, 7, 500}};
    for (long[] shp : shapes) {
      for (int op = 0; op < 2; op++) {
        long outer = shp[0], dim = shp[1], inner = shp[2];
        try (Scope s = Scope.open()) {
          Tensor x = dev(gaussian(rng, outer * dim * inner), dt, outer * dim * inner);
          Tensor out = poisoned(dt, outer * inner);
          Tensor cout = cpuNaN(outer * inner);
          check(TriadNative.triad_reduce_forward(op, out.buf(), x.buf(), outer, dim, inner));
          check(TriadNative.triad_reduce_forward(op, cout.buf(), cpu(x).buf(), outer, dim, inner));
          close("reduce_forward " + op + " " + java.util.Arrays.toString(shp) + " " + dt, cout, out, tol(dt), rng);
          Tensor dout = dev(gaussian(rng, outer * inner), dt, outer * inner);
          Tensor dx = dev(gaussian(rng, outer * dim * inner), dt, outer * dim * inner);
          Tensor cdx = cpu(dx);
          check(TriadNative.triad_reduce_backward(op, dx.buf(), dout.buf(), outer, dim, inner));
          check(TriadNative.triad_reduce_backward(op, cdx.buf(), cpu(dout).buf(), outer, dim, inner));
          close("reduce_backward " + op + " " + dt, cdx, dx, tol(dt), rng);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void gatherAndLogSoftmax(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long N = 23, V = 1031;
    try (Scope s = Scope.open()) {
      Tensor x = dev(randn(rng, (int) (N * V), 2.0), dt, N * V);
      Tensor cx = cpu(x);
      Tensor idx = devInts(ids(rng, N, (int) V), N);
      Tensor out = poisoned(dt, N);
      Tensor cout = cpuNaN(N);
      check(TriadNative.triad_gather_forward(out.buf(), x.buf(), idx.buf(), N, V));
      check(TriadNative.triad_gather_forward(cout.buf(), cx.buf(), cpu(idx).buf(), N, V));
      close("gather_forward " + dt, cout, out, 0, rng);
      Tensor dout = dev(gaussian(rng, N), dt, N);
      Tensor dx = dev(gaussian(rng, N * V), dt, N * V);
      Tensor cdx = cpu(dx);
      check(TriadNative.triad_gather_backward(dx.buf(), dout.buf(), idx.buf(), N, V));
      check(TriadNative.triad_gather_backward(cdx.buf(), cpu(dout).buf(), cpu(idx).buf(), N, V));
      close("gather_backward " + dt, cdx, dx, tol(dt), rng);

      Tensor ls = poisoned(dt, N * V);
      Tensor cls = cpuNaN(N * V);
      check(TriadNative.triad_log_softmax_forward(ls.buf(), x.buf(), N, V));
      check(TriadNative.triad_log_softmax_forward(cls.buf(), cx.buf(), N, V));
      close("log_softmax_forward " + dt, cls, ls, tol(dt), rng);
      Tensor g = dev(gaussian(rng, N * V), dt, N * V);
      Tensor d2 = dev(gaussian(rng, N * V), dt, N * V);
      Tensor cd2 = cpu(d2);
      check(TriadNative.triad_log_softmax_backward(d2.buf(), g.buf(), ls.buf(), N, V));
      check(TriadNative.triad_log_softmax_backward(cd2.buf(), cpu(g).buf(), cpu(ls).buf(), N, V));
      close("log_softmax_backward " + dt, cd2, d2, tol(dt), rng);
    }
  }

  // ---- optimizer ----

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void adamwAndSumSquares(DType dt) {
    requireDType(dt);
    for (long n : new long[] {200003, 65536}) {  // scalar kernel (n % 4 != 0) and the vectorized one
      adamwAndSumSquares(dt, n);
    }
  }

  private void adamwAndSumSquares(DType dt, long n) {
    Random rng = freshRandom();
    try (Scope s = Scope.open(); TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      p.lr(1e-3f).beta1(0.9f).beta2(0.95f).eps(1e-8f).weight_decay(0.1f).grad_scale(0.7f).step(3);
      Tensor param = dev(gaussian(rng, n), DType.F32, n);
      Tensor grad = dev(gaussian(rng, n), dt, n);
      Tensor m = dev(randn(rng, (int) n, 0.1), DType.F32, n);
      Tensor v = dev(uniform(rng, (int) n, 0, 0.01), DType.F32, n);
      Tensor copy = poisoned(dt, n);
      Tensor cparam = cpu(param), cm = cpu(m), cv = cpu(v), cgrad = cpu(grad);
      check(TriadNative.triad_adamw_step_copy(param.buf(), grad.buf(), m.buf(), v.buf(), copy.buf(), n, p));
      check(TriadNative.triad_adamw_step(cparam.buf(), cgrad.buf(), cm.buf(), cv.buf(), n, p));
      close("adamw param n=" + n + " " + dt, cparam, param, 1e-6, rng);
      close("adamw m " + dt, cm, m, 1e-6, rng);
      close("adamw v " + dt, cv, v, 1e-6, rng);
      close("adamw copy n=" + n + " " + dt, cparam, copy, dt == DType.F32 ? 1e-6 : 1e-2, rng);

      Tensor acc = dev(new float[] {1.25f}, DType.F32, 1);
      Tensor cacc = cpu(acc);
      check(TriadNative.triad_sum_squares(acc.buf(), grad.buf(), n));
      check(TriadNative.triad_sum_squares(cacc.buf(), cgrad.buf(), n));
      close("sum_squares " + dt, cacc, acc, 1e-6, rng);
    }
  }

  // ---- RNG and sampling: bit for bit ----

  @Test
  void rngMatchesCpuExactly() {
    Random rng = freshRandom();
    long n = 100001, seed = rng.nextLong(), offset = rng.nextInt(1000);
    try (Scope s = Scope.open()) {
      Tensor u = poisoned(DType.F32, n), cu = cpuNaN(n);
      check(TriadNative.triad_rng_uniform(u.buf(), n, seed, offset, -2f, 3f));
      check(TriadNative.triad_rng_uniform(cu.buf(), n, seed, offset, -2f, 3f));
      assertArrayEquals(cu.toFloatArray(), u.toFloatArray(), "uniform (" + rng + ")");
      Tensor g = poisoned(DType.F32, n), cg = cpuNaN(n);
      check(TriadNative.triad_rng_normal(g.buf(), n, seed, offset, 0.5f, 2f));
      check(TriadNative.triad_rng_normal(cg.buf(), n, seed, offset, 0.5f, 2f));
      assertArrayEquals(cg.toFloatArray(), g.toFloatArray(), "normal (" + rng + ")");
      if (TARGET == Device.CUDA) {  // bf16 output = the f32 values rounded
        Tensor gb = poisoned(DType.BF16, n);
        check(TriadNative.triad_rng_normal(gb.buf(), n, seed, offset, 0.5f, 2f));
        assertArrayEquals(cg.to(DType.BF16).toFloatArray(), gb.toFloatArray(), "normal bf16 (" + rng + ")");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void sampleMatchesCpuExactly(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long N = 9, V = 3000, vReal = 2990;
    float[][] settings = {{0f, 0, 1f}, {1f, 0, 1f}, {0.8f, 40, 1f}, {1.2f, 0, 0.9f}, {0.7f, 100, 0.5f}};
    try (Scope s = Scope.open()) {
      Tensor logits = dev(randn(rng, (int) (N * V), 2.0), dt, N * V);
      Tensor cl = cpu(logits);
      for (float[] st : settings) {
        long seed = rng.nextLong();
        Tensor out = Tensor.full(-1, DType.I32, TARGET, N);
        Tensor cout = Tensor.full(-1, DType.I32, Device.CPU, N);
        check(TriadNative.triad_sample(out.buf(), logits.buf(), N, V, vReal, st[0], (int) st[1], st[2], seed, 5));
        check(TriadNative.triad_sample(cout.buf(), cl.buf(), N, V, vReal, st[0], (int) st[1], st[2], seed, 5));
        assertArrayEquals(cout.toIntArray(), out.toIntArray(),
            "sample t=" + st[0] + " k=" + st[1] + " p=" + st[2] + " " + dt + " (" + rng + ")");
      }
    }
  }
}
