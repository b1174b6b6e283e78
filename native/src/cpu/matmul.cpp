// Linear layer on the CPU: batched GEMM through CBLAS plus a broadcast bias, and the bias
// gradient (deterministic column sums).
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/column_sums.h"
#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"

namespace triad::cpu {

// out [batch,M,N] (+)= op(a) [M,K] @ op(b) [K,N] + bias [N]
// a: [batch,M,K] or, trans_a, [batch,K,M]; b: [batch,K,N] or, trans_b, [batch,N,K].
void matmul(float* out, const float* a, const float* b, const float* bias, int64_t batch,
            int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool accumulate) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  // Row-major leading dimensions of a and b as stored (BLAS wants >= 1 even for empty dims).
  const int64_t lda = std::max<int64_t>(1, trans_a ? M : K);
  const int64_t ldb = std::max<int64_t>(1, trans_b ? K : N);
  for (int64_t p = 0; p < batch; ++p) {
    float* o = out + p * M * N;  // [M,N]
    // The bias goes into out first so that one GEMM with beta=1 adds the product on top;
    // without bias, beta=0 overwrites (BLAS never reads out then, so garbage/NaN is fine).
    float beta = accumulate ? 1.0f : 0.0f;
    if (bias) {
      parallel_for(M, M * N, 65536, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          float* row = o + i * N;
          if (accumulate) {
#pragma omp simd
            for (int64_t j = 0; j < N; ++j) row[j] += bias[j];
          } else {
            std::memcpy(row, bias, sizeof(float) * N);
          }
        }
      });
      beta = 1.0f;
    }
    if (K <= 0) {  // empty product: out is bias, 0, or unchanged
      if (beta == 0.0f) std::memset(o, 0, sizeof(float) * M * N);
      continue;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f,
                a + p * M * K, (int)lda, b + p * K * N, (int)ldb, beta, o, (int)N);
  }
}

// dbias [N] += sum over rows of dout [M,N]
void bias_backward(float* dbias, const float* dout, int64_t M, int64_t N) {
  if (N <= 0) return;
  std::vector<double> s(N);
  column_sums(s.data(), M, N, [=](int64_t i, int64_t j) { return (double)dout[i * N + j]; });
  for (int64_t j = 0; j < N; ++j) dbias[j] += (float)s[j];
}

}  // namespace triad::cpu
