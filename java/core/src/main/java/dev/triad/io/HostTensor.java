package dev.triad.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor held in a Java array, to be written to a safetensors file. Why: large states (a
 * converted GPT-2, optimizer moments gathered for a checkpoint) need not be copied onto a device
 * just to be saved. Floating dtypes (F32, BF16) take a float[] (BF16 rounds each float to nearest
 * even); integer dtypes (I32, I64) take an int[].
 *
 * @param name the name in the file
 * @param dtype the element type written
 * @param shape dimensions (empty for a scalar); their product must equal the data's length
 * @param data a float[] or an int[], row-major
 */
public record HostTensor(String name, SafetensorsDType dtype, long[] shape, Object data) {
  public HostTensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    shape = shape.clone();
    long numel = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor " + name + ": negative dimension in shape " + Arrays.toString(shape));
      }
      numel = Math.multiplyExact(numel, d);
    }
    int length;
    if (dtype == SafetensorsDType.F16) {
      throw new IllegalArgumentException("tensor " + name + ": writing F16 is not supported (use F32 or BF16)");
    } else if (dtype.isFloating()) {
      if (!(data instanceof float[] f)) {
        throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype + " needs float[] data, got " + data.getClass().getSimpleName());
      }
      length = f.length;
    } else {
      if (!(data instanceof int[] i)) {
        throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype + " needs int[] data, got " + data.getClass().getSimpleName());
      }
      length = i.length;
    }
    if (length != numel) {
      throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " has " + numel
          + " elements but the data has " + length);
    }
  }

  public static HostTensor f32(String name, float[] data, long... shape) {
    return new HostTensor(name, SafetensorsDType.F32, shape, data);
  }

  public static HostTensor bf16(String name, float[] data, long... shape) {
    return new HostTensor(name, SafetensorsDType.BF16, shape, data);
  }

  public static HostTensor i32(String name, int[] data, long... shape) {
    return new HostTensor(name, SafetensorsDType.I32, shape, data);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o == this; // arrays: identity, as for arrays themselves
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return "HostTensor(" + name + ": " + dtype + Arrays.toString(shape) + ")";
  }
}
