// LayerNorm over the last dimension; statistics in double, biased variance, eps inside sqrt.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/column_sums.h"
#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"

namespace triad::cpu {

// x, out [N,C]; weight, bias [C] (NULL = 1 / 0); mean, rstd [N] saved for backward
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps) {
  parallel_for(N, N * C, 32768, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* xr = x + n * C;
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < C; ++c) s += xr[c];
      const double mu = C > 0 ? s / C : 0.0;
      // two-pass variance: no cancellation for rows with a large mean
      double ss = 0.0;
#pragma omp simd reduction(+ : ss)
      for (int64_t c = 0; c < C; ++c) {
        const double d = xr[c] - mu;
        ss += d * d;
      }
      const double var = C > 0 ? ss / C : 0.0;
      const double rs = 1.0 / std::sqrt(var + (double)eps);
      const float muf = (float)mu, rsf = (float)rs;
      float* o = out + n * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const float xh = (xr[c] - muf) * rsf;
        o[c] = xh * (weight ? weight[c] : 1.0f) + (bias ? bias[c] : 0.0f);
      }
      if (mean) mean[n] = muf;
      if (rstd) rstd[n] = rsf;
    }
  });
}

// dx [N,C] += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * weight
// dweight [C] += sum_n dout * xhat; dbias [C] += sum_n dout (deterministic column sums)
void layernorm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                        const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C) {
  if (dx) {
    parallel_for(N, N * C, 32768, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        const float* xr = x + n * C;
        const float* gr = dout + n * C;
        const float mu = mean[n], rs = rstd[n];
        double sg = 0.0, sgx = 0.0;
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t c = 0; c < C; ++c) {
          const float g = gr[c] * (weight ? weight[c] : 1.0f);
          sg += g;
          sgx += (double)g * ((xr[c] - mu) * rs);
        }
        const float mg = (float)(sg / C), mgx = (float)(sgx / C);
        float* d = dx + n * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) {
          const float g = gr[c] * (weight ? weight[c] : 1.0f);
          const float xh = (xr[c] - mu) * rs;
          d[c] += rs * (g - mg - xh * mgx);
        }
      }
    });
  }
  if (dweight || dbias) {
    std::vector<double> s(C);
    if (dweight) {
      column_sums(s.data(), N, C, [=](int64_t i, int64_t j) {
        return (double)dout[i * C + j] * (double)((x[i * C + j] - mean[i]) * rstd[i]);
      });
      for (int64_t c = 0; c < C; ++c) dweight[c] += (float)s[c];
    }
    if (dbias) {
      column_sums(s.data(), N, C, [=](int64_t i, int64_t j) { return (double)dout[i * C + j]; });
      for (int64_t c = 0; c < C; ++c) dbias[c] += (float)s[c];
    }
  }
}

}  // namespace triad::cpu
