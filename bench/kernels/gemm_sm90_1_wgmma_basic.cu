// gemm_sm90_1_wgmma_basic.cu — version 1: the correctness baseline for wgmma descriptors.
//
//   C[M,N] = epi(A[M,K] @ B[N,K]^T), bf16 in/out, fp32 accumulation (see gemm_common.cuh)
//
// One warpgroup (128 threads) per 64x128 output tile. Each K step of 64:
//   1. every thread copies 16-byte chunks of A (64x64) and B (128x64) from global memory into
//      shared memory with plain loads/stores, writing the 128-byte-swizzled K-major layout by hand
//      (sw128_offset: chunk c of row r goes to chunk slot c ^ (r % 8)); out-of-range rows/K are 0;
//   2. fence.proxy.async (generic-proxy smem writes -> visible to wgmma) + __syncthreads;
//   3. 4 x wgmma.m64n128k16 (K = 16 each), descriptors advanced by 32 bytes per K slice;
//   4. wait for the wgmma group, __syncthreads, next K step. No pipelining at all.
// Slow by design: if this version fails, the descriptors/swizzle/fragment layout are wrong; if it
// passes and v2 fails, look at TMA/mbarrier instead.
//
// Build: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a gemm_sm90_1_wgmma_basic.cu
// Run:   ./gemm_sm90_1_wgmma_basic [M N K] [--check-only] ...   (see --help)
#include "gemm_common.cuh"

namespace v1 {

constexpr int BM = 64, BN = 128, BK = 64;
constexpr int THREADS = 128;  // one warpgroup
constexpr int A_TILE_BYTES = BM * BK * 2;  // 8 KB
constexpr int B_TILE_BYTES = BN * BK * 2;  // 16 KB
static_assert(BK * 2 == SW128_ROW_BYTES, "a tile row must be exactly one 128-byte swizzle row");
static_assert(BM % 8 == 0 && BN % 8 == 0, "tiles are whole 8-row swizzle atoms");
static_assert(A_TILE_BYTES % SW128_ATOM_BYTES == 0, "B tile must start 1024-aligned after A");
static_assert(BM == 64, "one m64 wgmma covers the whole M tile");
static_assert(BN == 128, "wgmma_m64n128k16 covers the whole N tile");

__global__ void __launch_bounds__(THREADS) gemm_kernel(const bf16* __restrict__ A,
                                                       const bf16* __restrict__ B,
                                                       const bf16* __restrict__ bias,
                                                       bf16* __restrict__ C, int M, int N, int K,
                                                       int epi) {
  // 1024-byte alignment: the descriptor's base-offset field is 0, so every swizzle atom (and the
  // +32 B K-slice advance) must be relative to a 1024-aligned tile base.
  __shared__ __align__(1024) uint8_t smem[A_TILE_BYTES + B_TILE_BYTES];
  uint8_t* sA = smem;
  uint8_t* sB = smem + A_TILE_BYTES;

  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;

  const uint32_t sA_addr = smem_u32(sA), sB_addr = smem_u32(sB);

  for (int k0 = 0; k0 < K; k0 += BK) {
    // ---- global -> shared, 16-byte chunks (8 bf16). K % 8 == 0, so a chunk is wholly in or out.
    constexpr int CHUNKS_PER_ROW = BK / 8;  // 8
#pragma unroll
    for (int c = tid; c < BM * CHUNKS_PER_ROW; c += THREADS) {
      int r = c / CHUNKS_PER_ROW, kc = c % CHUNKS_PER_ROW;
      int gr = m0 + r, gk = k0 + kc * 8;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (gr < M && gk < K) v = *reinterpret_cast<const uint4*>(A + (size_t)gr * K + gk);
      *reinterpret_cast<uint4*>(sA + sw128_offset(r, kc * 8)) = v;
    }
#pragma unroll
    for (int c = tid; c < BN * CHUNKS_PER_ROW; c += THREADS) {
      int r = c / CHUNKS_PER_ROW, kc = c % CHUNKS_PER_ROW;
      int gr = n0 + r, gk = k0 + kc * 8;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (gr < N && gk < K) v = *reinterpret_cast<const uint4*>(B + (size_t)gr * K + gk);
      *reinterpret_cast<uint4*>(sB + sw128_offset(r, kc * 8)) = v;
    }
    fence_proxy_async_smem();  // our st.shared must be visible to the async proxy (wgmma)
    __syncthreads();

    // ---- 4 wgmma K slices of 16 (32 bytes each) inside the 128-byte swizzled rows
    wgmma_fence();
    fence_regs(acc);
#pragma unroll
    for (int kk = 0; kk < BK / 16; ++kk) {
      uint64_t da = make_desc_kmajor_sw128(sA_addr + kk * 32);
      uint64_t db = make_desc_kmajor_sw128(sB_addr + kk * 32);
      wgmma_m64n128k16(acc, da, db, 1);  // acc starts at 0, so always accumulate
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_regs(acc);
    __syncthreads();  // everyone done reading smem (wgmma complete) before it is overwritten
  }

  store_fragment_bf16(acc, C, M, N, m0, n0, epi, bias);
}

void launch(const GemmProblem& p, cudaStream_t stream) {
  LAB_REQUIRE(!p.trans_a && p.trans_b, "%s implements the NT layout only (see v3 for NN/TN/TT)", "v1");
  dim3 grid((p.N + BN - 1) / BN, (p.M + BM - 1) / BM);
  LAB_REQUIRE(grid.y <= 65535, "M too large for v1's grid");
  gemm_kernel<<<grid, THREADS, 0, stream>>>(p.A, p.B, p.bias, p.C, p.M, p.N, p.K, p.epi);
}

}  // namespace v1

int main(int argc, char** argv) {
  return gemm_lab_main(argc, argv, "v1_wgmma_basic", v1::launch, LAYOUT_NT);
}
