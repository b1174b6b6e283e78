package dev.triad.tensor;

import java.util.Arrays;

/** Shape arithmetic and validation shared by tensors and ops. */
public final class Shapes {
  private Shapes() {}

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Checks every dimension is >= 1 and returns a private copy. */
  static long[] validate(long[] shape) {
    for (long d : shape) {
      if (d < 1) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a dimension < 1");
      }
    }
    try {
      numel(shape);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
    }
    return shape.clone();
  }

  static void requireLength(int length, long[] shape) {
    if (length != numel(shape)) {
      throw new IllegalArgumentException("data has " + length + " elements but shape "
          + Arrays.toString(shape) + " needs " + numel(shape));
    }
  }

  /** Normalises a possibly negative axis. */
  public static int axis(int d, int rank) {
    int a = d < 0 ? d + rank : d;
    if (a < 0 || a >= rank) {
      throw new IllegalArgumentException("dimension " + d + " is out of range for rank " + rank);
    }
    return a;
  }

  static long[] inferReshape(long[] from, long[] to) {
    long n = numel(from);
    long known = 1;
    int infer = -1;
    for (int i = 0; i < to.length; i++) {
      if (to[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException("reshape to " + Arrays.toString(to) + ": only one dimension may be -1");
        }
        infer = i;
      } else if (to[i] < 1) {
        throw new IllegalArgumentException("reshape to " + Arrays.toString(to) + ": dimensions must be >= 1 or -1");
      } else {
        known = Math.multiplyExact(known, to[i]);
      }
    }
    long[] out = to.clone();
    if (infer >= 0) {
      if (n % known != 0) {
        throw new IllegalArgumentException("cannot reshape " + Arrays.toString(from) + " to " + Arrays.toString(to));
      }
      out[infer] = n / known;
    }
    if (numel(out) != n) {
      throw new IllegalArgumentException("cannot reshape " + Arrays.toString(from) + " (" + n
          + " elements) to " + Arrays.toString(to));
    }
    return out;
  }

  /** All but the last dimension multiplied together. */
  static long rows(long[] shape) {
    return numel(shape) / shape[shape.length - 1];
  }

  static long[] dropLast(long[] shape) {
    return Arrays.copyOf(shape, shape.length - 1);
  }

  static long[] withLast(long[] shape, long last) {
    long[] s = shape.clone();
    s[s.length - 1] = last;
    return s;
  }
}
