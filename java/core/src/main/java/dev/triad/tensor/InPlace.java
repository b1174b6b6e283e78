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

  /** dst[dstOffset, +count) := src[srcOffset, +count): the same dtype, any devices, not overlapping. */
  public static void copy(Tensor dst, long dstOffset, Tensor src, long srcOffset, long count) {
    new Check("copy").tensor(dst, "dst").tensor(src, "src");
    if (dst.dtype() != src.dtype()) {
      throw new IllegalArgumentException("copy: " + dst.describe() + " and " + src.describe() + " differ in dtype");
    }
    if (count < 0 || dstOffset < 0 || srcOffset < 0 || dstOffset + count > dst.numel()
        || srcOffset + count > src.numel()) {
      throw new IllegalArgumentException("copy: " + count + " elements from " + srcOffset + " of " + src.describe()
          + " to " + dstOffset + " of " + dst.describe() + " run past an end");
    }
    if (count > 0) {
      Status.check(TriadNative.triad_buffer_copy(dst.buf(), dstOffset, src.buf(), srcOffset, count));
    }
  }

  /** Every element of t := value. */
  public static void fill(Tensor t, float value) {
    new Check("fill").tensor(t, "t");
    Status.check(TriadNative.triad_fill(t.buf(), value));
  }
}
