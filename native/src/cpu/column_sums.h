// Deterministic column sums, shared by the kernels that reduce over rows (bias, layernorm and
// broadcast gradients).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/parallel.h"

namespace triad::cpu {

// res[j] = sum_{i<rows} f(i, j) in double, deterministic: rows are cut into chunks whose size
// depends only on the shape (never on the thread count), each (chunk, column block) is owned by
// one thread, and chunk partials are combined in chunk order.
template <class F>
void column_sums(double* res, int64_t rows, int64_t cols, F f) {
  constexpr int64_t kColBlock = 64;
  const int64_t row_chunk = cols >= 2048 ? std::max<int64_t>(rows, 1) : 512;
  const int64_t nchunks = std::max<int64_t>(1, (rows + row_chunk - 1) / row_chunk);
  const int64_t nblocks = (cols + kColBlock - 1) / kColBlock;
  std::vector<double> partial(nchunks > 1 ? nchunks * cols : 0);
  double* dst = nchunks > 1 ? partial.data() : res;  // [nchunks, cols]
  parallel_for(nchunks * nblocks, rows * cols, 32768, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {  // k = chunk * nblocks + column block
      const int64_t c = k / nblocks, jb = k % nblocks;
      const int64_t i0 = c * row_chunk, i1 = std::min(rows, i0 + row_chunk);
      const int64_t j0 = jb * kColBlock, j1 = std::min(cols, j0 + kColBlock);
      double acc[kColBlock] = {};
      for (int64_t i = i0; i < i1; ++i) {
#pragma omp simd
        for (int64_t j = j0; j < j1; ++j) acc[j - j0] += f(i, j);
      }
      for (int64_t j = j0; j < j1; ++j) dst[c * cols + j] = acc[j - j0];
    }
  });
  if (nchunks > 1) {
    parallel_for(cols, nchunks * cols, 32768, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        double s = 0.0;
        for (int64_t c = 0; c < nchunks; ++c) s += partial[c * cols + j];
        res[j] = s;
      }
    });
  }
}

}  // namespace triad::cpu
