package dev.triad.tensor;

import static dev.triad.autograd.Autograd.gradOf;
import static dev.triad.nativ.Status.check;

import dev.triad.autograd.Autograd;
import dev.triad.autograd.Node;
import dev.triad.nativ.TriadNative;
import dev.triad.profile.Profiler;
import java.util.Arrays;

/**
 * Every tensor op, differentiable where it makes sense. Each method validates its arguments in
 * Java (shape, dtype, device, open tensors), allocates its outputs, calls one native forward
 * kernel, and — when an input requires a gradient — records a node whose backward calls the
 * matching native backward kernel. Shapes in comments are [dims]; C = channels, V = vocabulary.
 * The native forward call(s) of each op sit between {@link Profiler#opBegin} and
 * {@link Profiler#opEnd} (one volatile read when profiling is off).
 */
public final class Ops {
  private Ops() {}

  /** Result of {@link #crossEntropy}: per-token loss and per-token log-prob, both differentiable. */
  public static final class CrossEntropy {
    public final Tensor loss;
    public final Tensor logprob;

    CrossEntropy(Tensor loss, Tensor logprob) {
      this.loss = loss;
      this.logprob = logprob;
    }
  }

  // Outputs of forward ops: every op here overwrites its whole output, so no zero fill.
  private static Tensor like(Tensor t, long... shape) {
    return Tensor.empty(t.dtype(), t.device(), shape);
  }

  private static void record(Tensor out, String name, Tensor[] inputs, Node.Backward backward) {
    if (Autograd.shouldRecord(inputs)) {
      out.setGradFn(new Node(name, inputs, backward));
    }
  }

  private static TriadNative.Buffer bufOrNull(Tensor t) {
    return t == null ? null : t.buf();
  }

  // =============================================================================================
  // linear
  // =============================================================================================

  /**
   * Matrix product op(a) @ op(b), batched when both have rank 3.
   * a: [M,K] or, with transA, [K,M] (leading [batch] when rank 3); b: [K,N] or, with transB, [N,K].
   * Returns [M,N] (or [batch,M,N]).
   */
  public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
    Check c = new Check("matmul").floating(a, "a").floating(b, "b").rank(a, "a", 2, 3)
        .sameDType(a, "a", b, "b");
    c.that(a.rank() == b.rank(), "a " + a.describe() + " and b " + b.describe() + " must have the same rank");
    int r = a.rank();
    long batch = r == 3 ? a.size(0) : 1;
    if (r == 3) {
      c.that(b.size(0) == batch, "batch sizes differ: a " + a.describe() + ", b " + b.describe());
    }
    long M = transA ? a.size(r - 1) : a.size(r - 2);
    long K = transA ? a.size(r - 2) : a.size(r - 1);
    long Kb = transB ? b.size(r - 1) : b.size(r - 2);
    long N = transB ? b.size(r - 2) : b.size(r - 1);
    c.that(K == Kb, "inner dimensions differ: op(a) is [" + M + ", " + K + "], op(b) is [" + Kb + ", " + N + "]");
    Tensor out = r == 3 ? like(a, batch, M, N) : like(a, M, N);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_matmul(out.buf(), a.buf(), b.buf(), null, batch, M, N, K,
        transA ? 1 : 0, transB ? 1 : 0, 0));
    Profiler.opEnd("matmul", false, prof);
    record(out, "matmul", new Tensor[] {a, b}, g -> {
      Tensor da = gradOf(a);
      Tensor db = gradOf(b);
      // d op(a) = g @ op(b)^T ; d op(b) = op(a)^T @ g   (written in each storage layout)
      if (da != null) {
        if (!transA) {
          check(TriadNative.triad_matmul(da.buf(), g.buf(), b.buf(), null, batch, M, K, N, 0, transB ? 0 : 1, 1));
        } else {
          check(TriadNative.triad_matmul(da.buf(), b.buf(), g.buf(), null, batch, K, M, N, transB ? 1 : 0, 1, 1));
        }
      }
      if (db != null) {
        if (!transB) {
          check(TriadNative.triad_matmul(db.buf(), a.buf(), g.buf(), null, batch, K, N, M, transA ? 0 : 1, 0, 1));
        } else {
          check(TriadNative.triad_matmul(db.buf(), g.buf(), a.buf(), null, batch, N, K, M, 1, transA ? 1 : 0, 1));
        }
      }
    });
    return out;
  }

  /**
   * Linear layer y = x W^T + b. x: [..., in]; weight: [out, in]; bias: [out] or null.
   * Returns [..., out].
   */
  public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    Check c = new Check("linear").floating(x, "x").floating(weight, "weight").floatingOrNull(bias, "bias")
        .minRank(x, "x", 1).rank(weight, "weight", 2);
    long in = x.size(-1);
    long outF = weight.size(0);
    c.that(weight.size(1) == in, "weight " + weight.describe() + " does not match x's last dimension " + in);
    if (bias != null) {
      c.shape(bias, "bias", outF);
    }
    long rows = Shapes.rows(x.shape());
    Tensor out = like(x, Shapes.withLast(x.shape(), outF));
    long prof = Profiler.opBegin();
    check(TriadNative.triad_matmul(out.buf(), x.buf(), weight.buf(), bufOrNull(bias), 1, rows, outF, in, 0, 1, 0));
    Profiler.opEnd("linear", false, prof);
    record(out, "linear", new Tensor[] {x, weight, bias}, g -> {
      Tensor dx = gradOf(x);
      Tensor dw = gradOf(weight);
      Tensor db = gradOf(bias);
      if (dx != null) { // dx[rows,in] += g[rows,out] @ W[out,in]
        check(TriadNative.triad_matmul(dx.buf(), g.buf(), weight.buf(), null, 1, rows, in, outF, 0, 0, 1));
      }
      if (dw != null) { // dW[out,in] += g^T[out,rows] @ x[rows,in]
        check(TriadNative.triad_matmul(dw.buf(), g.buf(), x.buf(), null, 1, outF, in, rows, 1, 0, 1));
      }
      if (db != null) {
        check(TriadNative.triad_bias_backward(db.buf(), g.buf(), rows, outF));
      }
    });
    return out;
  }

  /**
   * The transformer MLP y = gelu(x Wfc^T + bfc) Wproj^T + bproj in fused kernels: the fc matmul
   * applies bias and GELU in its epilogue (saving the pre-activation), and backward forms
   * dpre = (dy Wproj) * gelu'(pre) in one matmul epilogue. x: [..., C]; wFc: [H, C]; bFc: [H] or
   * null; wProj: [C2, H]; bProj: [C2] or null. Returns [..., C2]. The same values as
   * {@code linear(gelu(linear(x, wFc, bFc)), wProj, bProj)}, rounded once less in bf16.
   */
  public static Tensor mlp(Tensor x, Tensor wFc, Tensor bFc, Tensor wProj, Tensor bProj) {
    Check c = new Check("mlp").floating(x, "x").floating(wFc, "wFc").floatingOrNull(bFc, "bFc")
        .floating(wProj, "wProj").floatingOrNull(bProj, "bProj").minRank(x, "x", 1).rank(wFc, "wFc", 2)
        .rank(wProj, "wProj", 2).sameDType(x, "x", wFc, "wFc").sameDType(x, "x", wProj, "wProj");
    long in = x.size(-1), hid = wFc.size(0), outF = wProj.size(0);
    c.that(wFc.size(1) == in, "wFc " + wFc.describe() + " does not match x's last dimension " + in)
        .that(wProj.size(1) == hid, "wProj " + wProj.describe() + " does not take wFc's " + hid + " outputs");
    if (bFc != null) {
      c.shape(bFc, "bFc", hid).sameDType(x, "x", bFc, "bFc");
    }
    if (bProj != null) {
      c.shape(bProj, "bProj", outF).sameDType(x, "x", bProj, "bProj");
    }
    long rows = Shapes.rows(x.shape());
    boolean grad = Autograd.shouldRecord(x, wFc, bFc, wProj, bProj);
    Tensor h = Tensor.unscoped(x.dtype(), x.device(), rows, hid); // gelu(pre) [rows,H]
    Tensor pre = grad ? Tensor.unscoped(x.dtype(), x.device(), rows, hid) : null; // x Wfc^T + bfc [rows,H]
    Tensor out = like(x, Shapes.withLast(x.shape(), outF));
    try {
      long prof = Profiler.opBegin();
      check(TriadNative.triad_matmul_epilogue(h.buf(), bufOrNull(pre), x.buf(), wFc.buf(), bufOrNull(bFc), 1, rows,
          hid, in, 0, 1, 0, TriadNative.TRIAD_EPILOGUE_GELU));
      check(TriadNative.triad_matmul(out.buf(), h.buf(), wProj.buf(), bufOrNull(bProj), 1, rows, outF, hid, 0, 1, 0));
      Profiler.opEnd("mlp", false, prof);
    } catch (RuntimeException e) {
      h.close();
      if (pre != null) {
        pre.close();
      }
      throw e;
    }
    if (!grad) {
      h.close();
      return out;
    }
    out.attach(h);
    out.attach(pre);
    record(out, "mlp", new Tensor[] {x, wFc, bFc, wProj, bProj}, g -> {
      Tensor dx = gradOf(x), dwFc = gradOf(wFc), dbFc = gradOf(bFc), dwProj = gradOf(wProj), dbProj = gradOf(bProj);
      if (dwProj != null) { // dWproj[C2,H] += g^T[C2,rows] @ h[rows,H]
        check(TriadNative.triad_matmul(dwProj.buf(), g.buf(), h.buf(), null, 1, outF, hid, rows, 1, 0, 1));
      }
      if (dbProj != null) {
        check(TriadNative.triad_bias_backward(dbProj.buf(), g.buf(), rows, outF));
      }
      if (dx == null && dwFc == null && dbFc == null) {
        return;
      }
      // dpre[rows,H] = (g[rows,C2] @ Wproj[C2,H]) * gelu'(pre), in the matmul's epilogue
      try (Tensor dpre = Tensor.unscoped(x.dtype(), x.device(), rows, hid)) {
        check(TriadNative.triad_matmul_epilogue(dpre.buf(), pre.buf(), g.buf(), wProj.buf(), null, 1, rows, hid, outF,
            0, 0, 0, TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD));
        if (dx != null) { // dx[rows,C] += dpre @ Wfc[H,C]
          check(TriadNative.triad_matmul(dx.buf(), dpre.buf(), wFc.buf(), null, 1, rows, in, hid, 0, 0, 1));
        }
        if (dwFc != null) { // dWfc[H,C] += dpre^T @ x
          check(TriadNative.triad_matmul(dwFc.buf(), dpre.buf(), x.buf(), null, 1, hid, in, rows, 1, 0, 1));
        }
        if (dbFc != null) {
          check(TriadNative.triad_bias_backward(dbFc.buf(), dpre.buf(), rows, hid));
        }
      }
    });
    return out;
  }

  // =============================================================================================
  // embedding
  // =============================================================================================

  /**
   * Token + learned position embedding. tokens: i32 [B,T]; positions: i32 [B,T] or null (= 0..T-1);
   * wte: [V,C]; wpe: [P,C] or null (token embedding only). Returns [B,T,C].
   * Ids are range-checked natively (an IllegalArgumentException names the bad id).
   */
  public static Tensor embedding(Tensor tokens, Tensor positions, Tensor wte, Tensor wpe) {
    Check c = new Check("embedding").ints(tokens, "tokens").intsOrNull(positions, "positions")
        .floating(wte, "wte").floatingOrNull(wpe, "wpe").rank(tokens, "tokens", 2).rank(wte, "wte", 2);
    long B = tokens.size(0), T = tokens.size(1), V = wte.size(0), C = wte.size(1);
    long P = 1;
    if (positions != null) {
      c.shape(positions, "positions", B, T);
    }
    if (wpe != null) {
      c.rank(wpe, "wpe", 2).that(wpe.size(1) == C, "wpe " + wpe.describe() + " and wte " + wte.describe() + " differ in width");
      P = wpe.size(0);
      c.that(positions != null || T <= P, "sequence length T=" + T + " exceeds the " + P + " learned positions");
    }
    final long fp = P;
    Tensor out = like(wte, B, T, C);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_embedding_forward(out.buf(), tokens.buf(), bufOrNull(positions), wte.buf(),
        bufOrNull(wpe), B, T, C, V, P));
    Profiler.opEnd("embedding", false, prof);
    record(out, "embedding", new Tensor[] {wte, wpe}, g ->
        check(TriadNative.triad_embedding_backward(bufOrNull(gradOf(wte)), bufOrNull(gradOf(wpe)), g.buf(),
            tokens.buf(), bufOrNull(positions), B, T, C, V, fp)));
    return out;
  }

  // =============================================================================================
  // layernorm, GELU
  // =============================================================================================

  /** LayerNorm over the last dimension. x: [..., C]; weight, bias: [C]. */
  public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
    Check c = new Check("layerNorm").floating(x, "x").floating(weight, "weight").floating(bias, "bias")
        .minRank(x, "x", 1);
    long C = x.size(-1);
    long N = Shapes.rows(x.shape());
    c.shape(weight, "weight", C).shape(bias, "bias", C).that(eps > 0, "eps must be > 0, got " + eps);
    Tensor out = like(x, x.shape());
    Tensor mean = Tensor.unscopedEmpty(DType.F32, x.device(), N);
    Tensor rstd = Tensor.unscopedEmpty(DType.F32, x.device(), N);
    out.attach(mean);
    out.attach(rstd);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_layernorm_forward(out.buf(), mean.buf(), rstd.buf(), x.buf(), weight.buf(),
        bias.buf(), N, C, eps));
    Profiler.opEnd("layerNorm", false, prof);
    record(out, "layerNorm", new Tensor[] {x, weight, bias}, g ->
        check(TriadNative.triad_layernorm_backward(bufOrNull(gradOf(x)), bufOrNull(gradOf(weight)),
            bufOrNull(gradOf(bias)), g.buf(), x.buf(), weight.buf(), mean.buf(), rstd.buf(), N, C)));
    return out;
  }

  /** GELU, tanh approximation (as GPT-2). Any shape. */
  public static Tensor gelu(Tensor x) {
    new Check("gelu").floating(x, "x");
    Tensor out = like(x, x.shape());
    long n = x.numel();
    long prof = Profiler.opBegin();
    check(TriadNative.triad_gelu_forward(out.buf(), x.buf(), n));
    Profiler.opEnd("gelu", false, prof);
    record(out, "gelu", new Tensor[] {x}, g ->
        check(TriadNative.triad_gelu_backward(gradOf(x).buf(), g.buf(), x.buf(), n)));
    return out;
  }

  // =============================================================================================
  // attention
  // =============================================================================================

  /**
   * Fused causal multi-head self-attention. qkv: [B,T,3C] laid out as [B,T,3,H,D] (the output of
   * one C -> 3C linear); docIds: i32 [B,T] or null — tokens attend only within their document.
   * Returns [B,T,C] (heads concatenated). The scores are scaled by 1/sqrt(D).
   */
  public static Tensor attention(Tensor qkv, int nHead, Tensor docIds) {
    Check c = new Check("attention").floating(qkv, "qkv").intsOrNull(docIds, "docIds").rank(qkv, "qkv", 3);
    long B = qkv.size(0), T = qkv.size(1), C3 = qkv.size(2);
    c.that(nHead >= 1, "nHead must be >= 1, got " + nHead)
        .that(C3 % (3L * nHead) == 0, "qkv's last dimension " + C3 + " is not 3 * nHead(" + nHead + ") * headDim");
    long C = C3 / 3, H = nHead, D = C / H;
    if (docIds != null) {
      c.shape(docIds, "docIds", B, T);
    }
    Tensor out = like(qkv, B, T, C);
    Tensor lse = Tensor.unscopedEmpty(DType.F32, qkv.device(), B, H, T);
    out.attach(lse);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_attention_forward(out.buf(), lse.buf(), qkv.buf(), bufOrNull(docIds), B, T, H, D));
    Profiler.opEnd("attention", false, prof);
    record(out, "attention", new Tensor[] {qkv}, g ->
        check(TriadNative.triad_attention_backward(gradOf(qkv).buf(), g.buf(), qkv.buf(), out.buf(), lse.buf(),
            bufOrNull(docIds), B, T, H, D)));
    return out;
  }

  /**
   * Attention for generation over a KV cache (no gradient). kCache, vCache: [B,Tmax,C] holding
   * positions [0, past); qkv: [B,Tn,3C] for the Tn new tokens, whose keys and values are written
   * into the caches at [past, past+Tn); start: i32 [B] or null — each row's first real position
   * (left padding before it is never attended). Returns [B,Tn,C].
   */
  public static Tensor attentionDecode(Tensor qkv, Tensor kCache, Tensor vCache, Tensor start, int nHead,
      long past) {
    Check c = new Check("attentionDecode").floating(qkv, "qkv").floating(kCache, "kCache")
        .floating(vCache, "vCache").intsOrNull(start, "start").rank(qkv, "qkv", 3).rank(kCache, "kCache", 3)
        .sameShape(kCache, "kCache", vCache, "vCache");
    long B = qkv.size(0), Tn = qkv.size(1), C = qkv.size(2) / 3, Tmax = kCache.size(1);
    c.that(nHead >= 1 && qkv.size(2) == 3 * C && C % nHead == 0,
        "qkv's last dimension " + qkv.size(2) + " is not 3 * nHead(" + nHead + ") * headDim")
        .shape(kCache, "kCache", B, Tmax, C)
        .that(past >= 0 && past + Tn <= Tmax, "past " + past + " + " + Tn + " new tokens exceed the cache length " + Tmax);
    if (start != null) {
      c.shape(start, "start", B);
    }
    Tensor out = like(qkv, B, Tn, C);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_attention_decode(out.buf(), kCache.buf(), vCache.buf(), qkv.buf(), bufOrNull(start),
        B, Tn, past, Tmax, nHead, C / nHead));
    Profiler.opEnd("attentionDecode", false, prof);
    return out;
  }

  // =============================================================================================
  // fused classifier
  // =============================================================================================

  /**
   * Fused softmax cross-entropy over the last dimension. logits: [..., V]; targets: i32 [...]
   * (class ids in [0, vocabReal) or ignoreIndex); weights: [...] or null (all 1). Columns >=
   * vocabReal are padding and never predicted. Returns per-token loss = -w * logprob and per-token
   * logprob of the target, both [...] and 0 where ignored. Weights are data: they get no gradient
   * (advantages and masks are constants of the loss).
   */
  public static CrossEntropy crossEntropy(Tensor logits, Tensor targets, Tensor weights, long vocabReal,
      int ignoreIndex) {
    Check c = new Check("crossEntropy").floating(logits, "logits").ints(targets, "targets")
        .f32OrNull(weights, "weights").minRank(logits, "logits", 1);
    long V = logits.size(-1);
    long[] rowShape = Shapes.dropLast(logits.shape());
    long N = Shapes.rows(logits.shape());
    c.that(targets.numel() == N && Arrays.equals(targets.shape(), rowShape),
        "targets " + targets.describe() + " must have shape " + Arrays.toString(rowShape));
    if (weights != null) {
      c.shape(weights, "weights", rowShape);
    }
    c.that(vocabReal >= 1 && vocabReal <= V, "vocabReal must be in [1, " + V + "], got " + vocabReal);
    Tensor loss = Tensor.empty(DType.F32, logits.device(), rowShape);
    Tensor logprob = Tensor.empty(DType.F32, logits.device(), rowShape);
    Tensor lse = Tensor.unscopedEmpty(DType.F32, logits.device(), N);
    loss.attach(lse);
    logprob.attach(lse.share()); // either output may outlive the other
    long prof = Profiler.opBegin();
    check(TriadNative.triad_cross_entropy_forward(loss.buf(), logprob.buf(), lse.buf(), logits.buf(),
        targets.buf(), bufOrNull(weights), N, V, vocabReal, ignoreIndex));
    Profiler.opEnd("crossEntropy", false, prof);
    // two outputs, one kernel: each output's node runs the backward with only its own upstream
    record(loss, "crossEntropy.loss", new Tensor[] {logits}, g ->
        check(TriadNative.triad_cross_entropy_backward(gradOf(logits).buf(), g.buf(), null, logits.buf(),
            targets.buf(), bufOrNull(weights), lse.buf(), N, V, vocabReal, ignoreIndex)));
    record(logprob, "crossEntropy.logprob", new Tensor[] {logits}, g ->
        check(TriadNative.triad_cross_entropy_backward(gradOf(logits).buf(), null, g.buf(), logits.buf(),
            targets.buf(), bufOrNull(weights), lse.buf(), N, V, vocabReal, ignoreIndex)));
    return new CrossEntropy(loss, logprob);
  }

  /**
   * Mean cross-entropy over the non-ignored tokens of a batch: the pretraining loss. vocabReal is
   * the real vocabulary (columns >= vocabReal of a padded LM head are never predicted);
   * {@code counted} is the number of targets that are not ignoreIndex, which the caller knows from
   * the host-side targets it built (no device read).
   */
  public static Tensor crossEntropyMean(Tensor logits, Tensor targets, long vocabReal, int ignoreIndex,
      long counted) {
    if (counted < 0 || counted > targets.numel()) {
      throw new IllegalArgumentException("crossEntropyMean: counted " + counted + " is not in [0, "
          + targets.numel() + "]");
    }
    CrossEntropy ce = crossEntropy(logits, targets, null, vocabReal, ignoreIndex);
    return mulScalar(sum(ce.loss.reshape(-1), 0), 1.0f / Math.max(1, counted));
  }

  /** Mean cross-entropy with every column real (logits without padding); counts the targets by reading them back. */
  public static Tensor crossEntropyMean(Tensor logits, Tensor targets, int ignoreIndex) {
    return crossEntropyMean(logits, targets, logits.size(-1), ignoreIndex);
  }

  /** As above, counting the non-ignored targets by reading them back (a device sync on CUDA). */
  public static Tensor crossEntropyMean(Tensor logits, Tensor targets, long vocabReal, int ignoreIndex) {
    return crossEntropyMean(logits, targets, vocabReal, ignoreIndex, countNotIgnored(targets.toIntArray(), ignoreIndex));
  }

  /** Number of targets that are not ignoreIndex. */
  public static long countNotIgnored(int[] targets, int ignoreIndex) {
    long n = 0;
    for (int t : targets) {
      if (t != ignoreIndex) {
        n++;
      }
    }
    return n;
  }

  // =============================================================================================
  // elementwise
  // =============================================================================================

  private static Tensor unary(String name, int op, Tensor x, float p0, float p1) {
    new Check(name).floating(x, "x");
    Tensor out = like(x, x.shape());
    long n = x.numel();
    long prof = Profiler.opBegin();
    check(TriadNative.triad_unary_forward(op, out.buf(), x.buf(), n, p0, p1));
    Profiler.opEnd(name, false, prof);
    record(out, name, new Tensor[] {x}, g ->
        check(TriadNative.triad_unary_backward(op, gradOf(x).buf(), g.buf(), x.buf(), out.buf(), n, p0, p1)));
    return out;
  }

  public static Tensor exp(Tensor x) {
    return unary("exp", TriadNative.TRIAD_UNARY_EXP, x, 0, 0);
  }

  public static Tensor log(Tensor x) {
    return unary("log", TriadNative.TRIAD_UNARY_LOG, x, 0, 0);
  }

  /** scale * x + shift. */
  public static Tensor affine(Tensor x, float scale, float shift) {
    return unary("affine", TriadNative.TRIAD_UNARY_AFFINE, x, scale, shift);
  }

  public static Tensor mulScalar(Tensor x, float s) {
    return affine(x, s, 0f);
  }

  public static Tensor addScalar(Tensor x, float s) {
    return affine(x, 1f, s);
  }

  public static Tensor neg(Tensor x) {
    return affine(x, -1f, 0f);
  }

  /** min(max(x, lo), hi); the gradient passes only inside [lo, hi]. */
  public static Tensor clamp(Tensor x, float lo, float hi) {
    if (!(lo <= hi)) {
      throw new IllegalArgumentException("clamp: lo " + lo + " must be <= hi " + hi);
    }
    return unary("clamp", TriadNative.TRIAD_UNARY_CLAMP, x, lo, hi);
  }

  public static Tensor square(Tensor x) {
    return unary("square", TriadNative.TRIAD_UNARY_SQUARE, x, 0, 0);
  }

  public static Tensor sqrt(Tensor x) {
    return unary("sqrt", TriadNative.TRIAD_UNARY_SQRT, x, 0, 0);
  }

  public static Tensor tanh(Tensor x) {
    return unary("tanh", TriadNative.TRIAD_UNARY_TANH, x, 0, 0);
  }

  public static Tensor relu(Tensor x) {
    return unary("relu", TriadNative.TRIAD_UNARY_RELU, x, 0, 0);
  }

  /**
   * a (op) b where b's shape equals a's shape or a suffix of it (b broadcasts over a's leading
   * dimensions), or b holds one element. The result has a's shape.
   */
  private static Tensor binary(String name, int op, Tensor a, Tensor b, boolean differentiable) {
    Check c = new Check(name).floating(a, "a").floating(b, "b").sameDType(a, "a", b, "b");
    long[] as = a.shape(), bs = b.shape();
    boolean suffix = bs.length <= as.length
        && Arrays.equals(bs, Arrays.copyOfRange(as, as.length - bs.length, as.length));
    c.that(suffix || b.numel() == 1, "b " + Arrays.toString(bs) + " does not broadcast to a " + Arrays.toString(as)
        + " (b's shape must be a suffix of a's, or b a single element)");
    long na = a.numel(), nb = b.numel();
    Tensor out = like(a, as);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_binary_forward(op, out.buf(), a.buf(), b.buf(), na, nb));
    Profiler.opEnd(name, false, prof);
    if (differentiable) {
      record(out, name, new Tensor[] {a, b}, g ->
          check(TriadNative.triad_binary_backward(op, bufOrNull(gradOf(a)), bufOrNull(gradOf(b)), g.buf(),
              a.buf(), b.buf(), na, nb)));
    }
    return out;
  }

  public static Tensor add(Tensor a, Tensor b) {
    return binary("add", TriadNative.TRIAD_BINARY_ADD, a, b, true);
  }

  public static Tensor sub(Tensor a, Tensor b) {
    return binary("sub", TriadNative.TRIAD_BINARY_SUB, a, b, true);
  }

  public static Tensor mul(Tensor a, Tensor b) {
    return binary("mul", TriadNative.TRIAD_BINARY_MUL, a, b, true);
  }

  public static Tensor div(Tensor a, Tensor b) {
    return binary("div", TriadNative.TRIAD_BINARY_DIV, a, b, true);
  }

  /** Elementwise minimum; the gradient goes to a where a &lt;= b, else to b. */
  public static Tensor minimum(Tensor a, Tensor b) {
    return binary("minimum", TriadNative.TRIAD_BINARY_MIN, a, b, true);
  }

  /** Elementwise maximum; the gradient goes to a where a >= b, else to b. */
  public static Tensor maximum(Tensor a, Tensor b) {
    return binary("maximum", TriadNative.TRIAD_BINARY_MAX, a, b, true);
  }

  /** 1 where a > b, else 0 (not differentiable). */
  public static Tensor greater(Tensor a, Tensor b) {
    return binary("greater", TriadNative.TRIAD_BINARY_GT, a, b, false);
  }

  /** 1 where a &lt; b, else 0 (not differentiable). */
  public static Tensor less(Tensor a, Tensor b) {
    return binary("less", TriadNative.TRIAD_BINARY_LT, a, b, false);
  }

  /** Residual connection x + f(x): the same as {@link #add} on equal shapes. */
  public static Tensor residual(Tensor x, Tensor fx) {
    new Check("residual").floating(x, "x").floating(fx, "fx").sameShape(x, "x", fx, "fx");
    return add(x, fx);
  }

  /** cond != 0 ? a : b, elementwise; all three of one shape. Differentiable in a and b. */
  public static Tensor where(Tensor cond, Tensor a, Tensor b) {
    new Check("where").floating(cond, "cond").floating(a, "a").floating(b, "b")
        .sameShape(cond, "cond", a, "a").sameShape(a, "a", b, "b").sameDType(a, "a", b, "b");
    long n = a.numel();
    Tensor out = like(a, a.shape());
    long prof = Profiler.opBegin();
    check(TriadNative.triad_where_forward(out.buf(), cond.buf(), a.buf(), b.buf(), n));
    Profiler.opEnd("where", false, prof);
    record(out, "where", new Tensor[] {a, b}, g ->
        check(TriadNative.triad_where_backward(bufOrNull(gradOf(a)), bufOrNull(gradOf(b)), g.buf(), cond.buf(), n)));
    return out;
  }

  // =============================================================================================
  // reductions, gather, log-softmax
  // =============================================================================================

  private static Tensor reduce(String name, int op, Tensor x, int dim) {
    new Check(name).floating(x, "x");
    long[] s = x.shape();
    int d = s.length == 0 ? 0 : Shapes.axis(dim, s.length);
    long outer = 1, inner = 1, size = s.length == 0 ? 1 : s[d];
    for (int i = 0; i < d; i++) {
      outer *= s[i];
    }
    for (int i = d + 1; i < s.length; i++) {
      inner *= s[i];
    }
    long[] outShape = new long[Math.max(0, s.length - 1)];
    for (int i = 0, j = 0; i < s.length; i++) {
      if (i != d) {
        outShape[j++] = s[i];
      }
    }
    final long fo = outer, fi = inner;
    Tensor out = like(x, outShape);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_reduce_forward(op, out.buf(), x.buf(), fo, size, fi));
    Profiler.opEnd(name, false, prof);
    record(out, name, new Tensor[] {x}, g ->
        check(TriadNative.triad_reduce_backward(op, gradOf(x).buf(), g.buf(), fo, size, fi)));
    return out;
  }

  /** Sum along dimension {@code dim} (removed from the shape). */
  public static Tensor sum(Tensor x, int dim) {
    return reduce("sum", TriadNative.TRIAD_REDUCE_SUM, x, dim);
  }

  /** Mean along dimension {@code dim} (removed from the shape). */
  public static Tensor mean(Tensor x, int dim) {
    return reduce("mean", TriadNative.TRIAD_REDUCE_MEAN, x, dim);
  }

  /** Sum of all elements, as a scalar. */
  public static Tensor sum(Tensor x) {
    return sum(x.reshape(x.numel()), 0);
  }

  /** Mean of all elements, as a scalar. */
  public static Tensor mean(Tensor x) {
    return mean(x.reshape(x.numel()), 0);
  }

  /** out[...] = x[..., index[...]]. x: [..., V]; index: i32 [...]; returns [...]. */
  public static Tensor gather(Tensor x, Tensor index) {
    Check c = new Check("gather").floating(x, "x").ints(index, "index").minRank(x, "x", 1);
    long[] rowShape = Shapes.dropLast(x.shape());
    c.that(Arrays.equals(index.shape(), rowShape), "index " + index.describe() + " must have shape "
        + Arrays.toString(rowShape));
    long N = Shapes.rows(x.shape()), V = x.size(-1);
    Tensor out = like(x, rowShape);
    long prof = Profiler.opBegin();
    check(TriadNative.triad_gather_forward(out.buf(), x.buf(), index.buf(), N, V));
    Profiler.opEnd("gather", false, prof);
    record(out, "gather", new Tensor[] {x}, g ->
        check(TriadNative.triad_gather_backward(gradOf(x).buf(), g.buf(), index.buf(), N, V)));
    return out;
  }

  /** log softmax over the last dimension. */
  public static Tensor logSoftmax(Tensor x) {
    new Check("logSoftmax").floating(x, "x").minRank(x, "x", 1);
    long N = Shapes.rows(x.shape()), V = x.size(-1);
    Tensor out = like(x, x.shape());
    long prof = Profiler.opBegin();
    check(TriadNative.triad_log_softmax_forward(out.buf(), x.buf(), N, V));
    Profiler.opEnd("logSoftmax", false, prof);
    record(out, "logSoftmax", new Tensor[] {x}, g ->
        check(TriadNative.triad_log_softmax_backward(gradOf(x).buf(), g.buf(), out.buf(), N, V)));
    return out;
  }

  // =============================================================================================
  // copies and sampling
  // =============================================================================================

  /** A copy of x's values that does not require a gradient (its own memory). */
  public static Tensor detach(Tensor x) {
    new Check("detach").tensor(x, "x");
    Tensor out = like(x, x.shape());
    long prof = Profiler.opBegin();
    check(TriadNative.triad_buffer_copy(out.buf(), 0, x.buf(), 0, x.numel()));
    Profiler.opEnd("detach", false, prof);
    return out;
  }

  /**
   * x converted to {@code dtype} (f32 &lt;-&gt; bf16; to bf16 rounds to nearest even), differentiable:
   * the gradient is converted back to x's dtype. Where bf16 data meets f32 statistics (a scalar
   * head's output against f32 returns, say) this keeps the loss arithmetic in f32. Returns x
   * itself when it already has {@code dtype}.
   */
  public static Tensor cast(Tensor x, DType dtype) {
    new Check("cast").floating(x, "x").that(dtype != null && dtype.isFloating(),
        "dtype must be f32 or bf16, got " + dtype);
    if (x.dtype() == dtype) {
      return x;
    }
    Tensor out = Tensor.zeros(dtype, x.device(), x.shape());
    long prof = Profiler.opBegin();
    check(TriadNative.triad_cast(out.buf(), x.buf()));
    Profiler.opEnd("cast", false, prof);
    long n = x.numel();
    record(out, "cast", new Tensor[] {x}, g -> {
      Tensor dx = gradOf(x);
      try (Tensor back = Tensor.unscoped(x.dtype(), x.device(), x.shape())) {
        check(TriadNative.triad_cast(back.buf(), g.buf()));
        check(TriadNative.triad_binary_forward(TriadNative.TRIAD_BINARY_ADD, dx.buf(), dx.buf(), back.buf(), n, n));
      }
    });
    return out;
  }

  /**
   * x[:, t, :] of a [B,T,C] tensor, as a new [B,C] tensor (not differentiable): e.g. the last
   * position's hidden state during generation.
   */
  public static Tensor selectTime(Tensor x, long t) {
    Check c = new Check("selectTime").tensor(x, "x").rank(x, "x", 3);
    long B = x.size(0), T = x.size(1), C = x.size(2);
    c.that(t >= 0 && t < T, "time index " + t + " is out of range [0, " + T + ")");
    Tensor out = like(x, B, C);
    long prof = Profiler.opBegin();
    for (long b = 0; b < B; b++) {
      check(TriadNative.triad_buffer_copy(out.buf(), b * C, x.buf(), (b * T + t) * C, C));
    }
    Profiler.opEnd("selectTime", false, prof);
    return out;
  }

  /**
   * One token per row of logits [..., V] (columns >= vocabReal never chosen): greedy when
   * temperature &lt;= 0, else softmax(logits / temperature) restricted by topK (&lt;= 0: off) and topP
   * (>= 1: off). Row n uses the counter-based stream (seed, offset + n). Returns i32 [...].
   */
  public static Tensor sample(Tensor logits, long vocabReal, float temperature, int topK, float topP, long seed,
      long offset) {
    Check c = new Check("sample").floating(logits, "logits").minRank(logits, "logits", 1);
    long V = logits.size(-1);
    c.that(vocabReal >= 1 && vocabReal <= V, "vocabReal must be in [1, " + V + "], got " + vocabReal)
        .that(topP > 0, "topP must be > 0, got " + topP);
    long N = Shapes.rows(logits.shape());
    Tensor out = Tensor.empty(DType.I32, logits.device(), Shapes.dropLast(logits.shape()));
    long prof = Profiler.opBegin();
    check(TriadNative.triad_sample(out.buf(), logits.buf(), N, V, vocabReal, temperature, topK, topP, seed, offset));
    Profiler.opEnd("sample", false, prof);
    return out;
  }
}
