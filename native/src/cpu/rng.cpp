// Counter-based RNG (Philox4x32-10) and token sampling. Every value depends only on
// (seed, stream position), so results are identical for any thread count and must be
// reproduced bit for bit by the CUDA backend. Float affine maps use an explicit fma so that
// neither compiler is free to contract (or not) differently.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"

namespace triad::cpu {

namespace {

struct U4 {
  uint32_t v[4];
};

// Philox4x32-10 (Salmon et al. 2011), as in Random123 and cuRAND.
inline U4 philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t seed) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {  // key schedule: bumped between rounds
      k0 += kW0;
      k1 += kW1;
    }
    const uint64_t p0 = (uint64_t)kM0 * c0, p1 = (uint64_t)kM1 * c2;
    const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return U4{{c0, c1, c2, c3}};
}

constexpr float kTwoPow24Inv = 5.9604644775390625e-8f;  // 2^-24

inline uint32_t lo32(uint64_t x) { return (uint32_t)x; }
inline uint32_t hi32(uint64_t x) { return (uint32_t)(x >> 32); }

}  // namespace

// out [n]: element i = fma(hi - lo, (u >> 8) * 2^-24, lo), u = lane (c % 4) of
// philox((c / 4) lo, hi, 0, 0) with c = offset + i; a result that rounds up to hi becomes the
// largest float below hi (when lo < hi), so every value is in [lo, hi)
void rng_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  const float span = hi - lo;
  parallel_for(n, n, 16384, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const uint64_t c = offset + (uint64_t)i;
      const uint64_t block = c >> 2;
      const U4 r = philox(lo32(block), hi32(block), 0u, 0u, seed);
      const float x = (float)(r.v[c & 3] >> 8) * kTwoPow24Inv;
      const float v = std::fma(span, x, lo);
      // rounding can land exactly on hi (e.g. lo 1, hi 2, x = 1 - 2^-24): keep [lo, hi) half-open
      out[i] = (v < hi || !(lo < hi)) ? v : std::nextafter(hi, lo);
    }
  });
}

// out [n]: Box-Muller on philox(lo32(c), hi32(c), 1, 0), c = offset + i; z in double, then
// value = fma(std, (float)z, mean)
void rng_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  parallel_for(n, n, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const uint64_t c = offset + (uint64_t)i;
      const U4 r = philox(lo32(c), hi32(c), 1u, 0u, seed);
      const double u1 = (double)((r.v[0] >> 8) + 1) * 0x1p-24;  // (0, 1]: log is finite
      const double u2 = (double)(r.v[1] >> 8) * 0x1p-24;        // [0, 1)
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
      out[i] = std::fma(std, (float)z, mean);
    }
  });
}

// logits [N,V] -> out i32 [N]; only columns < V_real can be chosen. Row n uses
// u = (philox(lo32(offset+n), hi32(offset+n), 2, 0)[0] >> 8) * 2^-24.
// top-p is applied to the top-k kept set with its probabilities renormalised over that set.
void sample(int32_t* out, const float* logits, int64_t N, int64_t V, int64_t V_real,
            float temperature, int top_k, float top_p, uint64_t seed, uint64_t offset) {
  if (V_real <= 0) {
    for (int64_t n = 0; n < N; ++n) out[n] = 0;
    return;
  }
  if (temperature <= 0.0f) {  // greedy: first maximum wins (strict >)
    parallel_for(N, N * V_real, 32768, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        const float* x = logits + n * V;
        int64_t best = 0;
        for (int64_t j = 1; j < V_real; ++j)
          if (x[j] > x[best]) best = j;
        out[n] = (int32_t)best;
      }
    });
    return;
  }
#pragma omp parallel
  {
    flush_denormals_here();  // worker threads: see common/denormals.h
    std::vector<double> p(V_real);    // [V_real] unnormalised probabilities of the row
    std::vector<int32_t> ord(V_real); // [V_real] column ids, sorted by descending p
#pragma omp for schedule(dynamic, 1)
    for (int64_t n = 0; n < N; ++n) {
      const float* x = logits + n * V;
      const uint64_t c = offset + (uint64_t)n;
      const U4 r = philox(lo32(c), hi32(c), 2u, 0u, seed);
      const double u = (double)(r.v[0] >> 8) * 0x1p-24;

      // softmax(logits / temperature) up to normalisation, in double
      double mx = -INFINITY;
      for (int64_t j = 0; j < V_real; ++j) mx = std::max(mx, (double)x[j] / temperature);
      for (int64_t j = 0; j < V_real; ++j) {
        p[j] = std::exp((double)x[j] / temperature - mx);
        ord[j] = (int32_t)j;
      }
      // descending probability, ties by lower index: a total order, so the result is unique
      const auto before = [&](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); };
      int64_t kept = V_real;
      if (top_k > 0 && top_k < V_real) {
        kept = top_k;
        std::partial_sort(ord.begin(), ord.begin() + kept, ord.end(), before);
      } else {
        std::sort(ord.begin(), ord.end(), before);
      }
      double total = 0.0;
      for (int64_t i = 0; i < kept; ++i) total += p[ord[i]];
      if (top_p < 1.0f) {  // smallest prefix with cumulative probability >= top_p (>= 1 token)
        const double target = (double)top_p * total;
        double cum = 0.0;
        int64_t k = 0;
        while (k < kept) {
          cum += p[ord[k]];
          ++k;
          if (cum >= target) break;
        }
        kept = k;
        total = cum;
      }
      // inverse CDF over the kept tokens in descending-probability order
      const double threshold = u * total;
      int32_t pick = ord[kept - 1];
      double cum = 0.0;
      for (int64_t i = 0; i < kept; ++i) {
        cum += p[ord[i]];
        if (cum > threshold) {
          pick = ord[i];
          break;
        }
      }
      out[n] = pick;
    }
  }
}

}  // namespace triad::cpu
