// The tensor-core flash attention of attention_sm80.cu, called by attention.cu when it applies
// (bf16, D = 64 or 128, unless TRIAD_ATTENTION_SIMT=1); attention.cu computes delta for backward.
#pragma once

#include <cstdint>

namespace triad::cuda {

bool flash_sm80_applies(int dt, int64_t B, int64_t T, int64_t H, int64_t D);
void flash_forward_sm80(void* out, float* lse, const void* qkv, const int32_t* doc_ids, int64_t B,
                        int64_t T, int64_t H, int64_t D);
// delta f32 [B,H,T] = rowsum(dout * out)
void flash_backward_sm80(void* dqkv, const void* dout, const void* qkv, const float* lse,
                         const float* delta, const int32_t* doc_ids, int64_t B, int64_t T, int64_t H,
                         int64_t D);

}  // namespace triad::cuda
