// The per-element GEMM epilogue shared by the bf16/f32 kernels of matmul.cu and the Hopper kernel
// of matmul_sm90.cu, so every path computes exactly the semantics of triad_matmul_epilogue:
//   v = acc + bias[n]; GELU: pre = v (when pre != NULL), v = gelu(v);
//   GELU_BACKWARD: v *= gelu'(pre); then out = v, or out = out + v with accumulate (one rounding).
#pragma once

#include "cuda/common.cuh"
#include "cuda/gelu.cuh"

namespace triad::cuda::gemm {

enum Epilogue { kNone = 0, kGelu = 1, kGeluBackward = 2 };

template <class T>
struct GemmArgs {
  T* out;         // [batch, M, N]
  T* pre;         // [batch, M, N] or NULL: GELU's pre-activation (written or read)
  const T* a;     // [batch, M, K] or, trans_a, [batch, K, M]
  const T* b;     // [batch, K, N] or, trans_b, [batch, N, K]
  const T* bias;  // [N] or NULL
  int64_t M, N, K;
  bool accumulate;
  int epilogue;
};

// Bias, then GELU (saving the pre-activation) or GELU backward (reading it), on the value of
// column n whose offset in out and pre is idx; accumulate and the store are the caller's.
template <class T>
__device__ __forceinline__ float epilogue_value(const GemmArgs<T>& p, int64_t idx, int64_t n, float v) {
  if (p.bias) v += ld(p.bias, n);
  if (p.epilogue == kGelu) {
    if (p.pre) st(p.pre, idx, v);
    v = gelu_f(v);
  } else if (p.epilogue == kGeluBackward) {
    v *= gelu_grad_f(ld(p.pre, idx));
  }
  return v;
}

template <class T>
__device__ __forceinline__ void epilogue_store(const GemmArgs<T>& p, int64_t bofs, int64_t m, int64_t n, float acc) {
  if (m >= p.M || n >= p.N) return;
  const int64_t idx = bofs + m * p.N + n;
  float v = acc;
  if (p.bias) v += ld(p.bias, n);
  if (p.epilogue == kGelu) {
    if (p.pre) st(p.pre, idx, v);
    v = gelu_f(v);
  } else if (p.epilogue == kGeluBackward) {
    v *= gelu_grad_f(ld(p.pre, idx));
  }
  if (p.accumulate) v += ld(p.out, idx);
  st(p.out, idx, v);
}

// Columns n, n+1 of row m: one 4-byte bf16x2 store when both exist and the pair is aligned.
__device__ __forceinline__ void epilogue_pair(const GemmArgs<bf16>& p, int64_t bofs, int64_t m, int64_t n, float a0,
                                              float a1) {
  if (m >= p.M) return;
  const int64_t idx = bofs + m * p.N + n;
  if (n + 1 >= p.N || (idx & 1)) {
    epilogue_store(p, bofs, m, n, a0);
    epilogue_store(p, bofs, m, n + 1, a1);
    return;
  }
  // the verified code as it ran on the H200; it becomes epilogue_value when v2 replaces v1
  float v[2] = {a0, a1};
#pragma unroll
  for (int e = 0; e < 2; ++e) {
    if (p.bias) v[e] += ld(p.bias, n + e);
    if (p.epilogue == kGelu) {
      if (p.pre) st(p.pre, idx + e, v[e]);
      v[e] = gelu_f(v[e]);
    } else if (p.epilogue == kGeluBackward) {
      v[e] *= gelu_grad_f(ld(p.pre, idx + e));
    }
  }
  __nv_bfloat162* o = reinterpret_cast<__nv_bfloat162*>(p.out + idx);
  if (p.accumulate) {
    const float2 old = __bfloat1622float2(*o);
    v[0] += old.x;
    v[1] += old.y;
  }
  *o = __floats2bfloat162_rn(v[0], v[1]);
}

// Columns n..n+3 of row m, as the Hopper kernel's shared-memory epilogue reads them: one 8-byte
// store of four bf16 when all four exist and are 8-byte aligned, else element by element.
__device__ __forceinline__ void epilogue_quad(const GemmArgs<bf16>& p, int64_t bofs, int64_t m, int64_t n,
                                              float4 a) {
  if (m >= p.M) return;
  float v[4] = {a.x, a.y, a.z, a.w};
  const int64_t idx = bofs + m * p.N + n;
  if (n + 3 >= p.N || (reinterpret_cast<uintptr_t>(p.out + idx) & 7)) {
#pragma unroll
    for (int e = 0; e < 4; ++e) epilogue_store(p, bofs, m, n + e, v[e]);
    return;
  }
#pragma unroll
  for (int e = 0; e < 4; ++e) v[e] = epilogue_value(p, idx + e, n + e, v[e]);
  __nv_bfloat162* o = reinterpret_cast<__nv_bfloat162*>(p.out + idx);
  if (p.accumulate) {
    const float2 lo = __bfloat1622float2(o[0]), hi = __bfloat1622float2(o[1]);
    v[0] += lo.x;
    v[1] += lo.y;
    v[2] += hi.x;
    v[3] += hi.y;
  }
  __nv_bfloat162 w[2] = {__floats2bfloat162_rn(v[0], v[1]), __floats2bfloat162_rn(v[2], v[3])};
  *reinterpret_cast<uint2*>(o) = *reinterpret_cast<const uint2*>(w);
}

}  // namespace triad::cuda::gemm
