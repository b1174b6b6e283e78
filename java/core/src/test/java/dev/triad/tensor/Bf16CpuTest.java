package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.nativ.TriadNative.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * bf16 data on the CPU backend follows the CUDA backend's rule: bf16 storage, f32 arithmetic
 * inside each op, round-to-nearest-even on every store. For every op, the bf16 result must equal,
 * bit for bit, the f32 kernel applied to the bf16 values of the inputs, rounded to bf16 (a
 * backward op's gradient starts nonzero, so this also proves "load, add in f32, round once").
 * A few ops are also checked against a float64 reference with a bf16 tolerance.
 */
class Bf16CpuTest {
  private final Random rng = freshRandom();

  // ---- bf16 rounding, written independently of the native cast ----

  /** f32 -> nearest bf16 value (ties to even), as a float; NaN stays NaN. */
  static float rne(float f) {
    if (Float.isNaN(f)) {
      return f;
    }
    int bits = Float.floatToRawIntBits(f);
    bits += 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xFFFF0000);
  }

  static float[] rne(float[] a) {
    float[] r = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = rne(a[i]);
    }
    return r;
  }

  /** n bf16-representable values ~ N(0, 1). */
  private float[] randn(int n) {
    float[] r = new float[n];
    for (int i = 0; i < n; i++) {
      r[i] = rne((float) rng.nextGaussian());
    }
    return r;
  }

  /** n bf16-representable values in [lo, hi). */
  private float[] uniform(int n, double lo, double hi) {
    float[] r = new float[n];
    for (int i = 0; i < n; i++) {
      r[i] = rne((float) (lo + (hi - lo) * rng.nextDouble()));
    }
    return r;
  }

  private int[] ints(int n, int bound) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = rng.nextInt(bound);
    }
    return r;
  }

  // ---- the rule harness: run one op in f32 and in bf16 on the same (bf16-exact) values ----

  /** The buffers of one run: data in `dt`, statistics f32; outputs remembered for comparison. */
  static final class Io {
    final DType dt;
    final List<Tensor> outs = new ArrayList<>();
    final List<Tensor> stats = new ArrayList<>();

    Io(DType dt) {
      this.dt = dt;
    }

    Tensor data(float[] v) {
      Tensor t = Tensor.of(v, v.length);
      return dt == DType.F32 ? t : t.to(dt);
    }

    /** A data input. */
    Buffer in(float[] v) {
      return data(v).buf();
    }

    /** A data output, starting from `init` (backward ops add into it). */
    Buffer out(float[] init) {
      Tensor t = data(init);
      outs.add(t);
      return t.buf();
    }

    /** An f32 statistics output. */
    Buffer stat(float[] init) {
      Tensor t = Tensor.of(init, init.length);
      stats.add(t);
      return t.buf();
    }

    /** An f32 statistics input. */
    Buffer statIn(float[] v) {
      return Tensor.of(v, v.length).buf();
    }

    Buffer ids(int[] v) {
      return Tensor.ofInts(v, v.length).buf();
    }
  }

  private static void check(int status) {
    Status.check(status);
  }

  /** bf16 outputs == RNE(f32 outputs on the same values), bit for bit; f32 statistics equal. */
  private static void assertRule(String what, Consumer<Io> op) {
    try (Scope s = Scope.open()) {
      Io f = new Io(DType.F32);
      op.accept(f);
      Io h = new Io(DType.BF16);
      op.accept(h);
      boolean nonzero = false;
      for (int i = 0; i < f.outs.size(); i++) {
        assertEquals(DType.BF16, h.outs.get(i).dtype());
        float[] got = h.outs.get(i).toFloatArray();
        assertArrayEquals(rne(f.outs.get(i).toFloatArray()), got, what + ": data output " + i);
        for (float g : got) {
          nonzero |= g != 0f;
        }
      }
      for (int i = 0; i < f.stats.size(); i++) {
        assertArrayEquals(f.stats.get(i).toFloatArray(), h.stats.get(i).toFloatArray(), what + ": f32 output " + i);
      }
      assertTrue(nonzero || f.outs.isEmpty(), what + ": every output is zero, the check proves nothing");
    }
  }

  // ---- every op ----

  @Test
  void matmulAndEpilogues() {
    int batch = 2, M = 5, N = 7, K = 6;
    float[] a = randn(batch * M * K), b = randn(batch * K * N), bias = randn(N), init = randn(batch * M * N);
    float[] pre = randn(batch * M * N), pre0 = randn(batch * M * N);
    for (int ta = 0; ta < 2; ta++) {
      for (int tb = 0; tb < 2; tb++) {
        for (int acc = 0; acc < 2; acc++) {
          final int fa = ta, fb = tb, facc = acc;
          assertRule("matmul ta=" + ta + " tb=" + tb + " acc=" + acc, io -> check(TriadNative.triad_matmul(io.out(init),
              io.in(a), io.in(b), fa == 0 ? io.in(bias) : null, batch, M, N, K, fa, fb, facc)));
          for (int ep = 0; ep < 3; ep++) {
            final int fep = ep;
            assertRule("matmul_epilogue " + ep + " ta=" + ta + " tb=" + tb + " acc=" + acc, io -> {
              Buffer out = io.out(init);
              Buffer p = fep == TriadNative.TRIAD_EPILOGUE_GELU ? io.out(pre0)
                  : fep == TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD ? io.in(pre) : null;
              check(TriadNative.triad_matmul_epilogue(out, p, io.in(a), io.in(b), io.in(bias), batch, M, N, K, fa,
                  fb, facc, fep));
            });
          }
        }
      }
    }
    float[] dbias = randn(N);
    assertRule("bias_backward", io -> check(TriadNative.triad_bias_backward(io.out(dbias), io.in(init), batch * M, N)));
  }

  @Test
  void embedding() {
    int B = 2, T = 3, C = 4, V = 5, P = 6;
    int[] tokens = ints(B * T, V), positions = ints(B * T, P);
    float[] wte = randn(V * C), wpe = randn(P * C), out = randn(B * T * C), dwte = randn(V * C), dwpe = randn(P * C);
    for (int withPos = 0; withPos < 2; withPos++) {
      final boolean wp = withPos == 1;
      assertRule("embedding_forward", io -> check(TriadNative.triad_embedding_forward(io.out(out), io.ids(tokens),
          wp ? io.ids(positions) : null, io.in(wte), io.in(wpe), B, T, C, V, P)));
      assertRule("embedding_backward", io -> check(TriadNative.triad_embedding_backward(io.out(dwte), io.out(dwpe),
          io.in(out), io.ids(tokens), wp ? io.ids(positions) : null, B, T, C, V, P)));
    }
  }

  @Test
  void layernormAndGelu() {
    int N = 6, C = 16;
    float[] x = randn(N * C), w = randn(C), bias = randn(C), dout = randn(N * C), dx = randn(N * C);
    float[] dw = randn(C), db = randn(C), mean = randn(N), rstd = uniform(N, 0.5, 2);
    assertRule("layernorm_forward", io -> check(TriadNative.triad_layernorm_forward(io.out(dx), io.stat(new float[N]),
        io.stat(new float[N]), io.in(x), io.in(w), io.in(bias), N, C, 1e-5f)));
    assertRule("layernorm_backward", io -> check(TriadNative.triad_layernorm_backward(io.out(dx), io.out(dw),
        io.out(db), io.in(dout), io.in(x), io.in(w), io.statIn(mean), io.statIn(rstd), N, C)));
    int n = 1000;
    float[] gx = randn(n), gd = randn(n), gdx = randn(n);
    assertRule("gelu_forward", io -> check(TriadNative.triad_gelu_forward(io.out(gdx), io.in(gx), n)));
    assertRule("gelu_backward", io -> check(TriadNative.triad_gelu_backward(io.out(gdx), io.in(gd), io.in(gx), n)));
  }

  @Test
  void attention() {
    int B = 2, T = 5, H = 2, D = 4;
    float[] qkv = randn(B * T * 3 * H * D), out = randn(B * T * H * D), dout = randn(B * T * H * D);
    float[] dqkv = randn(B * T * 3 * H * D), lse = uniform(B * H * T, 0.5, 2.5);
    int[] docs = {0, 0, 1, 1, 1, 0, 1, 1, 2, 2};
    for (int withDocs = 0; withDocs < 2; withDocs++) {
      final boolean wd = withDocs == 1;
      assertRule("attention_forward", io -> check(TriadNative.triad_attention_forward(io.out(out),
          io.stat(new float[B * H * T]), io.in(qkv), wd ? io.ids(docs) : null, B, T, H, D)));
      assertRule("attention_backward", io -> check(TriadNative.triad_attention_backward(io.out(dqkv), io.in(dout),
          io.in(qkv), io.in(out), io.statIn(lse), wd ? io.ids(docs) : null, B, T, H, D)));
    }
    int Tn = 2, past = 3, Tmax = 6;
    float[] kc = randn(B * Tmax * H * D), vc = randn(B * Tmax * H * D), q2 = randn(B * Tn * 3 * H * D);
    float[] o2 = randn(B * Tn * H * D);
    assertRule("attention_decode", io -> check(TriadNative.triad_attention_decode(io.out(o2), io.out(kc), io.out(vc),
        io.in(q2), io.ids(new int[] {0, 1}), B, Tn, past, Tmax, H, D)));
  }

  @Test
  void crossEntropyAndSample() {
    int N = 6, V = 10, Vr = 9;
    float[] logits = randn(N * V), dlogits = randn(N * V), weights = uniform(N, 0.5, 1.5);
    float[] dloss = randn(N), dlogprob = randn(N), lse = uniform(N, 2, 3);
    int[] targets = ints(N, Vr);
    targets[2] = -1;
    assertRule("cross_entropy_forward", io -> check(TriadNative.triad_cross_entropy_forward(io.stat(new float[N]),
        io.stat(new float[N]), io.stat(new float[N]), io.in(logits), io.ids(targets), io.statIn(weights), N, V, Vr, -1)));
    assertRule("cross_entropy_backward", io -> check(TriadNative.triad_cross_entropy_backward(io.out(dlogits),
        io.statIn(dloss), io.statIn(dlogprob), io.in(logits), io.ids(targets), io.statIn(weights), io.statIn(lse), N, V,
        Vr, -1)));
    // sample: the same tokens as f32 sampling of the bf16 values (greedy and stochastic)
    for (float temperature : new float[] {0f, 1f}) {
      int[][] got = new int[2][];
      for (DType dt : new DType[] {DType.F32, DType.BF16}) {
        try (Scope s = Scope.open()) {
          Io io = new Io(dt);
          Tensor outIds = Tensor.zeros(DType.I32, Device.CPU, N);
          check(TriadNative.triad_sample(outIds.buf(), io.in(logits), N, V, Vr, temperature, 5, 0.9f, 42, 7));
          got[dt == DType.F32 ? 0 : 1] = outIds.toIntArray();
        }
      }
      assertArrayEquals(got[0], got[1], "sample temperature " + temperature);
    }
  }

  @Test
  void unaryBinaryWhere() {
    int n = 24, nb = 4;
    float[] x = uniform(n, 0.1, 3), out = randn(n), dx = randn(n), dout = randn(n);
    float[] b = uniform(nb, 0.5, 2), db = randn(nb);
    float[][] params = {{0, 0}, {0, 0}, {1.5f, -0.25f}, {0.5f, 2f}, {0, 0}, {0, 0}, {0, 0}, {0, 0}};
    for (int op = 0; op < 8 /* unary op codes */; op++) {
      final int o = op;
      final float p0 = params[op][0], p1 = params[op][1];
      assertRule("unary_forward " + op, io -> check(TriadNative.triad_unary_forward(o, io.out(out), io.in(x), n, p0, p1)));
      assertRule("unary_backward " + op, io -> check(TriadNative.triad_unary_backward(o, io.out(dx), io.in(dout),
          io.in(x), io.in(x), n, p0, p1)));
    }
    float[] xs = randn(n);  // signed values so MIN/MAX/GT/LT take both branches
    // signed right-hand sides for the comparisons: against b in [0.5, 2) about 1 in 12 runs had
    // every GT false, leaving nothing to check
    float[] bs = randn(nb);
    for (int op = 0; op < 8 /* binary op codes */; op++) {
      final int o = op;
      final float[] a = op <= TriadNative.TRIAD_BINARY_DIV ? x : xs;
      final float[] rhs = op >= TriadNative.TRIAD_BINARY_GT ? bs : b;
      assertRule("binary_forward " + op, io -> check(TriadNative.triad_binary_forward(o, io.out(out), io.in(a), io.in(rhs),
          n, nb)));
      if (op < TriadNative.TRIAD_BINARY_GT) {
        assertRule("binary_backward " + op, io -> check(TriadNative.triad_binary_backward(o, io.out(dx), io.out(db),
            io.in(dout), io.in(a), io.in(b), n, nb)));
      }
    }
    float[] cond = new float[n];
    for (int i = 0; i < n; i++) {
      cond[i] = rng.nextBoolean() ? 1f : 0f;
    }
    assertRule("where_forward", io -> check(TriadNative.triad_where_forward(io.out(out), io.in(cond), io.in(x),
        io.in(xs), n)));
    assertRule("where_backward", io -> check(TriadNative.triad_where_backward(io.out(dx), io.out(randnCopy(dout)),
        io.in(dout), io.in(cond), n)));
  }

  private static float[] randnCopy(float[] a) {
    float[] r = a.clone();
    for (int i = 0; i < r.length; i++) {
      r[i] = rne(r[i] * 0.75f + 0.125f);
    }
    return r;
  }

  @Test
  void inPlaceBinaryMatchesOutOfPlace() {
    int n = 40;
    float[] a = randn(n), b = randn(n);
    try (Scope s = Scope.open()) {
      Tensor a1 = Tensor.of(a, n).to(DType.BF16), bb = Tensor.of(b, n).to(DType.BF16);
      Tensor out = Tensor.zeros(DType.BF16, Device.CPU, n);
      check(TriadNative.triad_binary_forward(TriadNative.TRIAD_BINARY_MUL, out.buf(), a1.buf(), bb.buf(), n, n));
      check(TriadNative.triad_binary_forward(TriadNative.TRIAD_BINARY_MUL, a1.buf(), a1.buf(), bb.buf(), n, n));
      assertArrayEquals(out.toFloatArray(), a1.toFloatArray());
    }
  }

  @Test
  void reduceGatherLogSoftmaxSumSquaresRng() {
    int outer = 3, dim = 4, inner = 5;
    float[] x = randn(outer * dim * inner), out = randn(outer * inner), dx = randn(outer * dim * inner);
    for (int op = 0; op < 2; op++) {
      final int o = op;
      assertRule("reduce_forward " + op, io -> check(TriadNative.triad_reduce_forward(o, io.out(out), io.in(x), outer,
          dim, inner)));
      assertRule("reduce_backward " + op, io -> check(TriadNative.triad_reduce_backward(o, io.out(dx), io.in(out),
          outer, dim, inner)));
    }
    int N = 4, V = 6;
    int[] index = ints(N, V);
    float[] xv = randn(N * V), g = randn(N), dxv = randn(N * V), dout = randn(N * V), lsm = randn(N * V);
    assertRule("gather_forward", io -> check(TriadNative.triad_gather_forward(io.out(g), io.in(xv), io.ids(index), N, V)));
    assertRule("gather_backward", io -> check(TriadNative.triad_gather_backward(io.out(dxv), io.in(g), io.ids(index), N,
        V)));
    assertRule("log_softmax_forward", io -> check(TriadNative.triad_log_softmax_forward(io.out(lsm), io.in(xv), N, V)));
    float[] lsOut = uniform(N * V, -3, -0.1);
    assertRule("log_softmax_backward", io -> check(TriadNative.triad_log_softmax_backward(io.out(dxv), io.in(dout),
        io.in(lsOut), N, V)));
    assertRule("sum_squares", io -> check(TriadNative.triad_sum_squares(io.stat(new float[] {0.5f}), io.in(xv), N * V)));
    float[] r = new float[100];
    assertRule("rng_uniform", io -> check(TriadNative.triad_rng_uniform(io.out(r), 100, 3, 11, -1f, 2f)));
    assertRule("rng_normal", io -> check(TriadNative.triad_rng_normal(io.out(r), 100, 3, 11, 0.5f, 2f)));
  }

  // ---- rounding once, AdamW, fill, cast, buffer transfers ----

  @Test
  void backwardAccumulationRoundsOnce() {
    // dx (bf16, nonzero) += dout * gelu'(x): load, add in f32, one rounding. Rounding the
    // contribution first and then the sum (two roundings) must differ somewhere at this size.
    int n = 4096;
    float[] x = randn(n), dout = randn(n), init = randn(n);
    try (Scope s = Scope.open()) {
      Tensor dx = Tensor.of(init, n).to(DType.BF16);
      check(TriadNative.triad_gelu_backward(dx.buf(), Tensor.of(dout, n).to(DType.BF16).buf(),
          Tensor.of(x, n).to(DType.BF16).buf(), n));
      // gelu'(x) exactly as the kernel computes it in f32: its contribution for dout = 1
      Tensor grad = Tensor.zeros(n);
      float[] ones = new float[n];
      java.util.Arrays.fill(ones, 1f);
      check(TriadNative.triad_gelu_backward(grad.buf(), Tensor.of(ones, n).buf(), Tensor.of(x, n).buf(), n));
      float[] g = grad.toFloatArray();
      float[] got = dx.toFloatArray();
      int twiceDiffers = 0;
      for (int i = 0; i < n; i++) {
        // the f32 sum init + dout * g, with or without a fused multiply-add (the compiler may contract it),
        // then one rounding to bf16
        float separate = rne(init[i] + dout[i] * g[i]);
        float fused = rne(Math.fma(dout[i], g[i], init[i]));
        float twice = rne(init[i] + rne(dout[i] * g[i]));
        assertTrue(got[i] == separate || got[i] == fused,
            "element " + i + ": " + got[i] + ", expected " + separate + " (or " + fused + " fused)");
        twiceDiffers += twice != separate && twice != fused ? 1 : 0;
      }
      assertTrue(twiceDiffers > 0, "the test cannot tell one rounding from two");
    }
  }

  @Test
  void adamwWithBf16GradAndBf16Copy() {
    int n = 1000;
    float[] init = randn(n), g = randn(n);
    for (int step = 1; step <= 2; step++) {
      try (Scope s = Scope.open(); TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
        p.lr(1e-2f).beta1(0.9f).beta2(0.99f).eps(1e-8f).weight_decay(0.1f).grad_scale(0.5f).step(step);
        float[] m0 = randn(n), v0 = uniform(n, 0, 1);
        Tensor p1 = Tensor.of(init, n), m1 = Tensor.of(m0, n), v1 = Tensor.of(v0, n);
        Tensor p2 = Tensor.of(init, n), m2 = Tensor.of(m0, n), v2 = Tensor.of(v0, n);
        Tensor p3 = Tensor.of(init, n), m3 = Tensor.of(m0, n), v3 = Tensor.of(v0, n);
        Tensor g32 = Tensor.of(g, n), g16 = g32.to(DType.BF16);
        Tensor copy = Tensor.full(Float.NaN, DType.BF16, Device.CPU, n);
        check(TriadNative.triad_adamw_step(p1.buf(), g32.buf(), m1.buf(), v1.buf(), n, p));
        check(TriadNative.triad_adamw_step(p2.buf(), g16.buf(), m2.buf(), v2.buf(), n, p));
        check(TriadNative.triad_adamw_step_copy(p3.buf(), g16.buf(), m3.buf(), v3.buf(), copy.buf(), n, p));
        float[] master = p1.toFloatArray();
        assertArrayEquals(master, p2.toFloatArray());
        assertArrayEquals(master, p3.toFloatArray());
        assertArrayEquals(m1.toFloatArray(), m3.toFloatArray());
        assertArrayEquals(v1.toFloatArray(), v3.toFloatArray());
        assertArrayEquals(rne(master), copy.toFloatArray());
        assertTrue(!java.util.Arrays.equals(master, rne(master)), "masters should carry bits bf16 cannot");
      }
    }
  }

  /** bf16 bit patterns of a bf16 tensor. */
  private static short[] bits(Tensor t) {
    short[] out = new short[(int) t.numel()];
    check(TriadNative.triad_buffer_read(t.buf(), 0, out, out.length));
    return out;
  }

  @Test
  void castRoundsTiesToEvenAndKeepsNaNAndInf() {
    int[] f32Bits = {
      0x3F808000, // 1 + 2^-8: halfway between bf16 0x3F80 and 0x3F81 -> even 0x3F80
      0x3F818000, // halfway between 0x3F81 and 0x3F82 -> even 0x3F82
      0xBF808000, // negative tie -> 0xBF80
      0xBF818000, // -> 0xBF82
      0x3F808001, // just above the tie -> 0x3F81
      0x3F807FFF, // just below -> 0x3F80
      0x7F7FFFFF, // largest float rounds up to +Inf
      0x7F800000, // +Inf
      0xFF800000, // -Inf
      0x80000000, // -0
      0x00000001, // smallest subnormal -> +0
      0x7FC00000, // quiet NaN
      0x7F800001, // signalling NaN with a payload only in the low bits: must stay NaN
    };
    int[] want = {0x3F80, 0x3F82, 0xBF80, 0xBF82, 0x3F81, 0x3F80, 0x7F80, 0x7F80, 0xFF80, 0x8000, 0x0000, -1, -1};
    float[] src = new float[f32Bits.length];
    for (int i = 0; i < src.length; i++) {
      src[i] = Float.intBitsToFloat(f32Bits[i]);
    }
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.zeros(DType.F32, Device.CPU, src.length);
      check(TriadNative.triad_buffer_write(t.buf(), 0, src, src.length));
      Tensor h = t.to(DType.BF16);
      short[] got = bits(h);
      for (int i = 0; i < want.length; i++) {
        int g = got[i] & 0xFFFF;
        if (want[i] < 0) {
          assertTrue(Float.isNaN(Float.intBitsToFloat(g << 16)), "NaN case " + i + " gave 0x" + Integer.toHexString(g));
        } else {
          assertEquals(want[i], g, "case " + i + " (0x" + Integer.toHexString(f32Bits[i]) + ")");
        }
      }
      // bf16 -> f32 is exact: the bits come back shifted
      float[] back = h.to(DType.F32).toFloatArray();
      for (int i = 0; i < want.length; i++) {
        assertEquals(got[i] & 0xFFFF, Float.floatToRawIntBits(back[i]) >>> 16, "widen " + i);
        assertEquals(0, Float.floatToRawIntBits(back[i]) & 0xFFFF, "widen " + i);
      }
      // the Java reference rounding agrees with the native cast on fresh random values too
      float[] r = new float[10000];
      for (int i = 0; i < r.length; i++) {
        r[i] = (float) (rng.nextGaussian() * Math.pow(2, rng.nextInt(40) - 20));
      }
      assertArrayEquals(rne(r), Tensor.of(r, r.length).to(DType.BF16).toFloatArray());
    }
  }

  @Test
  void fillAndBufferTransfersOnBf16() {
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.zeros(DType.BF16, Device.CPU, 8);
      check(TriadNative.triad_fill(t.buf(), Float.intBitsToFloat(0x3F818000)));  // a tie
      for (short b : bits(t)) {
        assertEquals(0x3F82, b & 0xFFFF);
      }
      short[] raw = {0x3F80, (short) 0xC040, 0x7F80, (short) 0xFFC0, 0x0001, 0x4049, 0x0000, (short) 0x8000};
      check(TriadNative.triad_buffer_write(t.buf(), 0, raw, raw.length));
      assertArrayEquals(raw, bits(t));
      Tensor u = Tensor.zeros(DType.BF16, Device.CPU, 8);
      check(TriadNative.triad_buffer_copy(u.buf(), 2, t.buf(), 0, 6));
      short[] got = bits(u);
      assertEquals(0, got[0]);
      assertEquals(0, got[1]);
      for (int i = 0; i < 6; i++) {
        assertEquals(raw[i], got[i + 2]);
      }
    }
  }

  // ---- float64 references with a bf16 tolerance ----

  /** |got - want| <= 2^-8 |want| (one bf16 rounding of the output) + atol (f32 arithmetic). */
  private static void assertBf16Close(double[] want, float[] got, double atol, String what) {
    for (int i = 0; i < want.length; i++) {
      double tol = Math.abs(want[i]) / 256 + atol;
      assertTrue(Math.abs(got[i] - want[i]) <= tol, what + "[" + i + "]: " + got[i] + " vs " + want[i]);
    }
  }

  @Test
  void againstFloat64() {
    int M = 9, N = 11, K = 33;
    float[] a = randn(M * K), b = randn(K * N), bias = randn(N);
    float[] x = randn(M * N), w = randn(N), lb = randn(N);
    try (Scope s = Scope.open()) {
      Tensor out = Tensor.zeros(DType.BF16, Device.CPU, M * N);
      check(TriadNative.triad_matmul(out.buf(), Tensor.of(a, M * K).to(DType.BF16).buf(),
          Tensor.of(b, K * N).to(DType.BF16).buf(), Tensor.of(bias, N).to(DType.BF16).buf(), 1, M, N, K, 0, 0, 0));
      double[] ref = new double[M * N];
      for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
          double acc = bias[j];
          for (int k = 0; k < K; k++) {
            acc += (double) a[i * K + k] * b[k * N + j];
          }
          ref[i * N + j] = acc;
        }
      }
      assertBf16Close(ref, out.toFloatArray(), 1e-5, "matmul");

      Tensor ln = Tensor.zeros(DType.BF16, Device.CPU, M * N);
      Tensor mean = Tensor.zeros(M), rstd = Tensor.zeros(M);
      check(TriadNative.triad_layernorm_forward(ln.buf(), mean.buf(), rstd.buf(), Tensor.of(x, M * N).to(DType.BF16).buf(),
          Tensor.of(w, N).to(DType.BF16).buf(), Tensor.of(lb, N).to(DType.BF16).buf(), M, N, 1e-5f));
      double[] lnRef = new double[M * N];
      for (int i = 0; i < M; i++) {
        double mu = 0, var = 0;
        for (int j = 0; j < N; j++) {
          mu += x[i * N + j];
        }
        mu /= N;
        for (int j = 0; j < N; j++) {
          var += (x[i * N + j] - mu) * (x[i * N + j] - mu);
        }
        double r = 1 / Math.sqrt(var / N + 1e-5);
        assertEquals(mu, mean.toFloatArray()[i], 1e-6, "mean stays f32");
        for (int j = 0; j < N; j++) {
          lnRef[i * N + j] = (x[i * N + j] - mu) * r * w[j] + lb[j];
        }
      }
      assertBf16Close(lnRef, ln.toFloatArray(), 1e-5, "layernorm");

      Tensor ge = Tensor.zeros(DType.BF16, Device.CPU, M * N);
      check(TriadNative.triad_gelu_forward(ge.buf(), Tensor.of(x, M * N).to(DType.BF16).buf(), M * N));
      double[] geRef = new double[M * N];
      for (int i = 0; i < geRef.length; i++) {
        double v = x[i];
        geRef[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
      }
      assertBf16Close(geRef, ge.toFloatArray(), 1e-6, "gelu");

      // cross-entropy: loss and lse are f32 statistics, so only f32 arithmetic error remains
      int[] targets = ints(M, N);
      Tensor loss = Tensor.zeros(M), lse = Tensor.zeros(M);
      check(TriadNative.triad_cross_entropy_forward(loss.buf(), null, lse.buf(), Tensor.of(x, M * N).to(DType.BF16).buf(),
          Tensor.ofInts(targets, M).buf(), null, M, N, N, -1));
      float[] gotLoss = loss.toFloatArray();
      for (int i = 0; i < M; i++) {
        double mx = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < N; j++) {
          mx = Math.max(mx, x[i * N + j]);
        }
        for (int j = 0; j < N; j++) {
          sum += Math.exp(x[i * N + j] - mx);
        }
        double l = mx + Math.log(sum);
        assertEquals(l - x[i * N + targets[i]], gotLoss[i], 1e-5, "cross-entropy loss " + i);
      }
    }
  }
}
