// Causal multi-head attention, flash style: online softmax over key tiles, no T x T matrix, only
// the log-sum-exp per query row saved. fp32 arithmetic on CUDA cores (a tensor-core version is
// the tensor-core path is attention_sm80.cu, taken for bf16 with D = 64 or 128); any D up to 256,
// specialised for D <= 64, 128, 256.
// Thread layout of every kernel: 128 threads = 32 rows x 4; the 4 threads of a row own the
// interleaved dims d = j, j+4, j+8, ... and combine dot products with two shuffles.
// Backward is two deterministic kernels (each gradient element has one owner, no atomics):
// dK/dV per key tile walking the query tiles, dQ per query tile walking the key tiles.
#include <cmath>

#include "cuda/attention_sm80.h"
#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

constexpr int kRows = 32;      // query (or key) rows per block
constexpr int kThreads = 128;  // 4 threads per row

struct Layout {
  int64_t T, H, D, C;  // C = H * D
  __device__ int64_t q(int64_t b, int64_t t, int64_t h) const { return ((b * T + t) * 3) * C + h * D; }
  __device__ int64_t k(int64_t b, int64_t t, int64_t h) const { return q(b, t, h) + C; }
  __device__ int64_t v(int64_t b, int64_t t, int64_t h) const { return q(b, t, h) + 2 * C; }
  __device__ int64_t o(int64_t b, int64_t t, int64_t h) const { return (b * T + t) * C + h * D; }
};

__device__ __forceinline__ float group_sum(float v) {  // over the 4 threads of a row
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  v += __shfl_xor_sync(0xffffffffu, v, 2);
  return v;
}

// Loads rows [t0, t0+32) of one head's q/k/v/o slice (offset fn) into s [32][DM] as fp32, zeros
// outside T or beyond D.
template <class T, int DM, class Off>
__device__ __forceinline__ void load_rows(float* s, const T* base, int64_t t0, int64_t Tn, int64_t D, Off off) {
  for (int e = threadIdx.x; e < kRows * DM; e += kThreads) {
    const int r = e / DM, d = e % DM;
    const int64_t t = t0 + r;
    s[e] = (t < Tn && d < D) ? ld(base, off(t) + d) : 0.0f;
  }
}

// out [B,T,H,D], lse f32 [B,H,T]; grid (ceil(T/32), H, B)
template <class T, int DM>
__global__ void __launch_bounds__(kThreads) attention_forward_kernel(T* out, float* lse, const T* qkv,
                                                                     const int32_t* doc_ids, Layout L, float scale) {
  constexpr int DS = DM / 4;  // dims per thread
  extern __shared__ float smem[];
  float* ks = smem;               // [32][DM]
  float* vs = ks + kRows * DM;    // [32][DM]
  __shared__ int32_t kdoc[kRows];
  const int64_t b = blockIdx.z, h = blockIdx.y, t0 = (int64_t)blockIdx.x * kRows;
  const int r = threadIdx.x >> 2, j = threadIdx.x & 3;
  const int64_t t = t0 + r;
  const bool valid = t < L.T;
  const int32_t* doc = doc_ids ? doc_ids + b * L.T : nullptr;
  const int32_t qdoc = (doc && valid) ? doc[t] : 0;

  float q[DS], o[DS];
#pragma unroll
  for (int i = 0; i < DS; ++i) {
    const int d = j + 4 * i;
    q[i] = (valid && d < L.D) ? ld(qkv, L.q(b, t, h) + d) * scale : 0.0f;
    o[i] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  const int64_t s_end = min(L.T, t0 + kRows);  // causal: keys beyond the tile's last query are never seen
  for (int64_t s0 = 0; s0 < s_end; s0 += kRows) {
    __syncthreads();
    load_rows<T, DM>(ks, qkv, s0, L.T, L.D, [&](int64_t s) { return L.k(b, s, h); });
    load_rows<T, DM>(vs, qkv, s0, L.T, L.D, [&](int64_t s) { return L.v(b, s, h); });
    if (threadIdx.x < kRows) kdoc[threadIdx.x] = (doc && s0 + threadIdx.x < L.T) ? doc[s0 + threadIdx.x] : 0;
    __syncthreads();
    float sc[kRows];
    float tile_max = -INFINITY;
#pragma unroll
    for (int c = 0; c < kRows; ++c) {
      float part = 0.0f;
#pragma unroll
      for (int i = 0; i < DS; ++i) part += q[i] * ks[c * DM + j + 4 * i];
      const float x = group_sum(part);
      const int64_t s = s0 + c;
      const bool vis = valid && s <= t && (!doc || kdoc[c] == qdoc);
      sc[c] = vis ? x : -INFINITY;
      tile_max = fmaxf(tile_max, sc[c]);
    }
    if (tile_max == -INFINITY) continue;  // nothing visible in this tile (uniform per row group)
    const float m_new = fmaxf(m, tile_max);
    const float corr = __expf(m - m_new);  // exp(-inf) = 0 on the first visible tile
    l *= corr;
#pragma unroll
    for (int i = 0; i < DS; ++i) o[i] *= corr;
#pragma unroll
    for (int c = 0; c < kRows; ++c) {
      const float p = __expf(sc[c] - m_new);
      l += p;
#pragma unroll
      for (int i = 0; i < DS; ++i) o[i] += p * vs[c * DM + j + 4 * i];
    }
    m = m_new;
  }
  if (!valid) return;
  const float inv = 1.0f / l;
#pragma unroll
  for (int i = 0; i < DS; ++i) {
    const int d = j + 4 * i;
    if (d < L.D) st(out, L.o(b, t, h) + d, o[i] * inv);
  }
  if (j == 0) lse[(b * L.H + h) * L.T + t] = m + logf(l);
}

// delta f32 [B,H,T] = sum_d dout * out; one warp per (b, t, h)
template <class T>
__global__ void attention_delta_kernel(float* delta, const T* dout, const T* out, Layout L, int64_t rows) {
  const int64_t w = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (w >= rows) return;
  const int64_t h = w % L.H, bt = w / L.H;  // w = (b * T + t) * H + h
  const int64_t base = bt * L.C + h * L.D;
  float s = 0.0f;
  for (int64_t d = lane; d < L.D; d += 32) s += ld(dout, base + d) * ld(out, base + d);
  s = warp_sum(s);
  const int64_t b = bt / L.T, t = bt % L.T;
  if (lane == 0) delta[(b * L.H + h) * L.T + t] = s;
}

// dK, dV for keys [s0, s0+32) of (b, h): walk query tiles t >= s0. grid (ceil(T/32), H, B)
template <class T, int DM>
__global__ void __launch_bounds__(kThreads) attention_backward_kv_kernel(
    T* dqkv, const T* dout, const T* qkv, const float* lse, const float* delta, const int32_t* doc_ids,
    Layout L, float scale) {
  constexpr int DS = DM / 4;
  extern __shared__ float smem[];
  float* qs = smem;              // [32][DM] queries (scaled)
  float* gs = qs + kRows * DM;   // [32][DM] dout rows
  __shared__ float qlse[kRows], qdelta[kRows];
  __shared__ int32_t qdoc[kRows];
  const int64_t b = blockIdx.z, h = blockIdx.y, s0 = (int64_t)blockIdx.x * kRows;
  const int r = threadIdx.x >> 2, j = threadIdx.x & 3;
  const int64_t s = s0 + r;
  const bool valid = s < L.T;
  const int32_t* doc = doc_ids ? doc_ids + b * L.T : nullptr;
  const int32_t kdoc = (doc && valid) ? doc[s] : 0;
  float k[DS], v[DS], dk[DS], dv[DS];
#pragma unroll
  for (int i = 0; i < DS; ++i) {
    const int d = j + 4 * i;
    k[i] = (valid && d < L.D) ? ld(qkv, L.k(b, s, h) + d) : 0.0f;
    v[i] = (valid && d < L.D) ? ld(qkv, L.v(b, s, h) + d) : 0.0f;
    dk[i] = 0.0f;
    dv[i] = 0.0f;
  }
  const float* lse_bh = lse + (b * L.H + h) * L.T;
  const float* delta_bh = delta + (b * L.H + h) * L.T;
  for (int64_t t0 = s0; t0 < L.T; t0 += kRows) {
    __syncthreads();
    load_rows<T, DM>(qs, qkv, t0, L.T, L.D, [&](int64_t t) { return L.q(b, t, h); });
    load_rows<T, DM>(gs, dout, t0, L.T, L.D, [&](int64_t t) { return L.o(b, t, h); });
    if (threadIdx.x < kRows) {
      const int64_t t = t0 + threadIdx.x;
      qlse[threadIdx.x] = t < L.T ? lse_bh[t] : 0.0f;
      qdelta[threadIdx.x] = t < L.T ? delta_bh[t] : 0.0f;
      qdoc[threadIdx.x] = (doc && t < L.T) ? doc[t] : 0;
    }
    __syncthreads();
#pragma unroll 4
    for (int c = 0; c < kRows; ++c) {
      const int64_t t = t0 + c;
      float ps = 0.0f, pd = 0.0f;
#pragma unroll
      for (int i = 0; i < DS; ++i) {
        ps += qs[c * DM + j + 4 * i] * k[i];
        pd += gs[c * DM + j + 4 * i] * v[i];
      }
      const float x = group_sum(ps) * scale;
      const float dp = group_sum(pd);
      const bool vis = valid && t < L.T && s <= t && (!doc || qdoc[c] == kdoc);
      if (!vis) continue;
      const float p = __expf(x - qlse[c]);
      const float ds = p * (dp - qdelta[c]) * scale;
#pragma unroll
      for (int i = 0; i < DS; ++i) {
        dv[i] += p * gs[c * DM + j + 4 * i];
        dk[i] += ds * qs[c * DM + j + 4 * i];
      }
    }
  }
  if (!valid) return;
#pragma unroll
  for (int i = 0; i < DS; ++i) {
    const int d = j + 4 * i;
    if (d >= L.D) continue;
    const int64_t ik = L.k(b, s, h) + d, iv = L.v(b, s, h) + d;
    st(dqkv, ik, ld(dqkv, ik) + dk[i]);
    st(dqkv, iv, ld(dqkv, iv) + dv[i]);
  }
}

// dQ for queries [t0, t0+32) of (b, h): walk key tiles s <= t. grid (ceil(T/32), H, B)
template <class T, int DM>
__global__ void __launch_bounds__(kThreads) attention_backward_q_kernel(
    T* dqkv, const T* dout, const T* qkv, const float* lse, const float* delta, const int32_t* doc_ids,
    Layout L, float scale) {
  constexpr int DS = DM / 4;
  extern __shared__ float smem[];
  float* ks = smem;             // [32][DM]
  float* vs = ks + kRows * DM;  // [32][DM]
  __shared__ int32_t kdoc[kRows];
  const int64_t b = blockIdx.z, h = blockIdx.y, t0 = (int64_t)blockIdx.x * kRows;
  const int r = threadIdx.x >> 2, j = threadIdx.x & 3;
  const int64_t t = t0 + r;
  const bool valid = t < L.T;
  const int32_t* doc = doc_ids ? doc_ids + b * L.T : nullptr;
  const int32_t qd = (doc && valid) ? doc[t] : 0;
  float q[DS], g[DS], dq[DS];
#pragma unroll
  for (int i = 0; i < DS; ++i) {
    const int d = j + 4 * i;
    q[i] = (valid && d < L.D) ? ld(qkv, L.q(b, t, h) + d) : 0.0f;
    g[i] = (valid && d < L.D) ? ld(dout, L.o(b, t, h) + d) : 0.0f;
    dq[i] = 0.0f;
  }
  const float my_lse = valid ? lse[(b * L.H + h) * L.T + t] : 0.0f;
  const float my_delta = valid ? delta[(b * L.H + h) * L.T + t] : 0.0f;
  const int64_t s_end = min(L.T, t0 + kRows);
  for (int64_t s0 = 0; s0 < s_end; s0 += kRows) {
    __syncthreads();
    load_rows<T, DM>(ks, qkv, s0, L.T, L.D, [&](int64_t s) { return L.k(b, s, h); });
    load_rows<T, DM>(vs, qkv, s0, L.T, L.D, [&](int64_t s) { return L.v(b, s, h); });
    if (threadIdx.x < kRows) kdoc[threadIdx.x] = (doc && s0 + threadIdx.x < L.T) ? doc[s0 + threadIdx.x] : 0;
    __syncthreads();
#pragma unroll 4
    for (int c = 0; c < kRows; ++c) {
      const int64_t s = s0 + c;
      float ps = 0.0f, pd = 0.0f;
#pragma unroll
      for (int i = 0; i < DS; ++i) {
        ps += q[i] * ks[c * DM + j + 4 * i];
        pd += g[i] * vs[c * DM + j + 4 * i];
      }
      const float x = group_sum(ps) * scale;
      const float dp = group_sum(pd);
      const bool vis = valid && s <= t && (!doc || kdoc[c] == qd);
      if (!vis) continue;
      const float ds = __expf(x - my_lse) * (dp - my_delta) * scale;
#pragma unroll
      for (int i = 0; i < DS; ++i) dq[i] += ds * ks[c * DM + j + 4 * i];
    }
  }
  if (!valid) return;
#pragma unroll
  for (int i = 0; i < DS; ++i) {
    const int d = j + 4 * i;
    if (d >= L.D) continue;
    const int64_t iq = L.q(b, t, h) + d;
    st(dqkv, iq, ld(dqkv, iq) + dq[i]);
  }
}

// ---- decode over a KV cache ----

// kcache, vcache [B,Tmax,H,D] at positions [past, past+Tn) = the new tokens' k, v
template <class T>
__global__ void kv_store_kernel(T* kcache, T* vcache, const T* qkv, int64_t B, int64_t Tn, int64_t past,
                                int64_t Tmax, int64_t C) {
  const int64_t total = B * Tn * C;
  for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = e % C, bi = e / C, i = bi % Tn, b = bi / Tn;
    const int64_t dst = (b * Tmax + past + i) * C + c;
    kcache[dst] = qkv[bi * 3 * C + C + c];
    vcache[dst] = qkv[bi * 3 * C + 2 * C + c];
  }
}

// out [B,Tn,H,D]; one block per (i, h, b); keys [start[b], past+i], 128 at a time (online softmax)
template <class T>
__global__ void __launch_bounds__(kThreads) attention_decode_kernel(T* out, const T* kcache, const T* vcache,
                                                                    const T* qkv, const int32_t* start, int64_t Tn,
                                                                    int64_t past, int64_t Tmax, int64_t H, int64_t D,
                                                                    float scale, IdError* bad) {
  extern __shared__ float smem[];
  float* q = smem;          // [D]
  float* p = q + D;         // [128]
  __shared__ float red[32];
  const int64_t i = blockIdx.x, h = blockIdx.y, b = blockIdx.z, C = H * D;
  for (int64_t d = threadIdx.x; d < D; d += kThreads) q[d] = ld(qkv, (b * Tn + i) * 3 * C + h * D + d) * scale;
  constexpr int kMaxD = 4;  // dims per thread: D <= 512
  float o[kMaxD] = {0.0f, 0.0f, 0.0f, 0.0f};
  float m = -INFINITY, l = 0.0f;
  const int64_t last = past + i;
  int64_t first = start ? start[b] : 0;
  if (start && !id_ok(bad, kAttentionDecodeStart, b, start[b], past + Tn)) first = 0;  // reported; stay in bounds
  __syncthreads();
  for (int64_t s0 = first; s0 <= last; s0 += kThreads) {
    const int64_t s = s0 + threadIdx.x;
    float x = -INFINITY;
    if (s <= last) {
      const T* kr = kcache + (b * Tmax + s) * C + h * D;
      x = 0.0f;
      for (int64_t d = 0; d < D; ++d) x += q[d] * ld(kr, d);
    }
    const float cmax = block_max(x, red);
    const float m_new = fmaxf(m, cmax);
    const float corr = __expf(m - m_new);
    const float pv = s <= last ? __expf(x - m_new) : 0.0f;
    __syncthreads();
    p[threadIdx.x] = pv;
    const float psum = block_sum(pv, red);  // contains a barrier: p is visible after it
    l = l * corr + psum;
    const int64_t n = min((int64_t)kThreads, last - s0 + 1);
#pragma unroll
    for (int k = 0; k < kMaxD; ++k) {
      const int64_t d = threadIdx.x + k * kThreads;
      if (d >= D) break;
      float acc = o[k] * corr;
      for (int64_t c = 0; c < n; ++c) acc += p[c] * ld(vcache, (b * Tmax + s0 + c) * C + h * D + d);
      o[k] = acc;
    }
    m = m_new;
    __syncthreads();
  }
  const float inv = 1.0f / l;
#pragma unroll
  for (int k = 0; k < kMaxD; ++k) {
    const int64_t d = threadIdx.x + k * kThreads;
    if (d < D) st(out, (b * Tn + i) * C + h * D + d, o[k] * inv);
  }
}

template <class K>
void set_smem(K kernel, size_t bytes) {
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), bytes);
}

// Calls f(std::integral_constant<int, DM>) for the smallest DM in {64, 128, 256} >= D.
template <class F>
void with_head_dim(int64_t D, F&& f) {
  if (D <= 64) f(std::integral_constant<int, 64>{});
  else if (D <= 128) f(std::integral_constant<int, 128>{});
  else if (D <= 256) f(std::integral_constant<int, 256>{});
  else fail(TRIAD_ERR_UNSUPPORTED, "head dim D=" + std::to_string(D) + " > 256 is not supported on cuda");
}

void check_grid(int64_t B, int64_t H) {
  if (B > 65535 || H > 65535) fail(TRIAD_ERR_UNSUPPORTED, "B and H must be <= 65535 on cuda");
}

}  // namespace

void attention_forward(int dt, void* out, float* lse, const void* qkv, const int32_t* doc_ids,
                       int64_t B, int64_t T, int64_t H, int64_t D) {
  check_grid(B, H);
  if (flash_sm80_applies(dt, B, T, H, D)) {
    flash_forward_sm80(out, lse, qkv, doc_ids, B, T, H, D);
    return;
  }
  const Layout L{T, H, D, H * D};
  const float scale = 1.0f / std::sqrt((float)D);
  dim3 grid((unsigned)((T + kRows - 1) / kRows), (unsigned)H, (unsigned)B);
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    with_head_dim(D, [&](auto dm) {
      constexpr int DM = decltype(dm)::value;
      const size_t bytes = sizeof(float) * 2 * kRows * DM;
      set_smem(attention_forward_kernel<TT, DM>, bytes);
      attention_forward_kernel<TT, DM><<<grid, kThreads, bytes, stream()>>>(P<TT>(out), lse, P<TT>(qkv), doc_ids, L, scale);
      check_launch("attention_forward_kernel");
    });
  });
}

void attention_backward(int dt, void* dqkv, const void* dout, const void* qkv, const void* out,
                        const float* lse, const int32_t* doc_ids, int64_t B, int64_t T,
                        int64_t H, int64_t D) {
  check_grid(B, H);
  const Layout L{T, H, D, H * D};
  const float scale = 1.0f / std::sqrt((float)D);
  Scratch delta(sizeof(float) * B * H * T);
  dim3 grid((unsigned)((T + kRows - 1) / kRows), (unsigned)H, (unsigned)B);
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    const int64_t rows = B * T * H;
    attention_delta_kernel<TT><<<blocks_for(rows * 32, 256, INT32_MAX), 256, 0, stream()>>>(
        delta.as<float>(), P<TT>(dout), P<TT>(out), L, rows);
    check_launch("attention_delta_kernel");
    if (flash_sm80_applies(dt, B, T, H, D)) {
      flash_backward_sm80(dqkv, dout, qkv, lse, delta.as<float>(), doc_ids, B, T, H, D);
      return;
    }
    with_head_dim(D, [&](auto dm) {
      constexpr int DM = decltype(dm)::value;
      const size_t bytes = sizeof(float) * 2 * kRows * DM;
      set_smem(attention_backward_kv_kernel<TT, DM>, bytes);
      attention_backward_kv_kernel<TT, DM><<<grid, kThreads, bytes, stream()>>>(
          P<TT>(dqkv), P<TT>(dout), P<TT>(qkv), lse, delta.as<float>(), doc_ids, L, scale);
      check_launch("attention_backward_kv_kernel");
      set_smem(attention_backward_q_kernel<TT, DM>, bytes);
      attention_backward_q_kernel<TT, DM><<<grid, kThreads, bytes, stream()>>>(
          P<TT>(dqkv), P<TT>(dout), P<TT>(qkv), lse, delta.as<float>(), doc_ids, L, scale);
      check_launch("attention_backward_q_kernel");
    });
  });
}

void attention_decode(int dt, void* out, void* kcache, void* vcache, const void* qkv,
                      const int32_t* start, int64_t B, int64_t Tn, int64_t past, int64_t Tmax,
                      int64_t H, int64_t D) {
  check_grid(B, H);
  if (D > 4 * kThreads) fail(TRIAD_ERR_UNSUPPORTED, "head dim D > 512 is not supported by attention_decode on cuda");
  if (Tn > 65535) fail(TRIAD_ERR_UNSUPPORTED, "Tn > 65535 is not supported on cuda");
  IdError* bad = id_error();
  const float scale = 1.0f / std::sqrt((float)D);
  with_dtype(dt, [&](auto t) {
    using TT = decltype(t);
    kv_store_kernel<TT><<<blocks_for(B * Tn * H * D, 256), 256, 0, stream()>>>(
        P<TT>(kcache), P<TT>(vcache), P<TT>(qkv), B, Tn, past, Tmax, H * D);
    check_launch("kv_store_kernel");
    const size_t bytes = sizeof(float) * (D + kThreads);
    dim3 grid((unsigned)Tn, (unsigned)H, (unsigned)B);
    attention_decode_kernel<TT><<<grid, kThreads, bytes, stream()>>>(P<TT>(out), P<TT>(kcache), P<TT>(vcache),
                                                                     P<TT>(qkv), start, Tn, past, Tmax, H, D, scale, bad);
    check_launch("attention_decode_kernel");
  });
}

}  // namespace triad::cuda
