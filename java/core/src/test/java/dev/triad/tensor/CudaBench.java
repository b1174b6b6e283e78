package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The GPU kernel benchmark: Triad's own CUDA kernels at the shapes, one line per figure.
 * Lives in triad-core's test tree so that {@code bench/gpu/stage.sh} ships it to the
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
 *
 * <p>Every timed output is checked against a reference, so a fast wrong kernel cannot look good:
 * {@code CHECK <key> PASS|FAIL <error> <detail>} follows each figure. GEMM: 256 sampled elements
 * (the four corners included) against float64 dot products of the bf16 inputs, relative L2
 * error <= 1e-2. Attention: the last (batch, head) slice, forward output and lse and the backward
 * dqkv, against the CPU backend in f32 on the same bf16-rounded values (1e-2, lse 1e-4, dqkv 2e-2).
 * AdamW: before timing, one step on windows at the start, middle and end of the buffers against
 * the CPU backend (1e-6; the bf16 copy 1e-2). Copy: the same windows, bit for bit.
 *
 * <p>Arguments (all optional): {@code --quick} (1024 only, smaller attention and AdamW),
 * {@code --gemm 4096,8192} (sizes), {@code --adamw N} (elements), {@code --attention small|all},
 * {@code --train-step bf16,f32} (a GPT-2 124M step per dtype, B=16 T=1024, see
 * {@link dev.triad.bench.TrainStepBench}), {@code --train-steps N}.
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
      float[] ha = a.toFloatArray(), hb = b.toFloatArray();
      // nn: a @ b (torch.matmul); nt: a @ b^T (a linear layer's forward, dx); tn: a^T @ b (dW)
      String[] names = {"nn", "nt", "tn"};
      int[][] forms = {{0, 0}, {0, 1}, {1, 0}};
      for (int f = 0; f < forms.length; f++) {
        int ta = forms[f][0], tb = forms[f][1];
        check(TriadNative.triad_fill(c.buf(), Float.NaN));  // an unwritten element fails the check
        double ms = time(() -> check(TriadNative.triad_matmul(c.buf(), a.buf(), b.buf(), null, 1, n, n, n, ta, tb, 0)),
            calls, 7);
        double tflops = 2.0 * n * n * (double) n / (ms * 1e-3) / 1e12;
        String key = "gemm_bf16_" + names[f] + "_" + n;
        result(key, tflops, "TFLOP/s", ms);
        checkGemm(key, c.toFloatArray(), ha, hb, n, ta, tb);
      }
    }
  }

  /** Sampled elements of c = op(a) @ op(b) (square n) against float64 dots of the same values. */
  static boolean checkGemm(String key, float[] c, float[] a, float[] b, int n, int ta, int tb) {
    Random rng = new Random(n * 31L + ta * 2 + tb);
    double num = 0, den = 0;
    boolean finite = true;
    for (int s = 0; s < 256; s++) {
      // the corners (edge tiles) first, then random elements
      int i = s < 4 ? (s & 1) * (n - 1) : rng.nextInt(n), j = s < 4 ? (s >> 1) * (n - 1) : rng.nextInt(n);
      double want = 0;
      for (int k = 0; k < n; k++) {
        double av = ta == 0 ? a[i * n + k] : a[k * n + i];
        double bv = tb == 0 ? b[k * n + j] : b[j * n + k];
        want += av * bv;
      }
      float got = c[i * n + j];
      finite &= Float.isFinite(got);
      num += (got - want) * (got - want);
      den += want * want;
    }
    return verdict(key, finite ? Math.sqrt(num / den) : Double.NaN, 1e-2, "256 sampled elements vs float64");
  }

  private static final List<String> failures = new ArrayList<>();

  /** Prints the CHECK line for `key`: PASS iff err <= tol (NaN fails). */
  static boolean verdict(String key, double err, double tol, String what) {
    boolean ok = err <= tol;
    System.out.println(String.format(Locale.ROOT, "CHECK %s %s %.3e tol %.0e: %s", key, ok ? "PASS" : "FAIL", err, tol,
        what));
    if (!ok) {
      failures.add(key);
    }
    return ok;
  }

  /** ||got - want|| / ||want||, NaN when any element of got is not finite. */
  static double relErr(float[] want, float[] got) {
    double num = 0, den = 0;
    for (int i = 0; i < want.length; i++) {
      if (!Float.isFinite(got[i])) {
        return Double.NaN;
      }
      double d = (double) got[i] - want[i];
      num += d * d;
      den += (double) want[i] * want[i];
    }
    return Math.sqrt(num / Math.max(den, 1e-30));
  }

  static void attention(int B, int H, int T, int D) {
    long qkvN = (long) B * T * 3 * H * D, oN = (long) B * T * H * D;
    try (Tensor qkv = randn(3, DType.BF16, qkvN);
        Tensor out = Tensor.unscoped(DType.BF16, Device.CUDA, oN);
        Tensor lse = Tensor.unscoped(DType.F32, Device.CUDA, (long) B * H * T);
        Tensor dout = randn(4, DType.BF16, oN);
        Tensor dqkv = Tensor.unscoped(DType.BF16, Device.CUDA, qkvN)) {
      check(TriadNative.triad_fill(out.buf(), Float.NaN));
      double fwdFlops = 2.0 * 2.0 * B * H * (double) T * T * D / 2.0;
      double fwd = time(() -> check(TriadNative.triad_attention_forward(out.buf(), lse.buf(), qkv.buf(), null, B, T, H, D)),
          5, 7);
      double bwd = time(() -> check(TriadNative.triad_attention_backward(dqkv.buf(), dout.buf(), qkv.buf(), out.buf(),
          lse.buf(), null, B, T, H, D)), 5, 7);
      String shape = "B" + B + "_H" + H + "_T" + T + "_D" + D;
      result("attn_fwd_" + shape, fwdFlops / (fwd * 1e-3) / 1e12, "TFLOP/s", fwd);
      result("attn_bwd_" + shape, 2.5 * fwdFlops / (bwd * 1e-3) / 1e12, "TFLOP/s", bwd);
      result("attn_fwdbwd_" + shape, 3.5 * fwdFlops / ((fwd + bwd) * 1e-3) / 1e12, "TFLOP/s", fwd + bwd);
      // backward adds into dqkv (triad.h): one call from zero is what the CPU reproduces
      check(TriadNative.triad_fill(dqkv.buf(), 0f));
      check(TriadNative.triad_attention_backward(dqkv.buf(), dout.buf(), qkv.buf(), out.buf(), lse.buf(), null,
          B, T, H, D));
      checkAttention(shape, B, H, T, D, qkv.toFloatArray(), out.toFloatArray(), lse.toFloatArray(),
          dout.toFloatArray(), dqkv.toFloatArray());
    }
  }

  /**
   * The last (batch, head) of a timed attention against the CPU backend (f32, on the same
   * bf16-rounded inputs; the CPU backward gets the GPU's own out and lse, as CudaParityTest does).
   */
  static boolean checkAttention(String shape, int B, int H, int T, int D, float[] qkv, float[] out, float[] lse,
      float[] dout, float[] dqkv) {
    int b = B - 1, h = H - 1;
    float[] sq = new float[T * 3 * D], so = new float[T * D], sl = new float[T], sd = new float[T * D];
    float[] sdq = new float[T * 3 * D];
    for (int t = 0; t < T; t++) {
      for (int part = 0; part < 3; part++) {
        long src = ((((long) b * T + t) * 3 + part) * H + h) * D;
        System.arraycopy(qkv, (int) src, sq, (t * 3 + part) * D, D);
        System.arraycopy(dqkv, (int) src, sdq, (t * 3 + part) * D, D);
      }
      long o = (((long) b * T + t) * H + h) * D;
      System.arraycopy(out, (int) o, so, t * D, D);
      System.arraycopy(dout, (int) o, sd, t * D, D);
      sl[t] = lse[(b * H + h) * T + t];
    }
    try (Scope s = Scope.open()) {
      Tensor cq = Tensor.of(sq, T * 3L * D), co = Tensor.full(Float.NaN, DType.F32, Device.CPU, (long) T * D);
      Tensor cl = Tensor.full(Float.NaN, DType.F32, Device.CPU, T);
      check(TriadNative.triad_attention_forward(co.buf(), cl.buf(), cq.buf(), null, 1, T, 1, D));
      String what = "batch " + b + " head " + h + " vs the CPU backend";
      boolean fwdOk = verdict("attn_fwd_" + shape, relErr(co.toFloatArray(), so), 1e-2, "out, " + what);
      fwdOk &= verdict("attn_lse_" + shape, relErr(cl.toFloatArray(), sl), 1e-4, "lse, " + what);
      Tensor cdq = Tensor.zeros(DType.F32, Device.CPU, T * 3L * D);
      check(TriadNative.triad_attention_backward(cdq.buf(), Tensor.of(sd, (long) T * D).buf(), cq.buf(),
          Tensor.of(so, (long) T * D).buf(), Tensor.of(sl, T).buf(), null, 1, T, 1, D));
      boolean bwdOk = verdict("attn_bwd_" + shape, relErr(cdq.toFloatArray(), sdq), 2e-2, "dqkv, " + what);
      return verdict("attn_fwdbwd_" + shape, fwdOk && bwdOk ? 0 : Double.NaN, 0, "forward and backward checks");
    }
  }

  static void adamw(long n) {
    try (Tensor param = randn(5, DType.F32, n);
        Tensor grad = randn(6, DType.F32, n);
        Tensor m = Tensor.unscoped(DType.F32, Device.CUDA, n);
        Tensor v = Tensor.unscoped(DType.F32, Device.CUDA, n);
        Tensor copyDst = Tensor.unscoped(DType.F32, Device.CUDA, n);
        Tensor grad16 = randn(7, DType.BF16, n);
        Tensor copy16 = Tensor.unscoped(DType.BF16, Device.CUDA, n);
        TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      check(TriadNative.triad_fill(m.buf(), 0.01f));
      check(TriadNative.triad_fill(v.buf(), 0.02f));
      p.lr(1e-4f).beta1(0.9f).beta2(0.95f).eps(1e-8f).weight_decay(0.1f).grad_scale(1f).step(10);
      // checked once before timing (the state moves with every timed call)
      checkAdamw("adamw_f32_" + n, p, param, grad, m, v, null);
      double ms = time(() -> check(TriadNative.triad_adamw_step(param.buf(), grad.buf(), m.buf(), v.buf(), n, p)), 10, 7);
      result("adamw_f32_" + n, 28.0 * n / (ms * 1e-3) / 1e9, "GB/s", ms);
      // mixed precision: bf16 gradient in, bf16 working copy out (26 bytes per element)
      checkAdamw("adamw_mixed_" + n, p, param, grad16, m, v, copy16);
      double mms = time(() -> check(TriadNative.triad_adamw_step_copy(param.buf(), grad16.buf(), m.buf(), v.buf(),
          copy16.buf(), n, p)), 10, 7);
      result("adamw_mixed_" + n, 26.0 * n / (mms * 1e-3) / 1e9, "GB/s", mms);
      check(TriadNative.triad_fill(copyDst.buf(), Float.NaN));
      double cms = time(() -> check(TriadNative.triad_buffer_copy(copyDst.buf(), 0, param.buf(), 0, n)), 10, 7);
      String key = "copy_d2d_" + (4 * n);
      result(key, 8.0 * n / (cms * 1e-3) / 1e9, "GB/s", cms);
      double err = 0;
      for (long off : windows(n)) {
        err = Math.max(err, relErr(window(param, off), window(copyDst, off)));
      }
      verdict(key, err, 0, "3 windows of " + WINDOW + ", bit for bit");
    }
  }

  private static final int WINDOW = 4099;  // odd, so the windows straddle vector boundaries

  private static long[] windows(long n) {
    return new long[] {0, Math.max(0, n / 2 - WINDOW / 2), Math.max(0, n - WINDOW)};
  }

  /** WINDOW elements of t from `off`, as floats. */
  private static float[] window(Tensor t, long off) {
    int len = (int) Math.min(WINDOW, t.numel() - off);
    if (t.dtype() == DType.F32) {
      float[] out = new float[len];
      check(TriadNative.triad_buffer_read(t.buf(), off, out, len));
      return out;
    }
    short[] raw = new short[len];
    check(TriadNative.triad_buffer_read(t.buf(), off, raw, len));
    float[] out = new float[len];
    for (int i = 0; i < len; i++) {
      out[i] = Float.intBitsToFloat((raw[i] & 0xffff) << 16);
    }
    return out;
  }

  /**
   * One AdamW step on the device (with the bf16 copy when copy16 is not null), and the same step
   * by the CPU backend on three windows of the state; compares param, m, v and the copy.
   */
  static boolean checkAdamw(String key, TriadNative.AdamWParams p, Tensor param, Tensor grad, Tensor m,
      Tensor v, Tensor copy16) {
    long n = param.numel();
    long[] offs = windows(n);
    float[][][] before = new float[offs.length][][];
    for (int w = 0; w < offs.length; w++) {
      before[w] = new float[][] {window(param, offs[w]), window(grad, offs[w]), window(m, offs[w]), window(v, offs[w])};
    }
    if (copy16 == null) {
      check(TriadNative.triad_adamw_step(param.buf(), grad.buf(), m.buf(), v.buf(), n, p));
    } else {
      check(TriadNative.triad_fill(copy16.buf(), Float.NaN));
      check(TriadNative.triad_adamw_step_copy(param.buf(), grad.buf(), m.buf(), v.buf(), copy16.buf(), n, p));
    }
    double err = 0, copyErr = 0;
    for (int w = 0; w < offs.length; w++) {
      float[][] st = before[w];
      int len = st[0].length;
      try (Scope s = Scope.open()) {
        Tensor cp = Tensor.of(st[0], len), cg = Tensor.of(st[1], len), cm = Tensor.of(st[2], len);
        Tensor cv = Tensor.of(st[3], len);
        check(TriadNative.triad_adamw_step(cp.buf(), cg.buf(), cm.buf(), cv.buf(), len, p));
        err = Math.max(err, relErr(cp.toFloatArray(), window(param, offs[w])));
        err = Math.max(err, relErr(cm.toFloatArray(), window(m, offs[w])));
        err = Math.max(err, relErr(cv.toFloatArray(), window(v, offs[w])));
        if (copy16 != null) {
          copyErr = Math.max(copyErr, relErr(cp.toFloatArray(), window(copy16, offs[w])));
        }
      }
    }
    boolean ok = verdict(key, err, 1e-6, "param, m, v on 3 windows vs the CPU backend");
    if (copy16 != null && ok) {
      ok = verdict(key, copyErr, 1e-2, "the bf16 copy on 3 windows vs the CPU backend");
    }
    return ok;
  }

  public static void main(String[] args) {
    if (!Device.CUDA.isAvailable()) {
      System.out.println("CUDA is not available: " + Device.CUDA.unavailabilityCause());
      System.exit(2);
    }
    List<String> a = Arrays.asList(args);
    boolean quick = a.contains("--quick");
    int[] gemms = quick ? new int[] {1024} : new int[] {1024, 2048, 4096, 8192};
    String attn = quick ? "small" : "all";
    long adamwN = quick ? 1L << 24 : 1L << 27;
    List<String> trainDtypes = new ArrayList<>();
    int trainSteps = 10;
    for (int i = 0; i + 1 < args.length; i++) {
      switch (args[i]) {
        case "--gemm" -> gemms = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--attention" -> attn = args[i + 1];
        case "--adamw" -> adamwN = Long.parseLong(args[i + 1]);
        case "--train-step" -> trainDtypes.addAll(Arrays.asList(args[i + 1].split(",")));
        case "--train-steps" -> trainSteps = Integer.parseInt(args[i + 1]);
        default -> { }
      }
    }
    for (int n : gemms) {
      gemm(n);
    }
    attention(8, 12, 1024, 64);
    if (!attn.equals("small")) {
      attention(2, 16, 4096, 128);
    }
    adamw(adamwN);
    System.out.println("live bytes after: " + Device.CUDA.liveBytes() + ", reserved by the allocator: "
        + TriadNative.triad_cuda_reserved_bytes());
    for (String dt : trainDtypes) {
      try {
        String st = dev.triad.bench.TrainStepBench.run("gpt2", DType.valueOf(dt.toUpperCase(Locale.ROOT)), 16, 1024,
            2, trainSteps);
        if (st.equals("FAIL")) {
          failures.add("train_step_" + dt);
        }
      } catch (RuntimeException e) {  // e.g. out of memory: report it, keep the figures above
        System.out.println("CHECK train_step_" + dt + " FAIL 0 tol 0: " + e);
        failures.add("train_step_" + dt);
      }
    }
    System.out.println(failures.isEmpty() ? "ALL CHECKS PASS" : "CHECKS FAILED: " + failures);
    System.exit(failures.isEmpty() ? 0 : 1);
  }
}
