// bf16 data on the CPU backend: the CPU kernels are fp32 only, so a CPU call whose data dtype is
// bf16 runs them on f32 copies. Each staged buffer is widened to a temporary f32 array before the
// kernel; each output is narrowed back with round-to-nearest-even (NaN kept NaN) after it. That
// is the CUDA backend's rule: bf16 storage, f32 arithmetic inside the op, one rounding per store
// (a backward op's gradient is loaded, added to in f32 and rounded once).
// Inactive (f32 data, or a CUDA call) it hands out the buffers' own pointers: no copies.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "api/api.h"

namespace triad {

class Bf16Staging {
 public:
  explicit Bf16Staging(const Args& args)
      : active_(args.device() == TRIAD_DEVICE_CPU && args.dtype() == TRIAD_BF16) {}
  Bf16Staging(const Bf16Staging&) = delete;
  Bf16Staging& operator=(const Bf16Staging&) = delete;

  bool active() const { return active_; }
  // An input read by the kernel: its first n elements as f32. NULL stays NULL.
  const float* in(const triad_buffer* b, int64_t n) { return active_ ? stage(b, n, false) : F(b); }
  // An output (overwritten or accumulated): its first n elements as f32, loaded so that what the
  // kernel does not write (or adds to) keeps its value; narrowed back by commit(). NULL stays NULL.
  float* out(triad_buffer* b, int64_t n) { return active_ ? stage(b, n, true) : F(b); }
  // Narrows every output back into its buffer. Call once, after the kernel succeeded (on an
  // exception the outputs are left untouched).
  void commit();

 private:
  // One staged buffer. The same buffer staged twice (an in-place op: out aliases an input) gets
  // one shared f32 array, so the kernel sees the same aliasing as in f32. The array holds the
  // buffer's whole numel (pointers stay valid as later requests grow `loaded`), but only the
  // requested prefix is converted.
  struct Entry {
    const triad_buffer* buffer;
    std::unique_ptr<float[]> f32;
    int64_t loaded;  // elements widened so far
    int64_t stored;  // elements to narrow back on commit (0 for inputs only)
  };
  float* stage(const triad_buffer* b, int64_t n, bool output);

  bool active_;
  std::vector<Entry> entries_;
};

}  // namespace triad
