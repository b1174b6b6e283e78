package dev.triad.profile;

import static dev.triad.nativ.Status.check;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.TriadNative;
import dev.triad.profile.BenchCase.Prepared;
import dev.triad.profile.BenchCase.Unit;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The op suite of {@code triad bench}: every op at GPT-2 small's shapes (C=768, 12 heads of 64,
 * MLP width 3072, vocabulary 50257 padded to 50304), called through the C API on preallocated
 * buffers, so the times are the kernels' (plus one JNI call and the API's checks).
 *
 * <p>Work per call. Matmul: 2 M N K FLOPs. Attention (causal, so half the T x T square): forward
 * 2 B H T^2 D (Q K^T and P V), backward 5 B H T^2 D (the recomputed scores, dV, dP, dQ, dK).
 * Memory-bound ops count the bytes they must move once: layernorm forward reads x and writes out
 * (2 N C elements), backward reads dout and x and reads+adds dx (4 N C; the weight/bias gradient
 * sums are not counted); GELU forward 2n, backward 4n; cross-entropy forward reads the logits
 * (N V), backward reads the logits and reads+adds dlogits (3 N V); AdamW 28 bytes per f32
 * parameter (param, m, v read+write, grad read); embedding forward reads a wte and a wpe row and
 * writes out (3 B T C), backward reads dout and reads+adds a wte and a wpe row (5 B T C). Ids and
 * statistics (f32 mean/rstd/lse) are left out.
 */
public final class OpBench {
  private OpBench() {}

  /** Sizes: the full suite, or a quick smoke run (smaller compute-bound shapes). */
  public record Sizes(int matmulM, int attnB, int attnT, int rows, int ceRows, long adamwN) {
    public static Sizes of(Device device, boolean quick) {
      if (device == Device.CUDA) {
        return quick ? new Sizes(4096, 4, 1024, 8192, 4096, 16L << 20) : new Sizes(8192, 8, 1024, 16384, 8192, 124L << 20);
      }
      // CPU: each compute-bound case a few hundred ms at most on 2 cores
      return quick ? new Sizes(512, 1, 256, 8192, 512, 4L << 20) : new Sizes(2048, 2, 1024, 8192, 1024, 16L << 20);
    }
  }

  static final int C = 768, H = 12, D = 64, HIDDEN = 3072, V = 50257, V_PAD = 50304, P = 1024;

  /** The op cases for {@code dtype} data (AdamW always updates f32 masters). */
  public static List<BenchCase> cases(Device device, DType dtype, boolean quick) {
    Sizes s = Sizes.of(device, quick);
    String dt = dtype.toString();
    int es = dtype.bytes();
    List<BenchCase> out = new ArrayList<>();
    int m = s.matmulM();
    // the three forms a Linear layer runs: forward x W^T (NT), dX = dY W (NN), dW = dY^T X (TN)
    out.add(matmul("matmul NT (linear forward)", dtype, m, HIDDEN, C, false, true));
    out.add(matmul("matmul NN (linear dX)", dtype, m, C, HIDDEN, false, false));
    out.add(matmul("matmul TN (linear dW)", dtype, HIDDEN, C, m, true, false));
    out.add(attention(dtype, s.attnB(), s.attnT(), false));
    out.add(attention(dtype, s.attnB(), s.attnT(), true));
    long n = s.rows();
    out.add(new BenchCase("layernorm forward", "N=" + n + " C=" + C, dt, Unit.BYTES, 2.0 * n * C * es,
        d -> layerNorm(d, dtype, n, false)));
    out.add(new BenchCase("layernorm backward", "N=" + n + " C=" + C, dt, Unit.BYTES, 4.0 * n * C * es,
        d -> layerNorm(d, dtype, n, true)));
    long g = n * HIDDEN;
    out.add(new BenchCase("gelu forward", "n=" + n + "x" + HIDDEN, dt, Unit.BYTES, 2.0 * g * es,
        d -> gelu(d, dtype, g, false)));
    out.add(new BenchCase("gelu backward", "n=" + n + "x" + HIDDEN, dt, Unit.BYTES, 4.0 * g * es,
        d -> gelu(d, dtype, g, true)));
    long ce = s.ceRows();
    out.add(new BenchCase("cross-entropy forward", "N=" + ce + " V=" + V_PAD, dt, Unit.BYTES,
        1.0 * ce * V_PAD * es, d -> crossEntropy(d, dtype, ce, false)));
    out.add(new BenchCase("cross-entropy backward", "N=" + ce + " V=" + V_PAD, dt, Unit.BYTES,
        3.0 * ce * V_PAD * es, d -> crossEntropy(d, dtype, ce, true)));
    long pn = s.adamwN();
    out.add(new BenchCase("adamw step", "n=" + pn, "f32", Unit.BYTES, 28.0 * pn, d -> adamw(d, pn)));
    out.add(new BenchCase("embedding forward", "B*T=" + n + " C=" + C + " V=" + V, dt, Unit.BYTES,
        3.0 * n * C * es, d -> embedding(d, dtype, n, false)));
    out.add(new BenchCase("embedding backward", "B*T=" + n + " C=" + C + " V=" + V, dt, Unit.BYTES,
        5.0 * n * C * es, d -> embedding(d, dtype, n, true)));
    return out;
  }

  /** out[M,N] = op(a) @ op(b); a is [M,K] ([K,M] with transA), b is [K,N] ([N,K] with transB). */
  public static BenchCase matmul(String name, DType dtype, long M, long N, long K, boolean transA, boolean transB) {
    return new BenchCase(name, "M=" + M + " N=" + N + " K=" + K, dtype.toString(), Unit.FLOPS, 2.0 * M * N * K, d -> {
      Tensor a = rand(d, dtype, 1, M * K);
      Tensor b = rand(d, dtype, 2, K * N);
      Tensor o = Tensor.empty(dtype, d, M * N);
      return new Prepared(() -> check(TriadNative.triad_matmul(TensorAccess.buf(o), TensorAccess.buf(a), TensorAccess.buf(b), null, 1, M, N, K,
          transA ? 1 : 0, transB ? 1 : 0, 0)), a, b, o);
    });
  }

  static BenchCase attention(DType dtype, int B, int T, boolean backward) {
    double fwd = 2.0 * B * H * (double) T * T * D;
    return new BenchCase("attention " + (backward ? "backward" : "forward"), "B=" + B + " H=" + H + " T=" + T + " D=" + D,
        dtype.toString(), Unit.FLOPS, backward ? 2.5 * fwd : fwd, d -> {
          long qkvN = (long) B * T * 3 * C;
          Tensor qkv = rand(d, dtype, 3, qkvN);
          Tensor o = Tensor.empty(dtype, d, (long) B * T * C);
          Tensor lse = Tensor.empty(DType.F32, d, (long) B * H * T);
          check(TriadNative.triad_attention_forward(TensorAccess.buf(o), TensorAccess.buf(lse), TensorAccess.buf(qkv), null, B, T, H, D));
          if (!backward) {
            return new Prepared(() -> check(TriadNative.triad_attention_forward(TensorAccess.buf(o), TensorAccess.buf(lse), TensorAccess.buf(qkv), null,
                B, T, H, D)), qkv, o, lse);
          }
          Tensor dout = rand(d, dtype, 4, (long) B * T * C);
          Tensor dqkv = Tensor.zeros(dtype, d, qkvN);
          // backward adds into dqkv; its values grow but stay finite over a benchmark's calls
          return new Prepared(() -> check(TriadNative.triad_attention_backward(TensorAccess.buf(dqkv), TensorAccess.buf(dout), TensorAccess.buf(qkv),
              TensorAccess.buf(o), TensorAccess.buf(lse), null, B, T, H, D)), qkv, o, lse, dout, dqkv);
        });
  }

  static Prepared layerNorm(Device d, DType dtype, long n, boolean backward) {
    Tensor x = rand(d, dtype, 5, n * C);
    Tensor w = rand(d, dtype, 6, C);
    Tensor b = rand(d, dtype, 7, C);
    Tensor o = Tensor.empty(dtype, d, n * C);
    Tensor mean = Tensor.empty(DType.F32, d, n);
    Tensor rstd = Tensor.empty(DType.F32, d, n);
    Runnable fwd = () -> check(TriadNative.triad_layernorm_forward(TensorAccess.buf(o), TensorAccess.buf(mean), TensorAccess.buf(rstd), TensorAccess.buf(x), TensorAccess.buf(w),
        TensorAccess.buf(b), n, C, 1e-5f));
    fwd.run();
    if (!backward) {
      return new Prepared(fwd, x, w, b, o, mean, rstd);
    }
    Tensor dout = rand(d, dtype, 8, n * C);
    Tensor dx = Tensor.zeros(dtype, d, n * C);
    Tensor dw = Tensor.zeros(dtype, d, C);
    Tensor db = Tensor.zeros(dtype, d, C);
    return new Prepared(() -> check(TriadNative.triad_layernorm_backward(TensorAccess.buf(dx), TensorAccess.buf(dw), TensorAccess.buf(db), TensorAccess.buf(dout),
        TensorAccess.buf(x), TensorAccess.buf(w), TensorAccess.buf(mean), TensorAccess.buf(rstd), n, C)), x, w, b, o, mean, rstd, dout, dx, dw, db);
  }

  static Prepared gelu(Device d, DType dtype, long n, boolean backward) {
    Tensor x = rand(d, dtype, 9, n);
    if (!backward) {
      Tensor o = Tensor.empty(dtype, d, n);
      return new Prepared(() -> check(TriadNative.triad_gelu_forward(TensorAccess.buf(o), TensorAccess.buf(x), n)), x, o);
    }
    Tensor dout = rand(d, dtype, 10, n);
    Tensor dx = Tensor.zeros(dtype, d, n);
    return new Prepared(() -> check(TriadNative.triad_gelu_backward(TensorAccess.buf(dx), TensorAccess.buf(dout), TensorAccess.buf(x), n)), x, dout, dx);
  }

  static Prepared crossEntropy(Device d, DType dtype, long n, boolean backward) {
    Tensor logits = rand(d, dtype, 11, n * V_PAD);
    int[] t = new int[(int) n];
    for (int i = 0; i < n; i++) {
      t[i] = (int) ((i * 7919L) % V);
    }
    Tensor targets = Tensor.ofInts(t, d, n);
    Tensor loss = Tensor.empty(DType.F32, d, n);
    Tensor logprob = Tensor.empty(DType.F32, d, n);
    Tensor lse = Tensor.empty(DType.F32, d, n);
    Runnable fwd = () -> check(TriadNative.triad_cross_entropy_forward(TensorAccess.buf(loss), TensorAccess.buf(logprob), TensorAccess.buf(lse),
        TensorAccess.buf(logits), TensorAccess.buf(targets), null, n, V_PAD, V, -1));
    fwd.run();
    if (!backward) {
      return new Prepared(fwd, logits, targets, loss, logprob, lse);
    }
    Tensor dloss = Tensor.full(1f / n, DType.F32, d, n);
    Tensor dlogits = Tensor.zeros(dtype, d, n * V_PAD);
    return new Prepared(() -> check(TriadNative.triad_cross_entropy_backward(TensorAccess.buf(dlogits), TensorAccess.buf(dloss), null,
        TensorAccess.buf(logits), TensorAccess.buf(targets), null, TensorAccess.buf(lse), n, V_PAD, V, -1)), logits, targets, loss, logprob, lse, dloss,
        dlogits);
  }

  static Prepared adamw(Device d, long n) {
    Tensor p = rand(d, DType.F32, 12, n);
    Tensor g = rand(d, DType.F32, 13, n);
    Tensor m = Tensor.zeros(DType.F32, d, n);
    Tensor v = Tensor.zeros(DType.F32, d, n);
    TriadNative.AdamWParams params = new TriadNative.AdamWParams();
    params.lr(1e-4f).beta1(0.9f).beta2(0.95f).eps(1e-8f).weight_decay(0.1f).grad_scale(1f).step(1);
    return new Prepared(() -> check(TriadNative.triad_adamw_step(TensorAccess.buf(p), TensorAccess.buf(g), TensorAccess.buf(m), TensorAccess.buf(v), n, params)),
        p, g, m, v, params::close);
  }

  static Prepared embedding(Device d, DType dtype, long n, boolean backward) {
    long T = Math.min(P, n);
    long B = n / T;
    int[] tok = new int[(int) (B * T)];
    for (int i = 0; i < tok.length; i++) {
      tok[i] = (int) ((i * 40503L) % V);
    }
    Tensor tokens = Tensor.ofInts(tok, d, B * T);
    Tensor wte = rand(d, dtype, 14, (long) V_PAD * C);
    Tensor wpe = rand(d, dtype, 15, (long) P * C);
    if (!backward) {
      Tensor o = Tensor.empty(dtype, d, B * T * C);
      return new Prepared(() -> check(TriadNative.triad_embedding_forward(TensorAccess.buf(o), TensorAccess.buf(tokens), null, TensorAccess.buf(wte),
          TensorAccess.buf(wpe), B, T, C, V_PAD, P)), tokens, wte, wpe, o);
    }
    Tensor dout = rand(d, dtype, 16, B * T * C);
    Tensor dwte = Tensor.zeros(dtype, d, (long) V_PAD * C);
    Tensor dwpe = Tensor.zeros(dtype, d, (long) P * C);
    return new Prepared(() -> check(TriadNative.triad_embedding_backward(TensorAccess.buf(dwte), TensorAccess.buf(dwpe), TensorAccess.buf(dout),
        TensorAccess.buf(tokens), null, B, T, C, V_PAD, P)), tokens, wte, wpe, dout, dwte, dwpe);
  }

  /** N(0, 1) data of {@code dtype} (seeded, so every run benchmarks the same values). */
  static Tensor rand(Device d, DType dtype, long seed, long n) {
    Tensor f = Tensor.randn(seed, 0, 0f, 1f, d, n);
    if (dtype == DType.F32) {
      return f;
    }
    try (f) {
      return f.to(dtype);
    }
  }
}
