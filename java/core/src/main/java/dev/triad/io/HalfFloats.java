package dev.triad.io;

/**
 * Bit-exact conversions between float and the 16-bit float formats stored in safetensors files.
 * Why its own class: the conversions must be exact (widening is lossless; narrowing to bf16
 * rounds to nearest even, as Triad's native cast and CUDA's __float2bfloat16 do), and they are
 * tested on their own.
 */
final class HalfFloats {
  private HalfFloats() {}

  /** bfloat16 bits -> float: bf16 is the upper half of an IEEE float, so this is exact. */
  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /**
   * float -> bfloat16 bits, rounding to nearest even; NaN stays (quiet) NaN. A float that is
   * already a bf16 value (lower 16 bits zero) converts exactly.
   */
  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** IEEE binary16 bits -> float, exactly (subnormals, infinities and NaN payloads included). */
  static float f16ToFloat(short h) {
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0) {
      // zero or subnormal: mant * 2^-24, exact in float (mant < 2^10)
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    int bits;
    if (exp == 0x1F) {
      bits = (sign << 31) | 0x7F800000 | (mant << 13); // infinity or NaN (payload kept)
    } else {
      bits = (sign << 31) | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    return Float.intBitsToFloat(bits);
  }
}
