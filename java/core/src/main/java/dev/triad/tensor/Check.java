package dev.triad.tensor;

import java.util.Arrays;

/**
 * Argument validation for ops, before anything crosses JNI. Every failure names the op, the
 * argument and what was wrong: IllegalStateException for closed tensors, IllegalArgumentException
 * for everything else.
 */
final class Check {
  private final String op;
  private Device device;

  Check(String op) {
    this.op = op;
  }

  /** A required open tensor on the same device as the others. */
  Check tensor(Tensor t, String name) {
    if (t == null) {
      throw new IllegalArgumentException(op + ": " + name + " is null");
    }
    if (t.isClosed()) {
      throw new IllegalStateException(op + ": " + name + " (" + t.describe() + ") is closed");
    }
    if (device == null) {
      device = t.device();
    } else if (t.device() != device) {
      throw new IllegalArgumentException(op + ": " + name + " is on " + t.device()
          + " but the other arguments are on " + device);
    }
    return this;
  }

  /** A floating-point tensor (f32 or bf16; every device computes bf16 data in f32). */
  Check floating(Tensor t, String name) {
    tensor(t, name);
    if (!t.dtype().isFloating()) {
      throw new IllegalArgumentException(op + ": " + name + " must be f32 or bf16, got " + t.describe());
    }
    return this;
  }

  /** An optional floating-point tensor. */
  Check floatingOrNull(Tensor t, String name) {
    return t == null ? this : floating(t, name);
  }

  /**
   * An optional f32 "statistics" tensor (loss weights and the like): f32 on every device, by the
   * dtype rule of triad.h, even where the data tensors are bf16.
   */
  Check f32OrNull(Tensor t, String name) {
    if (t == null) {
      return this;
    }
    tensor(t, name);
    if (t.dtype() != DType.F32) {
      throw new IllegalArgumentException(op + ": " + name + " must be f32, got " + t.describe());
    }
    return this;
  }

  /** An i32 tensor of ids or indices. */
  Check ints(Tensor t, String name) {
    tensor(t, name);
    if (t.dtype() != DType.I32) {
      throw new IllegalArgumentException(op + ": " + name + " must be i32, got " + t.describe());
    }
    return this;
  }

  Check intsOrNull(Tensor t, String name) {
    return t == null ? this : ints(t, name);
  }

  Check rank(Tensor t, String name, int... allowed) {
    for (int r : allowed) {
      if (t.rank() == r) {
        return this;
      }
    }
    throw new IllegalArgumentException(op + ": " + name + " must have rank "
        + (allowed.length == 1 ? allowed[0] : Arrays.toString(allowed)) + ", got " + t.describe());
  }

  Check minRank(Tensor t, String name, int min) {
    if (t.rank() < min) {
      throw new IllegalArgumentException(op + ": " + name + " must have rank >= " + min + ", got " + t.describe());
    }
    return this;
  }

  Check shape(Tensor t, String name, long... expected) {
    if (!Arrays.equals(t.shape(), expected)) {
      throw new IllegalArgumentException(op + ": " + name + " must have shape "
          + Arrays.toString(expected) + ", got " + t.describe());
    }
    return this;
  }

  Check sameShape(Tensor a, String aName, Tensor b, String bName) {
    if (!Arrays.equals(a.shape(), b.shape())) {
      throw new IllegalArgumentException(op + ": " + aName + " " + Arrays.toString(a.shape())
          + " and " + bName + " " + Arrays.toString(b.shape()) + " must have the same shape");
    }
    return this;
  }

  Check sameDType(Tensor a, String aName, Tensor b, String bName) {
    if (a.dtype() != b.dtype()) {
      throw new IllegalArgumentException(op + ": " + aName + " is " + a.dtype() + " but "
          + bName + " is " + b.dtype());
    }
    return this;
  }

  Check dim(long actual, long expected, String what) {
    if (actual != expected) {
      throw new IllegalArgumentException(op + ": " + what + " is " + actual + ", expected " + expected);
    }
    return this;
  }

  Check that(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(op + ": " + message);
    }
    return this;
  }

  Device device() {
    return device;
  }
}
