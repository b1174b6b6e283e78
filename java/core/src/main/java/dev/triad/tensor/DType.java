package dev.triad.tensor;

import dev.triad.nativ.TriadNative;

/**
 * Element types. f32 and bf16 are floating point (bf16 is storage: every backend computes it in
 * f32 and rounds to nearest even on store); i32 holds ids.
 */
public enum DType {
  F32(TriadNative.TRIAD_F32, 4),
  BF16(TriadNative.TRIAD_BF16, 2),
  I32(TriadNative.TRIAD_I32, 4);

  final int code;
  private final int bytes;

  DType(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  public boolean isFloating() {
    return this != I32;
  }

  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
