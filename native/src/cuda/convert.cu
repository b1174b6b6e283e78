// Buffer transfers, fill and dtype conversion on the device. bf16 conversion rounds to nearest
// even (NaN stays NaN) like the CPU's; float -> i32 truncates toward zero and saturates, NaN -> 0.
#include <cstring>
#include <mutex>
#include <vector>

#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

// Pinned staging for host-to-device copies: the source is copied into page-locked memory and the
// DMA is queued from there, so the call returns at once without waiting for the device (token
// ids and targets each step cost no sync). A ring: a region is reused only after the event
// recorded behind its previous copy has passed, which only blocks when the ring has wrapped onto
// a copy the device has not reached yet.
class Staging {
 public:
  static constexpr size_t kCapacity = 32u << 20;
  static constexpr size_t kMaxCopy = 8u << 20;  // larger copies take the synchronous path

  void copy(void* dst, const void* src, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!base_) {
      count_malloc();
      check(cudaMallocHost(&base_, kCapacity), "cudaMallocHost(staging)");
    }
    retire_passed();
    const size_t size = (bytes + 255) & ~size_t(255);
    const bool wrap = head_ + size > kCapacity;
    const size_t at = wrap ? 0 : head_;
    // The regions in flight form one arc of the ring, oldest first; those the new region (plus,
    // when wrapping, the abandoned tail [head_, kCapacity)) covers are a prefix of that list.
    size_t n = 0;
    while (n < spans_.size() && (overlaps(spans_[n], at, size) || (wrap && spans_[n].begin >= head_))) ++n;
    if (n > 0) {
      cudaEvent_t last = spans_[n - 1].event;  // events pass in order: the last covers the rest
      if (!passed(last)) {
        count_sync();
        check(cudaEventSynchronize(last), "cudaEventSynchronize(staging)");
      }
      for (size_t k = 0; k < n; ++k) events_.push_back(spans_[k].event);
      spans_.erase(spans_.begin(), spans_.begin() + (std::ptrdiff_t)n);
    }
    std::memcpy(base_ + at, src, bytes);
    check(cudaMemcpyAsync(dst, base_ + at, bytes, cudaMemcpyHostToDevice, stream()), "cudaMemcpyAsync(host to device)");
    count_launch();
    cudaEvent_t ev;
    if (events_.empty()) {
      check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "cudaEventCreate(staging)");
    } else {
      ev = events_.back();
      events_.pop_back();
    }
    check(cudaEventRecord(ev, stream()), "cudaEventRecord(staging)");
    spans_.push_back(Span{at, size, ev});
    head_ = at + size;
  }

 private:
  struct Span {
    size_t begin, size;
    cudaEvent_t event;
  };
  // true once the device has passed the event. cudaEventQuery's "not ready" may be left as the
  // runtime's last error, which the next launch check would report: clear it.
  static bool passed(cudaEvent_t ev) {
    const cudaError_t e = cudaEventQuery(ev);
    if (e == cudaSuccess) return true;
    if (e == cudaErrorNotReady) {
      cudaGetLastError();
      return false;
    }
    check(e, "cudaEventQuery(staging)");
    return false;
  }
  static bool overlaps(const Span& s, size_t at, size_t size) {
    return s.begin < at + size && at < s.begin + s.size;
  }
  // Drops the oldest spans whose copies have completed (a query, never a wait).
  void retire_passed() {
    size_t n = 0;
    while (n < spans_.size() && passed(spans_[n].event)) ++n;
    for (size_t k = 0; k < n; ++k) events_.push_back(spans_[k].event);
    spans_.erase(spans_.begin(), spans_.begin() + (std::ptrdiff_t)n);
  }

  std::mutex mu_;
  char* base_ = nullptr;
  size_t head_ = 0;
  std::vector<Span> spans_;          // in flight, oldest first
  std::vector<cudaEvent_t> events_;  // free
};

Staging& staging() {
  static Staging* s = new Staging();  // never destroyed: copies may be in flight at exit
  return *s;
}

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
  if (bytes <= Staging::kMaxCopy) {
    staging().copy(dst, src, bytes);
    return;
  }
  // large (checkpoints, weights): straight from pageable memory, then wait, so the host buffer
  // is reusable once this returns
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()), "cudaMemcpyAsync(host to device)");
  count_launch();
  synchronize("buffer_write");
}

void copy_d2h(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()), "cudaMemcpyAsync(device to host)");
  count_launch();
  synchronize("buffer_read");
}

void copy_d2d(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()), "cudaMemcpyAsync(device to device)");
  count_launch();
}

void zero(void* dst, size_t bytes) {
  check(cudaMemsetAsync(dst, 0, bytes, stream()), "cudaMemsetAsync");
  count_launch();
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
