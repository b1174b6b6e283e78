// The Hopper bf16 GEMM (matmul_sm90.cu), called by matmul.cu's dispatch when it applies. Same
// operands and semantics as triad_matmul_epilogue (include/triad.h) for the bf16 data dtype.
#pragma once

#include <cstdint>

namespace triad::cuda {

// True when the sm_90a kernel takes this bf16 matmul: this libtriad holds sm_90a code (built with
// 90a among TRIAD_CUDA_ARCHITECTURES), the device has compute capability 9.0, the driver has
// cuTensorMapEncodeTiled, TRIAD_GEMM_SM80=1 is not set (read once) and no test forced the sm_80
// kernel (set_gemm_sm80), and TMA can read the operands: row pitches of a ([M,K] or [K,M]) and b
// ([K,N] or [N,K]) multiples of 8 elements (16 bytes), a and b 16-byte aligned, sizes >= 1.
bool gemm_sm90_applies(const void* a, const void* b, int64_t batch, int64_t M, int64_t N, int64_t K,
                       bool trans_a, bool trans_b);

// out [batch,M,N] (+)= epilogue(op(a) @ op(b) + bias), bf16 buffers; see triad_matmul_epilogue.
void gemm_sm90(void* out, void* pre, const void* a, const void* b, const void* bias, int64_t batch,
               int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool accumulate,
               int epilogue);

}  // namespace triad::cuda
