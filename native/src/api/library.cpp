// Library-wide state: version, last error, thread count, device availability, argument checks.
#include <omp.h>

#include <cblas.h>

#include <string>

#include "api/api.h"

namespace triad {

namespace {
thread_local std::string last_error;
}

void set_last_error(const std::string& message) { last_error = message; }

const char* dtype_name(int dtype) {
  switch (dtype) {
    case TRIAD_F32: return "f32";
    case TRIAD_BF16: return "bf16";
    case TRIAD_I32: return "i32";
    default: return "unknown dtype";
  }
}

const char* device_name(int device) {
  switch (device) {
    case TRIAD_DEVICE_CPU: return "cpu";
    case TRIAD_DEVICE_CUDA: return "cuda";
    default: return "unknown device";
  }
}

int64_t dtype_size(int dtype) { return dtype == TRIAD_BF16 ? 2 : 4; }

int64_t count(std::initializer_list<int64_t> dims) {
  int64_t total = 1;
  for (int64_t d : dims) {
    if (d < 0) fail(TRIAD_ERR_INVALID, "negative dimension " + std::to_string(d));
    if (__builtin_mul_overflow(total, d, &total)) fail(TRIAD_ERR_INVALID, "dimensions overflow int64");
  }
  return total;
}

Args::~Args() {
  for (int k = 0; k < npinned_ && k < kInline; ++k) unpin(pinned_[k]);
  for (int k = kInline; k < npinned_; ++k) unpin(more_[k - kInline]);
  delete[] more_;
}

Args& Args::dim(int64_t value, const char* name, int64_t minimum) {
  if (value < minimum) {
    fail(TRIAD_ERR_INVALID, std::string(name) + " must be >= " + std::to_string(minimum) +
                                ", got " + std::to_string(value));
  }
  return *this;
}

Args& Args::distinct(const triad_buffer* out, const char* out_name, const triad_buffer* in,
                     const char* in_name) {
  if (out && in && out->data == in->data) {
    fail(TRIAD_ERR_INVALID, std::string(out_name) + " must not be the same buffer as " + in_name);
  }
  return *this;
}

Args& Args::buf(const triad_buffer* b, const char* name, int64_t need, Kind kind, bool optional) {
  if (!b) {
    if (optional) return *this;
    fail(TRIAD_ERR_INVALID, std::string(name) + " is NULL");
  }
  pin(b, name);
  if (npinned_ < kInline) {
    pinned_[npinned_++] = b;
  } else {
    const int extra = npinned_ - kInline;
    if (extra == more_cap_) {
      const int cap = more_cap_ ? 2 * more_cap_ : 32;
      const triad_buffer** grown = new (std::nothrow) const triad_buffer*[cap];
      if (!grown) {
        unpin(b);
        throw std::bad_alloc();
      }
      for (int k = 0; k < extra; ++k) grown[k] = more_[k];
      delete[] more_;
      more_ = grown;
      more_cap_ = cap;
    }
    more_[extra] = b;
    ++npinned_;
  }
  if (b->data == nullptr && b->numel > 0) fail(TRIAD_ERR_INVALID, std::string(name) + " is freed");
  if (device_ < 0) {
    device_ = b->device;
  } else if (device_ != b->device) {
    fail(TRIAD_ERR_INVALID, std::string(name) + " is on " + device_name(b->device) +
                                " but the other arguments are on " + device_name(device_));
  }
  const bool floating = b->dtype == TRIAD_F32 || b->dtype == TRIAD_BF16;
  switch (kind) {
    case kInt:
      if (b->dtype != TRIAD_I32) {
        fail(TRIAD_ERR_UNSUPPORTED, std::string(name) + " must be i32, got " + dtype_name(b->dtype));
      }
      break;
    case kStat:
      if (b->dtype != TRIAD_F32) {
        fail(TRIAD_ERR_UNSUPPORTED, std::string(name) + " must be f32 (statistics are always f32), got " +
                                        dtype_name(b->dtype));
      }
      break;
    case kData:
    case kAny:
      if (!floating) {
        fail(TRIAD_ERR_UNSUPPORTED, std::string(name) + " must be f32 or bf16, got " + dtype_name(b->dtype));
      }
      if (kind == kData) {
        if (dtype_ < 0) {
          dtype_ = b->dtype;
        } else if (dtype_ != b->dtype) {
          fail(TRIAD_ERR_INVALID, std::string(name) + " is " + dtype_name(b->dtype) +
                                      " but the other data arguments are " + dtype_name(dtype_));
        }
      }
      break;
  }
  if (b->numel < need) {
    fail(TRIAD_ERR_INVALID, std::string(name) + " has " + std::to_string(b->numel) +
                                " elements, needs " + std::to_string(need));
  }
  return *this;
}

}  // namespace triad

extern "C" {

const char* triad_version(void) { return TRIAD_VERSION_STRING; }

const char* triad_last_error(void) { return triad::last_error.c_str(); }

int triad_cpu_threads(void) { return omp_get_max_threads(); }

int triad_set_cpu_threads(int threads) {
  return triad::guard("set_cpu_threads", [&] {
    if (threads < 1) triad::fail(TRIAD_ERR_INVALID, "threads must be >= 1, got " + std::to_string(threads));
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
  });
}

const char* triad_blas_info(void) {
  static const std::string info = [] {
    std::string config = openblas_get_config();
    while (!config.empty() && config.back() == ' ') config.pop_back();
    return config + " (" + std::string(openblas_get_corename()) + ", " +
           std::to_string(openblas_get_num_threads()) + " threads)";
  }();
  return info.c_str();
}

int triad_cuda_available(void) {
#ifdef TRIAD_WITH_CUDA
  return triad::cuda::available() ? 1 : 0;
#else
  return 0;
#endif
}

const char* triad_cuda_unavailable_reason(void) {
#ifdef TRIAD_WITH_CUDA
  return triad::cuda::unavailable_reason();
#else
  return TRIAD_NO_CUDA_REASON;
#endif
}

int triad_cuda_synchronize(void) {
  return triad::guard("cuda_synchronize", [&] {
#ifdef TRIAD_WITH_CUDA
    triad::cuda::synchronize("cuda_synchronize");
#else
    triad::fail(TRIAD_ERR_UNSUPPORTED, std::string("cuda is not available: ") + TRIAD_NO_CUDA_REASON);
#endif
  });
}

int64_t triad_cuda_reserved_bytes(void) {
#ifdef TRIAD_WITH_CUDA
  return triad::cuda::reserved_bytes();
#else
  return 0;
#endif
}

int triad_cuda_empty_cache(void) {
  return triad::guard("cuda_empty_cache", [&] {
#ifdef TRIAD_WITH_CUDA
    triad::cuda::empty_cache();
#else
    triad::fail(TRIAD_ERR_UNSUPPORTED, std::string("cuda is not available: ") + TRIAD_NO_CUDA_REASON);
#endif
  });
}

int triad_cuda_counters(int64_t* out) {
  return triad::guard("cuda_counters", [&] {
    if (!out) triad::fail(TRIAD_ERR_INVALID, "out is NULL");
    out[0] = out[1] = out[2] = 0;
#ifdef TRIAD_WITH_CUDA
    const triad::cuda::Counters c = triad::cuda::counters();
    out[0] = c.syncs;
    out[1] = c.mallocs;
    out[2] = c.launches;
#else
    triad::fail(TRIAD_ERR_UNSUPPORTED, std::string("cuda is not available: ") + TRIAD_NO_CUDA_REASON);
#endif
  });
}

void triad_range_push(const char* name) {
#ifdef TRIAD_WITH_CUDA
  triad::cuda::range_push(name && *name ? name : "?");
#else
  (void)name;
#endif
}

void triad_range_pop(void) {
#ifdef TRIAD_WITH_CUDA
  triad::cuda::range_pop();
#endif
}

int triad_cuda_set_gemm_sm80(int force_sm80) {
#ifdef TRIAD_WITH_CUDA
  return triad::cuda::set_gemm_sm80(force_sm80 != 0);
#else
  return 0;
#endif
}

int triad_cuda_memory(int64_t* free_bytes, int64_t* total_bytes) {
  return triad::guard("cuda_memory", [&] {
    if (!free_bytes || !total_bytes) triad::fail(TRIAD_ERR_INVALID, "free_bytes or total_bytes is NULL");
    *free_bytes = *total_bytes = 0;
#ifdef TRIAD_WITH_CUDA
    triad::cuda::memory_info(free_bytes, total_bytes);
#else
    triad::fail(TRIAD_ERR_UNSUPPORTED, std::string("cuda is not available: ") + TRIAD_NO_CUDA_REASON);
#endif
  });
}

int triad_noop(int x) { return x + 1; }

}  // extern "C"
