package dev.triad.io;

/**
 * The element types Triad reads from safetensors files, with their names in the format ("F32",
 * ...) and sizes. Why a separate enum from {@link dev.triad.tensor.DType}: files from other tools
 * hold types Triad does not compute in (F16 from Hugging Face exports, I64 token ids); they are
 * converted on load.
 */
public enum SafetensorsDType {
  F32(4, true),
  BF16(2, true),
  F16(2, true),
  I32(4, false),
  I64(8, false);

  private final int bytes;
  private final boolean floating;

  SafetensorsDType(int bytes, boolean floating) {
    this.bytes = bytes;
    this.floating = floating;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** True for F32, BF16, F16 (read with readFloats); false for I32, I64 (read with readInts). */
  public boolean isFloating() {
    return floating;
  }

  /** The dtype named {@code name} in a header, or null when Triad does not know it. */
  static SafetensorsDType parse(String name) {
    for (SafetensorsDType t : values()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }
}
