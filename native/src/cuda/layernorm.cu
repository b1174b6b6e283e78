// LayerNorm over the last dimension. Forward: one warp per row, statistics in fp32 (two passes
// over the row: mean, then centred variance, as the CPU does). Backward: one warp per row for dx;
// dweight/dbias are deterministic column sums (common.cuh), no atomics.
#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

constexpr int kWarps = 8;  // rows per 256-thread block

// x, out [N,C]; weight, bias [C]; mean, rstd f32 [N]
template <class T>
__global__ void layernorm_forward_kernel(T* out, float* mean, float* rstd, const T* x, const T* weight,
                                         const T* bias, int64_t N, int64_t C, float eps) {
  const int lane = threadIdx.x & 31;
  const int64_t row = (int64_t)blockIdx.x * kWarps + (threadIdx.x >> 5);
  if (row >= N) return;
  const T* xr = x + row * C;
  float s = 0.0f;
  for (int64_t c = lane; c < C; c += 32) s += ld(xr, c);
  const float mu = warp_sum(s) / (float)C;
  float v = 0.0f;
  for (int64_t c = lane; c < C; c += 32) {
    const float d = ld(xr, c) - mu;
    v += d * d;
  }
  const float r = rsqrtf(warp_sum(v) / (float)C + eps);
  T* o = out + row * C;
  for (int64_t c = lane; c < C; c += 32) st(o, c, (ld(xr, c) - mu) * r * ld(weight, c) + ld(bias, c));
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = r;
  }
}

// dx [N,C] += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dout * weight
template <class T>
__global__ void layernorm_backward_dx_kernel(T* dx, const T* dout, const T* x, const T* weight,
                                             const float* mean, const float* rstd, int64_t N, int64_t C) {
  const int lane = threadIdx.x & 31;
  const int64_t row = (int64_t)blockIdx.x * kWarps + (threadIdx.x >> 5);
  if (row >= N) return;
  const T *g = dout + row * C, *xr = x + row * C;
  const float mu = mean[row], r = rstd[row];
  float a = 0.0f, b = 0.0f;
  for (int64_t c = lane; c < C; c += 32) {
    const float dxh = ld(g, c) * ld(weight, c);
    a += dxh;
    b += dxh * (ld(xr, c) - mu) * r;
  }
  a = warp_sum(a) / (float)C;
  b = warp_sum(b) / (float)C;
  T* d = dx + row * C;
  for (int64_t c = lane; c < C; c += 32) {
    const float dxh = ld(g, c) * ld(weight, c);
    const float xh = (ld(xr, c) - mu) * r;
    st(d, c, ld(d, c) + r * (dxh - a - xh * b));
  }
}

// dweight [C] += sum_r dout * xhat, dbias [C] += sum_r dout (deterministic column sums)
template <class T>
void layernorm_param_grads(T* dweight, T* dbias, const T* g, const T* xs, const float* mean, const float* rstd,
                           int64_t N, int64_t C) {
  column_sums<T>(dweight, dbias, 2, N, C, true, [=] __device__(int s, int64_t r, int64_t c) {
    const float go = ld(g, r * C + c);
    return s == 0 ? go * (ld(xs, r * C + c) - mean[r]) * rstd[r] : go;
  });
}

}  // namespace

void layernorm_forward(int dt, void* out, float* mean, float* rstd, const void* x,
                       const void* weight, const void* bias, int64_t N, int64_t C, float eps) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    layernorm_forward_kernel<T><<<(unsigned)((N + kWarps - 1) / kWarps), 32 * kWarps, 0, stream()>>>(
        P<T>(out), mean, rstd, P<T>(x), P<T>(weight), P<T>(bias), N, C, eps);
  });
  check_launch("layernorm_forward_kernel");
}

void layernorm_backward(int dt, void* dx, void* dweight, void* dbias, const void* dout,
                        const void* x, const void* weight, const float* mean, const float* rstd,
                        int64_t N, int64_t C) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    const T *g = P<T>(dout), *xs = P<T>(x);
    if (dx) {
      layernorm_backward_dx_kernel<T><<<(unsigned)((N + kWarps - 1) / kWarps), 32 * kWarps, 0, stream()>>>(
          P<T>(dx), g, xs, P<T>(weight), mean, rstd, N, C);
      check_launch("layernorm_backward_dx_kernel");
    }
    if (dweight || dbias) {
      layernorm_param_grads<T>(P<T>(dweight), P<T>(dbias), g, xs, mean, rstd, N, C);
    }
  });
}

}  // namespace triad::cuda
