// Token + learned position embedding. Ids are validated on the device first (one sync).
// Backward is deterministic without atomics: thread (c, g) owns channel c of the vocabulary rows
// in bucket g and walks all (b,t) rows in order, adding only its rows' contributions, so every
// gradient element receives its terms in the same order on every run (as on the CPU).
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

// dtable [rows,C] += scatter of dout [BT,C] by ids (ids NULL: id = bt % T_).
// grid (ceil(C/32), buckets); bucket g owns table rows [g*per, (g+1)*per).
template <class T>
__global__ void embedding_backward_kernel(T* dtable, const T* dout, const int32_t* ids, int64_t BT,
                                          int64_t T_, int64_t C, int64_t rows) {
  const int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  const int64_t per = (rows + gridDim.y - 1) / gridDim.y;
  const int64_t lo = per * blockIdx.y, hi = min(rows, lo + per);
  if (c >= C || lo >= hi) return;
  // accumulate in fp32 straight into the table: the row's order of additions is fixed
  for (int64_t bt = 0; bt < BT; ++bt) {
    const int64_t id = ids ? ids[bt] : bt % T_;
    if (id < lo || id >= hi) continue;
    const int64_t k = id * C + c;
    st(dtable, k, ld(dtable, k) + ld(dout, bt * C + c));
  }
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

template <class T>
void scatter(T* dtable, const T* dout, const int32_t* ids, int64_t BT, int64_t T_, int64_t C, int64_t rows) {
  // enough buckets to fill the GPU (each thread walks all BT ids: cheap broadcast loads)
  const int64_t col_blocks = (C + 127) / 128;
  int64_t buckets = std::max<int64_t>(1, std::min<int64_t>(rows, (4 * 132 + col_blocks - 1) / col_blocks));
  dim3 grid((unsigned)col_blocks, (unsigned)buckets);
  embedding_backward_kernel<T><<<grid, 128, 0, stream()>>>(dtable, dout, ids, BT, T_, C, rows);
  check_launch("embedding_backward_kernel");
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
    if (dwte) scatter(P<TT>(dwte), P<TT>(dout), tokens, B * T, T, C, V);
    if (dwpe) scatter(P<TT>(dwpe), P<TT>(dout), positions, B * T, T, C, Pn);
  });
}

}  // namespace triad::cuda
