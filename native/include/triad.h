/*
 * triad.h — the stable C API of libtriad.
 *
 * Conventions (hold for every function below):
 *  - Every function returns an int status: TRIAD_OK (0) or a TRIAD_ERR_* code. On failure,
 *    triad_last_error() returns a message for the calling thread naming what was wrong.
 *  - Memory lives in opaque triad_buffer handles: a flat array of `numel` elements of one dtype on
 *    one device. Shapes are not stored; every op takes its dimensions explicitly and checks that
 *    each buffer is large enough, of the right dtype and on the same device.
 *  - Tensors are dense and row-major. Shape comments use [dims]; "i32" marks int32 buffers.
 *  - Dtype rule. Each op's floating buffers are of two kinds:
 *      data        activations, parameters and their gradients (x, out, a, b, bias, weight, qkv,
 *                  logits, grad, d*): all data buffers of one call share ONE dtype, f32 or bf16,
 *                  on every backend. bf16 is storage only: each op computes and accumulates in
 *                  fp32 and rounds to nearest even (NaN stays NaN) on every store; a backward op
 *                  loads a bf16 gradient, adds in fp32 and rounds once.
 *      statistics  layernorm mean/rstd, attention and cross-entropy lse, loss, logprob, loss
 *                  weights and their gradients dloss/dlogprob, AdamW's param (the fp32 master
 *                  weights) and moments m, v, the sum_squares accumulator: always f32.
 *    Statistics are marked "f32" below; every other floating buffer is data.
 *  - Forward ops overwrite their outputs. Backward ops ADD into their gradient outputs
 *    (d* arguments), so one caller-zeroed gradient can collect the contributions of many uses.
 *    A NULL gradient output means "not needed".
 *  - Elementwise ops allow the output to alias an input (in-place).
 *  - Each op dispatches on the device of its buffers: one dispatch point per op.
 */
#ifndef TRIAD_H
#define TRIAD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRIAD_VERSION_STRING "0.1.0"

/* ---- status codes ---- */
#define TRIAD_OK              0
#define TRIAD_ERR_INVALID     1  /* bad argument: shape, dtype, device, index out of range */
#define TRIAD_ERR_OOM         2  /* out of memory on the buffer's device */
#define TRIAD_ERR_UNSUPPORTED 3  /* device or dtype not supported by this build/op */
#define TRIAD_ERR_DEVICE      4  /* error reported by the device runtime */
#define TRIAD_ERR_INTERNAL    5  /* bug: should never happen */
#define TRIAD_ERR_COMM        6  /* error reported by the communication library (MPI, NCCL) */

/* ---- devices and dtypes ---- */
#define TRIAD_DEVICE_CPU  0
#define TRIAD_DEVICE_CUDA 1

#define TRIAD_F32  0
#define TRIAD_BF16 1
#define TRIAD_I32  2

typedef struct triad_buffer triad_buffer;

/* ---- library and devices ---- */
const char* triad_version(void);
const char* triad_last_error(void);
int         triad_cpu_threads(void);
int         triad_set_cpu_threads(int threads);
const char* triad_blas_info(void);
int         triad_cuda_available(void);            /* 1 when a usable CUDA device exists */
const char* triad_cuda_unavailable_reason(void);   /* why not, or "" when available */
int64_t     triad_live_bytes(int device);          /* bytes held by live buffers */
int64_t     triad_live_buffers(int device);        /* number of live buffers */
/* Highest triad_live_bytes(device) since the library loaded or the last reset; the reset sets it
 * to the bytes live now. Counts native buffers only (not the CPU's transient bf16 staging copies
 * nor the CUDA allocator's cached blocks). Unknown devices: 0 / no-op. */
int64_t     triad_peak_live_bytes(int device);
void        triad_reset_peak_live_bytes(int device);
/* CUDA only (TRIAD_ERR_UNSUPPORTED without CUDA): wait for every queued op and report the first
 * asynchronous device error; bytes the caching device allocator holds (live + cached); return
 * all cached, unused device blocks to the driver. */
int         triad_cuda_synchronize(void);
int64_t     triad_cuda_reserved_bytes(void);
int         triad_cuda_empty_cache(void);
/* CUDA host-overhead counters since the library loaded, for profiling a step (differences of two
 * reads): out[0] host synchronizations (stream syncs and blocking waits: every buffer read and
 * triad_cuda_synchronize is one), out[1] cudaMalloc/cudaMallocHost calls (the caching allocator's
 * misses), out[2] device work items queued (kernel launches, memsets, copies; a library sort
 * counts as one). out is int64_t[3]. Without CUDA: zeros and TRIAD_ERR_UNSUPPORTED. */
int         triad_cuda_counters(int64_t* out);
/* Test/debug switch for the bf16 GEMM on CUDA: force_sm80 = 1 routes every bf16 matmul to the
 * sm_80 mma.sync kernel, 0 restores the default (the Hopper wgmma/TMA kernel on compute
 * capability 9.0 for TMA-aligned operands, unless TRIAD_GEMM_SM80=1). Returns the kernel such
 * calls take from now on: 90 or 80; 0 where CUDA is unavailable. Not for concurrent use with
 * running matmuls on other threads (it changes which kernel they take). */
int         triad_cuda_set_gemm_sm80(int force_sm80);
/* CUDA only (TRIAD_ERR_UNSUPPORTED without CUDA): the device's free and total memory in bytes
 * (cudaMemGetInfo; blocks the caching allocator holds count as used). */
int         triad_cuda_memory(int64_t* free_bytes, int64_t* total_bytes);
/* Trivial call for measuring the cost of one JNI round trip. Returns x + 1. */
int         triad_noop(int x);
/* Named range for profilers (Nsight Systems): push opens a range named name (copied; NULL or ""
 * gives "?"), pop closes the innermost one. On CUDA builds an NVTX range on the calling thread
 * (nearly free when no tool is attached); on CPU-only builds both are no-ops. Always succeed. */
void        triad_range_push(const char* name);
void        triad_range_pop(void);

/* ---- buffers ---- */
int     triad_buffer_alloc(int device, int dtype, int64_t numel, triad_buffer** out); /* zero-filled */
/* The same without the zero fill (contents undefined until written): for outputs an op
 * overwrites completely, which saves a memset per output on CUDA. */
int     triad_buffer_alloc_uninit(int device, int dtype, int64_t numel, triad_buffer** out);
/* NULL is fine. A second free of a handle (within the next 4096 frees; after that the handle may
 * have been reused), or a pointer that is not a handle, is TRIAD_ERR_INVALID, not a crash. Safe
 * against ops on other threads: every call pins its buffers, and memory freed while a call is in
 * flight on it is released when that call returns; later calls on the handle fail with
 * TRIAD_ERR_INVALID ("was freed"). The accessors below return -1 for a freed handle. */
int     triad_buffer_free(triad_buffer* buf);
int64_t triad_buffer_numel(const triad_buffer* buf);
int     triad_buffer_dtype(const triad_buffer* buf);
int     triad_buffer_device(const triad_buffer* buf);
/* host <-> buffer, `count` elements of the buffer's dtype, starting at element `offset` */
int triad_buffer_write(triad_buffer* dst, int64_t offset, const void* src, int64_t count);
int triad_buffer_read(const triad_buffer* src, int64_t offset, void* dst, int64_t count);
/* buffer -> buffer of the same dtype, any devices; regions may not overlap */
int triad_buffer_copy(triad_buffer* dst, int64_t dst_offset, const triad_buffer* src,
                      int64_t src_offset, int64_t count);
int triad_fill(triad_buffer* dst, float value);                    /* every element = value */
int triad_cast(triad_buffer* dst, const triad_buffer* src);        /* convert dtype, same numel */

/* ---- linear: matmul with optional bias ----
 * For each of `batch` independent problems (a, b, out advance by M*K, K*N, M*N elements):
 *   out[M,N] (+)= op(a)[M,K] @ op(b)[K,N] + bias[N]
 * op(a) = a (stored [M,K]) or, with trans_a, a^T (a stored [K,M]); likewise b ([K,N] or [N,K]).
 * accumulate=1 adds into out instead of overwriting it. bias may be NULL.
 * A linear layer y = x W^T + b with W [out,in] is matmul(y, x, W, b, 1, rows, out, in, 0, 1, 0);
 * its backward is dx += dy W (0,0), dW += dy^T x (1,0) and triad_bias_backward. */
int triad_matmul(triad_buffer* out, const triad_buffer* a, const triad_buffer* b,
                 const triad_buffer* bias, int64_t batch, int64_t M, int64_t N, int64_t K,
                 int trans_a, int trans_b, int accumulate);
/* Matmul with a fused epilogue (same operands and shapes as triad_matmul; pre [batch,M,N]):
 *   TRIAD_EPILOGUE_NONE           out (+)= a@b + bias                       (pre unused)
 *   TRIAD_EPILOGUE_GELU           pre = a@b + bias; out (+)= gelu(pre)       (pre may be NULL)
 *   TRIAD_EPILOGUE_GELU_BACKWARD  out (+)= (a@b + bias) * gelu'(pre)        (pre required)
 * GELU forms a transformer MLP's fc layer (saving the pre-activation for backward) and its
 * backward dpre = (dy W) * gelu'(pre) in one pass. pre shares the data dtype. */
#define TRIAD_EPILOGUE_NONE          0
#define TRIAD_EPILOGUE_GELU          1
#define TRIAD_EPILOGUE_GELU_BACKWARD 2
int triad_matmul_epilogue(triad_buffer* out, triad_buffer* pre, const triad_buffer* a,
                          const triad_buffer* b, const triad_buffer* bias, int64_t batch,
                          int64_t M, int64_t N, int64_t K, int trans_a, int trans_b,
                          int accumulate, int epilogue);
/* dbias[N] += column sums of dout[M,N] */
int triad_bias_backward(triad_buffer* dbias, const triad_buffer* dout, int64_t M, int64_t N);

/* ---- embedding: token + learned position ----
 * out[B,T,C] = wte[tokens[b,t]] + wpe[pos[b,t]]
 * tokens i32[B,T] in [0,V); positions i32[B,T] in [0,P) or NULL for pos = t; wpe [P,C] or NULL
 * (token embedding only). Out-of-range ids fail with TRIAD_ERR_INVALID: at once on the CPU; on
 * CUDA (which never reads ids back) the kernel skips them and the error is reported by the next
 * synchronizing call (a buffer read, triad_cuda_synchronize). The same holds for every id below
 * (targets, gather indices, decode start). */
int triad_embedding_forward(triad_buffer* out, const triad_buffer* tokens,
                            const triad_buffer* positions, const triad_buffer* wte,
                            const triad_buffer* wpe, int64_t B, int64_t T, int64_t C, int64_t V,
                            int64_t P);
/* dwte[V,C] += scatter of dout; dwpe[P,C] += scatter of dout (either may be NULL).
 * Deterministic: no order-dependent float accumulation. */
int triad_embedding_backward(triad_buffer* dwte, triad_buffer* dwpe, const triad_buffer* dout,
                             const triad_buffer* tokens, const triad_buffer* positions,
                             int64_t B, int64_t T, int64_t C, int64_t V, int64_t P);

/* ---- layernorm over the last dimension ----
 * out[N,C] = (x - mean) * rstd * weight[C] + bias[C]; saves f32 mean[N], rstd[N] for backward.
 * Deterministic backward (dweight, dbias: fixed-order column sums). */
int triad_layernorm_forward(triad_buffer* out, triad_buffer* mean, triad_buffer* rstd,
                            const triad_buffer* x, const triad_buffer* weight,
                            const triad_buffer* bias, int64_t N, int64_t C, float eps);
int triad_layernorm_backward(triad_buffer* dx, triad_buffer* dweight, triad_buffer* dbias,
                             const triad_buffer* dout, const triad_buffer* x,
                             const triad_buffer* weight, const triad_buffer* mean,
                             const triad_buffer* rstd, int64_t N, int64_t C);

/* ---- GELU, tanh approximation (GPT-2) ----
 * out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
int triad_gelu_forward(triad_buffer* out, const triad_buffer* x, int64_t n);
int triad_gelu_backward(triad_buffer* dx, const triad_buffer* dout, const triad_buffer* x,
                        int64_t n);

/* ---- causal multi-head self-attention, fused ----
 * qkv [B,T,3,H,D] (the output of one [C -> 3C] linear, C = H*D); out [B,T,H,D];
 * lse f32[B,H,T] saves each query row's log-sum-exp of scaled scores for backward.
 * Query t attends key s iff s <= t and (doc_ids == NULL or doc_ids[b,s] == doc_ids[b,t]):
 * with doc_ids i32[B,T], packed documents never attend across boundaries.
 * Scores are scaled by 1/sqrt(D). No T x T matrix is kept. */
int triad_attention_forward(triad_buffer* out, triad_buffer* lse, const triad_buffer* qkv,
                            const triad_buffer* doc_ids, int64_t B, int64_t T, int64_t H,
                            int64_t D);
int triad_attention_backward(triad_buffer* dqkv, const triad_buffer* dout,
                             const triad_buffer* qkv, const triad_buffer* out,
                             const triad_buffer* lse, const triad_buffer* doc_ids, int64_t B,
                             int64_t T, int64_t H, int64_t D);

/* ---- attention over a KV cache (generation; no backward) ----
 * kcache, vcache [B,Tmax,H,D] hold the keys and values of positions [0, past). The Tn new tokens'
 * qkv [B,Tn,3,H,D] are first written into the caches at positions [past, past+Tn); then new query
 * i (cache position past+i) attends keys s with start[b] <= s <= past+i. start i32[B] or NULL
 * (all 0) is each row's first real position, so left padding is never attended.
 * out [B,Tn,H,D]. Requires past + Tn <= Tmax. */
int triad_attention_decode(triad_buffer* out, triad_buffer* kcache, triad_buffer* vcache,
                           const triad_buffer* qkv, const triad_buffer* start, int64_t B,
                           int64_t Tn, int64_t past, int64_t Tmax, int64_t H, int64_t D);

/* ---- fused classifier: softmax cross-entropy over the vocabulary ----
 * logits [N,V]; only columns [0, V_real) are real (padding columns are never predicted).
 * targets i32[N]: a class in [0,V_real) or ignore_index. weights f32[N] or NULL (all 1).
 * loss, logprob, lse, dloss, dlogprob are f32; logits and dlogits share the data dtype.
 *   logprob[n] = log softmax(logits[n])[targets[n]]   (0 where ignored)
 *   loss[n]    = -weights[n] * logprob[n]             (0 where ignored)
 *   lse[n]     = log sum exp(logits[n, :V_real])      (saved for backward)
 * loss and logprob may be NULL when not needed; lse is required. */
int triad_cross_entropy_forward(triad_buffer* loss, triad_buffer* logprob, triad_buffer* lse,
                                const triad_buffer* logits, const triad_buffer* targets,
                                const triad_buffer* weights, int64_t N, int64_t V,
                                int64_t V_real, int ignore_index);
/* dlogits[N,V] += (dlogprob[n] - weights[n] * dloss[n]) * (onehot(target) - softmax(logits[n]))
 * for non-ignored rows; padding columns get 0. dloss or dlogprob may be NULL (zero upstream). */
int triad_cross_entropy_backward(triad_buffer* dlogits, const triad_buffer* dloss,
                                 const triad_buffer* dlogprob, const triad_buffer* logits,
                                 const triad_buffer* targets, const triad_buffer* weights,
                                 const triad_buffer* lse, int64_t N, int64_t V, int64_t V_real,
                                 int ignore_index);

/* ---- elementwise ---- */
#define TRIAD_UNARY_EXP    0  /* e^x */
#define TRIAD_UNARY_LOG    1  /* ln x */
#define TRIAD_UNARY_AFFINE 2  /* p0 * x + p1 */
#define TRIAD_UNARY_CLAMP  3  /* min(max(x, p0), p1); gradient 1 inside [p0,p1], else 0 */
#define TRIAD_UNARY_SQUARE 4  /* x^2 */
#define TRIAD_UNARY_SQRT   5  /* sqrt x */
#define TRIAD_UNARY_TANH   6  /* tanh x */
#define TRIAD_UNARY_RELU   7  /* max(x, 0) */
#define TRIAD_UNARY_COUNT  8
/* out[n] = f(x[n]) */
int triad_unary_forward(int op, triad_buffer* out, const triad_buffer* x, int64_t n, float p0,
                        float p1);
/* dx[n] += dout[n] * f'(x[n]); out is the forward output (used by EXP, SQRT, TANH) */
int triad_unary_backward(int op, triad_buffer* dx, const triad_buffer* dout,
                         const triad_buffer* x, const triad_buffer* out, int64_t n, float p0,
                         float p1);

#define TRIAD_BINARY_ADD 0
#define TRIAD_BINARY_SUB 1
#define TRIAD_BINARY_MUL 2
#define TRIAD_BINARY_DIV 3
#define TRIAD_BINARY_MIN 4  /* gradient to a where a <= b, else to b */
#define TRIAD_BINARY_MAX 5  /* gradient to a where a >= b, else to b */
#define TRIAD_BINARY_GT  6  /* 1 where a > b else 0; no gradient */
#define TRIAD_BINARY_LT  7  /* 1 where a < b else 0; no gradient */
#define TRIAD_BINARY_COUNT 8
/* out[i] = a[i] (op) b[i % nb], i < na; nb divides na (b broadcasts over a's leading dims) */
int triad_binary_forward(int op, triad_buffer* out, const triad_buffer* a, const triad_buffer* b,
                         int64_t na, int64_t nb);
/* da[i] += dout[i] * d(op)/da; db[j] += sum over i with i % nb == j of dout[i] * d(op)/db */
int triad_binary_backward(int op, triad_buffer* da, triad_buffer* db, const triad_buffer* dout,
                          const triad_buffer* a, const triad_buffer* b, int64_t na, int64_t nb);

/* out[i] = cond[i] != 0 ? a[i] : b[i] */
int triad_where_forward(triad_buffer* out, const triad_buffer* cond, const triad_buffer* a,
                        const triad_buffer* b, int64_t n);
int triad_where_backward(triad_buffer* da, triad_buffer* db, const triad_buffer* dout,
                         const triad_buffer* cond, int64_t n);

/* ---- reductions along one dimension: x viewed as [outer, dim, inner] -> out [outer, inner] ---- */
#define TRIAD_REDUCE_SUM  0
#define TRIAD_REDUCE_MEAN 1
int triad_reduce_forward(int op, triad_buffer* out, const triad_buffer* x, int64_t outer,
                         int64_t dim, int64_t inner);
int triad_reduce_backward(int op, triad_buffer* dx, const triad_buffer* dout, int64_t outer,
                          int64_t dim, int64_t inner);

/* ---- gather along the last dimension: out[n] = x[n, index[n]], index i32[N] in [0,V) ---- */
int triad_gather_forward(triad_buffer* out, const triad_buffer* x, const triad_buffer* index,
                         int64_t N, int64_t V);
int triad_gather_backward(triad_buffer* dx, const triad_buffer* dout, const triad_buffer* index,
                          int64_t N, int64_t V);

/* ---- log-softmax along the last dimension: x, out [N,V] ---- */
int triad_log_softmax_forward(triad_buffer* out, const triad_buffer* x, int64_t N, int64_t V);
/* dx += dout - exp(out) * sum(dout) per row */
int triad_log_softmax_backward(triad_buffer* dx, const triad_buffer* dout,
                               const triad_buffer* out, int64_t N, int64_t V);

/* ---- optimizer ---- */
typedef struct triad_adamw_params {
  float   lr;
  float   beta1;
  float   beta2;
  float   eps;
  float   weight_decay; /* decoupled: param -= lr * weight_decay * param */
  float   grad_scale;   /* gradient multiplier applied first (e.g. the clipping factor) */
  int64_t step;         /* 1-based step number, for bias correction */
} triad_adamw_params;
/* Fused AdamW over n elements: f32 param (master weights), grad (data dtype: f32 or bf16),
 * f32 moments m and v. */
int triad_adamw_step(triad_buffer* param, const triad_buffer* grad, triad_buffer* m,
                     triad_buffer* v, int64_t n, const triad_adamw_params* params);
/* The same step, then param_copy[i] = the updated param[i] in param_copy's dtype (f32, or bf16
 * rounded to nearest even), in the same pass: mixed precision keeps f32 masters and trains on a bf16 copy.
 * param_copy may be NULL (then this is triad_adamw_step). */
int triad_adamw_step_copy(triad_buffer* param, const triad_buffer* grad, triad_buffer* m,
                          triad_buffer* v, triad_buffer* param_copy, int64_t n,
                          const triad_adamw_params* params);
/* acc[0] += sum of x[i]^2 over n elements (acc is f32[1]; x data); for the global gradient norm.
 * Deterministic: fixed-size chunks summed in double, combined in chunk order. */
int triad_sum_squares(triad_buffer* acc, const triad_buffer* x, int64_t n);

/* ---- multi-tensor forms (every parameter of a model in a few launches) ----
 * acc[0] += sum of xs[i][j]^2 for i < count, j < ns[i]: bit-identical to count calls of
 * triad_sum_squares in order (on each backend). xs share one data dtype. */
int triad_sum_squares_multi(triad_buffer* acc, int count, const triad_buffer* const* xs,
                            const int64_t* ns);
/* triad_adamw_step_copy over count tensors: params[i], m[i], v[i] f32, grads[i] data (one dtype for
 * all), param_copies NULL or an array whose entries are NULL or buffers of one floating dtype;
 * ns[i] elements; weight_decays[i] replaces p->weight_decay for tensor i.
 * norm_sq (f32[1], e.g. the triad_sum_squares_multi accumulator) or NULL: when given and
 * max_norm > 0 the gradient scale is p->grad_scale times the clip factor
 *   norm = sqrt(norm_sq[0]) (in double); factor = norm > max_norm ? max_norm / (norm + 1e-6) : 1,
 * computed where the data lives, so clipping needs no read of the norm. Bit-identical to the
 * per-tensor calls with grad_scale = p->grad_scale * factor, on the CPU; on CUDA the same
 * per-element arithmetic. */
int triad_adamw_step_multi(int count, triad_buffer* const* params, const triad_buffer* const* grads,
                           triad_buffer* const* m, triad_buffer* const* v,
                           triad_buffer* const* param_copies, const int64_t* ns,
                           const float* weight_decays, const triad_adamw_params* p,
                           const triad_buffer* norm_sq, double max_norm);

/* ---- counter-based RNG (Philox4x32-10) ----
 * Element i of the stream (seed, offset) depends only on (seed, offset + i): the same values on
 * every backend and thread count, and a stream can be resumed at any offset. */
int triad_rng_uniform(triad_buffer* out, int64_t n, uint64_t seed, uint64_t offset, float lo,
                      float hi);
int triad_rng_normal(triad_buffer* out, int64_t n, uint64_t seed, uint64_t offset, float mean,
                     float std);
/* Samples one token per row of logits [N,V] (columns >= V_real never chosen) into out i32[N].
 * temperature <= 0 is greedy (argmax). top_k <= 0 disables top-k; top_p >= 1 disables top-p.
 * Row n draws from the stream (seed, offset + n). */
int triad_sample(triad_buffer* out, const triad_buffer* logits, int64_t N, int64_t V,
                 int64_t V_real, float temperature, int top_k, float top_p, uint64_t seed,
                 uint64_t offset);

/* ---- distributed: one communicator over every process of the job ----
 * For data-parallel training across processes (docs/DISTRIBUTED.md). libtriad links no collective
 * library: triad_dist_init loads communication plug-ins at run time.
 *  host_plugin    path of libtriad_mpi.so (the MPI C API on host memory). The process must have
 *                 been started by an MPI launcher (mpirun, srun) or be a singleton (size 1).
 *                 NULL: this process is the whole job (rank 0 of 1, no MPI needed; "self").
 *  device_plugin  NULL, or the path of libtriad_nccl.so: then collectives on CUDA buffers run on
 *                 NCCL (its unique id broadcast over the host plug-in). Without it, CUDA buffers
 *                 are staged through host memory.
 * Once per process (a second call is TRIAD_ERR_INVALID, as is any other call before it). A plug-in
 * that cannot be loaded is TRIAD_ERR_UNSUPPORTED naming the library and the loader's reason;
 * a failure inside MPI or NCCL is TRIAD_ERR_COMM with the library's message and this rank.
 * Collectives are blocking and must be called by every rank in the same order with the same
 * counts; buffers are data (f32 or bf16) or i32, and the in/out buffers of one call share dtype
 * and device. bf16 sums on the host plug-in are staged through f32 (rounded once at the end). */
int         triad_dist_init(const char* host_plugin, const char* device_plugin);
int         triad_dist_rank(int* rank);
int         triad_dist_size(int* size);
int         triad_dist_local_rank(int* rank);          /* rank among the processes on this node */
const char* triad_dist_backend(void);                  /* "mpi", "mpi+nccl", "self+nccl", or "" before init */
/* buf[0, count) = the sum over ranks of each rank's buf[0, count). */
int triad_dist_all_reduce_sum(triad_buffer* buf, int64_t count);
/* in [size * count] -> out [count]: the sum over ranks of in[rank * count, (rank + 1) * count). */
int triad_dist_reduce_scatter_sum(triad_buffer* out, const triad_buffer* in, int64_t count);
/* in [count] -> out [size * count], rank r's in at out[r * count]. */
int triad_dist_all_gather(triad_buffer* out, const triad_buffer* in, int64_t count);
/* buf[0, count) of rank `root` to every rank. */
int triad_dist_broadcast(triad_buffer* buf, int64_t count, int root);
int triad_dist_barrier(void);
/* Ends every process of the job with exit code `code` (after an error on this rank). */
int triad_dist_abort(int code);
/* Shuts the communicator down (MPI_Finalize); no collective after it. */
int triad_dist_finalize(void);

#ifdef __cplusplus
}
#endif

#endif /* TRIAD_H */
