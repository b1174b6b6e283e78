// bf16 staging for CPU calls (see bf16_staging.h). Widening and narrowing reuse cpu::cast, whose
// f32 -> bf16 rounds to nearest even and keeps NaN a NaN.
#include "api/bf16_staging.h"

#include <algorithm>

#include "cpu/cpu_ops.h"

namespace triad {

float* Bf16Staging::stage(const triad_buffer* b, int64_t n, bool output) {
  if (!b) return nullptr;
  n = std::min(n, b->numel);  // Args checked numel >= n; this only guards the allocation
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.buffer->data == b->data; });
  if (it == entries_.end()) {
    // uninitialised on purpose: only the widened prefix is ever read
    entries_.push_back(Entry{b, std::unique_ptr<float[]>(new float[b->numel]), 0, 0});
    it = entries_.end() - 1;
  }
  Entry& e = *it;
  if (n > e.loaded) {
    cpu::cast(e.f32.get() + e.loaded, TRIAD_F32,
              static_cast<const uint16_t*>(b->data) + e.loaded, TRIAD_BF16, n - e.loaded);
    e.loaded = n;
  }
  if (output) e.stored = std::max(e.stored, n);
  return e.f32.get();
}

void Bf16Staging::commit() {
  for (Entry& e : entries_) {
    if (e.stored > 0) cpu::cast(e.buffer->data, TRIAD_BF16, e.f32.get(), TRIAD_F32, e.stored);
  }
}

}  // namespace triad
