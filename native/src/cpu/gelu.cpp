// GELU, tanh approximation as in GPT-2. Element-wise, so out/dx may alias an input.
#include <cmath>

#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"

namespace triad::cpu {

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;  // sqrt(2/pi)
constexpr float kCubic = 0.044715f;
}  // namespace

// out [n] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void gelu_forward(float* out, const float* x, int64_t n) {
  parallel_for(n, n, 65536, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; ++i) {
      const float xi = x[i];
      const float u = kSqrt2OverPi * (xi + kCubic * xi * xi * xi);
      out[i] = 0.5f * xi * (1.0f + vtanh(u));
    }
  });
}

// dx [n] += dout * gelu'(x)
void gelu_backward(float* dx, const float* dout, const float* x, int64_t n) {
  parallel_for(n, n, 65536, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; ++i) {
      const float xi = x[i];
      const float u = kSqrt2OverPi * (xi + kCubic * xi * xi * xi);
      const float t = vtanh(u);
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * xi * xi);
      const float grad = 0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du;
      dx[i] += dout[i] * grad;
    }
  });
}

}  // namespace triad::cpu
