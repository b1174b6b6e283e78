package dev.triad.io;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header: its dtype, shape and byte range. Why a record of
 * its own: callers inspect files (names, shapes) before deciding what to read, e.g. to check a
 * checkpoint against a model's expected parameters without loading any data.
 *
 * @param name the tensor's name in the file
 * @param dtype its element type
 * @param shape its dimensions (empty for a scalar)
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
  public TensorInfo {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements (1 for a scalar). */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** "F32[768, 2304]", for messages. */
  public String describe() {
    return dtype + Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
        && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ": " + describe() + " @[" + begin + ", " + end + ")";
  }
}
