// Token + learned position embedding. Ids are validated up front (serially) so that no
// exception is thrown inside an OpenMP region.
#include <algorithm>
#include <string>

#include "common/error.h"
#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"

namespace triad::cpu {

namespace {

void check_ids(const int32_t* ids, int64_t n, int64_t limit, const char* what) {
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= limit) {
      fail(TRIAD_ERR_INVALID, std::string(what) + " " + std::to_string(ids[i]) + " at index " +
                                  std::to_string(i) + " is out of range [0, " +
                                  std::to_string(limit) + ")");
    }
  }
}

void check_all(const int32_t* tokens, const int32_t* positions, bool use_pos, int64_t B,
               int64_t T, int64_t V, int64_t P) {
  check_ids(tokens, B * T, V, "token id");
  if (!use_pos) return;
  if (positions) {
    check_ids(positions, B * T, P, "position id");
  } else if (T > P) {
    fail(TRIAD_ERR_INVALID, "position " + std::to_string(T - 1) + " is out of range [0, " +
                                std::to_string(P) + ")");
  }
}

}  // namespace

// out [B,T,C] = wte[tokens[b,t]] (+ wpe[pos[b,t]]); tokens, positions i32 [B,T]
void embedding_forward(float* out, const int32_t* tokens, const int32_t* positions,
                       const float* wte, const float* wpe, int64_t B, int64_t T, int64_t C,
                       int64_t V, int64_t P) {
  check_all(tokens, positions, wpe != nullptr, B, T, V, P);
  parallel_for(B * T, B * T * C, 32768, [&](int64_t bt0, int64_t bt1) {
    for (int64_t bt = bt0; bt < bt1; ++bt) {
      float* o = out + bt * C;
      const float* te = wte + (int64_t)tokens[bt] * C;
      if (wpe) {
        const int64_t pos = positions ? positions[bt] : bt % T;
        const float* pe = wpe + pos * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) o[c] = te[c] + pe[c];
      } else {
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) o[c] = te[c];
      }
    }
  });
}

// dwte [V,C] += scatter of dout [B,T,C] by token; dwpe [P,C] += scatter by position.
// Determinism: threads own disjoint channel ranges and each walks all (b,t) rows in order, so
// every gradient element receives its contributions in the same order for any thread count.
void embedding_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens,
                        const int32_t* positions, int64_t B, int64_t T, int64_t C, int64_t V,
                        int64_t P) {
  if (!dwte && !dwpe) return;
  check_all(tokens, positions, dwpe != nullptr, B, T, V, P);
  constexpr int64_t kBlock = 32;  // channels per work item
  const int64_t nblocks = (C + kBlock - 1) / kBlock;
  parallel_for(nblocks, B * T * C, 32768, [&](int64_t cb0, int64_t cb1) {
    for (int64_t cb = cb0; cb < cb1; ++cb) {
      const int64_t c0 = cb * kBlock, c1 = std::min(C, c0 + kBlock);
      for (int64_t bt = 0; bt < B * T; ++bt) {
        const float* g = dout + bt * C;
        if (dwte) {
          float* d = dwte + (int64_t)tokens[bt] * C;
#pragma omp simd
          for (int64_t c = c0; c < c1; ++c) d[c] += g[c];
        }
        if (dwpe) {
          const int64_t pos = positions ? positions[bt] : bt % T;
          float* d = dwpe + pos * C;
#pragma omp simd
          for (int64_t c = c0; c < c1; ++c) d[c] += g[c];
        }
      }
    }
  });
}

}  // namespace triad::cpu
