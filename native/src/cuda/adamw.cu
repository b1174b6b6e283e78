// Fused AdamW (one pass over param, grad, m, v and the optional low-precision param copy; a
// 4-wide vectorized kernel when sizes and alignment allow) and
// the deterministic sum of squares behind the global gradient norm.
#include <cmath>

#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

// param, m, v f32 [n]; grad TG [n]; copy TC [n] or NULL. Same arithmetic as the CPU reference.
template <class TG, class TC>
__global__ void adamw_kernel(float* __restrict__ param, const TG* __restrict__ grad,
                             float* __restrict__ m, float* __restrict__ v, TC* __restrict__ copy,
                             int64_t n, float lr, float beta1, float beta2, float eps, float wd,
                             float grad_scale, float inv_bc1, float inv_bc2) {
  const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float g = ld(grad, i) * grad_scale;
    const float mi = beta1 * m[i] + c1 * g;
    const float vi = beta2 * v[i] + c2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const float mhat = mi * inv_bc1, vhat = vi * inv_bc2;
    const float p = param[i];
    const float np = p - lr * (mhat / (sqrtf(vhat) + eps) + wd * p);
    param[i] = np;
    if (copy) st(copy, i, np);
  }
}

// The same update, 4 elements per thread per step with 16-byte loads and stores of param, m, v
// (and 16- or 8-byte grad / copy accesses): fewer memory instructions for this bandwidth-bound
// pass. Needs n % 4 == 0 and 16-byte aligned buffers (every cudaMalloc'd buffer is).
template <class TG, class TC>
__global__ void adamw_vec4_kernel(float4* __restrict__ param, const TG* __restrict__ grad, float4* __restrict__ m,
                                  float4* __restrict__ v, TC* __restrict__ copy, int64_t n4, float lr, float beta1,
                                  float beta2, float eps, float wd, float grad_scale, float inv_bc1, float inv_bc2) {
  const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
    float g[4];
    if constexpr (std::is_same_v<TG, float>) {
      const float4 gv = reinterpret_cast<const float4*>(grad)[i];
      g[0] = gv.x, g[1] = gv.y, g[2] = gv.z, g[3] = gv.w;
    } else {
      const uint2 raw = reinterpret_cast<const uint2*>(grad)[i];
      const float2 lo = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
      const float2 hi = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
      g[0] = lo.x, g[1] = lo.y, g[2] = hi.x, g[3] = hi.y;
    }
    float4 pv = param[i], mv = m[i], vv = v[i];
    float* pp = &pv.x;
    float* mp = &mv.x;
    float* vp = &vv.x;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const float ge = g[e] * grad_scale;
      const float mi = beta1 * mp[e] + c1 * ge;
      const float vi = beta2 * vp[e] + c2 * ge * ge;
      mp[e] = mi;
      vp[e] = vi;
      const float mhat = mi * inv_bc1, vhat = vi * inv_bc2;
      pp[e] = pp[e] - lr * (mhat / (sqrtf(vhat) + eps) + wd * pp[e]);
    }
    param[i] = pv;
    m[i] = mv;
    v[i] = vv;
    if (copy) {
      if constexpr (std::is_same_v<TC, float>) {
        reinterpret_cast<float4*>(copy)[i] = pv;
      } else {
        __nv_bfloat162 lo = __floats2bfloat162_rn(pv.x, pv.y), hi = __floats2bfloat162_rn(pv.z, pv.w);
        uint2 raw;
        raw.x = *reinterpret_cast<uint32_t*>(&lo);
        raw.y = *reinterpret_cast<uint32_t*>(&hi);
        reinterpret_cast<uint2*>(copy)[i] = raw;
      }
    }
  }
}

constexpr int64_t kChunk = 1 << 16;  // elements per partial sum (as on the CPU)

// partial[c] = sum over chunk c of x^2 in double; one block per chunk
template <class T>
__global__ void sum_squares_partial_kernel(double* partial, const T* x, int64_t n) {
  __shared__ double red[32];
  const int64_t i0 = (int64_t)blockIdx.x * kChunk, i1 = min(n, i0 + kChunk);
  double s = 0.0;
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    const double xi = (double)ld(x, i);
    s += xi * xi;
  }
  s = block_sum(s, red);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// acc[0] += sum of partials in chunk order (one thread: there are few chunks)
__global__ void sum_squares_finish_kernel(float* acc, const double* partial, int64_t chunks) {
  __shared__ double red[32];
  double s = 0.0;
  for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) s += partial[c];
  s = block_sum(s, red);
  if (threadIdx.x == 0) acc[0] = (float)((double)acc[0] + s);
}

}  // namespace

void adamw_step(int dt, float* param, const void* grad, float* m, float* v, void* param_copy,
                int copy_dt, int64_t n, float lr, float beta1, float beta2, float eps,
                float weight_decay, float grad_scale, int64_t step) {
  const float inv_bc1 = (float)(1.0 / (1.0 - std::pow((double)beta1, (double)step)));
  const float inv_bc2 = (float)(1.0 / (1.0 - std::pow((double)beta2, (double)step)));
  with_dtype(dt, [&](auto tg) {
    using TG = decltype(tg);
    with_dtype(copy_dt, [&](auto tc) {
      using TC = decltype(tc);
      const auto aligned = [](const void* q) { return (reinterpret_cast<uintptr_t>(q) & 15) == 0; };
      if (n % 4 == 0 && aligned(param) && aligned(grad) && aligned(m) && aligned(v) &&
          (!param_copy || aligned(param_copy))) {
        adamw_vec4_kernel<TG, TC><<<blocks_for(n / 4, 256, 4 * 132 * 8), 256, 0, stream()>>>(
            reinterpret_cast<float4*>(param), P<TG>(grad), reinterpret_cast<float4*>(m),
            reinterpret_cast<float4*>(v), P<TC>(param_copy), n / 4, lr, beta1, beta2, eps, weight_decay,
            grad_scale, inv_bc1, inv_bc2);
      } else {
        adamw_kernel<TG, TC><<<blocks_for(n, 256, 4 * 132 * 8), 256, 0, stream()>>>(
            param, P<TG>(grad), m, v, P<TC>(param_copy), n, lr, beta1, beta2, eps, weight_decay,
            grad_scale, inv_bc1, inv_bc2);
      }
    });
  });
  check_launch("adamw_kernel");
}

void sum_squares(int dt, float* acc, const void* x, int64_t n) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  Scratch partial(sizeof(double) * chunks);
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    sum_squares_partial_kernel<T><<<(unsigned)chunks, 512, 0, stream()>>>(partial.as<double>(), P<T>(x), n);
  });
  check_launch("sum_squares_partial_kernel");
  sum_squares_finish_kernel<<<1, 256, 0, stream()>>>(acc, partial.as<double>(), chunks);
  check_launch("sum_squares_finish_kernel");
}

}  // namespace triad::cuda
