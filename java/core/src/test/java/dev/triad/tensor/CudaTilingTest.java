package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CUDA kernels at sizes where their pipelines wrap around, which CudaParityTest's small shapes
 * do not reach: GEMM with 16 and more K-tiles (K = 520, 768 at 32 per tile) on the 16-byte
 * cp.async path (M, N, K multiples of 8) in every transpose form, so the shared-memory ring is
 * reused many times; attention with T >= 300 (5 key tiles of 64, the last one partial) at D = 64
 * and 128, with and without document ids, forward and backward.
 *
 * <p>Reference: the CPU backend in f32 on exactly the values the GPU holds (bf16-rounded in bf16
 * mode). Error: ||gpu - cpu|| / ||cpu||. Tolerances as in CudaParityTest: bf16 outputs 1e-2
 * (8-bit mantissa, 2^-9 rounding per stored element; fp32 accumulation order), attention dqkv
 * 2e-2 (sums over T terms), lse 1e-4; f32 1e-5 (GEMM) and 1e-4 (attention, fast exp). Outputs are
 * poisoned with NaN first, so an unwritten element fails.
 *
 * <p>Tagged "gpu". {@code -Dtriad.parity.target=cpu} runs the f32 cases CPU against CPU (to check
 * the test itself without a GPU).
 */
@Tag("gpu")
class CudaTilingTest {
  private static final Device TARGET =
      "cpu".equals(System.getProperty("triad.parity.target")) ? Device.CPU : Device.CUDA;

  @BeforeEach
  void requireCuda() {
    assumeTrue(TARGET.isAvailable(), () -> "CUDA is not available: " + Device.CUDA.unavailabilityCause());
  }

  private static void requireDType(DType dt) {
    assumeTrue(dt == DType.F32 || TARGET == Device.CUDA, "bf16 computes on CUDA only");
  }

  private static void check(int status) {
    Status.check(status);
  }

  /** A target tensor holding v rounded to dt. */
  private static Tensor dev(float[] v, DType dt, long n) {
    Tensor f = Tensor.of(v, TARGET, n);
    if (dt == DType.F32) {
      return f;
    }
    try (Tensor src = f) {
      return src.to(dt);
    }
  }

  /** The CPU f32 copy of a target tensor: exactly the values it holds. */
  private static Tensor cpu(Tensor t) {
    if (t.dtype() == DType.I32) {
      return Tensor.ofInts(t.toIntArray(), Device.CPU, t.shape());
    }
    return Tensor.of(t.toFloatArray(), Device.CPU, t.shape());
  }

  private static void close(String what, Tensor want, Tensor got, double tol, Random rng) {
    float[] w = want.toFloatArray();
    float[] g = got.toFloatArray();
    assertEquals(w.length, g.length, what + ": length");
    double num = 0, den = 0;
    for (int i = 0; i < w.length; i++) {
      if (!Float.isFinite(g[i])) {
        fail(what + ": element " + i + " is " + g[i] + ", expected " + w[i] + " (" + rng + ")");
      }
      double d = (double) g[i] - w[i];
      num += d * d;
      den += (double) w[i] * w[i];
    }
    double rel = Math.sqrt(num / Math.max(den, 1e-30));
    assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol + " (" + rng + ")");
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void matmulManyKTilesEveryForm(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    // batch x M x N x K; K / 32 = 24 and 16.25 tiles (the second ends in a partial tile)
    long[][] shapes = {{1, 256, 384, 768}, {2, 192, 264, 520}};
    for (long[] shp : shapes) {
      long batch = shp[0], M = shp[1], N = shp[2], K = shp[3];
      for (int form = 0; form < 4; form++) {
        int ta = form & 1, tb = (form >> 1) & 1;
        int acc = form == 3 ? 1 : 0;  // one form also adds into its output
        try (Scope s = Scope.open()) {
          Tensor a = dev(randn(rng, (int) (batch * M * K), 1.0), dt, batch * M * K);
          Tensor b = dev(randn(rng, (int) (batch * K * N), 1.0), dt, batch * K * N);
          Tensor bias = form == 1 ? dev(randn(rng, (int) N, 1.0), dt, N) : null;
          Tensor out = acc == 1 ? dev(randn(rng, (int) (batch * M * N), 1.0), dt, batch * M * N)
              : Tensor.full(Float.NaN, dt, TARGET, batch * M * N);
          Tensor cout = acc == 1 ? cpu(out) : Tensor.full(Float.NaN, DType.F32, Device.CPU, batch * M * N);
          Tensor cbias = bias == null ? null : cpu(bias);
          check(TriadNative.triad_matmul(out.buf(), a.buf(), b.buf(), bias == null ? null : bias.buf(), batch, M, N,
              K, ta, tb, acc));
          check(TriadNative.triad_matmul(cout.buf(), cpu(a).buf(), cpu(b).buf(), cbias == null ? null : cbias.buf(),
              batch, M, N, K, ta, tb, acc));
          close("matmul " + Arrays.toString(shp) + " ta=" + ta + " tb=" + tb + " acc=" + acc + " " + dt, cout, out,
              dt == DType.F32 ? 1e-5 : 1e-2, rng);
        }
      }
    }
  }

  /** Document ids for B rows of T: long documents (a boundary every ~120 tokens), so each spans tiles. */
  private static int[] documents(Random rng, long B, long T) {
    int[] d = new int[(int) (B * T)];
    for (int bb = 0; bb < B; bb++) {
      int id = 0;
      for (int t = 0; t < T; t++) {
        if (t > 0 && rng.nextInt(120) == 0) {
          id++;
        }
        d[(int) (bb * T + t)] = id;
      }
    }
    return d;
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"F32", "BF16"})
  void attentionManyKeyTiles(DType dt) {
    requireDType(dt);
    Random rng = freshRandom();
    long[][] shapes = {{2, 320, 2, 64}, {1, 300, 2, 128}};  // B, T, H, D
    for (long[] shp : shapes) {
      for (boolean docs : new boolean[] {false, true}) {
        long B = shp[0], T = shp[1], H = shp[2], D = shp[3];
        String what = "attention " + Arrays.toString(shp) + (docs ? " docs " : " ") + dt;
        try (Scope s = Scope.open()) {
          Tensor qkv = dev(randn(rng, (int) (B * T * 3 * H * D), 1.0), dt, B * T * 3 * H * D);
          Tensor doc = docs ? Tensor.ofInts(documents(rng, B, T), TARGET, B, T) : null;
          Tensor cdoc = doc == null ? null : cpu(doc);
          Tensor cqkv = cpu(qkv);
          Tensor out = Tensor.full(Float.NaN, dt, TARGET, B * T * H * D);
          Tensor lse = Tensor.full(Float.NaN, DType.F32, TARGET, B * H * T);
          Tensor cout = Tensor.full(Float.NaN, DType.F32, Device.CPU, B * T * H * D);
          Tensor clse = Tensor.full(Float.NaN, DType.F32, Device.CPU, B * H * T);
          check(TriadNative.triad_attention_forward(out.buf(), lse.buf(), qkv.buf(), doc == null ? null : doc.buf(),
              B, T, H, D));
          check(TriadNative.triad_attention_forward(cout.buf(), clse.buf(), cqkv.buf(), cdoc == null ? null : cdoc.buf(),
              B, T, H, D));
          close(what + " out", cout, out, dt == DType.F32 ? 1e-4 : 1e-2, rng);
          close(what + " lse", clse, lse, 1e-4, rng);

          Tensor dout = dev(randn(rng, (int) (B * T * H * D), 1.0), dt, B * T * H * D);
          Tensor dqkv = dev(randn(rng, (int) (B * T * 3 * H * D), 1.0), dt, B * T * 3 * H * D);
          Tensor cdqkv = cpu(dqkv);
          // the CPU backward gets the GPU's own forward output (rounded as stored) and lse
          check(TriadNative.triad_attention_backward(dqkv.buf(), dout.buf(), qkv.buf(), out.buf(), lse.buf(),
              doc == null ? null : doc.buf(), B, T, H, D));
          check(TriadNative.triad_attention_backward(cdqkv.buf(), cpu(dout).buf(), cqkv.buf(), cpu(out).buf(),
              cpu(lse).buf(), cdoc == null ? null : cdoc.buf(), B, T, H, D));
          close(what + " dqkv", cdqkv, dqkv, dt == DType.F32 ? 1e-4 : 2e-2, rng);
        }
      }
    }
  }
}
