// Counter-based RNG (Philox4x32-10) and token sampling. Values must match src/cpu/rng.cpp bit for
// bit: the same counters and keys, explicit fmaf, and double Box-Muller (CUDA's log/cos in double
// are within 1-2 ulp of glibc's; after rounding to float a difference is vanishingly rare).
#include <climits>
#include <cstdlib>
#include <vector>

#include "cuda/common.cuh"

namespace triad::cpu {
void sample(int32_t* out, const float* logits, int64_t N, int64_t V, int64_t V_real,
            float temperature, int top_k, float top_p, uint64_t seed, uint64_t offset);
}

namespace triad::cuda {

namespace {

struct U4 {
  uint32_t v[4];
};

__device__ __forceinline__ U4 philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t seed) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
#pragma unroll
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    const uint32_t hi0 = __umulhi(kM0, c0), lo0 = kM0 * c0;
    const uint32_t hi1 = __umulhi(kM1, c2), lo1 = kM1 * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return U4{{c0, c1, c2, c3}};
}

template <class T>
__global__ void uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  const float span = hi - lo;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const uint64_t c = offset + (uint64_t)i;
    const uint64_t block = c >> 2;
    const U4 r = philox((uint32_t)block, (uint32_t)(block >> 32), 0u, 0u, seed);
    const float x = (float)(r.v[c & 3] >> 8) * 5.9604644775390625e-8f;
    const float v = fmaf(span, x, lo);
    st(out, i, (v < hi || !(lo < hi)) ? v : nextafterf(hi, lo));
  }
}

template <class T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const uint64_t c = offset + (uint64_t)i;
    const U4 r = philox((uint32_t)c, (uint32_t)(c >> 32), 1u, 0u, seed);
    const double u1 = (double)((r.v[0] >> 8) + 1) * 0x1p-24;
    const double u2 = (double)(r.v[1] >> 8) * 0x1p-24;
    const double z = sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
    st(out, i, fmaf(std, (float)z, mean));
  }
}

// greedy: out[n] = first argmax of logits[n, :V_real]; one block per row
template <class T>
__global__ void argmax_kernel(int32_t* out, const T* logits, int64_t V, int64_t V_real) {
  __shared__ float best_v[256];
  __shared__ int64_t best_i[256];
  const T* x = logits + (int64_t)blockIdx.x * V;
  float bv = -INFINITY;
  int64_t bi = -1;
  for (int64_t j = threadIdx.x; j < V_real; j += blockDim.x) {
    const float v = ld(x, j);
    if (bi < 0 || v > bv) {  // strictly greater: the first maximum in this thread's columns
      bv = v;
      bi = j;
    }
  }
  best_v[threadIdx.x] = bv;
  best_i[threadIdx.x] = bi;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      const float ov = best_v[threadIdx.x + s];
      const int64_t oi = best_i[threadIdx.x + s];
      const float mv = best_v[threadIdx.x];
      const int64_t mi = best_i[threadIdx.x];
      // larger value wins; on ties the lower column wins
      const bool take = oi >= 0 && (mi < 0 || ov > mv || (ov == mv && oi < mi));
      if (take) {
        best_v[threadIdx.x] = ov;
        best_i[threadIdx.x] = oi;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = (int32_t)(best_i[0] < 0 ? 0 : best_i[0]);
}


// ---- top-k sampling on the device (0 < top_k < V_real, top_k <= kMaxTopK) ----
// Reproduces the CPU sampler exactly: p_j = exp(x_j / temperature - max) in double; the top_k
// entries by (p desc, index asc) found by an 8-pass radix select on p's bits (p >= 0, so its bits
// order like the value) and a compaction in index order (ties at the threshold: lowest indices);
// a bitonic sort of those k; then one thread walks them in order with the CPU's exact sequence of
// double additions (total, top-p prefix, inverse CDF). One block per row.
constexpr int kSampleThreads = 1024;
constexpr int kMaxTopK = 1024;

// exclusive prefix of `flag` over the block in thread order; *total = the block's count
__device__ __forceinline__ int block_scan_flag(bool flag, int* warp_sums, int* total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  const unsigned ballot = __ballot_sync(0xffffffffu, flag);
  const int in_warp = __popc(ballot & ((1u << lane) - 1u));
  __syncthreads();  // warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[warp] = __popc(ballot);
  __syncthreads();
  int before = 0, all = 0;
  for (int w = 0; w < nw; ++w) {
    const int c = warp_sums[w];
    if (w < warp) before += c;
    all += c;
  }
  *total = all;
  return before + in_warp;
}

__device__ __forceinline__ bool sample_before(unsigned long long ka, int ia, unsigned long long kb, int ib) {
  return ka > kb || (ka == kb && ia < ib);
}

template <class T>
__global__ void __launch_bounds__(kSampleThreads) topk_sample_kernel(int32_t* out, const T* logits, double* pbuf,
                                                                     int64_t V, int64_t V_real, float temperature,
                                                                     int top_k, float top_p, uint64_t seed,
                                                                     uint64_t offset) {
  __shared__ unsigned long long sel_key[kMaxTopK];
  __shared__ int sel_idx[kMaxTopK];
  __shared__ unsigned int hist[256];
  __shared__ double dred[32];
  __shared__ int warp_sums[32];
  __shared__ unsigned long long s_prefix;
  __shared__ int s_remaining;
  const int64_t n = blockIdx.x;
  const T* x = logits + n * V;
  double* p = pbuf + n * V_real;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

  // 1. max of x / temperature, then p (double, as the CPU)
  double mx = -INFINITY;
  for (int64_t j = tid; j < V_real; j += blockDim.x) mx = fmax(mx, (double)ld(x, j) / temperature);
  for (int o = 16; o > 0; o >>= 1) mx = fmax(mx, __shfl_xor_sync(0xffffffffu, mx, o));
  if (lane == 0) dred[warp] = mx;
  __syncthreads();
  mx = dred[0];
  for (int w = 1; w < (int)(blockDim.x >> 5); ++w) mx = fmax(mx, dred[w]);
  for (int64_t j = tid; j < V_real; j += blockDim.x) p[j] = exp((double)ld(x, j) / temperature - mx);
  if (tid == 0) {
    s_prefix = 0ull;
    s_remaining = top_k;
  }
  __syncthreads();  // p (global) and the selection state are visible to the block

  // 2. radix select: the k-th largest key, 8 bits per pass from the top
  unsigned long long mask = 0ull;
  for (int shift = 56; shift >= 0; shift -= 8) {
    for (int b = tid; b < 256; b += blockDim.x) hist[b] = 0u;
    __syncthreads();
    const unsigned long long prefix = s_prefix;
    for (int64_t j = tid; j < V_real; j += blockDim.x) {
      const unsigned long long key = (unsigned long long)__double_as_longlong(p[j]);
      if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);  // integer: order-free
    }
    __syncthreads();
    if (tid == 0) {
      int cum = 0;
      for (int b = 255; b >= 0; --b) {
        if (cum + (int)hist[b] >= s_remaining) {
          s_prefix = prefix | ((unsigned long long)b << shift);
          s_remaining -= cum;
          break;
        }
        cum += (int)hist[b];
      }
    }
    mask |= 255ull << shift;
    __syncthreads();
  }
  const unsigned long long thr = s_prefix;  // the k-th largest key
  const int take_eq = s_remaining;          // how many entries equal to it are kept

  // 3. compaction in index order: every key > thr, and the first take_eq keys == thr
  int slots = 0, eq_seen = 0;
  for (int64_t base = 0; base < V_real; base += blockDim.x) {
    const int64_t j = base + tid;
    const unsigned long long key = j < V_real ? (unsigned long long)__double_as_longlong(p[j]) : 0ull;
    const bool gt = j < V_real && key > thr, eq = j < V_real && key == thr;
    int eq_total = 0, take_total = 0;
    const int eq_rank = eq_seen + block_scan_flag(eq, warp_sums, &eq_total);
    const bool take = gt || (eq && eq_rank < take_eq);
    const int slot = slots + block_scan_flag(take, warp_sums, &take_total);
    if (take && slot < kMaxTopK) {
      sel_key[slot] = key;
      sel_idx[slot] = (int)j;
    }
    slots += take_total;
    eq_seen += eq_total;
  }
  int size = 1;
  while (size < top_k) size <<= 1;
  for (int i = top_k + tid; i < size; i += blockDim.x) {  // padding sorts last
    sel_key[i] = 0ull;
    sel_idx[i] = INT_MAX;
  }
  __syncthreads();

  // 4. bitonic sort of the k entries by (p desc, index asc)
  for (int k = 2; k <= size; k <<= 1) {
    for (int jj = k >> 1; jj > 0; jj >>= 1) {
      for (int i = tid; i < size; i += blockDim.x) {
        const int ixj = i ^ jj;
        if (ixj <= i) continue;
        const bool up = (i & k) == 0;
        const bool swap = up ? sample_before(sel_key[ixj], sel_idx[ixj], sel_key[i], sel_idx[i])
                             : sample_before(sel_key[i], sel_idx[i], sel_key[ixj], sel_idx[ixj]);
        if (swap) {
          const unsigned long long tk = sel_key[i];
          sel_key[i] = sel_key[ixj];
          sel_key[ixj] = tk;
          const int ti = sel_idx[i];
          sel_idx[i] = sel_idx[ixj];
          sel_idx[ixj] = ti;
        }
      }
      __syncthreads();
    }
  }

  // 5. the CPU's sequential double arithmetic over the sorted kept set
  if (tid == 0) {
    const uint64_t c = offset + (uint64_t)n;
    const U4 r = philox((uint32_t)c, (uint32_t)(c >> 32), 2u, 0u, seed);
    const double u = (double)(r.v[0] >> 8) * 0x1p-24;
    int kept = top_k;
    double total = 0.0;
    for (int i = 0; i < kept; ++i) total += __longlong_as_double((long long)sel_key[i]);
    if (top_p < 1.0f) {
      const double target = (double)top_p * total;
      double cum = 0.0;
      int k = 0;
      while (k < kept) {
        cum += __longlong_as_double((long long)sel_key[k]);
        ++k;
        if (cum >= target) break;
      }
      kept = k;
      total = cum;
    }
    const double threshold = u * total;
    int pick = sel_idx[kept - 1];
    double cum = 0.0;
    for (int i = 0; i < kept; ++i) {
      cum += __longlong_as_double((long long)sel_key[i]);
      if (cum > threshold) {
        pick = sel_idx[i];
        break;
      }
    }
    out[n] = pick;
  }
}

}  // namespace

void rng_uniform(int dt, void* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    uniform_kernel<T><<<blocks_for(n, 256), 256, 0, stream()>>>(P<T>(out), n, seed, offset, lo, hi);
  });
  check_launch("uniform_kernel");
}

void rng_normal(int dt, void* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    normal_kernel<T><<<blocks_for(n, 256), 256, 0, stream()>>>(P<T>(out), n, seed, offset, mean, std);
  });
  check_launch("normal_kernel");
}

// Greedy and top-k (k <= 1024) sampling run on the device. Other stochastic sampling (no top-k,
// or k > 1024) must reproduce the CPU's inverse CDF over the whole sorted row, so the logits are
// copied to the host and the CPU reference samples them: identical results by construction.
// TRIAD_SAMPLE_HOST=1 sends every temperature > 0 call to the host (to cross-check the kernel).
void sample(int dt, int32_t* out, const void* logits, int64_t N, int64_t V, int64_t V_real,
            float temperature, int top_k, float top_p, uint64_t seed, uint64_t offset) {
  if (temperature <= 0.0f) {
    with_dtype(dt, [&](auto t) {
      using T = decltype(t);
      argmax_kernel<T><<<(unsigned)N, 256, 0, stream()>>>(out, P<T>(logits), V, V_real);
    });
    check_launch("argmax_kernel");
    return;
  }
  static const bool host_only = [] {
    const char* v = std::getenv("TRIAD_SAMPLE_HOST");
    return v && v[0] == '1';
  }();
  if (!host_only && top_k > 0 && top_k < V_real && top_k <= kMaxTopK && N <= INT32_MAX) {
    Scratch pbuf(sizeof(double) * N * V_real);
    with_dtype(dt, [&](auto t) {
      using T = decltype(t);
      topk_sample_kernel<T><<<(unsigned)N, kSampleThreads, 0, stream()>>>(out, P<T>(logits), pbuf.as<double>(), V,
                                                                          V_real, temperature, top_k, top_p, seed,
                                                                          offset);
    });
    check_launch("topk_sample_kernel");
    return;
  }
  std::vector<float> host((size_t)(N * V));
  if (dt == TRIAD_F32) {
    copy_d2h(host.data(), logits, sizeof(float) * N * V);
  } else {
    Scratch f32(sizeof(float) * N * V);
    cast(f32.as<float>(), TRIAD_F32, logits, dt, N * V);
    copy_d2h(host.data(), f32.as<float>(), sizeof(float) * N * V);
  }
  std::vector<int32_t> picks((size_t)N);
  cpu::sample(picks.data(), host.data(), N, V, V_real, temperature, top_k, top_p, seed, offset);
  copy_h2d(out, picks.data(), sizeof(int32_t) * N);
}

}  // namespace triad::cuda
