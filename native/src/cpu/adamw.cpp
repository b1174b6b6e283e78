// Fused AdamW step and the deterministic sum of squares used for the global gradient norm.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"

namespace triad::cpu {

// param, grad, m, v [n]. g = grad * grad_scale; moments updated in place; bias-corrected
// update plus decoupled weight decay on the old param.
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                int64_t step) {
  // bias corrections in double: 1 - beta^step loses precision in float for beta2 near 1
  const float inv_bc1 = (float)(1.0 / (1.0 - std::pow((double)beta1, (double)step)));
  const float inv_bc2 = (float)(1.0 / (1.0 - std::pow((double)beta2, (double)step)));
  const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  parallel_for(n, n, 65536, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; ++i) {
      const float g = grad[i] * grad_scale;
      const float mi = beta1 * m[i] + c1 * g;
      const float vi = beta2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      const float mhat = mi * inv_bc1, vhat = vi * inv_bc2;
      param[i] -= lr * (mhat / (std::sqrt(vhat) + eps) + weight_decay * param[i]);
    }
  });
}

// acc [1] += sum x [n]^2, in double. Fixed-size chunks (independent of the thread count) are
// summed separately and combined in chunk order, so the result is deterministic.
void sum_squares(float* acc, const float* x, int64_t n) {
  constexpr int64_t kChunk = 1 << 16;
  const int64_t nchunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(nchunks);
  parallel_for(nchunks, nchunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t i0 = c * kChunk, i1 = std::min(n, i0 + kChunk);
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = i0; i < i1; ++i) s += (double)x[i] * (double)x[i];
      partial[c] = s;
    }
  });
  double total = 0.0;
  for (int64_t c = 0; c < nchunks; ++c) total += partial[c];
  acc[0] = (float)((double)acc[0] + total);
}

}  // namespace triad::cpu
