package dev.triad.cli;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;

/** The one reading of a command's {@code --precision bf16|f32|auto} value, with the CLI's error. */
final class PrecisionArg {
  private PrecisionArg() {}

  /** {@code value} as a precision on {@code device} ("auto" or null: the device's default). */
  static Precision parse(String value, Device device) {
    try {
      return Precision.parseOrDefault(value, device);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--precision " + value + ": expected bf16, f32 or auto");
    }
  }
}
