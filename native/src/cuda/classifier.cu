// Fused softmax cross-entropy over the vocabulary: one block per row streams the logits once for
// the forward (online max + sum of exponentials, never storing probabilities) and once for the
// backward (softmax recomputed from the saved lse). Padding columns [V_real, V) get nothing.
// A target outside [0, V_real) that is not ignore_index is recorded (IdError, reported at the
// next sync) and its row treated as ignored: no read out of bounds, no host round trip.
#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

constexpr int kThreads = 512;

// logits [N,V] -> lse, logprob, loss [N] (f32)
template <class T>
__global__ void ce_forward_kernel(float* loss, float* logprob, float* lse, const T* logits,
                                  const int32_t* targets, const float* weights, int64_t V,
                                  int64_t V_real, int ignore_index, IdError* bad) {
  __shared__ float red_m[32];
  __shared__ float red_s[32];
  const int64_t n = blockIdx.x;
  const T* x = logits + n * V;
  // online softmax per thread: running max m and sum s of exp(x - m)
  float m = -INFINITY, s = 0.0f;
  for (int64_t j = threadIdx.x; j < V_real; j += blockDim.x) {
    const float v = ld(x, j);
    if (v > m) {
      s = s * __expf(m - v) + 1.0f;
      m = v;
    } else {
      s += __expf(v - m);
    }
  }
  const float M = block_max(m, red_m);
  const float S = block_sum(m == -INFINITY ? 0.0f : s * __expf(m - M), red_s);
  if (threadIdx.x == 0) {
    const double l = (double)M + log((double)S);
    lse[n] = (float)l;
    const int32_t t = targets[n];
    const bool ignored = t == ignore_index || !id_ok(bad, kCrossEntropyForwardTarget, n, t, V_real);
    const double lp = ignored ? 0.0 : (double)ld(x, t) - l;
    if (logprob) logprob[n] = (float)lp;
    if (loss) loss[n] = ignored ? 0.0f : (float)(-(weights ? weights[n] : 1.0f) * lp);
  }
}

// dlogits [N,V] += g * (onehot(target) - softmax), g = dlogprob - w * dloss
template <class T>
__global__ void ce_backward_kernel(T* dlogits, const float* dloss, const float* dlogprob,
                                   const T* logits, const int32_t* targets, const float* weights,
                                   const float* lse, int64_t V, int64_t V_real, int ignore_index,
                                   IdError* bad) {
  const int64_t n = blockIdx.x;
  const int32_t t = targets[n];
  if (t == ignore_index) return;
  if (t < 0 || t >= V_real) {
    if (threadIdx.x == 0) report_bad_id(bad, kCrossEntropyBackwardTarget, n, t, V_real);
    return;
  }
  const float g = (dlogprob ? dlogprob[n] : 0.0f) - (weights ? weights[n] : 1.0f) * (dloss ? dloss[n] : 0.0f);
  const T* x = logits + n * V;
  T* d = dlogits + n * V;
  const float l = lse[n];
  for (int64_t j = threadIdx.x; j < V_real; j += blockDim.x) {
    const float p = __expf(ld(x, j) - l);
    st(d, j, ld(d, j) + (j == t ? g - g * p : -g * p));
  }
}

}  // namespace

void cross_entropy_forward(int dt, float* loss, float* logprob, float* lse, const void* logits,
                           const int32_t* targets, const float* weights, int64_t N, int64_t V,
                           int64_t V_real, int ignore_index) {
  IdError* bad = id_error();
  with_dtype(dt, [&](auto tt) {
    using T = decltype(tt);
    ce_forward_kernel<T><<<(unsigned)N, kThreads, 0, stream()>>>(loss, logprob, lse, P<T>(logits), targets,
                                                                 weights, V, V_real, ignore_index, bad);
  });
  check_launch("ce_forward_kernel");
}

void cross_entropy_backward(int dt, void* dlogits, const float* dloss, const float* dlogprob,
                            const void* logits, const int32_t* targets, const float* weights,
                            const float* lse, int64_t N, int64_t V, int64_t V_real,
                            int ignore_index) {
  if (!dloss && !dlogprob) return;
  IdError* bad = id_error();
  with_dtype(dt, [&](auto tt) {
    using T = decltype(tt);
    ce_backward_kernel<T><<<(unsigned)N, kThreads, 0, stream()>>>(P<T>(dlogits), dloss, dlogprob, P<T>(logits),
                                                                  targets, weights, lse, V, V_real, ignore_index, bad);
  });
  check_launch("ce_backward_kernel");
}

}  // namespace triad::cuda
