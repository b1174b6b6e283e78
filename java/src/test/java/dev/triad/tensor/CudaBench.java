package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The GPU kernel benchmark: Triad's own CUDA kernels at the shapes, one line per figure.
 * Lives in the java module's test tree so that {@code ../shared/gpu/stage.sh java} ships it to the
 * GPU machine; bench/kernels/run_gpu_bench.sh runs it and bench/kernels/torch_reference.py in
 * one command and prints the side-by-side table (see bench/kernels/README.md).
 *
 * <p>Output lines: {@code RESULT <key> <value> <unit> <ms>}, keys shared with the PyTorch script.
 * Timing: warm-up, then the median over repeats of (k calls + triad_cuda_synchronize) on a host
 * clock; inputs are random (never zeros). FLOP conventions: GEMM 2 n^3; causal attention forward
 * 2 * 2 * B*H*T*T*D / 2, backward 2.5x forward (5 matmuls against 2), so fwd+bwd = 3.5x forward.
 * AdamW bytes: read param, grad, m, v (f32), write param, m, v (f32) = 28 bytes per element
 * (mixed: bf16 grad in and bf16 param copy out, 26 bytes);
 * the copy counts read + write bytes.
 */
public final class CudaBench {
  private CudaBench() {}

  private static void check(int status) {
    Status.check(status);
  }

  private static void sync() {
    check(TriadNative.triad_cuda_synchronize());
  }

  /** Median milliseconds per call of body over `repeats` timed batches of `calls` calls. */
  private static double time(Runnable body, int calls, int repeats) {
    for (int i = 0; i < 2; i++) {
      body.run();
    }
    sync();
    double[] ms = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        body.run();
      }
      sync();
      ms[r] = (System.nanoTime() - t0) / 1e6 / calls;
    }
    Arrays.sort(ms);
    return ms[repeats / 2];
  }

  private static Tensor randn(long seed, DType dt, long n) {
    Tensor f = Tensor.unscoped(DType.F32, Device.CUDA, n);
    check(TriadNative.triad_rng_normal(f.buf(), n, seed, 0, 0f, 1f));
    if (dt == DType.F32) {
      return f;
    }
    try (Tensor src = f) {
      Tensor out = Tensor.unscoped(dt, Device.CUDA, n);
      check(TriadNative.triad_cast(out.buf(), src.buf()));
      return out;
    }
  }

  private static final List<String> lines = new ArrayList<>();

  private static void result(String key, double value, String unit, double ms) {
    String line = String.format(Locale.ROOT, "RESULT %s %.2f %s %.4f", key, value, unit, ms);
    lines.add(line);
    System.out.println(line);
  }

  static void gemm(int n) {
    try (Tensor a = randn(1, DType.BF16, (long) n * n);
        Tensor b = randn(2, DType.BF16, (long) n * n);
        Tensor c = Tensor.unscoped(DType.BF16, Device.CUDA, (long) n * n)) {
      int calls = n >= 4096 ? 5 : 20;
      // nn: a @ b (torch.matmul); nt: a @ b^T (a linear layer's forward, dx); tn: a^T @ b (dW)
      String[] names = {"nn", "nt", "tn"};
      int[][] forms = {{0, 0}, {0, 1}, {1, 0}};
      for (int f = 0; f < forms.length; f++) {
        int ta = forms[f][0], tb = forms[f][1];
        double ms = time(() -> check(TriadNative.triad_matmul(c.buf(), a.buf(), b.buf(), null, 1, n, n, n, ta, tb, 0)),
            calls, 7);
        double tflops = 2.0 * n * n * (double) n / (ms * 1e-3) / 1e12;
        result("gemm_bf16_" + names[f] + "_" + n, tflops, "TFLOP/s", ms);
      }
    }
  }

  static void attention(int B, int H, int T, int D) {
    long qkvN = (long) B * T * 3 * H * D, oN = (long) B * T * H * D;
    try (Tensor qkv = randn(3, DType.BF16, qkvN);
        Tensor out = Tensor.unscoped(DType.BF16, Device.CUDA, oN);
        Tensor lse = Tensor.unscoped(DType.F32, Device.CUDA, (long) B * H * T);
        Tensor dout = randn(4, DType.BF16, oN);
        Tensor dqkv = Tensor.unscoped(DType.BF16, Device.CUDA, qkvN)) {
      double fwdFlops = 2.0 * 2.0 * B * H * (double) T * T * D / 2.0;
      double fwd = time(() -> check(TriadNative.triad_attention_forward(out.buf(), lse.buf(), qkv.buf(), null, B, T, H, D)),
          5, 7);
      double bwd = time(() -> check(TriadNative.triad_attention_backward(dqkv.buf(), dout.buf(), qkv.buf(), out.buf(),
          lse.buf(), null, B, T, H, D)), 5, 7);
      String shape = "B" + B + "_H" + H + "_T" + T + "_D" + D;
      result("attn_fwd_" + shape, fwdFlops / (fwd * 1e-3) / 1e12, "TFLOP/s", fwd);
      result("attn_bwd_" + shape, 2.5 * fwdFlops / (bwd * 1e-3) / 1e12, "TFLOP/s", bwd);
      result("attn_fwdbwd_" + shape, 3.5 * fwdFlops / ((fwd + bwd) * 1e-3) / 1e12, "TFLOP/s", fwd + bwd);
    }
  }

  static void adamw(long n) {
    try (Tensor param = randn(5, DType.F32, n);
        Tensor grad = randn(6, DType.F32, n);
        Tensor m = Tensor.unscoped(DType.F32, Device.CUDA, n);
        Tensor v = Tensor.unscoped(DType.F32, Device.CUDA, n);
        Tensor copyDst = Tensor.unscoped(DType.F32, Device.CUDA, n);
        TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      p.lr(1e-4f).beta1(0.9f).beta2(0.95f).eps(1e-8f).weight_decay(0.1f).grad_scale(1f).step(10);
      double ms = time(() -> check(TriadNative.triad_adamw_step(param.buf(), grad.buf(), m.buf(), v.buf(), n, p)), 10, 7);
      result("adamw_f32_" + n, 28.0 * n / (ms * 1e-3) / 1e9, "GB/s", ms);
      // mixed precision: bf16 gradient in, bf16 working copy out (26 bytes per element)
      try (Tensor grad16 = randn(7, DType.BF16, n); Tensor copy16 = Tensor.unscoped(DType.BF16, Device.CUDA, n)) {
        double mms = time(() -> check(TriadNative.triad_adamw_step_copy(param.buf(), grad16.buf(), m.buf(), v.buf(),
            copy16.buf(), n, p)), 10, 7);
        result("adamw_mixed_" + n, 26.0 * n / (mms * 1e-3) / 1e9, "GB/s", mms);
      }
      double cms = time(() -> check(TriadNative.triad_buffer_copy(copyDst.buf(), 0, param.buf(), 0, n)), 10, 7);
      result("copy_d2d_" + (4 * n), 8.0 * n / (cms * 1e-3) / 1e9, "GB/s", cms);
    }
  }

  public static void main(String[] args) {
    if (!Device.CUDA.isAvailable()) {
      System.out.println("CUDA is not available: " + Device.CUDA.unavailabilityCause());
      System.exit(2);
    }
    boolean quick = Arrays.asList(args).contains("--quick");
    for (int n : quick ? new int[] {1024} : new int[] {1024, 2048, 4096, 8192}) {
      gemm(n);
    }
    attention(8, 12, 1024, 64);
    if (!quick) {
      attention(2, 16, 4096, 128);
    }
    adamw(quick ? 1L << 24 : 1L << 27);
    System.out.println("live bytes after: " + Device.CUDA.liveBytes() + ", reserved by the allocator: "
        + TriadNative.triad_cuda_reserved_bytes());
  }
}
