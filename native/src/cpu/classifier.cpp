// Fused softmax cross-entropy over the vocabulary. Padding columns [V_real, V) take no part in
// the softmax and get no gradient.
#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"

namespace triad::cpu {

namespace {

void check_targets(const int32_t* targets, int64_t N, int64_t V_real, int ignore_index) {
  for (int64_t n = 0; n < N; ++n) {
    const int32_t t = targets[n];
    if (t != ignore_index && (t < 0 || t >= V_real)) {
      fail(TRIAD_ERR_INVALID, "target " + std::to_string(t) + " at index " + std::to_string(n) +
                                  " is out of range [0, " + std::to_string(V_real) +
                                  ") and is not ignore_index " + std::to_string(ignore_index));
    }
  }
}

}  // namespace

// logits [N,V]; targets i32 [N]; weights [N] or NULL; loss, logprob [N] or NULL; lse [N]
void cross_entropy_forward(float* loss, float* logprob, float* lse, const float* logits,
                           const int32_t* targets, const float* weights, int64_t N, int64_t V,
                           int64_t V_real, int ignore_index) {
  check_targets(targets, N, V_real, ignore_index);
  parallel_for(N, N * V_real, 32768, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* x = logits + n * V;
      float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
      for (int64_t j = 0; j < V_real; ++j) mx = std::max(mx, x[j]);
      double sum = 0.0;  // fixed vector-lane order: deterministic
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < V_real; ++j) sum += vexp(x[j] - mx);
      const double l = (double)mx + std::log(sum);
      lse[n] = (float)l;
      const int32_t t = targets[n];
      const bool ignored = t == ignore_index;
      const double lp = ignored ? 0.0 : (double)x[t] - l;
      if (logprob) logprob[n] = (float)lp;
      if (loss) loss[n] = ignored ? 0.0f : (float)(-(weights ? weights[n] : 1.0f) * lp);
    }
  });
}

// dlogits [N,V] += (dlogprob - w * dloss) * (onehot(target) - softmax), non-ignored rows,
// columns < V_real; softmax recomputed from the saved lse.
void cross_entropy_backward(float* dlogits, const float* dloss, const float* dlogprob,
                            const float* logits, const int32_t* targets, const float* weights,
                            const float* lse, int64_t N, int64_t V, int64_t V_real,
                            int ignore_index) {
  check_targets(targets, N, V_real, ignore_index);
  if (!dloss && !dlogprob) return;  // zero upstream gradient
  parallel_for(N, N * V_real, 32768, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const int32_t t = targets[n];
      if (t == ignore_index) continue;
      const float g = (dlogprob ? dlogprob[n] : 0.0f) -
                      (weights ? weights[n] : 1.0f) * (dloss ? dloss[n] : 0.0f);
      const float* x = logits + n * V;
      float* d = dlogits + n * V;
      const float l = lse[n];
#pragma omp simd
      for (int64_t j = 0; j < V_real; ++j) d[j] -= g * vexp(x[j] - l);
      d[t] += g;
    }
  });
}

}  // namespace triad::cpu
