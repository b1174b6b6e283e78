// Reductions along one dimension, gather along the last dimension, and log-softmax. Every
// output element is owned by one thread and summed in a fixed order (deterministic).
#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "cpu/cpu_ops.h"
#include "cpu/vec_math.h"
#include "cpu/parallel.h"

namespace triad::cpu {

namespace {


void check_op(int op) {
  if (op != TRIAD_REDUCE_SUM && op != TRIAD_REDUCE_MEAN) {
    fail(TRIAD_ERR_INVALID, "unknown reduce op code " + std::to_string(op));
  }
}

void check_index(const int32_t* index, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n) {
    if (index[n] < 0 || index[n] >= V) {
      fail(TRIAD_ERR_INVALID, "gather index " + std::to_string(index[n]) + " at index " +
                                  std::to_string(n) + " is out of range [0, " +
                                  std::to_string(V) + ")");
    }
  }
}

}  // namespace

// x [outer,dim,inner] -> out [outer,inner]: sum (or mean) over dim, accumulated in double
void reduce_forward(int op, float* out, const float* x, int64_t outer, int64_t dim,
                    int64_t inner) {
  check_op(op);
  constexpr int64_t kBlock = 64;  // inner columns per work item
  const int64_t nblocks = (inner + kBlock - 1) / kBlock;
  const double div = op == TRIAD_REDUCE_MEAN ? (double)dim : 1.0;
  // one task per (o, column block), flattened so both dimensions can be shared out
  parallel_for(outer * nblocks, outer * dim * inner, kParallelMin, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t o = k / nblocks, ib = k % nblocks;
      const int64_t i0 = ib * kBlock, i1 = std::min(inner, i0 + kBlock);
      double acc[kBlock] = {};
      const float* xo = x + o * dim * inner;
      for (int64_t d = 0; d < dim; ++d) {
#pragma omp simd
        for (int64_t i = i0; i < i1; ++i) acc[i - i0] += xo[d * inner + i];
      }
      for (int64_t i = i0; i < i1; ++i) out[o * inner + i] = (float)(acc[i - i0] / div);
    }
  });
}

// dx [outer,dim,inner] += dout [outer,inner] broadcast over dim (divided by dim for mean)
void reduce_backward(int op, float* dx, const float* dout, int64_t outer, int64_t dim,
                     int64_t inner) {
  check_op(op);
  const float scale = op == TRIAD_REDUCE_MEAN ? (float)(1.0 / (double)dim) : 1.0f;
  parallel_for(outer * dim, outer * dim * inner, kParallelMin, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {  // k = o * dim + d: one row of dx
      float* dr = dx + k * inner;
      const float* g = dout + (k / dim) * inner;
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) dr[i] += g[i] * scale;
    }
  });
}

// out [N] = x [N,V] at index i32 [N]
void gather_forward(float* out, const float* x, const int32_t* index, int64_t N, int64_t V) {
  check_index(index, N, V);
  parallel_for(N, N, kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) out[n] = x[n * V + index[n]];
  });
}

// dx [N,V] += dout [N] at index (one element per row: no collisions)
void gather_backward(float* dx, const float* dout, const int32_t* index, int64_t N, int64_t V) {
  check_index(index, N, V);
  parallel_for(N, N, kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) dx[n * V + index[n]] += dout[n];
  });
}

// out [N,V] = x - logsumexp(x) per row (max-shifted, sum in double)
void log_softmax_forward(float* out, const float* x, int64_t N, int64_t V) {
  parallel_for(N, N * V, kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* xr = x + n * V;
      float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
      for (int64_t j = 0; j < V; ++j) mx = std::max(mx, xr[j]);
      double sum = 0.0;  // fixed vector-lane order: deterministic
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < V; ++j) sum += vexp(xr[j] - mx);
      const float l = (float)((double)mx + std::log(sum));
      float* o = out + n * V;  // may alias x: every x[j] is read before o[j] is written
#pragma omp simd
      for (int64_t j = 0; j < V; ++j) o[j] = xr[j] - l;
    }
  });
}

// dx [N,V] += dout - exp(out) * sum(dout) per row
void log_softmax_backward(float* dx, const float* dout, const float* out, int64_t N, int64_t V) {
  parallel_for(N, N * V, kParallelMin, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* g = dout + n * V;
      const float* o = out + n * V;
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < V; ++j) s += g[j];
      const float sf = (float)s;
      float* d = dx + n * V;
#pragma omp simd
      for (int64_t j = 0; j < V; ++j) d[j] += g[j] - vexp(o[j]) * sf;
    }
  });
}

}  // namespace triad::cpu
