// CUDA backend: the host-side surface that src/api dispatches to. Plain C++ (no CUDA headers),
// so the API layer compiles with the host compiler. One .cu per layer implements these, forward
// and backward side by side; semantics are those of include/triad.h and the CPU reference.
// Every op takes `dt`, the dtype shared by its data buffers (TRIAD_F32 or TRIAD_BF16; see the
// dtype rule in triad.h); data pointers are void*, statistics float*, ids int32_t*.
// Errors are thrown as triad::Error (common/error.h); the API layer turns them into statuses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace triad::cuda {

// ---- runtime.cu: device, stream, caching allocator, errors, NVTX ----
bool available();                 // a usable device (compute capability >= 8.0) and driver
const char* unavailable_reason(); // why not, or ""
void* alloc(size_t bytes);        // from the caching allocator; throws TRIAD_ERR_OOM
void release(void* ptr);          // back to the cache (never throws)
int64_t reserved_bytes();         // bytes held by the allocator (live + cached)
void empty_cache();               // cudaFree every cached block
void memory_info(int64_t* free_bytes, int64_t* total_bytes);  // cudaMemGetInfo; throws if unavailable
// Stream sync; a pending error becomes TRIAD_ERR_DEVICE, a bad id a kernel recorded since the
// last sync TRIAD_ERR_INVALID naming the op and the id.
void synchronize(const char* what);
// Counters since the library loaded: host synchronizations (stream syncs, blocking waits),
// cudaMalloc/cudaMallocHost calls, and device work items queued (kernel launches, memsets,
// device-to-device and host-to-device copies).
struct Counters {
  int64_t syncs;
  int64_t mallocs;
  int64_t launches;
};
Counters counters();
// NVTX range of the calling thread (phases of a training step; nvtx3 is header-only and costs
// next to nothing without an attached tool). No device work, never throws.
void range_push(const char* name);
void range_pop();

// matmul_sm90.cu: force = true routes every bf16 matmul to the sm_80 kernel (tests compare the
// two); returns the kernel TMA-aligned bf16 matmuls now take: 90 or 80 (0: no usable device).
int set_gemm_sm80(bool force);

// Brackets one op: an NVTX range for its lifetime; finish() checks for a launch error and, when
// TRIAD_CUDA_SYNC=1 is set, synchronizes so that asynchronous faults name the op that caused them.
class OpScope {
 public:
  explicit OpScope(const char* name);
  ~OpScope();
  void finish();
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  const char* name_;
};

// ---- convert.cu: transfers and conversions (the buffer API) ----
// Returns once src may be reused; small copies go through a pinned staging ring and do not
// wait for the device (no sync), larger ones synchronize.
void copy_h2d(void* dst, const void* src, size_t bytes);
void copy_d2h(void* dst, const void* src, size_t bytes);   // waits for queued work first
void copy_d2d(void* dst, const void* src, size_t bytes);   // stream-ordered
void zero(void* dst, size_t bytes);
void fill(void* dst, int dtype, int64_t n, float value);
void cast(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t n);

// ---- matmul.cu ----
void matmul(int dt, void* out, const void* a, const void* b, const void* bias, int64_t batch,
            int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool accumulate);
// out (+)= epilogue(op(a) @ op(b) + bias): epilogue 1 = GELU forward (pre, if given, receives
// the pre-activation), 2 = GELU backward (out (+)= (a@b) * gelu'(pre)); 0 = none.
void matmul_epilogue(int dt, void* out, void* pre, const void* a, const void* b,
                     const void* bias, int64_t batch, int64_t M, int64_t N, int64_t K,
                     bool trans_a, bool trans_b, bool accumulate, int epilogue);
void bias_backward(int dt, void* dbias, const void* dout, int64_t M, int64_t N);

// ---- embedding.cu ----
void embedding_forward(int dt, void* out, const int32_t* tokens, const int32_t* positions,
                       const void* wte, const void* wpe, int64_t B, int64_t T, int64_t C,
                       int64_t V, int64_t P);
void embedding_backward(int dt, void* dwte, void* dwpe, const void* dout, const int32_t* tokens,
                        const int32_t* positions, int64_t B, int64_t T, int64_t C, int64_t V,
                        int64_t P);

// ---- layernorm.cu ----
void layernorm_forward(int dt, void* out, float* mean, float* rstd, const void* x,
                       const void* weight, const void* bias, int64_t N, int64_t C, float eps);
void layernorm_backward(int dt, void* dx, void* dweight, void* dbias, const void* dout,
                        const void* x, const void* weight, const float* mean, const float* rstd,
                        int64_t N, int64_t C);

// ---- gelu.cu ----
void gelu_forward(int dt, void* out, const void* x, int64_t n);
void gelu_backward(int dt, void* dx, const void* dout, const void* x, int64_t n);

// ---- attention.cu ----
void attention_forward(int dt, void* out, float* lse, const void* qkv, const int32_t* doc_ids,
                       int64_t B, int64_t T, int64_t H, int64_t D);
void attention_backward(int dt, void* dqkv, const void* dout, const void* qkv, const void* out,
                        const float* lse, const int32_t* doc_ids, int64_t B, int64_t T,
                        int64_t H, int64_t D);
void attention_decode(int dt, void* out, void* kcache, void* vcache, const void* qkv,
                      const int32_t* start, int64_t B, int64_t Tn, int64_t past, int64_t Tmax,
                      int64_t H, int64_t D);

// ---- classifier.cu ----
void cross_entropy_forward(int dt, float* loss, float* logprob, float* lse, const void* logits,
                           const int32_t* targets, const float* weights, int64_t N, int64_t V,
                           int64_t V_real, int ignore_index);
void cross_entropy_backward(int dt, void* dlogits, const float* dloss, const float* dlogprob,
                            const void* logits, const int32_t* targets, const float* weights,
                            const float* lse, int64_t N, int64_t V, int64_t V_real,
                            int ignore_index);

// ---- elementwise.cu ----
void unary_forward(int dt, int op, void* out, const void* x, int64_t n, float p0, float p1);
void unary_backward(int dt, int op, void* dx, const void* dout, const void* x, const void* out,
                    int64_t n, float p0, float p1);
void binary_forward(int dt, int op, void* out, const void* a, const void* b, int64_t na,
                    int64_t nb);
void binary_backward(int dt, int op, void* da, void* db, const void* dout, const void* a,
                     const void* b, int64_t na, int64_t nb);
void where_forward(int dt, void* out, const void* cond, const void* a, const void* b, int64_t n);
void where_backward(int dt, void* da, void* db, const void* dout, const void* cond, int64_t n);

// ---- reduce.cu ----
void reduce_forward(int dt, int op, void* out, const void* x, int64_t outer, int64_t dim,
                    int64_t inner);
void reduce_backward(int dt, int op, void* dx, const void* dout, int64_t outer, int64_t dim,
                     int64_t inner);
void gather_forward(int dt, void* out, const void* x, const int32_t* index, int64_t N, int64_t V);
void gather_backward(int dt, void* dx, const void* dout, const int32_t* index, int64_t N,
                     int64_t V);
void log_softmax_forward(int dt, void* out, const void* x, int64_t N, int64_t V);
void log_softmax_backward(int dt, void* dx, const void* dout, const void* out, int64_t N,
                          int64_t V);

// ---- adamw.cu ----
// param, m, v f32; grad of dtype dt; param_copy (optional) of dtype copy_dt.
void adamw_step(int dt, float* param, const void* grad, float* m, float* v, void* param_copy,
                int copy_dt, int64_t n, float lr, float beta1, float beta2, float eps,
                float weight_decay, float grad_scale, int64_t step);
void sum_squares(int dt, float* acc, const void* x, int64_t n);
// Over `count` tensors in a few launches, with results bit-identical to the per-tensor calls in
// tensor order. Arrays are host arrays of device pointers. copy may be NULL (no copies) and
// entries NULL; copy_dt is the copies' dtype. norm_sq (device f32[1]) or NULL: when given and
// max_norm > 0, grad_scale is multiplied by the clip factor computed on the device from
// sqrt(norm_sq[0]) (1 when the norm is <= max_norm, else max_norm / (norm + 1e-6)).
void sum_squares_multi(int dt, float* acc, int count, const void* const* xs, const int64_t* ns);
void adamw_step_multi(int dt, int count, float* const* param, const void* const* grad, float* const* m,
                      float* const* v, void* const* copy, int copy_dt, const int64_t* ns,
                      const float* weight_decay, float lr, float beta1, float beta2, float eps,
                      float grad_scale, int64_t step, const float* norm_sq, double max_norm);

// ---- rng.cu ----
void rng_uniform(int dt, void* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi);
void rng_normal(int dt, void* out, int64_t n, uint64_t seed, uint64_t offset, float mean,
                float std);
void sample(int dt, int32_t* out, const void* logits, int64_t N, int64_t V, int64_t V_real,
            float temperature, int top_k, float top_p, uint64_t seed, uint64_t offset);

}  // namespace triad::cuda
