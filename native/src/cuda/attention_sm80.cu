// Tensor-core flash attention (bf16, head dims 64 and 128) with mma.sync m16n8k16 (sm_80+, also
// the sm_90a build). Same semantics as attention.cu's fp32 kernels, which remain the path for f32,
// other head dims and TRIAD_ATTENTION_SIMT=1 (a switch for debugging on a GPU).
//   forward:  block = 4 warps x 16 query rows (64 queries); key/value tiles of 64 double-buffered
//             through cp.async; S = Q K^T and O += P V on tensor cores; online softmax in the
//             log2 domain on the accumulator fragments; only lse is saved.
//   backward: dK/dV kernel (block = 64 keys, walks the query tiles t >= s) and dQ kernel (block =
//             64 queries, walks the key tiles s <= t), so every gradient row has one owner: no
//             atomics, deterministic. delta = rowsum(dO * O) comes from attention.cu.
// Fragment layouts: see mma.cuh. In a C fragment, element e of lane l sits at row l/4 (+8 for
// e >= 2) and column 2(l%4) + (e&1) of its 16x8 tile.
#include <cmath>
#include <cstdlib>

#include "cuda/attention_sm80.h"
#include "cuda/common.cuh"
#include "cuda/mma.cuh"

namespace triad::cuda {

namespace {

constexpr int kTile = 64;      // query and key rows per tile
constexpr int kWarps = 4;      // 16 rows each
constexpr int kThreads = kWarps * 32;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

struct Geometry {
  int64_t T, H, C;  // C = H * D
  __host__ __device__ int64_t row(int64_t b, int64_t t) const { return (b * T + t) * 3 * C; }
};

// Copies rows [t0, t0+64) of one head's q, k or v (part 0, 1, 2 of qkv) or of o/dout (part -1:
// [B,T,H,D] layout) into smem [64][D+8], zero-filling rows >= T. 16-byte cp.async; the caller
// commits.
template <int D>
__device__ __forceinline__ void load_tile(bf16* s, const bf16* base, int64_t b, int64_t t0, int64_t h,
                                          const Geometry& g, int part) {
  constexpr int kVecsPerRow = D / 8, kLd = D + 8;
  for (int v = threadIdx.x; v < kTile * kVecsPerRow; v += kThreads) {
    const int r = v / kVecsPerRow, c = (v % kVecsPerRow) * 8;
    const int64_t t = t0 + r;
    const bool ok = t < g.T;
    const int64_t off = part >= 0 ? g.row(b, ok ? t : 0) + part * g.C + h * D + c
                                  : ((b * g.T + (ok ? t : 0)) * g.C) + h * D + c;
    cp_async16(s + r * kLd + c, base + off, ok ? 16 : 0);
  }
}

__device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

// acc[16 x 64] (+)= A[16 x D] (rows a_row0.. of smem sa, D contiguous) @ B[64 x D]^T (rows of sb)
template <int D>
__device__ __forceinline__ void mma_abt(float (&acc)[8][4], const bf16* sa, int a_row0, const bf16* sb, int lane) {
  constexpr int kLd = D + 8;
#pragma unroll
  for (int kk = 0; kk < D; kk += 16) {
    uint32_t a[4];
    ldmatrix_x4<false>(a, sa + (a_row0 + (lane & 15)) * kLd + kk + (lane >> 4) * 8);
#pragma unroll
    for (int np = 0; np < 4; ++np) {
      uint32_t r[4];
      ldmatrix_x4<false>(r, sb + (np * 16 + (lane & 7) + (lane >> 4) * 8) * kLd + kk + ((lane >> 3) & 1) * 8);
      mma_bf16(acc[2 * np], a, r[0], r[1]);
      mma_bf16(acc[2 * np + 1], a, r[2], r[3]);
    }
  }
}

// out[16 x D] += P[16 x 64] (C-fragment layout, fp32) @ Bm[64 x D] (smem rows, D contiguous)
template <int D>
__device__ __forceinline__ void mma_pv(float (&out)[D / 8][4], const float (&p)[8][4], const bf16* sb, int lane) {
  constexpr int kLd = D + 8;
#pragma unroll
  for (int kc = 0; kc < 4; ++kc) {
    uint32_t a[4];
    a[0] = pack_bf16(p[2 * kc][0], p[2 * kc][1]);
    a[1] = pack_bf16(p[2 * kc][2], p[2 * kc][3]);
    a[2] = pack_bf16(p[2 * kc + 1][0], p[2 * kc + 1][1]);
    a[3] = pack_bf16(p[2 * kc + 1][2], p[2 * kc + 1][3]);
#pragma unroll
    for (int np = 0; np < D / 16; ++np) {
      uint32_t r[4];
      ldmatrix_x4<true>(r, sb + (kc * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * kLd + np * 16 + (lane >> 4) * 8);
      mma_bf16(out[2 * np], a, r[0], r[1]);
      mma_bf16(out[2 * np + 1], a, r[2], r[3]);
    }
  }
}

// out [B,T,H,D] bf16, lse f32 [B,H,T]; grid (ceil(T/64), H, B)
template <int D>
__global__ void __launch_bounds__(kThreads) flash_forward_kernel(bf16* out, float* lse, const bf16* qkv,
                                                                  const int32_t* doc_ids, Geometry g,
                                                                  float scale_log2) {
  constexpr int kLd = D + 8;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* qs = reinterpret_cast<bf16*>(smem_raw);  // [64][kLd]
  bf16* ks = qs + kTile * kLd;                    // [2][64][kLd]
  bf16* vs = ks + 2 * kTile * kLd;                // [2][64][kLd]
  __shared__ int32_t kdoc[2][kTile];
  // the last query tiles see the most keys: start them first
  const int64_t b = blockIdx.z, h = blockIdx.y, q0 = (int64_t)(gridDim.x - 1 - blockIdx.x) * kTile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int32_t* doc = doc_ids ? doc_ids + b * g.T : nullptr;
  const int rbase = warp * 16 + (lane >> 2);  // this thread's rows: rbase, rbase + 8
  int32_t qd[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t t = q0 + rbase + 8 * i;
    qd[i] = (doc && t < g.T) ? doc[t] : 0;
  }

  const int64_t kv_end = min(g.T, q0 + kTile);  // causal: no key beyond the tile's last query
  const int ntiles = (int)((kv_end + kTile - 1) / kTile);
  auto load_kv = [&](int j) {
    const int st = j & 1;
    load_tile<D>(ks + st * kTile * kLd, qkv, b, (int64_t)j * kTile, h, g, 1);
    load_tile<D>(vs + st * kTile * kLd, qkv, b, (int64_t)j * kTile, h, g, 2);
    if (threadIdx.x < kTile) {
      const int64_t s = (int64_t)j * kTile + threadIdx.x;
      kdoc[st][threadIdx.x] = (doc && s < g.T) ? doc[s] : 0;
    }
  };
  load_tile<D>(qs, qkv, b, q0, h, g, 0);
  load_kv(0);
  cp_async_commit();

  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) o[i][e] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};  // l: this thread's partial sums

  for (int j = 0; j < ntiles; ++j) {
    if (j + 1 < ntiles) {
      load_kv(j + 1);  // the buffer it fills was last read before the previous trailing barrier
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const int st = j & 1;
    const int64_t k0 = (int64_t)j * kTile;
    float s[8][4];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[i][e] = 0.0f;
    mma_abt<D>(s, qs, warp * 16, ks + st * kTile * kLd, lane);

    float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int i = e >> 1;
        const int64_t t = q0 + rbase + 8 * i;
        const int col = ni * 8 + (lane & 3) * 2 + (e & 1);
        const int64_t sk = k0 + col;
        const bool vis = t < g.T && sk <= t && (!doc || kdoc[st][col] == qd[i]);
        s[ni][e] = vis ? s[ni][e] * scale_log2 : -INFINITY;
        mx[i] = fmaxf(mx[i], s[ni][e]);
      }
    float corr[2], base[2];
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float mn = fmaxf(m[i], quad_max(mx[i]));
      base[i] = mn == -INFINITY ? 0.0f : mn;  // a row with nothing visible yet stays at zero
      corr[i] = exp2f(m[i] - base[i]);
      m[i] = mn;
      l[i] *= corr[i];
    }
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float p = exp2f(s[ni][e] - base[e >> 1]);
        s[ni][e] = p;
        l[e >> 1] += p;
      }
#pragma unroll
    for (int i = 0; i < D / 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) o[i][e] *= corr[e >> 1];
    mma_pv<D>(o, s, vs + st * kTile * kLd, lane);
    __syncthreads();  // the next iteration's prefetch overwrites this stage
  }

#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t t = q0 + rbase + 8 * i;
    const float lt = quad_sum(l[i]);
    if (t >= g.T) continue;
    const float inv = 1.0f / lt;
    bf16* orow = out + (b * g.T + t) * g.C + h * D;
#pragma unroll
    for (int ni = 0; ni < D / 8; ++ni) {
      const int d = ni * 8 + (lane & 3) * 2;
      *reinterpret_cast<__nv_bfloat162*>(orow + d) = __floats2bfloat162_rn(o[ni][2 * i] * inv, o[ni][2 * i + 1] * inv);
    }
    if ((lane & 3) == 0) lse[(b * g.H + h) * g.T + t] = (m[i] + log2f(lt)) * kLn2;
  }
}

// dK, dV for keys [s0, s0+64); grid (ceil(T/64), H, B)
template <int D>
__global__ void __launch_bounds__(kThreads) flash_backward_kv_kernel(bf16* dqkv, const bf16* dout, const bf16* qkv,
                                                                      const float* lse, const float* delta,
                                                                      const int32_t* doc_ids, Geometry g,
                                                                      float scale, float scale_log2) {
  constexpr int kLd = D + 8;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* ks = reinterpret_cast<bf16*>(smem_raw);  // [64][kLd] this block's keys
  bf16* vs = ks + kTile * kLd;                    // [64][kLd] their values
  bf16* qs = vs + kTile * kLd;                    // [64][kLd] current query tile
  bf16* gs = qs + kTile * kLd;                    // [64][kLd] its dout rows
  __shared__ float qlse[kTile], qdelta[kTile];
  __shared__ int32_t qdoc[kTile];
  const int64_t b = blockIdx.z, h = blockIdx.y, s0 = (int64_t)blockIdx.x * kTile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int32_t* doc = doc_ids ? doc_ids + b * g.T : nullptr;
  const int rbase = warp * 16 + (lane >> 2);  // key rows rbase, rbase + 8 (within the tile)
  int32_t kd[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t s = s0 + rbase + 8 * i;
    kd[i] = (doc && s < g.T) ? doc[s] : 0;
  }
  load_tile<D>(ks, qkv, b, s0, h, g, 1);
  load_tile<D>(vs, qkv, b, s0, h, g, 2);
  cp_async_commit();

  float dk[D / 8][4], dv[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk[i][e] = dv[i][e] = 0.0f;

  const float* lse_bh = lse + (b * g.H + h) * g.T;
  const float* delta_bh = delta + (b * g.H + h) * g.T;
  for (int64_t t0 = s0; t0 < g.T; t0 += kTile) {
    __syncthreads();  // the previous tile is no longer read
    load_tile<D>(qs, qkv, b, t0, h, g, 0);
    load_tile<D>(gs, dout, b, t0, h, g, -1);
    cp_async_commit();
    if (threadIdx.x < kTile) {
      const int64_t t = t0 + threadIdx.x;
      qlse[threadIdx.x] = t < g.T ? lse_bh[t] * kLog2e : 0.0f;
      qdelta[threadIdx.x] = t < g.T ? delta_bh[t] : 0.0f;
      qdoc[threadIdx.x] = (doc && t < g.T) ? doc[t] : 0;
    }
    cp_async_wait<0>();
    __syncthreads();
    float st[8][4], dpt[8][4];  // S^T and dP^T: 16 keys x 64 queries per warp
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[i][e] = dpt[i][e] = 0.0f;
    mma_abt<D>(st, ks, warp * 16, qs, lane);
    mma_abt<D>(dpt, vs, warp * 16, gs, lane);
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int i = e >> 1;
        const int64_t s = s0 + rbase + 8 * i;
        const int col = ni * 8 + (lane & 3) * 2 + (e & 1);
        const int64_t t = t0 + col;
        const bool vis = s < g.T && t < g.T && s <= t && (!doc || qdoc[col] == kd[i]);
        const float p = vis ? exp2f(st[ni][e] * scale_log2 - qlse[col]) : 0.0f;
        st[ni][e] = p;                              // P^T
        dpt[ni][e] = p * (dpt[ni][e] - qdelta[col]);  // dS^T (unscaled)
      }
    mma_pv<D>(dv, st, gs, lane);   // dV += P^T dO
    mma_pv<D>(dk, dpt, qs, lane);  // dK += dS^T Q
  }

#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t s = s0 + rbase + 8 * i;
    if (s >= g.T) continue;
    bf16* krow = dqkv + g.row(b, s) + g.C + h * D;
    bf16* vrow = krow + g.C;
#pragma unroll
    for (int ni = 0; ni < D / 8; ++ni) {
      const int d = ni * 8 + (lane & 3) * 2;
      __nv_bfloat162* kp = reinterpret_cast<__nv_bfloat162*>(krow + d);
      __nv_bfloat162* vp = reinterpret_cast<__nv_bfloat162*>(vrow + d);
      const float2 ko = __bfloat1622float2(*kp), vo = __bfloat1622float2(*vp);
      *kp = __floats2bfloat162_rn(ko.x + dk[ni][2 * i] * scale, ko.y + dk[ni][2 * i + 1] * scale);
      *vp = __floats2bfloat162_rn(vo.x + dv[ni][2 * i], vo.y + dv[ni][2 * i + 1]);
    }
  }
}

// dQ for queries [t0, t0+64); grid (ceil(T/64), H, B)
template <int D>
__global__ void __launch_bounds__(kThreads) flash_backward_q_kernel(bf16* dqkv, const bf16* dout, const bf16* qkv,
                                                                     const float* lse, const float* delta,
                                                                     const int32_t* doc_ids, Geometry g,
                                                                     float scale, float scale_log2) {
  constexpr int kLd = D + 8;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* qs = reinterpret_cast<bf16*>(smem_raw);  // [64][kLd] this block's queries
  bf16* gs = qs + kTile * kLd;                    // [64][kLd] their dout rows
  bf16* ks = gs + kTile * kLd;                    // [64][kLd] current key tile
  bf16* vs = ks + kTile * kLd;                    // [64][kLd] its values
  __shared__ int32_t kdoc[kTile];
  const int64_t b = blockIdx.z, h = blockIdx.y, q0 = (int64_t)(gridDim.x - 1 - blockIdx.x) * kTile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int32_t* doc = doc_ids ? doc_ids + b * g.T : nullptr;
  const int rbase = warp * 16 + (lane >> 2);
  int32_t qd[2];
  float rl[2], rd[2];  // lse (log2 domain) and delta of this thread's rows
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t t = q0 + rbase + 8 * i;
    const bool ok = t < g.T;
    qd[i] = (doc && ok) ? doc[t] : 0;
    rl[i] = ok ? lse[(b * g.H + h) * g.T + t] * kLog2e : 0.0f;
    rd[i] = ok ? delta[(b * g.H + h) * g.T + t] : 0.0f;
  }
  load_tile<D>(qs, qkv, b, q0, h, g, 0);
  load_tile<D>(gs, dout, b, q0, h, g, -1);
  cp_async_commit();

  float dq[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) dq[i][e] = 0.0f;

  const int64_t kv_end = min(g.T, q0 + kTile);
  for (int64_t k0 = 0; k0 < kv_end; k0 += kTile) {
    __syncthreads();
    load_tile<D>(ks, qkv, b, k0, h, g, 1);
    load_tile<D>(vs, qkv, b, k0, h, g, 2);
    cp_async_commit();
    if (threadIdx.x < kTile) {
      const int64_t s = k0 + threadIdx.x;
      kdoc[threadIdx.x] = (doc && s < g.T) ? doc[s] : 0;
    }
    cp_async_wait<0>();
    __syncthreads();
    float s[8][4], dp[8][4];  // 16 queries x 64 keys per warp
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[i][e] = dp[i][e] = 0.0f;
    mma_abt<D>(s, qs, warp * 16, ks, lane);
    mma_abt<D>(dp, gs, warp * 16, vs, lane);
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int i = e >> 1;
        const int64_t t = q0 + rbase + 8 * i;
        const int col = ni * 8 + (lane & 3) * 2 + (e & 1);
        const int64_t sk = k0 + col;
        const bool vis = t < g.T && sk <= t && (!doc || kdoc[col] == qd[i]);
        const float p = vis ? exp2f(s[ni][e] * scale_log2 - rl[i]) : 0.0f;
        s[ni][e] = p * (dp[ni][e] - rd[i]);  // dS (unscaled)
      }
    mma_pv<D>(dq, s, ks, lane);  // dQ += dS K
  }

#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t t = q0 + rbase + 8 * i;
    if (t >= g.T) continue;
    bf16* qrow = dqkv + g.row(b, t) + h * D;
#pragma unroll
    for (int ni = 0; ni < D / 8; ++ni) {
      const int d = ni * 8 + (lane & 3) * 2;
      __nv_bfloat162* qp = reinterpret_cast<__nv_bfloat162*>(qrow + d);
      const float2 qo = __bfloat1622float2(*qp);
      *qp = __floats2bfloat162_rn(qo.x + dq[ni][2 * i] * scale, qo.y + dq[ni][2 * i + 1] * scale);
    }
  }
}

template <class K>
void allow_smem(K kernel, size_t bytes) {
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), bytes);
}

template <class F>
bool with_flash_dim(int64_t D, F&& f) {
  if (D == 64) {
    f(std::integral_constant<int, 64>{});
  } else if (D == 128) {
    f(std::integral_constant<int, 128>{});
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool flash_sm80_applies(int dt, int64_t B, int64_t T, int64_t H, int64_t D) {
  static const bool simt_only = [] {
    const char* v = std::getenv("TRIAD_ATTENTION_SIMT");
    return v && v[0] == '1';
  }();
  return !simt_only && dt == TRIAD_BF16 && (D == 64 || D == 128) && B <= 65535 && H <= 65535;
}

void flash_forward_sm80(void* out, float* lse, const void* qkv, const int32_t* doc_ids, int64_t B,
                        int64_t T, int64_t H, int64_t D) {
  const Geometry g{T, H, H * D};
  const float scale_log2 = kLog2e / std::sqrt((float)D);
  dim3 grid((unsigned)((T + kTile - 1) / kTile), (unsigned)H, (unsigned)B);
  with_flash_dim(D, [&](auto dm) {
    constexpr int DD = decltype(dm)::value;
    const size_t bytes = sizeof(bf16) * 5 * kTile * (DD + 8);
    allow_smem(flash_forward_kernel<DD>, bytes);
    flash_forward_kernel<DD><<<grid, kThreads, bytes, stream()>>>(P<bf16>(out), lse, P<bf16>(qkv), doc_ids, g,
                                                                   scale_log2);
    check_launch("flash_forward_kernel");
  });
}

void flash_backward_sm80(void* dqkv, const void* dout, const void* qkv, const float* lse,
                         const float* delta, const int32_t* doc_ids, int64_t B, int64_t T, int64_t H,
                         int64_t D) {
  const Geometry g{T, H, H * D};
  const float scale = 1.0f / std::sqrt((float)D);
  const float scale_log2 = scale * kLog2e;
  dim3 grid((unsigned)((T + kTile - 1) / kTile), (unsigned)H, (unsigned)B);
  with_flash_dim(D, [&](auto dm) {
    constexpr int DD = decltype(dm)::value;
    const size_t bytes = sizeof(bf16) * 4 * kTile * (DD + 8);
    allow_smem(flash_backward_kv_kernel<DD>, bytes);
    flash_backward_kv_kernel<DD><<<grid, kThreads, bytes, stream()>>>(
        P<bf16>(dqkv), P<bf16>(dout), P<bf16>(qkv), lse, delta, doc_ids, g, scale, scale_log2);
    check_launch("flash_backward_kv_kernel");
    allow_smem(flash_backward_q_kernel<DD>, bytes);
    flash_backward_q_kernel<DD><<<grid, kThreads, bytes, stream()>>>(
        P<bf16>(dqkv), P<bf16>(dout), P<bf16>(qkv), lse, delta, doc_ids, g, scale, scale_log2);
    check_launch("flash_backward_q_kernel");
  });
}

}  // namespace triad::cuda
