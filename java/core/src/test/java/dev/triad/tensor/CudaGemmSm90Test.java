package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.nativ.TriadNative.Buffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bf16 GEMM on CUDA for every transpose form x every epilogue x shapes with tails in M, N and
 * K and many K tiles: against the CPU f32 result on the same bf16 inputs, and against the same
 * call routed to the sm_80 mma.sync kernel ({@code triad_cuda_set_gemm_sm80(1)}). On a compute
 * capability 9.0 device with sm_90a code in libtriad, TMA-aligned calls run the Hopper wgmma/TMA
 * kernel (matmul_sm90.cu) by default, so this compares the two kernels; elsewhere both runs take
 * the sm_80 kernel and the CPU comparison remains. {@link #reportsWhichKernelRuns} prints which.
 *
 * <p>Tolerances (bf16 output, fp32 accumulation in every path): per element
 * {@code |got - want| <= 2^-6 |want| + 2e-3 rms(want)} (one bf16 rounding of the output is at most
 * 2^-8 relative; the two GPU kernels may round a value to neighbouring bf16 numbers, 2^-7) and
 * {@code ||got - want|| / ||want|| <= 1e-2} (observed ~2e-3). A lost K tile, a wrong tile or a
 * wrong batch entry gives errors of order rms(want) and fails both. Outputs are poisoned with NaN
 * first, so an unwritten element fails.
 *
 * <p>Tagged "gpu": skipped, with the reason, where CUDA is unavailable. {@code
 * -Dtriad.parity.target=cpu} runs the same harness CPU-vs-CPU in f32 (checks the test's plumbing
 * on a machine without a GPU).
 */
@Tag("gpu")
class CudaGemmSm90Test {
  private static final Device TARGET =
      "cpu".equals(System.getProperty("triad.parity.target")) ? Device.CPU : Device.CUDA;
  private static final DType DT = TARGET == Device.CUDA ? DType.BF16 : DType.F32;
  /**
   * batch, M, N, K. Tails: 130/200/328/136 rows or columns, K = 72, 520, 136, 24 (< one K tile);
   * N = 130 (the layouts with a K-major b) puts output rows off the 8-byte alignment of the
   * Hopper epilogue's four-column stores, so its element-by-element path runs too.
   */
  private static final long[][] SHAPES = {
    {1, 256, 384, 768}, {2, 192, 264, 520}, {3, 130, 200, 72}, {1, 1024, 768, 3072},
    {2, 328, 520, 136}, {2, 136, 72, 24}, {2, 136, 130, 72},
  };

  /** The transpose forms: (trans_a, trans_b). */
  enum Layout {
    NT(0, 1), NN(0, 0), TN(1, 0), TT(1, 1);
    final int ta;
    final int tb;

    Layout(int ta, int tb) {
      this.ta = ta;
      this.tb = tb;
    }
  }

  /** What the epilogue does: the triad_matmul_epilogue code, bias, accumulate, pre given. */
  enum Case {
    PLAIN(TriadNative.TRIAD_EPILOGUE_NONE, false, false, false),
    BIAS(TriadNative.TRIAD_EPILOGUE_NONE, true, false, false),
    ACCUMULATE(TriadNative.TRIAD_EPILOGUE_NONE, true, true, false),
    GELU(TriadNative.TRIAD_EPILOGUE_GELU, true, false, true),
    GELU_NO_PRE_ACCUMULATE(TriadNative.TRIAD_EPILOGUE_GELU, false, true, false),
    GELU_BACKWARD(TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD, true, false, true),
    GELU_BACKWARD_ACCUMULATE(TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD, false, true, true);
    final int epilogue;
    final boolean bias;
    final boolean accumulate;
    final boolean pre;

    Case(int epilogue, boolean bias, boolean accumulate, boolean pre) {
      this.epilogue = epilogue;
      this.bias = bias;
      this.accumulate = accumulate;
      this.pre = pre;
    }
  }

  @BeforeEach
  void requireCuda() {
    assumeTrue(TARGET.isAvailable(), () -> "CUDA is not available: " + Device.CUDA.unavailabilityCause());
  }

  @AfterEach
  void restoreDefaultKernel() {
    if (Device.CUDA.isAvailable()) {
      TriadNative.triad_cuda_set_gemm_sm80(0);
    }
  }

  @Test
  void reportsWhichKernelRuns() {
    assumeTrue(TARGET == Device.CUDA, "CUDA only");
    int kernel = TriadNative.triad_cuda_set_gemm_sm80(0);
    System.out.println("CudaGemmSm90Test: TMA-aligned bf16 matmuls run the sm_" + kernel + " kernel");
    assertTrue(kernel == 90 || kernel == 80, "kernel " + kernel);
    assertEquals(80, TriadNative.triad_cuda_set_gemm_sm80(1), "forcing the sm_80 kernel");
    assertEquals(kernel, TriadNative.triad_cuda_set_gemm_sm80(0), "back to the default");
  }

  /** The tolerance passes a bf16 rounding of the exact result and rejects one lost K tile of 64. */
  @Test
  void toleranceRejectsALostKTile() {
    Random rng = freshRandom();
    int M = 64, N = 96, K = 520;
    float[] a = randn(rng, M * K, 1.0 / Math.sqrt(K));
    float[] b = randn(rng, K * N, 1.0);
    float[] aLost = a.clone();
    for (int m = 0; m < M; m++) {
      Arrays.fill(aLost, m * K + 448, m * K + 512, 0.0f);  // K tile 7 of 9
    }
    try (Scope s = Scope.open()) {
      Tensor want = cpuMatmul(a, b, M, N, K);
      Tensor rounded = want.to(DType.BF16).to(DType.F32);
      close("bf16-rounded", want, rounded);
      Tensor lost = cpuMatmul(aLost, b, M, N, K);
      AssertionError e = assertThrows(AssertionError.class, () -> close("lost K tile", want, lost));
      assertTrue(e.getMessage().contains("out of tolerance"), e.getMessage());
    }
  }

  private static Tensor cpuMatmul(float[] a, float[] b, int M, int N, int K) {
    Tensor out = Tensor.full(Float.NaN, DType.F32, Device.CPU, (long) M * N);
    Status.check(TriadNative.triad_matmul(out.buf(), Tensor.of(a, Device.CPU, (long) M * K).buf(),
        Tensor.of(b, Device.CPU, (long) K * N).buf(), null, 1, M, N, K, 0, 0, 0));
    return out;
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void everyEpilogueAndShape(Layout layout) {
    Random rng = freshRandom();
    for (long[] shp : SHAPES) {
      for (Case c : Case.values()) {
        String what = layout + " " + c + " " + Arrays.toString(shp) + " (" + rng + ")";
        try (Scope s = Scope.open()) {
          compare(layout, c, shp[0], shp[1], shp[2], shp[3], rng, what);
        }
      }
    }
  }

  private static void compare(Layout l, Case c, long batch, long M, long N, long K, Random rng, String what) {
    long mn = batch * M * N;
    // a ~ N(0, 1/K) so that a@b ~ N(0, 1): GELU sees both of its regimes
    Tensor a = dev(randn(rng, Math.toIntExact(batch * M * K), 1.0 / Math.sqrt(K)), batch * M * K);
    Tensor b = dev(randn(rng, Math.toIntExact(batch * K * N), 1.0), batch * K * N);
    Tensor bias = c.bias ? dev(randn(rng, Math.toIntExact(N), 0.5), N) : null;
    float[] old = c.accumulate ? randn(rng, Math.toIntExact(mn), 1.0) : null;
    float[] preIn = c.epilogue == TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD
        ? randn(rng, Math.toIntExact(mn), 1.5) : null;

    Tensor[] gpu = new Tensor[2];  // [0] default kernel, [1] forced sm_80
    Tensor[] gpuPre = new Tensor[2];
    for (int run = 0; run < 2; run++) {
      TriadNative.triad_cuda_set_gemm_sm80(run);
      gpu[run] = c.accumulate ? dev(old, mn) : Tensor.full(Float.NaN, DT, TARGET, mn);
      gpuPre[run] = !c.pre ? null : preIn != null ? dev(preIn, mn) : Tensor.full(Float.NaN, DT, TARGET, mn);
      Status.check(TriadNative.triad_matmul_epilogue(gpu[run].buf(), buf(gpuPre[run]), a.buf(), b.buf(), buf(bias),
          batch, M, N, K, l.ta, l.tb, c.accumulate ? 1 : 0, c.epilogue));
    }
    TriadNative.triad_cuda_set_gemm_sm80(0);

    Tensor cout = c.accumulate ? cpu(dev(old, mn)) : Tensor.full(Float.NaN, DType.F32, Device.CPU, mn);
    Tensor cpre = !c.pre ? null : preIn != null ? cpu(dev(preIn, mn)) : Tensor.full(Float.NaN, DType.F32, Device.CPU, mn);
    Status.check(TriadNative.triad_matmul_epilogue(cout.buf(), buf(cpre), cpu(a).buf(), cpu(b).buf(),
        bias == null ? null : cpu(bias).buf(), batch, M, N, K, l.ta, l.tb, c.accumulate ? 1 : 0, c.epilogue));

    close("out vs CPU: " + what, cout, gpu[0]);
    close("out vs sm_80 kernel: " + what, gpu[1], gpu[0]);
    if (c.pre && preIn == null) {
      close("pre vs CPU: " + what, cpre, gpuPre[0]);
      close("pre vs sm_80 kernel: " + what, gpuPre[1], gpuPre[0]);
    }
  }

  /** A target tensor holding v rounded to the target dtype. */
  private static Tensor dev(float[] v, long n) {
    Tensor f = Tensor.of(v, TARGET, n);
    if (DT == DType.F32) {
      return f;
    }
    try (Tensor src = f) {
      return src.to(DT);
    }
  }

  /** The CPU f32 copy of a device tensor: exactly the values it holds. */
  private static Tensor cpu(Tensor t) {
    return Tensor.of(t.toFloatArray(), Device.CPU, t.shape());
  }

  private static Buffer buf(Tensor t) {
    return t == null ? null : t.buf();
  }

  private static void close(String what, Tensor want, Tensor got) {
    float[] w = want.toFloatArray();
    float[] g = got.toFloatArray();
    assertEquals(w.length, g.length, what + ": length");
    double sq = 0;
    for (float x : w) {
      if (!Float.isFinite(x)) {
        fail(what + ": the reference holds " + x);
      }
      sq += (double) x * x;
    }
    double rms = Math.sqrt(sq / w.length);
    double num = 0;
    int bad = 0;
    int first = -1;
    for (int i = 0; i < w.length; i++) {
      double d = Math.abs((double) g[i] - w[i]);
      if (!(d <= Math.scalb(Math.abs(w[i]), -6) + 2e-3 * rms)) {  // NaN fails
        if (bad++ == 0) {
          first = i;
        }
      }
      num += Float.isFinite(g[i]) ? d * d : Double.POSITIVE_INFINITY;
    }
    double rel = Math.sqrt(num / Math.max(sq, 1e-30));
    assertTrue(bad == 0, what + ": " + bad + " of " + w.length + " elements out of tolerance; first at " + first
        + (first >= 0 ? " got " + g[first] + " want " + w[first] : "") + ", rms(want) " + rms);
    assertTrue(rel <= 1e-2, what + ": relative error " + rel + " > 1e-2");
  }
}
