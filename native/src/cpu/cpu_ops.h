// CPU backend: fp32 reference kernels on raw host pointers (bf16 data is staged to f32 around
// them by src/api/bf16_staging). One .cpp per layer, forward and backward side by side.
// Shapes are validated by the API layer (src/api/) before these run;
// the only errors raised here are data-dependent ones (an index out of range), as
// triad::Error(TRIAD_ERR_INVALID, message). Semantics are documented in include/triad.h.
#pragma once

#include <cstdint>

namespace triad::cpu {

// matmul.cpp
void matmul(float* out, const float* a, const float* b, const float* bias, int64_t batch,
            int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool accumulate);
void bias_backward(float* dbias, const float* dout, int64_t M, int64_t N);

// embedding.cpp
void embedding_forward(float* out, const int32_t* tokens, const int32_t* positions,
                       const float* wte, const float* wpe, int64_t B, int64_t T, int64_t C,
                       int64_t V, int64_t P);
void embedding_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens,
                        const int32_t* positions, int64_t B, int64_t T, int64_t C, int64_t V,
                        int64_t P);

// layernorm.cpp
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps);
void layernorm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                        const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C);

// gelu.cpp
void gelu_forward(float* out, const float* x, int64_t n);
void gelu_backward(float* dx, const float* dout, const float* x, int64_t n);

// attention.cpp
void attention_forward(float* out, float* lse, const float* qkv, const int32_t* doc_ids,
                       int64_t B, int64_t T, int64_t H, int64_t D);
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out,
                        const float* lse, const int32_t* doc_ids, int64_t B, int64_t T,
                        int64_t H, int64_t D);
void attention_decode(float* out, float* kcache, float* vcache, const float* qkv,
                      const int32_t* start, int64_t B, int64_t Tn, int64_t past, int64_t Tmax,
                      int64_t H, int64_t D);

// classifier.cpp
void cross_entropy_forward(float* loss, float* logprob, float* lse, const float* logits,
                           const int32_t* targets, const float* weights, int64_t N, int64_t V,
                           int64_t V_real, int ignore_index);
void cross_entropy_backward(float* dlogits, const float* dloss, const float* dlogprob,
                            const float* logits, const int32_t* targets, const float* weights,
                            const float* lse, int64_t N, int64_t V, int64_t V_real,
                            int ignore_index);

// elementwise.cpp
void unary_forward(int op, float* out, const float* x, int64_t n, float p0, float p1);
void unary_backward(int op, float* dx, const float* dout, const float* x, const float* out,
                    int64_t n, float p0, float p1);
void binary_forward(int op, float* out, const float* a, const float* b, int64_t na, int64_t nb);
void binary_backward(int op, float* da, float* db, const float* dout, const float* a,
                     const float* b, int64_t na, int64_t nb);
void where_forward(float* out, const float* cond, const float* a, const float* b, int64_t n);
void where_backward(float* da, float* db, const float* dout, const float* cond, int64_t n);

// reduce.cpp
void reduce_forward(int op, float* out, const float* x, int64_t outer, int64_t dim,
                    int64_t inner);
void reduce_backward(int op, float* dx, const float* dout, int64_t outer, int64_t dim,
                     int64_t inner);
void gather_forward(float* out, const float* x, const int32_t* index, int64_t N, int64_t V);
void gather_backward(float* dx, const float* dout, const int32_t* index, int64_t N, int64_t V);
void log_softmax_forward(float* out, const float* x, int64_t N, int64_t V);
void log_softmax_backward(float* dx, const float* dout, const float* out, int64_t N, int64_t V);

// adamw.cpp
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                int64_t step);
void sum_squares(float* acc, const float* x, int64_t n);

// rng.cpp
void rng_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi);
void rng_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std);
void sample(int32_t* out, const float* logits, int64_t N, int64_t V, int64_t V_real,
            float temperature, int top_k, float top_p, uint64_t seed, uint64_t offset);

}  // namespace triad::cpu

namespace triad::cpu {

// convert.cpp — dtype conversion and fill (dtype codes from triad.h)
void fill(void* dst, int dtype, int64_t n, float value);
void cast(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t n);

}  // namespace triad::cpu
