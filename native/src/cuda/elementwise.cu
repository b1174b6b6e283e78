// Elementwise unary/binary ops and where, forward and backward. Each element is computed from
// values at the same index (binary b at i % nb), so outputs may alias inputs. The broadcast
// gradient db uses the deterministic column sums of common.cuh.
#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

template <class F>
__global__ void map_kernel(int64_t n, F f) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) f(i);
}

template <class F>
void for_each(int64_t n, F f) {
  map_kernel<<<blocks_for(n, 256), 256, 0, stream()>>>(n, f);
  check_launch("elementwise map_kernel");
}

__device__ __forceinline__ float unary_f(int op, float x, float p0, float p1) {
  switch (op) {
    case TRIAD_UNARY_EXP: return expf(x);
    case TRIAD_UNARY_LOG: return logf(x);
    case TRIAD_UNARY_AFFINE: return p0 * x + p1;
    case TRIAD_UNARY_CLAMP: return fminf(fmaxf(x, p0), p1);
    case TRIAD_UNARY_SQUARE: return x * x;
    case TRIAD_UNARY_SQRT: return sqrtf(x);
    case TRIAD_UNARY_TANH: return tanhf(x);
    default: return x > 0.0f ? x : 0.0f;  // RELU
  }
}

// f'(x) * g, with y = the forward output when available
__device__ __forceinline__ float unary_grad(int op, float g, float x, bool has_y, float y, float p0, float p1) {
  switch (op) {
    case TRIAD_UNARY_EXP: return g * (has_y ? y : expf(x));
    case TRIAD_UNARY_LOG: return g / x;
    case TRIAD_UNARY_AFFINE: return g * p0;
    case TRIAD_UNARY_CLAMP: return (x >= p0 && x <= p1) ? g : 0.0f;
    case TRIAD_UNARY_SQUARE: return g * 2.0f * x;
    case TRIAD_UNARY_SQRT: return g * 0.5f / (has_y ? y : sqrtf(x));
    case TRIAD_UNARY_TANH: {
      const float t = has_y ? y : tanhf(x);
      return g * (1.0f - t * t);
    }
    default: return x > 0.0f ? g : 0.0f;  // RELU
  }
}

__device__ __forceinline__ float binary_f(int op, float x, float y) {
  switch (op) {
    case TRIAD_BINARY_ADD: return x + y;
    case TRIAD_BINARY_SUB: return x - y;
    case TRIAD_BINARY_MUL: return x * y;
    case TRIAD_BINARY_DIV: return x / y;
    case TRIAD_BINARY_MIN: return x <= y ? x : y;
    case TRIAD_BINARY_MAX: return x >= y ? x : y;
    case TRIAD_BINARY_GT: return x > y ? 1.0f : 0.0f;
    default: return x < y ? 1.0f : 0.0f;  // LT
  }
}

__device__ __forceinline__ float binary_ga(int op, float g, float x, float y) {
  switch (op) {
    case TRIAD_BINARY_ADD: case TRIAD_BINARY_SUB: return g;
    case TRIAD_BINARY_MUL: return g * y;
    case TRIAD_BINARY_DIV: return g / y;
    case TRIAD_BINARY_MIN: return x <= y ? g : 0.0f;
    case TRIAD_BINARY_MAX: return x >= y ? g : 0.0f;
    default: return 0.0f;
  }
}

__device__ __forceinline__ float binary_gb(int op, float g, float x, float y) {
  switch (op) {
    case TRIAD_BINARY_ADD: return g;
    case TRIAD_BINARY_SUB: return -g;
    case TRIAD_BINARY_MUL: return g * x;
    case TRIAD_BINARY_DIV: return -g * x / (y * y);
    case TRIAD_BINARY_MIN: return x <= y ? 0.0f : g;
    case TRIAD_BINARY_MAX: return x >= y ? 0.0f : g;
    default: return 0.0f;
  }
}

template <class T>
void unary_forward_t(int op, T* o, const T* xs, int64_t n, float p0, float p1) {
  for_each(n, [=] __device__(int64_t i) { st(o, i, unary_f(op, ld(xs, i), p0, p1)); });
}

template <class T>
void unary_backward_t(int op, T* d, const T* g, const T* xs, const T* y, int64_t n, float p0, float p1) {
  for_each(n, [=] __device__(int64_t i) {
    const float yi = y ? ld(y, i) : 0.0f;
    st(d, i, ld(d, i) + unary_grad(op, ld(g, i), ld(xs, i), y != nullptr, yi, p0, p1));
  });
}

template <class T>
void binary_forward_t(int op, T* o, const T* as, const T* bs, int64_t na, int64_t nb) {
  for_each(na, [=] __device__(int64_t i) { st(o, i, binary_f(op, ld(as, i), ld(bs, i % nb))); });
}

template <class T>
void binary_backward_t(int op, T* dA, T* dB, const T* g, const T* as, const T* bs, int64_t na, int64_t nb) {
  if (dA) {
    for_each(na, [=] __device__(int64_t i) {
      st(dA, i, ld(dA, i) + binary_ga(op, ld(g, i), ld(as, i), ld(bs, i % nb)));
    });
  }
  if (!dB) return;
  if (na == nb) {
    for_each(nb, [=] __device__(int64_t i) { st(dB, i, ld(dB, i) + binary_gb(op, ld(g, i), ld(as, i), ld(bs, i))); });
  } else {
    column_sums<T>(dB, nullptr, 1, na / nb, nb, true, [=] __device__(int, int64_t r, int64_t j) {
      const int64_t i = r * nb + j;
      return binary_gb(op, ld(g, i), ld(as, i), ld(bs, j));
    });
  }
}

template <class T>
void where_forward_t(T* o, const T* c, const T* as, const T* bs, int64_t n) {
  for_each(n, [=] __device__(int64_t i) { st(o, i, ld(c, i) != 0.0f ? ld(as, i) : ld(bs, i)); });
}

template <class T>
void where_backward_t(T* dA, T* dB, const T* g, const T* c, int64_t n) {
  for_each(n, [=] __device__(int64_t i) {
    const bool take_a = ld(c, i) != 0.0f;
    if (dA && take_a) st(dA, i, ld(dA, i) + ld(g, i));
    if (dB && !take_a) st(dB, i, ld(dB, i) + ld(g, i));
  });
}

}  // namespace

#define TRIAD_T decltype(t)
void unary_forward(int dt, int op, void* out, const void* x, int64_t n, float p0, float p1) {
  with_dtype(dt, [&](auto t) { unary_forward_t<TRIAD_T>(op, P<TRIAD_T>(out), P<TRIAD_T>(x), n, p0, p1); });
}

void unary_backward(int dt, int op, void* dx, const void* dout, const void* x, const void* out,
                    int64_t n, float p0, float p1) {
  with_dtype(dt, [&](auto t) {
    unary_backward_t<TRIAD_T>(op, P<TRIAD_T>(dx), P<TRIAD_T>(dout), P<TRIAD_T>(x), P<TRIAD_T>(out), n, p0, p1);
  });
}

void binary_forward(int dt, int op, void* out, const void* a, const void* b, int64_t na, int64_t nb) {
  with_dtype(dt, [&](auto t) { binary_forward_t<TRIAD_T>(op, P<TRIAD_T>(out), P<TRIAD_T>(a), P<TRIAD_T>(b), na, nb); });
}

void binary_backward(int dt, int op, void* da, void* db, const void* dout, const void* a,
                     const void* b, int64_t na, int64_t nb) {
  if (op == TRIAD_BINARY_GT || op == TRIAD_BINARY_LT) return;  // no gradient
  with_dtype(dt, [&](auto t) {
    binary_backward_t<TRIAD_T>(op, P<TRIAD_T>(da), P<TRIAD_T>(db), P<TRIAD_T>(dout), P<TRIAD_T>(a), P<TRIAD_T>(b), na, nb);
  });
}

void where_forward(int dt, void* out, const void* cond, const void* a, const void* b, int64_t n) {
  with_dtype(dt, [&](auto t) { where_forward_t<TRIAD_T>(P<TRIAD_T>(out), P<TRIAD_T>(cond), P<TRIAD_T>(a), P<TRIAD_T>(b), n); });
}

void where_backward(int dt, void* da, void* db, const void* dout, const void* cond, int64_t n) {
  with_dtype(dt, [&](auto t) { where_backward_t<TRIAD_T>(P<TRIAD_T>(da), P<TRIAD_T>(db), P<TRIAD_T>(dout), P<TRIAD_T>(cond), n); });
}
#undef TRIAD_T

}  // namespace triad::cuda
