// Buffer transfers, fill and dtype conversion on the device. bf16 conversion rounds to nearest
// even (NaN stays NaN) like the CPU's; float -> i32 truncates toward zero and saturates, NaN -> 0.
#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

__device__ __forceinline__ float load_any(const void* p, int dtype, int64_t i) {
  if (dtype == TRIAD_F32) return static_cast<const float*>(p)[i];
  if (dtype == TRIAD_BF16) return __bfloat162float(static_cast<const bf16*>(p)[i]);
  return (float)static_cast<const int32_t*>(p)[i];
}

__device__ __forceinline__ void store_any(void* p, int dtype, int64_t i, float v) {
  if (dtype == TRIAD_F32) {
    static_cast<float*>(p)[i] = v;
  } else if (dtype == TRIAD_BF16) {
    static_cast<bf16*>(p)[i] = __float2bfloat16_rn(v);
  } else {
    int32_t r = isnan(v) ? 0 : v >= 2147483647.0f ? INT32_MAX : v <= -2147483648.0f ? INT32_MIN : (int32_t)v;
    static_cast<int32_t*>(p)[i] = r;
  }
}

// dst [n] = value in dst's dtype
__global__ void fill_kernel(void* dst, int dtype, int64_t n, float value) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    store_any(dst, dtype, i, value);
}

// dst [n] = convert(src [n]); dtypes differ
__global__ void cast_kernel(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    store_any(dst, dst_dtype, i, load_any(src, src_dtype, i));
}

}  // namespace

void copy_h2d(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  // pageable host memory: the copy is complete (the host buffer reusable) once this returns
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()), "cudaMemcpyAsync(host to device)");
  synchronize("buffer_write");
}

void copy_d2h(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()), "cudaMemcpyAsync(device to host)");
  synchronize("buffer_read");
}

void copy_d2d(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()), "cudaMemcpyAsync(device to device)");
}

void zero(void* dst, size_t bytes) {
  check(cudaMemsetAsync(dst, 0, bytes, stream()), "cudaMemsetAsync");
}

void fill(void* dst, int dtype, int64_t n, float value) {
  fill_kernel<<<blocks_for(n, 256), 256, 0, stream()>>>(dst, dtype, n, value);
  check_launch("fill_kernel");
}

void cast(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t n) {
  if (dst_dtype == src_dtype) {
    copy_d2d(dst, src, (size_t)n * (dst_dtype == TRIAD_BF16 ? 2 : 4));
    return;
  }
  cast_kernel<<<blocks_for(n, 256), 256, 0, stream()>>>(dst, dst_dtype, src, src_dtype, n);
  check_launch("cast_kernel");
}

}  // namespace triad::cuda
