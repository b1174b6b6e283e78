// Counter-based RNG (Philox4x32-10) and token sampling. Values must match src/cpu/rng.cpp bit for
// bit: the same counters and keys, explicit fmaf, and double Box-Muller (CUDA's log/cos in double
// are within 1-2 ulp of glibc's; after rounding to float a difference is vanishingly rare).
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

// Greedy runs on the device. Stochastic sampling (temperature > 0) must reproduce the CPU's
// exact order-dependent inverse CDF over a sorted, top-k/top-p filtered row, so for now the
// logits are copied to the host (N x V floats: small next to a decode step) and the CPU
// reference samples them: identical results by construction. TODO: a device top-k/top-p kernel.
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
