// Token + learned position embedding. Ids are not read back to the host: a bad id is recorded on
// the device (IdError, reported at the next sync) and its row skipped, so nothing is read or
// written out of bounds.
// Backward is deterministic without float atomics and without a host round trip: the rows bt are
// sorted by id on the device (a stable radix sort of (id, bt) pairs, so rows of one id stay in
// ascending bt order); then one block per sorted position that starts an id's run sums that run's
// rows in order in fp32 and adds the total into the table once (one bf16 rounding per element).
#include <cub/device/device_radix_sort.cuh>

#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

// out [B,T,C] = wte[tokens] (+ wpe[pos]); tokens, positions i32 [B,T]. A bad id gives a zero row.
template <class T>
__global__ void embedding_forward_kernel(T* out, const int32_t* tokens, const int32_t* positions,
                                         const T* wte, const T* wpe, int64_t BT, int64_t T_, int64_t C,
                                         int64_t V, int64_t P_, IdError* bad) {
  const int64_t total = BT * C;
  for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
    const int64_t bt = k / C, c = k % C;
    const bool report = c == 0;  // one report per row, not per channel
    const int32_t tok = tokens[bt];
    bool ok = tok >= 0 && tok < V;
    if (!ok && report) report_bad_id(bad, kEmbeddingForwardToken, bt, tok, V);
    float v = ok ? ld(wte, (int64_t)tok * C + c) : 0.0f;
    if (wpe) {
      const int64_t pos = positions ? positions[bt] : bt % T_;
      if (pos >= 0 && pos < P_) {
        v += ld(wpe, pos * C + c);
      } else {
        ok = false;
        if (report) report_bad_id(bad, kEmbeddingForwardPosition, bt, (int32_t)pos, P_);
      }
    }
    st(out, k, ok ? v : 0.0f);
  }
}

// keys[bt] = the row's id, or `rows` (sorts last, skipped) when out of range (recorded);
// vals[bt] = bt. positions NULL means id = bt % T_.
__global__ void embedding_keys_kernel(int32_t* keys, int32_t* vals, const int32_t* ids, int64_t BT, int64_t T_,
                                      int64_t rows, int site, IdError* bad) {
  for (int64_t bt = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; bt < BT; bt += (int64_t)gridDim.x * blockDim.x) {
    const int32_t id = ids ? ids[bt] : (int32_t)(bt % T_);
    keys[bt] = id_ok(bad, site, bt, id, rows) ? id : (int32_t)rows;
    vals[bt] = (int32_t)bt;
  }
}

// dtable [rows,C] += per id, the sum of dout [BT,C] over that id's rows. keys/order [BT] are the
// sorted ids and their rows. grid (BT, ceil(C/256)): block u works only when u starts a run.
template <class T>
__global__ void embedding_backward_kernel(T* dtable, const T* dout, const int32_t* keys, const int32_t* order,
                                          int64_t BT, int64_t C, int64_t rows) {
  const int64_t u = blockIdx.x;
  const int32_t id = keys[u];
  if (id >= rows || (u > 0 && keys[u - 1] == id)) return;
  const int64_t c = (int64_t)blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float acc = 0.0f;  // fp32 over the whole run, one rounding into the table
  for (int64_t k = u; k < BT && keys[k] == id; ++k) acc += ld(dout, (int64_t)order[k] * C + c);
  const int64_t idx = (int64_t)id * C + c;
  st(dtable, idx, ld(dtable, idx) + acc);
}

int bits_for(int64_t max_key) {  // bits needed to hold 0..max_key
  int b = 1;
  while (b < 31 && (int64_t(1) << b) <= max_key) ++b;
  return b;
}

template <class T>
void scatter(T* dtable, const T* dout, const int32_t* ids, int64_t BT, int64_t T_, int64_t C, int64_t rows,
             int site) {
  if (BT > INT32_MAX || rows >= INT32_MAX) fail(TRIAD_ERR_UNSUPPORTED, "embedding_backward: too many rows for cuda");
  const int end_bit = bits_for(rows);  // keys are in [0, rows]
  size_t sort_bytes = 0;
  check(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, (const int32_t*)nullptr, (int32_t*)nullptr,
                                        (const int32_t*)nullptr, (int32_t*)nullptr, (int)BT, 0, end_bit, stream()),
        "cub::DeviceRadixSort::SortPairs(size)");
  // keys_in, vals_in, keys_out, vals_out [BT] each, then cub's temporary storage (256-aligned)
  const size_t part = ((size_t)BT * sizeof(int32_t) + 255) & ~size_t(255);
  Scratch scratch(4 * part + sort_bytes);
  char* base = scratch.as<char>();
  auto* keys_in = reinterpret_cast<int32_t*>(base);
  auto* vals_in = reinterpret_cast<int32_t*>(base + part);
  auto* keys_out = reinterpret_cast<int32_t*>(base + 2 * part);
  auto* vals_out = reinterpret_cast<int32_t*>(base + 3 * part);
  embedding_keys_kernel<<<blocks_for(BT, 256), 256, 0, stream()>>>(keys_in, vals_in, ids, BT, T_, rows, site,
                                                                   id_error());
  check_launch("embedding_keys_kernel");
  check(cub::DeviceRadixSort::SortPairs(base + 4 * part, sort_bytes, keys_in, keys_out, vals_in, vals_out, (int)BT,
                                        0, end_bit, stream()),
        "cub::DeviceRadixSort::SortPairs");
  count_launch();  // cub's sort: counted as one (it queues a few kernels)
  dim3 grid((unsigned)BT, (unsigned)((C + 255) / 256));
  embedding_backward_kernel<T><<<grid, 256, 0, stream()>>>(dtable, dout, keys_out, vals_out, BT, C, rows);
  check_launch("embedding_backward_kernel");
}

}  // namespace

void embedding_forward(int dt, void* out, const int32_t* tokens, const int32_t* positions,
                       const void* wte, const void* wpe, int64_t B, int64_t T, int64_t C,
                       int64_t V, int64_t Pn) {
  if (wpe && !positions && T > Pn) {
    fail(TRIAD_ERR_INVALID, "position " + std::to_string(T - 1) + " is out of range [0, " + std::to_string(Pn) + ")");
  }
  IdError* bad = id_error();
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    embedding_forward_kernel<TT><<<blocks_for(B * T * C, 256), 256, 0, stream()>>>(
        P<TT>(out), tokens, positions, P<TT>(wte), P<TT>(wpe), B * T, T, C, V, Pn, bad);
  });
  check_launch("embedding_forward_kernel");
}

void embedding_backward(int dt, void* dwte, void* dwpe, const void* dout, const int32_t* tokens,
                        const int32_t* positions, int64_t B, int64_t T, int64_t C, int64_t V,
                        int64_t Pn) {
  if (!dwte && !dwpe) return;
  if (dwpe && !positions && T > Pn) {
    fail(TRIAD_ERR_INVALID, "position " + std::to_string(T - 1) + " is out of range [0, " + std::to_string(Pn) + ")");
  }
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    if (dwte) scatter(P<TT>(dwte), P<TT>(dout), tokens, B * T, T, C, V, kEmbeddingBackwardToken);
    if (dwpe) scatter(P<TT>(dwpe), P<TT>(dout), positions, B * T, T, C, Pn, kEmbeddingBackwardPosition);
  });
}

}  // namespace triad::cuda
