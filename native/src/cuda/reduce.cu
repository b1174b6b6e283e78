// Reductions along one dimension, gather along the last dimension and log-softmax. Every output
// element is owned by one thread (or one block, reducing in a fixed tree order): deterministic.
#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

// x [outer,dim,inner] -> out [outer,inner]; one thread per output, summing in double over dim
// (consecutive threads read consecutive inner elements: coalesced)
template <class T>
__global__ void reduce_inner_kernel(T* out, const T* x, int64_t outer, int64_t dim, int64_t inner,
                                    double div) {
  const int64_t total = outer * inner;
  for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
    const int64_t o = k / inner, i = k % inner;
    const T* xo = x + o * dim * inner + i;
    double acc = 0.0;
    for (int64_t d = 0; d < dim; ++d) acc += (double)ld(xo, d * inner);
    st(out, k, (float)(acc / div));
  }
}

// inner == 1: one block per output row reduces dim contiguous elements
template <class T>
__global__ void reduce_rows_kernel(T* out, const T* x, int64_t dim, double div) {
  __shared__ double red[32];
  const T* xr = x + (int64_t)blockIdx.x * dim;
  double acc = 0.0;
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x) acc += (double)ld(xr, d);
  acc = block_sum(acc, red);
  if (threadIdx.x == 0) st(out, blockIdx.x, (float)(acc / div));
}

// dx [outer,dim,inner] += dout [outer,inner] * scale
template <class T>
__global__ void reduce_backward_kernel(T* dx, const T* dout, int64_t outer, int64_t dim,
                                       int64_t inner, float scale) {
  const int64_t total = outer * dim * inner;
  for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
    const int64_t i = k % inner, o = k / (dim * inner);
    st(dx, k, ld(dx, k) + ld(dout, o * inner + i) * scale);
  }
}

template <class T>
__global__ void gather_forward_kernel(T* out, const T* x, const int32_t* index, int64_t N, int64_t V,
                                      IdError* bad) {
  for (int64_t n = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; n < N; n += (int64_t)gridDim.x * blockDim.x) {
    const int32_t j = index[n];
    out[n] = id_ok(bad, kGatherForwardIndex, n, j, V) ? x[n * V + j] : from_f<T>(0.0f);  // bad: 0, reported
  }
}

template <class T>
__global__ void gather_backward_kernel(T* dx, const T* dout, const int32_t* index, int64_t N, int64_t V,
                                       IdError* bad) {
  for (int64_t n = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; n < N; n += (int64_t)gridDim.x * blockDim.x) {
    if (!id_ok(bad, kGatherBackwardIndex, n, index[n], V)) continue;  // skipped, reported
    const int64_t k = n * V + index[n];
    st(dx, k, ld(dx, k) + ld(dout, n));
  }
}

// one block per row of x, out [N,V]: out = x - (max + log sum exp(x - max)), sum in double
template <class T>
__global__ void log_softmax_forward_kernel(T* out, const T* x, int64_t V) {
  __shared__ float redf[32];
  __shared__ double redd[32];
  const T* xr = x + (int64_t)blockIdx.x * V;
  T* o = out + (int64_t)blockIdx.x * V;
  float mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) mx = fmaxf(mx, ld(xr, j));
  mx = block_max(mx, redf);
  double sum = 0.0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) sum += (double)expf(ld(xr, j) - mx);
  sum = block_sum(sum, redd);
  const float l = (float)((double)mx + log(sum));
  __syncthreads();  // out may alias x: all reads above are done
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) st(o, j, ld(xr, j) - l);
}

// dx [N,V] += dout - exp(out) * sum(dout), one block per row
template <class T>
__global__ void log_softmax_backward_kernel(T* dx, const T* dout, const T* out, int64_t V) {
  __shared__ double red[32];
  const int64_t base = (int64_t)blockIdx.x * V;
  double s = 0.0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) s += (double)ld(dout, base + j);
  const float sf = (float)block_sum(s, red);
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    const int64_t k = base + j;
    st(dx, k, ld(dx, k) + ld(dout, k) - expf(ld(out, k)) * sf);
  }
}

}  // namespace

void reduce_forward(int dt, int op, void* out, const void* x, int64_t outer, int64_t dim,
                    int64_t inner) {
  const double div = op == TRIAD_REDUCE_MEAN ? (double)dim : 1.0;
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    if (inner == 1 && dim >= 256) {
      reduce_rows_kernel<T><<<(unsigned)outer, 256, 0, stream()>>>(P<T>(out), P<T>(x), dim, div);
    } else {
      reduce_inner_kernel<T><<<blocks_for(outer * inner, 256), 256, 0, stream()>>>(
          P<T>(out), P<T>(x), outer, dim, inner, div);
    }
  });
  check_launch("reduce_forward");
}

void reduce_backward(int dt, int op, void* dx, const void* dout, int64_t outer, int64_t dim,
                     int64_t inner) {
  const float scale = op == TRIAD_REDUCE_MEAN ? (float)(1.0 / (double)dim) : 1.0f;
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    reduce_backward_kernel<T><<<blocks_for(outer * dim * inner, 256), 256, 0, stream()>>>(
        P<T>(dx), P<T>(dout), outer, dim, inner, scale);
  });
  check_launch("reduce_backward_kernel");
}

void gather_forward(int dt, void* out, const void* x, const int32_t* index, int64_t N, int64_t V) {
  IdError* bad = id_error();
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    gather_forward_kernel<T><<<blocks_for(N, 256), 256, 0, stream()>>>(P<T>(out), P<T>(x), index, N, V, bad);
  });
  check_launch("gather_forward_kernel");
}

void gather_backward(int dt, void* dx, const void* dout, const int32_t* index, int64_t N, int64_t V) {
  IdError* bad = id_error();
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    gather_backward_kernel<T><<<blocks_for(N, 256), 256, 0, stream()>>>(P<T>(dx), P<T>(dout), index, N, V, bad);
  });
  check_launch("gather_backward_kernel");
}

void log_softmax_forward(int dt, void* out, const void* x, int64_t N, int64_t V) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    log_softmax_forward_kernel<T><<<(unsigned)N, 256, 0, stream()>>>(P<T>(out), P<T>(x), V);
  });
  check_launch("log_softmax_forward_kernel");
}

void log_softmax_backward(int dt, void* dx, const void* dout, const void* out, int64_t N, int64_t V) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    log_softmax_backward_kernel<T><<<(unsigned)N, 256, 0, stream()>>>(P<T>(dx), P<T>(dout), P<T>(out), V);
  });
  check_launch("log_softmax_backward_kernel");
}

}  // namespace triad::cuda
