// Fused AdamW (one pass over param, grad, m, v and the optional low-precision param copy; a
// 4-wide vectorized kernel when sizes and alignment allow) and
// the deterministic sum of squares behind the global gradient norm; and their multi-tensor forms,
// which cover every parameter in a few launches (a table of tensors uploaded through the staging
// ring; each block finds its tensor by binary search over the tensors' first blocks).
#include <cmath>
#include <vector>

#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

// One element's update, shared by every AdamW kernel so that they round identically.
__device__ __forceinline__ float adamw_update(float& p, float& m, float& v, float g, float lr, float beta1,
                                              float beta2, float c1, float c2, float eps, float wd,
                                              float inv_bc1, float inv_bc2) {
  const float mi = beta1 * m + c1 * g;
  const float vi = beta2 * v + c2 * g * g;
  m = mi;
  v = vi;
  const float mhat = mi * inv_bc1, vhat = vi * inv_bc2;
  p = p - lr * (mhat / (sqrtf(vhat) + eps) + wd * p);
  return p;
}

// param, m, v f32 [n]; grad TG [n]; copy TC [n] or NULL. Same arithmetic as the CPU reference.
template <class TG, class TC>
__global__ void adamw_kernel(float* __restrict__ param, const TG* __restrict__ grad,
                             float* __restrict__ m, float* __restrict__ v, TC* __restrict__ copy,
                             int64_t n, float lr, float beta1, float beta2, float eps, float wd,
                             float grad_scale, float inv_bc1, float inv_bc2) {
  const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    float p = param[i], mi = m[i], vi = v[i];
    adamw_update(p, mi, vi, ld(grad, i) * grad_scale, lr, beta1, beta2, c1, c2, eps, wd, inv_bc1, inv_bc2);
    param[i] = p;
    m[i] = mi;
    v[i] = vi;
    if (copy) st(copy, i, p);
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
      adamw_update(pp[e], mp[e], vp[e], g[e] * grad_scale, lr, beta1, beta2, c1, c2, eps, wd, inv_bc1, inv_bc2);
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

// ---- multi-tensor forms ----
// One entry per tensor; first_block is the tensor's first block in the launch (prefix sums).
struct MultiEntry {
  float* param;
  const void* grad;  // the data tensor (grad, or x for the sum of squares)
  float* m;
  float* v;
  void* copy;
  int64_t n;
  int64_t first_block;
  float wd;
};

// the entry whose blocks include block b (entries sorted by first_block, entry 0 starts at 0)
__device__ __forceinline__ int entry_of(const MultiEntry* e, int count, int64_t b) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (e[mid].first_block <= b) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// The clip factor exactly as GradClip.clipFactor computes it on the host (double, then float).
__device__ __forceinline__ float clip_factor(const float* norm_sq, double max_norm) {
  if (!norm_sq || !(max_norm > 0.0)) return 1.0f;
  const double norm = sqrt((double)norm_sq[0]);
  return norm > max_norm ? (float)(max_norm / (norm + 1e-6)) : 1.0f;
}

constexpr int64_t kAdamMultiPerBlock = 4096;  // elements per block

template <class TG, class TC>
__global__ void adamw_multi_kernel(const MultiEntry* entries, int count, float lr, float beta1, float beta2,
                                   float eps, float grad_scale, float inv_bc1, float inv_bc2,
                                   const float* norm_sq, double max_norm) {
  const MultiEntry& e = entries[entry_of(entries, count, blockIdx.x)];
  const float scale = grad_scale * clip_factor(norm_sq, max_norm);
  const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  const int64_t i0 = ((int64_t)blockIdx.x - e.first_block) * kAdamMultiPerBlock;
  const int64_t i1 = min(e.n, i0 + kAdamMultiPerBlock);
  const TG* grad = static_cast<const TG*>(e.grad);
  TC* copy = static_cast<TC*>(e.copy);
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    float p = e.param[i], mi = e.m[i], vi = e.v[i];
    adamw_update(p, mi, vi, ld(grad, i) * scale, lr, beta1, beta2, c1, c2, eps, e.wd, inv_bc1, inv_bc2);
    e.param[i] = p;
    e.m[i] = mi;
    e.v[i] = vi;
    if (copy) st(copy, i, p);
  }
}

constexpr int64_t kChunk = 1 << 16;  // elements per partial sum (as on the CPU)

// sum of x[i]^2 over [i0, i1) in double, by one block (blockDim threads, fixed order)
template <class T>
__device__ __forceinline__ double block_sum_squares(const T* x, int64_t i0, int64_t i1, double* red) {
  double s = 0.0;
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    const double xi = (double)ld(x, i);
    s += xi * xi;
  }
  return block_sum(s, red);
}

// partial[c] = sum over chunk c of x^2 in double; one block per chunk
template <class T>
__global__ void sum_squares_partial_kernel(double* partial, const T* x, int64_t n) {
  __shared__ double red[32];
  const int64_t i0 = (int64_t)blockIdx.x * kChunk, i1 = min(n, i0 + kChunk);
  const double s = block_sum_squares(x, i0, i1, red);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// acc[0] += sum of partials in chunk order (one thread: there are few chunks)
__device__ __forceinline__ double block_sum_partials(const double* partial, int64_t chunks, double* red) {
  double s = 0.0;
  for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) s += partial[c];
  return block_sum(s, red);
}

__global__ void sum_squares_finish_kernel(float* acc, const double* partial, int64_t chunks) {
  __shared__ double red[32];
  const double s = block_sum_partials(partial, chunks, red);
  if (threadIdx.x == 0) acc[0] = (float)((double)acc[0] + s);
}

// The multi-tensor sum of squares: the same chunks, partials and per-tensor finish as the
// per-tensor kernels, tensor after tensor, so acc ends bit-identical to count single calls.
// Block b sums chunk (b - first_block) of its tensor (first_block counts chunks here).
template <class T>
__global__ void sum_squares_multi_partial_kernel(double* partial, const MultiEntry* entries, int count) {
  __shared__ double red[32];
  const MultiEntry& e = entries[entry_of(entries, count, blockIdx.x)];
  const int64_t i0 = ((int64_t)blockIdx.x - e.first_block) * kChunk, i1 = min(e.n, i0 + kChunk);
  const double s = block_sum_squares(static_cast<const T*>(e.grad), i0, i1, red);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void sum_squares_multi_finish_kernel(float* acc, const double* partial, const MultiEntry* entries,
                                                int count) {
  __shared__ double red[32];
  for (int t = 0; t < count; ++t) {
    const int64_t chunks = (entries[t].n + kChunk - 1) / kChunk;
    const double s = block_sum_partials(partial + entries[t].first_block, chunks, red);
    if (threadIdx.x == 0) acc[0] = (float)((double)acc[0] + s);
  }
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

namespace triad::cuda {

namespace {

// Uploads the entry table (through the staging ring: no sync) into scratch memory.
const MultiEntry* upload(const std::vector<MultiEntry>& entries, Scratch& dev) {
  copy_h2d(dev.as<MultiEntry>(), entries.data(), sizeof(MultiEntry) * entries.size());
  return dev.as<MultiEntry>();
}

}  // namespace

void sum_squares_multi(int dt, float* acc, int count, const void* const* xs, const int64_t* ns) {
  std::vector<MultiEntry> entries;
  int64_t blocks = 0;
  for (int t = 0; t < count; ++t) {
    if (ns[t] < 1) continue;
    entries.push_back(MultiEntry{nullptr, xs[t], nullptr, nullptr, nullptr, ns[t], blocks, 0.0f});
    blocks += (ns[t] + kChunk - 1) / kChunk;
  }
  if (entries.empty()) return;
  if (blocks > INT32_MAX) fail(TRIAD_ERR_UNSUPPORTED, "sum_squares_multi: too many chunks");
  Scratch table(sizeof(MultiEntry) * entries.size());
  Scratch partial(sizeof(double) * blocks);
  const MultiEntry* dev = upload(entries, table);
  const int n = (int)entries.size();
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    sum_squares_multi_partial_kernel<T><<<(unsigned)blocks, 512, 0, stream()>>>(partial.as<double>(), dev, n);
  });
  check_launch("sum_squares_multi_partial_kernel");
  sum_squares_multi_finish_kernel<<<1, 256, 0, stream()>>>(acc, partial.as<double>(), dev, n);
  check_launch("sum_squares_multi_finish_kernel");
}

void adamw_step_multi(int dt, int count, float* const* param, const void* const* grad, float* const* m,
                      float* const* v, void* const* copy, int copy_dt, const int64_t* ns,
                      const float* weight_decay, float lr, float beta1, float beta2, float eps,
                      float grad_scale, int64_t step, const float* norm_sq, double max_norm) {
  std::vector<MultiEntry> entries;
  int64_t blocks = 0;
  for (int t = 0; t < count; ++t) {
    if (ns[t] < 1) continue;
    entries.push_back(MultiEntry{param[t], grad[t], m[t], v[t], copy ? copy[t] : nullptr, ns[t], blocks,
                                 weight_decay[t]});
    blocks += (ns[t] + kAdamMultiPerBlock - 1) / kAdamMultiPerBlock;
  }
  if (entries.empty()) return;
  if (blocks > INT32_MAX) fail(TRIAD_ERR_UNSUPPORTED, "adamw_step_multi: too many blocks");
  const float inv_bc1 = (float)(1.0 / (1.0 - std::pow((double)beta1, (double)step)));
  const float inv_bc2 = (float)(1.0 / (1.0 - std::pow((double)beta2, (double)step)));
  Scratch table(sizeof(MultiEntry) * entries.size());
  const MultiEntry* dev = upload(entries, table);
  const int n = (int)entries.size();
  with_dtype(dt, [&](auto tg) {
    using TG = decltype(tg);
    with_dtype(copy_dt, [&](auto tc) {
      using TC = decltype(tc);
      adamw_multi_kernel<TG, TC><<<(unsigned)blocks, 256, 0, stream()>>>(dev, n, lr, beta1, beta2, eps, grad_scale,
                                                                         inv_bc1, inv_bc2, norm_sq, max_norm);
    });
  });
  check_launch("adamw_multi_kernel");
}

}  // namespace triad::cuda
