// Token + learned position embedding. Ids are validated on the device first (one sync).
// Backward is deterministic without atomics: the ids (B*T ints) come to the host, which groups
// the rows by id; then one thread per (distinct id, channel) sums that id's rows in ascending
// (b,t) order in fp32 and adds the total into the table once (one bf16 rounding per element).
#include <vector>

#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

// out [B,T,C] = wte[tokens] (+ wpe[pos]); tokens, positions i32 [B,T]
template <class T>
__global__ void embedding_forward_kernel(T* out, const int32_t* tokens, const int32_t* positions,
                                         const T* wte, const T* wpe, int64_t BT, int64_t T_, int64_t C) {
  const int64_t total = BT * C;
  for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
    const int64_t bt = k / C, c = k % C;
    float v = ld(wte, (int64_t)tokens[bt] * C + c);
    if (wpe) {
      const int64_t pos = positions ? positions[bt] : bt % T_;
      v += ld(wpe, pos * C + c);
    }
    st(out, k, v);
  }
}

// dtable [rows,C] += sum over the rows bt of each id's segment of dout [BT,C]. order [BT] lists
// the bt of each id contiguously (ascending bt within an id); segment u covers
// order[seg[u] .. seg[u+1]) and belongs to table row ids[u]. grid (segments, ceil(C/256)).
template <class T>
__global__ void embedding_backward_kernel(T* dtable, const T* dout, const int32_t* order, const int32_t* seg,
                                          const int32_t* seg_ids, int64_t C) {
  const int64_t c = (int64_t)blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int u = blockIdx.x;
  float acc = 0.0f;  // fp32 over the whole segment, one rounding into the table
  for (int k = seg[u]; k < seg[u + 1]; ++k) acc += ld(dout, (int64_t)order[k] * C + c);
  const int64_t idx = (int64_t)seg_ids[u] * C + c;
  st(dtable, idx, ld(dtable, idx) + acc);
}

void validate(const int32_t* tokens, const int32_t* positions, bool use_pos, int64_t B, int64_t T_,
              int64_t V, int64_t P_) {
  check_ids(tokens, B * T_, V, "token id");
  if (!use_pos) return;
  if (positions) {
    check_ids(positions, B * T_, P_, "position id");
  } else if (T_ > P_) {
    fail(TRIAD_ERR_INVALID, "position " + std::to_string(T_ - 1) + " is out of range [0, " + std::to_string(P_) + ")");
  }
}

// Groups the rows bt by id on the host (a stable counting sort: the ids travel to the host anyway,
// to be validated) and launches one block row per distinct id. host_ids [BT] already validated.
template <class T>
void scatter(T* dtable, const T* dout, const std::vector<int32_t>& host_ids, int64_t C, int64_t rows) {
  const int64_t BT = (int64_t)host_ids.size();
  std::vector<int32_t> count((size_t)rows + 1, 0);
  for (int32_t id : host_ids) ++count[(size_t)id + 1];
  for (int64_t r = 0; r < rows; ++r) count[(size_t)r + 1] += count[(size_t)r];  // count[r] = start of id r
  // packed: order [BT], seg [U+1], seg_ids [U]
  std::vector<int32_t> packed((size_t)BT);
  std::vector<int32_t> seg, seg_ids;
  {
    std::vector<int32_t> next(count.begin(), count.end() - 1);
    for (int64_t bt = 0; bt < BT; ++bt) packed[(size_t)next[(size_t)host_ids[(size_t)bt]]++] = (int32_t)bt;
    for (int64_t r = 0; r < rows; ++r) {
      if (count[(size_t)r + 1] > count[(size_t)r]) {
        seg.push_back(count[(size_t)r]);
        seg_ids.push_back((int32_t)r);
      }
    }
    seg.push_back((int32_t)BT);
  }
  const int64_t U = (int64_t)seg_ids.size();
  packed.insert(packed.end(), seg.begin(), seg.end());
  packed.insert(packed.end(), seg_ids.begin(), seg_ids.end());
  Scratch dev(sizeof(int32_t) * packed.size());
  copy_h2d(dev.as<int32_t>(), packed.data(), sizeof(int32_t) * packed.size());
  const int32_t* order = dev.as<int32_t>();
  dim3 grid((unsigned)U, (unsigned)((C + 255) / 256));
  embedding_backward_kernel<T><<<grid, 256, 0, stream()>>>(dtable, dout, order, order + BT, order + BT + U + 1, C);
  check_launch("embedding_backward_kernel");
}

std::vector<int32_t> to_host(const int32_t* ids, int64_t n) {
  std::vector<int32_t> h((size_t)n);
  copy_d2h(h.data(), ids, sizeof(int32_t) * n);
  return h;
}

}  // namespace

void embedding_forward(int dt, void* out, const int32_t* tokens, const int32_t* positions,
                       const void* wte, const void* wpe, int64_t B, int64_t T, int64_t C,
                       int64_t V, int64_t Pn) {
  validate(tokens, positions, wpe != nullptr, B, T, V, Pn);
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    embedding_forward_kernel<TT><<<blocks_for(B * T * C, 256), 256, 0, stream()>>>(
        P<TT>(out), tokens, positions, P<TT>(wte), P<TT>(wpe), B * T, T, C);
  });
  check_launch("embedding_forward_kernel");
}

void embedding_backward(int dt, void* dwte, void* dwpe, const void* dout, const int32_t* tokens,
                        const int32_t* positions, int64_t B, int64_t T, int64_t C, int64_t V,
                        int64_t Pn) {
  if (!dwte && !dwpe) return;
  validate(tokens, positions, dwpe != nullptr, B, T, V, Pn);
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    if (dwte) scatter(P<TT>(dwte), P<TT>(dout), to_host(tokens, B * T), C, V);
    if (dwpe) {
      std::vector<int32_t> pos;
      if (positions) {
        pos = to_host(positions, B * T);
      } else {
        pos.resize((size_t)(B * T));
        for (int64_t bt = 0; bt < B * T; ++bt) pos[(size_t)bt] = (int32_t)(bt % T);
      }
      scatter(P<TT>(dwpe), P<TT>(dout), pos, C, Pn);
    }
  });
}

}  // namespace triad::cuda
