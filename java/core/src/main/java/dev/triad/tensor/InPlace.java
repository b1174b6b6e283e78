package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;

/**
 * Writes into an existing tensor, outside autograd: what an optimizer, gradient clipping and the
 * backward pass's seed do to state they own. Ops that build the graph are in {@link Ops}.
 */
public final class InPlace {
  private InPlace() {}

  /** t := a * t + b, elementwise, in t's dtype. */
  public static void affine(Tensor t, float a, float b) {
    new Check("affine").floating(t, "t");
    Status.check(TriadNative.triad_unary_forward(TriadNative.TRIAD_UNARY_AFFINE, t.buf(), t.buf(), t.numel(), a, b));
  }

  /** dst := src converted to dst's dtype (round to nearest even when narrowing); same size, same device. */
  public static void cast(Tensor dst, Tensor src) {
    new Check("cast").tensor(dst, "dst").tensor(src, "src");
    if (dst.numel() != src.numel()) {
      throw new IllegalArgumentException("cast: " + dst.describe() + " and " + src.describe() + " differ in size");
    }
    Status.check(TriadNative.triad_cast(dst.buf(), src.buf()));
  }
}
