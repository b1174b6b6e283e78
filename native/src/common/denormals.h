// Subnormal ("denormal") floats, |x| < 2^-126, are handled by a microcode assist on x86 cores
// that costs on the order of a hundred cycles per instruction that reads or makes one, so a
// kernel that meets many of them (a GEMM, an elementwise chain) can run several times slower
// than on the same shapes with normal values. Training gains nothing from them: every op on the
// CPU runs with flush-to-zero (FTZ: a subnormal result becomes 0) and denormals-are-zero (DAZ: a
// subnormal input reads as 0), as PyTorch does with set_flush_denormal(True).
//
// MXCSR is per thread. The thread that calls into libtriad is a JVM thread, and Java's float
// arithmetic is IEEE with subnormals, so guard() (api/api.h) sets the mode with a
// DenormalScope that restores it on return. Worker threads of our OpenMP regions (parallel_for,
// attention, sampling, and OpenBLAS's jobs, which run on them: cpu/blas_threads.cpp) are
// libtriad's own and set it at the start of each region with flush_denormals_here().
// OpenBLAS's private thread pool (TRIAD_OPENBLAS_OWN_THREADS=1) is not covered.
// TRIAD_KEEP_DENORMALS=1 turns all of this off (read once), for comparisons.
#pragma once

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define TRIAD_HAS_MXCSR 1
#endif

namespace triad {

inline bool flush_denormals_enabled() {
  static const bool on = [] {
    const char* keep = std::getenv("TRIAD_KEEP_DENORMALS");
    return !(keep && keep[0] == '1');
  }();
  return on;
}

#ifdef TRIAD_HAS_MXCSR
constexpr unsigned kMxcsrFtzDaz = 0x8040u;  // bit 15 FTZ, bit 6 DAZ
#endif

// Sets FTZ and DAZ on the current thread (for libtriad's own worker threads; not restored).
inline void flush_denormals_here() {
#ifdef TRIAD_HAS_MXCSR
  if (flush_denormals_enabled()) _mm_setcsr(_mm_getcsr() | kMxcsrFtzDaz);
#endif
}

// FTZ and DAZ on the calling thread for the scope's lifetime, then its previous mode again.
class DenormalScope {
 public:
  DenormalScope() {
#ifdef TRIAD_HAS_MXCSR
    saved_ = _mm_getcsr();
    if (flush_denormals_enabled()) _mm_setcsr(saved_ | kMxcsrFtzDaz);
#endif
  }
  ~DenormalScope() {
#ifdef TRIAD_HAS_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  DenormalScope(const DenormalScope&) = delete;
  DenormalScope& operator=(const DenormalScope&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace triad
