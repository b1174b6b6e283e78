package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative.Buffer;
import dev.triad.nativ.TriadNative;
import java.util.List;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The multi-tensor native calls: the sum of squares and the AdamW step over many tensors in a few
 * device launches instead of a few per tensor. On the CPU they loop over the per-tensor kernels
 * (bit-identical to calling them one by one); on CUDA each is two launches at most. What
 * dev.triad.optim's AdamW and GradClip run on; no autograd.
 */
public final class MultiTensor {
  private MultiTensor() {}

  /** AdamW's step hyperparameters: learning rate, betas, epsilon, the factor on every gradient, the 1-based step. */
  public record AdamWStep(float lr, float beta1, float beta2, float eps, float gradScale, long step) {}

  /** acc [1] f32 += sum of squares of every tensor of xs (one data dtype, one device). */
  public static void sumSquares(Tensor acc, List<Tensor> xs) {
    int n = xs.size();
    long[] ns = new long[n];
    Buffer[] bufs = new Buffer[n];
    for (int i = 0; i < n; i++) {
      bufs[i] = xs.get(i).buf();
      ns[i] = xs.get(i).numel();
    }
    try (PointerPointer<Buffer> pp = new PointerPointer<>(bufs)) {
      Status.check(TriadNative.triad_sum_squares_multi(acc.buf(), n, pp, ns));
    }
  }

  /**
   * One AdamW step over tensors i {@code < params.size()}: params, m, v f32 (the masters and moments),
   * grads of one data dtype, copies null or a list whose entries are null or the low-precision
   * working copies to write (one dtype), weightDecay[i] per tensor. normSq (f32 [1], the
   * {@link #sumSquares} accumulator) or null: with maxNorm > 0 the clip factor is computed from it
   * where the data lives (no read of the norm).
   */
  public static void adamwStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v,
      List<Tensor> copies, float[] weightDecay, AdamWStep hyper, Tensor normSq, double maxNorm) {
    int n = params.size();
    if (grads.size() != n || m.size() != n || v.size() != n || weightDecay.length != n
        || (copies != null && copies.size() != n)) {
      throw new IllegalArgumentException("adamwStep: params, grads, m, v, copies and weightDecay differ in length");
    }
    long[] ns = new long[n];
    Buffer[] pb = new Buffer[n], gb = new Buffer[n], mb = new Buffer[n], vb = new Buffer[n], cb = new Buffer[n];
    for (int i = 0; i < n; i++) {
      pb[i] = params.get(i).buf();
      gb[i] = grads.get(i).buf();
      mb[i] = m.get(i).buf();
      vb[i] = v.get(i).buf();
      Tensor c = copies == null ? null : copies.get(i);
      cb[i] = c == null ? null : c.buf();
      ns[i] = params.get(i).numel();
    }
    try (TriadNative.AdamWParams p = new TriadNative.AdamWParams();
        PointerPointer<Buffer> pp = new PointerPointer<>(pb); PointerPointer<Buffer> gp = new PointerPointer<>(gb);
        PointerPointer<Buffer> mp = new PointerPointer<>(mb); PointerPointer<Buffer> vp = new PointerPointer<>(vb);
        PointerPointer<Buffer> cp = new PointerPointer<>(cb)) {
      p.lr(hyper.lr()).beta1(hyper.beta1()).beta2(hyper.beta2()).eps(hyper.eps()).grad_scale(hyper.gradScale())
          .step(hyper.step());
      Status.check(TriadNative.triad_adamw_step_multi(n, pp, gp, mp, vp, copies == null ? null : cp, ns, weightDecay,
          p, normSq == null ? null : normSq.buf(), maxNorm));
    }
  }
}
