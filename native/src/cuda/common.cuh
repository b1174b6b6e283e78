// Device-side helpers shared by the kernels: dtype load/store (bf16 storage, fp32 math), the
// dtype switch for host launchers, launch checks, warp/block reductions, index validation and
// stream-ordered scratch memory from the caching allocator.
// (ids: see IdError below; no op reads ids back to the host.)
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <algorithm>

#include "common/error.h"
#include "cuda/cuda_ops.h"
#include "triad.h"

namespace triad::cuda {

using bf16 = __nv_bfloat16;

cudaStream_t stream();  // the one stream every op is queued on
// Throws TRIAD_ERR_DEVICE (TRIAD_ERR_OOM for cudaErrorMemoryAllocation) naming `what`.
void check(cudaError_t status, const char* what);
// After each kernel launch (every launch site calls it once): counts the launch, and a
// configuration error (bad grid, too much shared memory) fails right here.
void count_launch();
void count_sync();    // a host wait on the device (stream sync, blocking event wait)
void count_malloc();  // a cudaMalloc / cudaMallocHost call
inline void check_launch(const char* kernel) {
  count_launch();
  check(cudaGetLastError(), kernel);
}
int sm_count();
// Raises a kernel's dynamic shared-memory limit to `bytes` (needed above 48 KiB); remembered per
// kernel, so repeated launches make no runtime call.
void allow_dynamic_smem(const void* kernel, size_t bytes);

// ---- dtype: every kernel is a template over the storage type T of its data buffers ----
__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(bf16 x) { return __bfloat162float(x); }
template <class T> __device__ __forceinline__ T from_f(float x);
template <> __device__ __forceinline__ float from_f<float>(float x) { return x; }
template <> __device__ __forceinline__ bf16 from_f<bf16>(float x) { return __float2bfloat16_rn(x); }

template <class T> __device__ __forceinline__ float ld(const T* p, int64_t i) { return to_f(p[i]); }
template <class T> __device__ __forceinline__ void st(T* p, int64_t i, float v) { p[i] = from_f<T>(v); }

// Calls f(T{}) with T = float or bf16 for the data dtype.
template <class F>
void with_dtype(int dt, F&& f) {
  if (dt == TRIAD_BF16) {
    f(bf16{});
  } else if (dt == TRIAD_F32) {
    f(float{});
  } else {
    fail(TRIAD_ERR_UNSUPPORTED, "the CUDA backend computes in f32 or bf16 only");
  }
}

template <class T> inline T* P(void* p) { return static_cast<T*>(p); }
template <class T> inline const T* P(const void* p) { return static_cast<const T*>(p); }

inline unsigned blocks_for(int64_t n, int threads, int64_t cap = 65535LL * 16) {
  int64_t b = (n + threads - 1) / threads;
  if (b > cap) b = cap;  // kernels use grid-stride loops
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

// ---- reductions ----
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// Block-wide sum/max for blockDim.x a multiple of 32 (<= 1024); every thread gets the result.
// Fixed tree order: deterministic. `scratch` holds >= 32 values.
template <class V>
__device__ __forceinline__ V block_sum(V v, V* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < nw ? scratch[lane] : V(0);
  return warp_sum(v);
}
__device__ __forceinline__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < nw ? scratch[lane] : -INFINITY;
  return warp_max(v);
}

// ---- scratch: device memory for one op, returned to the cache when the op's host code ends.
// Safe because every op runs on the one stream: later work that reuses the block is queued
// after the kernels that use it here.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : ptr_(bytes ? alloc(bytes) : nullptr) {}
  ~Scratch() { release(ptr_); }
  template <class T> T* as() const { return static_cast<T*>(ptr_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

 private:
  void* ptr_;
};

// ---- ids: validated without a host round trip ----
// A kernel that meets an id outside its range never reads or writes out of bounds with it (it
// skips the row or uses a safe value) and records it here; the first one recorded is reported at
// the next synchronizing call (a buffer read, triad_cuda_synchronize, or every op with
// TRIAD_CUDA_SYNC=1) as TRIAD_ERR_INVALID naming the op and the id. The host validates ids where
// it creates them, so this is the safety net, not the check.
enum IdSite : int {
  kIdNone = 0,
  kEmbeddingForwardToken,
  kEmbeddingForwardPosition,
  kEmbeddingBackwardToken,
  kEmbeddingBackwardPosition,
  kGatherForwardIndex,
  kGatherBackwardIndex,
  kCrossEntropyForwardTarget,
  kCrossEntropyBackwardTarget,
  kAttentionDecodeStart,
  kIdSiteCount
};
struct IdError {
  int site;       // IdSite of the first bad id, kIdNone when none
  int32_t value;  // the bad id
  int64_t index;  // its element index in the ids buffer
  int64_t limit;  // the valid range was [0, limit)
};
IdError* id_error();  // the device-resident record (allocated once per process)

__device__ __forceinline__ void report_bad_id(IdError* e, int site, int64_t index, int32_t value, int64_t limit) {
  if (atomicCAS(&e->site, 0, site) == 0) {  // the first reporter fills in the rest
    e->value = value;
    e->index = index;
    e->limit = limit;
  }
}
// true when 0 <= id < limit; otherwise records it and returns false
__device__ __forceinline__ bool id_ok(IdError* e, int site, int64_t index, int32_t id, int64_t limit) {
  if (id >= 0 && id < limit) return true;
  report_bad_id(e, site, index, id, limit);
  return false;
}

// ---- deterministic column sums: out[j] (+)= sum_r f(r, j) over r < rows, j < cols ----
// Pass 1: blocks of 32 columns x kColSplit row slices write fp32 partials [kColSplit, cols];
// pass 2 adds them up in slice order. The split depends only on the shape: deterministic.
constexpr int kColSplit = 32;

template <class F>
__global__ void colsum_partial_kernel(float* partial, int64_t rows, int64_t cols, int nsum, F f) {
  // blockDim (32, 8); partial [gridDim.y, nsum, cols]
  __shared__ float red[8][33];
  const int64_t j = (int64_t)blockIdx.x * 32 + threadIdx.x;
  const int64_t per = (rows + gridDim.y - 1) / gridDim.y;
  const int64_t r0 = per * blockIdx.y, r1 = min(rows, r0 + per);
  for (int s = 0; s < nsum; ++s) {
    float acc = 0.0f;
    if (j < cols) {
      for (int64_t r = r0 + threadIdx.y; r < r1; r += 8) acc += f(s, r, j);
    }
    red[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && j < cols) {
      float t = 0.0f;
      for (int y = 0; y < 8; ++y) t += red[y][threadIdx.x];
      partial[((int64_t)blockIdx.y * nsum + s) * cols + j] = t;
    }
    __syncthreads();
  }
}

template <class T>
__global__ void colsum_finish_kernel(T* out0, T* out1, const float* partial, int splits, int nsum,
                                     int64_t cols, bool accumulate) {
  const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  for (int s = 0; s < nsum; ++s) {
    T* out = s == 0 ? out0 : out1;
    if (!out) continue;
    float t = 0.0f;
    for (int k = 0; k < splits; ++k) t += partial[((int64_t)k * nsum + s) * cols + j];
    if (accumulate) t += to_f(out[j]);
    out[j] = from_f<T>(t);
  }
}

// nsum (1 or 2) sums per column: f(s, r, j) gives term r of sum s; out0/out1 receive them.
template <class T, class F>
void column_sums(T* out0, T* out1, int nsum, int64_t rows, int64_t cols, bool accumulate, F f) {
  const int splits = (int)std::min<int64_t>(kColSplit, (rows + 63) / 64);
  Scratch partial(sizeof(float) * splits * nsum * cols);
  dim3 grid((unsigned)((cols + 31) / 32), (unsigned)splits);
  colsum_partial_kernel<<<grid, dim3(32, 8), 0, stream()>>>(partial.as<float>(), rows, cols, nsum, f);
  check_launch("colsum_partial_kernel");
  colsum_finish_kernel<T><<<blocks_for(cols, 256), 256, 0, stream()>>>(
      out0, out1, partial.as<float>(), splits, nsum, cols, accumulate);
  check_launch("colsum_finish_kernel");
}

}  // namespace triad::cuda
