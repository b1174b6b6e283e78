// How CPU kernels go parallel. One rule: small work runs inline on the calling thread, large work
// is split into contiguous static ranges across the OpenMP team. The explicit branch matters:
// entering an `omp parallel` region costs ~350 ns in libgomp even under if(false), which is more
// than a small elementwise op itself (RL losses are full of those). Each index belongs to exactly
// one thread, so results never depend on the thread count.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "common/denormals.h"

namespace triad::cpu {

// Default work size (elements) below which a kernel is not worth splitting across threads.
constexpr int64_t kParallelMin = 32768;

// body(begin, end) over [0, n) once `work` (elements touched, roughly) exceeds min_work.
template <class Body>
inline void parallel_for(int64_t n, int64_t work, int64_t min_work, Body&& body) {
  if (n <= 0) return;
  if (work <= min_work || n == 1 || omp_in_parallel() || omp_get_max_threads() == 1) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    flush_denormals_here();  // worker threads: see common/denormals.h
    const int64_t threads = omp_get_num_threads();
    const int64_t chunk = (n + threads - 1) / threads;
    const int64_t begin = std::min(n, omp_get_thread_num() * chunk);
    const int64_t end = std::min(n, begin + chunk);
    if (begin < end) body(begin, end);
  }
}

}  // namespace triad::cpu
