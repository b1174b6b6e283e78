// Dtype conversion and fill on the CPU. bf16 is stored as the upper 16 bits of an IEEE float;
// f32 -> bf16 rounds to nearest even (NaN stays NaN), as CUDA's __float2bfloat16 does.
#include <cmath>
#include <cstring>

#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"
#include "triad.h"

namespace triad::cpu {
namespace {

inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float load(const void* src, int dtype, int64_t i) {
  switch (dtype) {
    case TRIAD_F32: return static_cast<const float*>(src)[i];
    case TRIAD_BF16: return bf16_to_f32(static_cast<const uint16_t*>(src)[i]);
    default: return static_cast<float>(static_cast<const int32_t*>(src)[i]);
  }
}

inline void store(void* dst, int dtype, int64_t i, float v) {
  switch (dtype) {
    case TRIAD_F32: static_cast<float*>(dst)[i] = v; break;
    case TRIAD_BF16: static_cast<uint16_t*>(dst)[i] = f32_to_bf16(v); break;
    // float -> int truncates toward zero, saturating instead of invoking undefined behaviour
    default: {
      int32_t r = std::isnan(v) ? 0
                  : v >= 2147483647.0f ? INT32_MAX
                  : v <= -2147483648.0f ? INT32_MIN
                  : static_cast<int32_t>(v);
      static_cast<int32_t*>(dst)[i] = r;
    }
  }
}

}  // namespace

void fill(void* dst, int dtype, int64_t n, float value) {
  parallel_for(n, n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) store(dst, dtype, i, value);
  });
}

void cast(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t n) {
  if (dst_dtype == src_dtype) {
    std::memcpy(dst, src, static_cast<size_t>(n) * (dst_dtype == TRIAD_BF16 ? 2 : 4));
    return;
  }
  // same dtypes were copied above; i32 -> f32/bf16 goes through float (exact below 2^24)
  parallel_for(n, n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) store(dst, dst_dtype, i, load(src, src_dtype, i));
  });
}

}  // namespace triad::cpu
