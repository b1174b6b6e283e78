// GELU, tanh approximation (GPT-2), forward and backward. Elementwise: out/dx may alias x.
#include "cuda/common.cuh"
#include "cuda/gelu.cuh"

namespace triad::cuda {

namespace {

// out [n] = gelu(x [n])
template <class T>
__global__ void gelu_forward_kernel(T* out, const T* x, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    st(out, i, gelu_f(ld(x, i)));
}

// dx [n] += dout [n] * gelu'(x [n])
template <class T>
__global__ void gelu_backward_kernel(T* dx, const T* dout, const T* x, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    st(dx, i, ld(dx, i) + ld(dout, i) * gelu_grad_f(ld(x, i)));
}

}  // namespace

void gelu_forward(int dt, void* out, const void* x, int64_t n) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    gelu_forward_kernel<T><<<blocks_for(n, 256), 256, 0, stream()>>>(P<T>(out), P<T>(x), n);
  });
  check_launch("gelu_forward_kernel");
}

void gelu_backward(int dt, void* dx, const void* dout, const void* x, int64_t n) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    gelu_backward_kernel<T><<<blocks_for(n, 256), 256, 0, stream()>>>(P<T>(dx), P<T>(dout), P<T>(x), n);
  });
  check_launch("gelu_backward_kernel");
}

}  // namespace triad::cuda
