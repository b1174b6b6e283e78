package dev.triad.nn;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import java.util.Locale;

/**
 * The mixed-precision policy of a model. {@link #BF16}: parameters, activations and their
 * gradients are bf16 (f32 arithmetic inside every kernel, round-to-nearest-even on every store),
 * while layernorm statistics, softmax/lse, losses and log-probs stay f32, and the optimizer keeps
 * f32 master weights and moments. {@link #F32}: everything f32. Checkpoints hold f32 values either
 * way, so a run can be continued, evaluated or sampled in either precision.
 */
public enum Precision {
  F32(DType.F32),
  BF16(DType.BF16);

  private final DType dtype;

  Precision(DType dtype) {
    this.dtype = dtype;
  }

  /** The dtype of parameters and activations. */
  public DType dtype() {
    return dtype;
  }

  /** bf16 on CUDA (tensor cores), f32 on the CPU (the exact reference). */
  public static Precision defaultFor(Device device) {
    return device == Device.CUDA ? BF16 : F32;
  }

  /** The precision of data stored as {@code dtype} (f32 or bf16). */
  public static Precision of(DType dtype) {
    for (Precision p : values()) {
      if (p.dtype == dtype) {
        return p;
      }
    }
    throw new IllegalArgumentException("no precision stores parameters as " + dtype + " (expected f32 or bf16)");
  }

  /** Parses "bf16" or "f32" (any case). */
  public static Precision parse(String name) {
    if (name != null) {
      switch (name.trim().toLowerCase(Locale.ROOT)) {
        case "bf16": return BF16;
        case "f32": return F32;
        default: break;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + name + "' (expected bf16 or f32)");
  }

  /** The parsed name, or the device's default when {@code name} is null or "auto". */
  public static Precision parseOrDefault(String name, Device device) {
    return name == null || name.trim().equalsIgnoreCase("auto") ? defaultFor(device) : parse(name);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
