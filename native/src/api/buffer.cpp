// Buffers: allocation, host transfers, copies, fill and cast. The CPU allocator is the system's
// (64-byte aligned, zero-filled); CUDA buffers come from the caching device allocator
// (src/cuda/runtime.cu). Live bytes are counted per device so tests can detect leaks.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#include "api/api.h"
#include "cpu/cpu_ops.h"

namespace triad {
namespace {

// glibc serves blocks >= 128 KiB (its default M_MMAP_THRESHOLD) with a fresh mmap and unmaps them
// on free, so every activation and gradient of a step page-faults and is zeroed by the kernel
// again; glibc raises the threshold only after some such block is freed, which made GPT-2 steps
// depend on history (2.7 s/step from Triad's init, 2.1 s after --init-hf, whose loading freed
// one; bench/RESULTS.md). A fixed 32 MiB threshold keeps buffers up to that size in the heap for
// reuse; larger ones (GPT-2's logits) still come from mmap.
struct MallocSetup {
  MallocSetup() {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
  }
} malloc_setup;

std::atomic<int64_t> live_bytes[2];
std::atomic<int64_t> live_buffers[2];
// High-water mark of live_bytes since the last reset (the memory plan is checked against it).
std::atomic<int64_t> peak_bytes[2];

void add_live(int device, int64_t nbytes) {
  const int64_t now = live_bytes[device] += nbytes;
  int64_t seen = peak_bytes[device].load();
  while (now > seen && !peak_bytes[device].compare_exchange_weak(seen, now)) {
  }
}

// ---- handles: a pool that never gives memory back, and the live/in-flight state ----

// A freed handle is reused only after this many later frees, so a stale handle used soon after
// its free (a double free, an op on a closed tensor) meets the freed state, not a new buffer.
constexpr size_t kHandleQuarantine = 4096;
std::mutex pool_mutex;
// freed handles, oldest first; never destroyed: Java's Cleaner thread may free a buffer while the
// process exits and runs static destructors
std::deque<triad_buffer*>& pool = *new std::deque<triad_buffer*>();

triad_buffer* new_handle(void* data, int64_t numel, int dtype, int device) {
  triad_buffer* b = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (pool.size() > kHandleQuarantine) {
      b = pool.front();
      pool.pop_front();
    }
  }
  if (!b) b = new triad_buffer();  // bad_alloc: guard() reports it; the caller frees data
  b->data = data;
  b->numel = numel;
  b->dtype = dtype;
  b->device = device;
  b->magic = kHandleMagic;
  b->state.store(1, std::memory_order_release);  // live, no call in flight
  return b;
}

}  // namespace

// The memory of a handle that is freed and has no call in flight; the handle goes to the pool.
void release_memory(triad_buffer* b) {
  live_bytes[b->device] -= b->numel * dtype_size(b->dtype);
  live_buffers[b->device] -= 1;
#ifdef TRIAD_WITH_CUDA
  if (b->device == TRIAD_DEVICE_CUDA) {
    cuda::release(b->data);  // back to the cache; never throws
  } else {
    std::free(b->data);
  }
#else
  std::free(b->data);
#endif
  b->data = nullptr;
  std::lock_guard<std::mutex> lock(pool_mutex);
  pool.push_back(b);
}

namespace {

const triad_buffer& need(const triad_buffer* b, const char* name) {
  if (!b) fail(TRIAD_ERR_INVALID, std::string(name) + " is NULL");
  return *b;
}

void check_region(const triad_buffer& b, const char* name, int64_t offset, int64_t n) {
  if (offset < 0 || n < 0 || offset > b.numel || n > b.numel - offset) {
    fail(TRIAD_ERR_INVALID, std::string(name) + ": region [" + std::to_string(offset) + ", " +
                                std::to_string(offset) + "+" + std::to_string(n) +
                                ") is outside its " + std::to_string(b.numel) + " elements");
  }
}

bool on_cuda(const triad_buffer& b) { return b.device == TRIAD_DEVICE_CUDA; }

#ifdef TRIAD_WITH_CUDA
// Wraps a CUDA buffer operation in its NVTX range and launch check.
template <class F>
void cuda_op(const char* name, F&& f) {
  cuda::OpScope scope(name);
  f();
  scope.finish();
}
#endif

void require_cpu(const triad_buffer& b, const char* name) {
  if (b.device != TRIAD_DEVICE_CPU) {
    fail(TRIAD_ERR_UNSUPPORTED, std::string(name) + " is on " + device_name(b.device) +
                                    ", which this build does not support");
  }
}

char* bytes(const triad_buffer& b, int64_t element_offset) {
  return static_cast<char*>(b.data) + element_offset * dtype_size(b.dtype);
}

// Allocation with (zero) or without a zero fill; `op` names the C function for errors.
int alloc_buffer(const char* op, int device, int dtype, int64_t numel, triad_buffer** out, bool zero) {
  return guard(op, [&] {
    if (!out) fail(TRIAD_ERR_INVALID, "out is NULL");
    *out = nullptr;
    if (dtype != TRIAD_F32 && dtype != TRIAD_BF16 && dtype != TRIAD_I32) {
      fail(TRIAD_ERR_INVALID, "unknown dtype code " + std::to_string(dtype));
    }
    if (numel < 1) fail(TRIAD_ERR_INVALID, "numel must be >= 1, got " + std::to_string(numel));
    int64_t nbytes = count({numel, dtype_size(dtype)});
    if (device == TRIAD_DEVICE_CUDA) {
#ifdef TRIAD_WITH_CUDA
      if (!cuda::available()) {
        fail(TRIAD_ERR_UNSUPPORTED, std::string("cuda is not available: ") + cuda::unavailable_reason());
      }
      void* data = cuda::alloc(static_cast<size_t>(nbytes));
      try {
        if (zero) cuda_op("buffer_alloc", [&] { cuda::zero(data, static_cast<size_t>(nbytes)); });
      } catch (...) {
        cuda::release(data);
        throw;
      }
      try {
        *out = new_handle(data, numel, dtype, device);
      } catch (...) {
        cuda::release(data);
        throw;
      }
      add_live(device, nbytes);
      live_buffers[device] += 1;
      return;
#else
      fail(TRIAD_ERR_UNSUPPORTED, std::string("cuda is not available: ") + triad_cuda_unavailable_reason());
#endif
    }
    if (device != TRIAD_DEVICE_CPU) fail(TRIAD_ERR_INVALID, "unknown device code " + std::to_string(device));
    size_t rounded = (static_cast<size_t>(nbytes) + 63) & ~size_t(63);
    void* data = std::aligned_alloc(64, rounded);
    if (!data) {
      fail(TRIAD_ERR_OOM, "out of memory on cpu: requested " + std::to_string(nbytes) + " bytes");
    }
    if (zero) std::memset(data, 0, rounded);
    try {
      *out = new_handle(data, numel, dtype, device);
    } catch (...) {
      std::free(data);
      throw;
    }
    add_live(device, nbytes);
    live_buffers[device] += 1;
  });
}

}  // namespace

void pin_failed(const triad_buffer* b, const char* name) {
  if (b->magic != kHandleMagic) {
    fail(TRIAD_ERR_INVALID, std::string(name) + " is not a buffer handle of this library");
  }
  fail(TRIAD_ERR_INVALID, std::string(name) + " was freed (use after free)");
}

}  // namespace triad

using namespace triad;

extern "C" {

int64_t triad_live_bytes(int device) {
  return device == 0 || device == 1 ? live_bytes[device].load() : 0;
}

int64_t triad_peak_live_bytes(int device) {
  return device == 0 || device == 1 ? peak_bytes[device].load() : 0;
}

void triad_reset_peak_live_bytes(int device) {
  if (device == 0 || device == 1) peak_bytes[device].store(live_bytes[device].load());
}

int64_t triad_live_buffers(int device) {
  return device == 0 || device == 1 ? live_buffers[device].load() : 0;
}

int triad_buffer_alloc(int device, int dtype, int64_t numel, triad_buffer** out) {
  return alloc_buffer("buffer_alloc", device, dtype, numel, out, true);
}

int triad_buffer_alloc_uninit(int device, int dtype, int64_t numel, triad_buffer** out) {
  return alloc_buffer("buffer_alloc_uninit", device, dtype, numel, out, false);
}

int triad_buffer_free(triad_buffer* buf) {
  return guard("buffer_free", [&] {
    if (!buf) return;
    if (buf->magic != kHandleMagic) fail(TRIAD_ERR_INVALID, "buf is not a buffer handle of this library");
    uint64_t s = buf->state.load(std::memory_order_acquire);
    do {
      if (!(s & 1)) fail(TRIAD_ERR_INVALID, "buf was already freed (double free)");
    } while (!buf->state.compare_exchange_weak(s, s - 1, std::memory_order_acq_rel, std::memory_order_acquire));
    if (s == 1) release_memory(buf);  // no call in flight; else the last one releases it
  });
}

int64_t triad_buffer_numel(const triad_buffer* buf) { return buf && (buf->state.load() & 1) ? buf->numel : -1; }
int triad_buffer_dtype(const triad_buffer* buf) { return buf && (buf->state.load() & 1) ? buf->dtype : -1; }
int triad_buffer_device(const triad_buffer* buf) { return buf && (buf->state.load() & 1) ? buf->device : -1; }

int triad_buffer_write(triad_buffer* dst, int64_t offset, const void* src, int64_t count) {
  return guard("buffer_write", [&] {
    const triad_buffer& d = need(dst, "dst");
    Pinned pd(dst, "dst");
    if (!src && count > 0) fail(TRIAD_ERR_INVALID, "src is NULL");
    check_region(d, "dst", offset, count);
#ifdef TRIAD_WITH_CUDA
    if (on_cuda(d)) {
      return cuda_op("buffer_write", [&] { cuda::copy_h2d(bytes(d, offset), src, count * dtype_size(d.dtype)); });
    }
#endif
    require_cpu(d, "dst");
    std::memcpy(bytes(d, offset), src, count * dtype_size(d.dtype));
  });
}

int triad_buffer_read(const triad_buffer* src, int64_t offset, void* dst, int64_t count) {
  return guard("buffer_read", [&] {
    const triad_buffer& s = need(src, "src");
    Pinned ps(src, "src");
    if (!dst && count > 0) fail(TRIAD_ERR_INVALID, "dst is NULL");
    check_region(s, "src", offset, count);
#ifdef TRIAD_WITH_CUDA
    if (on_cuda(s)) {
      return cuda_op("buffer_read", [&] { cuda::copy_d2h(dst, bytes(s, offset), count * dtype_size(s.dtype)); });
    }
#endif
    require_cpu(s, "src");
    std::memcpy(dst, bytes(s, offset), count * dtype_size(s.dtype));
  });
}

int triad_buffer_copy(triad_buffer* dst, int64_t dst_offset, const triad_buffer* src,
                      int64_t src_offset, int64_t count) {
  return guard("buffer_copy", [&] {
    const triad_buffer& d = need(dst, "dst");
    const triad_buffer& s = need(src, "src");
    Pinned pd(dst, "dst");
    Pinned ps(src, "src");
    if (d.dtype != s.dtype) {
      fail(TRIAD_ERR_INVALID, std::string("dst is ") + dtype_name(d.dtype) + " but src is " +
                                  dtype_name(s.dtype) + " (use triad_cast)");
    }
    check_region(d, "dst", dst_offset, count);
    check_region(s, "src", src_offset, count);
#ifdef TRIAD_WITH_CUDA
    if (on_cuda(d) || on_cuda(s)) {
      const size_t n = count * dtype_size(d.dtype);
      if (on_cuda(d) && on_cuda(s) && d.data == s.data &&
          dst_offset < src_offset + count && src_offset < dst_offset + count && dst_offset != src_offset) {
        fail(TRIAD_ERR_INVALID, "overlapping regions of one cuda buffer");
      }
      return cuda_op("buffer_copy", [&] {
        if (!on_cuda(s)) cuda::copy_h2d(bytes(d, dst_offset), bytes(s, src_offset), n);
        else if (!on_cuda(d)) cuda::copy_d2h(bytes(d, dst_offset), bytes(s, src_offset), n);
        else cuda::copy_d2d(bytes(d, dst_offset), bytes(s, src_offset), n);
      });
    }
#endif
    require_cpu(d, "dst");
    require_cpu(s, "src");
    std::memmove(bytes(d, dst_offset), bytes(s, src_offset), count * dtype_size(d.dtype));
  });
}

int triad_fill(triad_buffer* dst, float value) {
  return guard("fill", [&] {
    const triad_buffer& d = need(dst, "dst");
    Pinned pd(dst, "dst");
#ifdef TRIAD_WITH_CUDA
    if (on_cuda(d)) return cuda_op("fill", [&] { cuda::fill(d.data, d.dtype, d.numel, value); });
#endif
    require_cpu(d, "dst");
    cpu::fill(d.data, d.dtype, d.numel, value);
  });
}

int triad_cast(triad_buffer* dst, const triad_buffer* src) {
  return guard("cast", [&] {
    const triad_buffer& d = need(dst, "dst");
    const triad_buffer& s = need(src, "src");
    Pinned pd(dst, "dst");
    Pinned ps(src, "src");
    if (d.numel != s.numel) {
      fail(TRIAD_ERR_INVALID, "dst has " + std::to_string(d.numel) + " elements but src has " +
                                  std::to_string(s.numel));
    }
    if (d.device != s.device) fail(TRIAD_ERR_INVALID, "dst and src are on different devices");
#ifdef TRIAD_WITH_CUDA
    if (on_cuda(d)) return cuda_op("cast", [&] { cuda::cast(d.data, d.dtype, s.data, s.dtype, d.numel); });
#endif
    require_cpu(d, "dst");
    cpu::cast(d.data, d.dtype, s.data, s.dtype, d.numel);
  });
}

}  // extern "C"
