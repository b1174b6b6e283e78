// Internals of the API layer: the buffer struct behind the opaque handle, the error boundary,
// argument checks, and the one dispatch point per op.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "common/denormals.h"
#include "common/error.h"
#include "triad.h"

// A handle. Handles come from a pool that never returns them to the system (api/buffer.cpp), so
// a stale or doubly freed handle still points at readable memory and is refused by its state
// instead of crashing; a freed handle is reused only after kHandleQuarantine later frees.
struct triad_buffer {
  void* data;
  int64_t numel;
  int dtype;
  int device;
  // Bit 0: live (not yet freed). Each call in flight on the handle adds 2 (pin/unpin). The memory
  // is released when both are gone: a free racing an op on another thread leaves the memory to
  // the op, and the op's end releases it.
  mutable std::atomic<uint64_t> state{0};
  uint32_t magic = 0;
};

namespace triad {

// Pins `b` for the current call (TRIAD_ERR_INVALID naming `name` when it was freed or is not a
// handle of this library); unpin releases its memory when it was freed meanwhile and this was the
// last call in flight. One pair of atomic operations each.
// Inline: one compare-and-swap and one fetch-sub per buffer per call (JniBench: bench/RESULTS.md).
constexpr uint32_t kHandleMagic = 0x7121AD0Bu;
[[noreturn]] void pin_failed(const triad_buffer* b, const char* name);  // throws the message
void release_memory(triad_buffer* b);  // the memory of a freed handle with no call in flight

inline void pin(const triad_buffer* b, const char* name) {
  if (b->magic != kHandleMagic) pin_failed(b, name);
  uint64_t s = b->state.load(std::memory_order_relaxed);
  do {
    if (!(s & 1)) pin_failed(b, name);
  } while (!b->state.compare_exchange_weak(s, s + 2, std::memory_order_acquire, std::memory_order_relaxed));
}

inline void unpin(const triad_buffer* b) {
  if (b->state.fetch_sub(2, std::memory_order_acq_rel) == 2) {  // freed meanwhile, last call out
    release_memory(const_cast<triad_buffer*>(b));
  }
}

// One pinned handle for the scope of a call (NULL is skipped).
class Pinned {
 public:
  Pinned(const triad_buffer* b, const char* name) : b_(b) { if (b_) pin(b_, name); }
  ~Pinned() { if (b_) unpin(b_); }
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;

 private:
  const triad_buffer* b_;
};

const char* dtype_name(int dtype);
const char* device_name(int device);
int64_t dtype_size(int dtype);
void set_last_error(const std::string& message);

// Runs body, turning every exception into a status code and a last-error message that starts
// with the op's name. Nothing thrown inside libtriad crosses the C boundary. The body runs with
// subnormal floats flushed to zero (common/denormals.h); the caller's mode is restored after.
template <class Body>
int guard(const char* op, Body&& body) {
  DenormalScope denormals;
  try {
    body();
    return TRIAD_OK;
  } catch (const Error& e) {
    set_last_error(std::string(op) + ": " + e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    set_last_error(std::string(op) + ": out of host memory");
    return TRIAD_ERR_OOM;
  } catch (const std::exception& e) {
    set_last_error(std::string(op) + ": internal error: " + e.what());
    return TRIAD_ERR_INTERNAL;
  } catch (...) {
    set_last_error(std::string(op) + ": internal error");
    return TRIAD_ERR_INTERNAL;
  }
}

// Argument checks shared by every op. Each names the argument that is wrong. All buffers of one
// call must live on one device, which device() then reports for dispatch.
class Args {
 public:
  Args() = default;
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;
  // Every buffer an Args checked stays pinned until the Args ends, i.e. past the kernel call.
  ~Args();
  // The dtype rule (see triad.h): the "data" buffers of one call (activations, parameters and
  // their gradients) share one floating dtype, f32 or bf16 (on CPU, bf16 runs through
  // Bf16Staging: api/bf16_staging.h); "statistics"
  // (layernorm mean/rstd, log-sum-exps, losses, log-probs, loss weights, Adam state, norm
  // accumulators) are always f32; ids are i32.
  // A required data buffer with at least `need` elements.
  Args& f(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kData, false); }
  // An optional (NULL allowed) data buffer.
  Args& f_opt(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kData, true); }
  // Required / optional f32 statistics buffers.
  Args& s(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kStat, false); }
  Args& s_opt(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kStat, true); }
  // Required / optional int32 buffers.
  Args& i(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kInt, false); }
  Args& i_opt(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kInt, true); }
  // An optional floating buffer with a dtype of its own (f32 or bf16).
  Args& any_opt(const triad_buffer* b, const char* name, int64_t need) { return buf(b, name, need, kAny, true); }
  // A dimension that must be >= minimum.
  Args& dim(int64_t value, const char* name, int64_t minimum = 1);
  // Output `out` must not share memory with input `in`.
  Args& distinct(const triad_buffer* out, const char* out_name, const triad_buffer* in, const char* in_name);
  int device() const { return device_; }
  // The dtype shared by the data buffers (f32 when the call has none).
  int dtype() const { return dtype_ < 0 ? TRIAD_F32 : dtype_; }

 private:
  enum Kind { kData, kStat, kInt, kAny };
  Args& buf(const triad_buffer* b, const char* name, int64_t need, Kind kind, bool optional);
  int device_ = -1;
  int dtype_ = -1;
  static constexpr int kInline = 8;
  const triad_buffer* pinned_[kInline];
  int npinned_ = 0;
  const triad_buffer** more_ = nullptr;  // past kInline (multi-tensor calls); new[]-ed
  int more_cap_ = 0;
};

// a * b * ... with overflow detection: element counts come from untrusted dimensions.
int64_t count(std::initializer_list<int64_t> dims);

inline float* F(triad_buffer* b) { return b ? static_cast<float*>(b->data) : nullptr; }
inline const float* F(const triad_buffer* b) { return b ? static_cast<const float*>(b->data) : nullptr; }
inline const int32_t* I(const triad_buffer* b) { return b ? static_cast<const int32_t*>(b->data) : nullptr; }
inline int32_t* I(triad_buffer* b) { return b ? static_cast<int32_t*>(b->data) : nullptr; }

}  // namespace triad

// The single dispatch point: the op named `fn` runs on the device its buffers (checked by
// `args`) live on. The CUDA backend (native/src/cuda, namespace triad::cuda) plugs in here with
// the same names and the data dtype as an extra first argument; cuda::OpScope wraps each CUDA op
// in an NVTX range and turns launch (and, with TRIAD_CUDA_SYNC=1, asynchronous) errors into
// TRIAD_ERR_DEVICE.
#ifdef TRIAD_WITH_CUDA
#include "cuda/cuda_ops.h"
#define TRIAD_DISPATCH(args, fn, ...)                                        \
  do {                                                                       \
    if ((args).device() == TRIAD_DEVICE_CUDA) {                              \
      ::triad::cuda::OpScope triad_op_scope_(#fn);                           \
      ::triad::cuda::fn((args).dtype(), __VA_ARGS__);                        \
      triad_op_scope_.finish();                                              \
    } else {                                                                 \
      ::triad::cpu::fn(__VA_ARGS__);                                         \
    }                                                                        \
  } while (0)
#else
#define TRIAD_DISPATCH(args, fn, ...) ::triad::cpu::fn(__VA_ARGS__)
#endif
