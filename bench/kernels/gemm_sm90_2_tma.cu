// gemm_sm90_2_tma.cu — version 2: TMA loads + an mbarrier ring of STAGES shared-memory stages,
// one warpgroup that both issues the loads (thread 0) and runs the wgmmas.
//
//   C[M,N] = epi(A[M,K] @ B[N,K]^T), bf16 in/out, fp32 accumulation (see gemm_common.cuh)
//
// Tile 128x128x64, 128 threads. The warpgroup covers the 128 rows with two m64n128k16 wgmmas per
// K slice (accumulators acc0: rows 0-63, acc1: rows 64-127; 2 x 64 fp32 registers per thread).
//
// Per stage s (32 KB): [A box 128 rows x 64 K | B box 128 rows x 64 K], each written by one
// cp.async.bulk.tensor with CU_TENSOR_MAP_SWIZZLE_128B — the same swizzled K-major layout that v1
// builds by hand, so the wgmma descriptors are identical to v1's.
//
// Barriers per stage:
//   full[s]  (count 1): thread 0 arrive.expect_tx(STAGE_BYTES); the two TMA loads complete_tx the
//                       bytes. Consumers wait on it with parity (fill number & 1).
//   empty[s] (count 4): lane 0 of each of the 4 warps arrives once the wgmmas that read slot s
//                       have completed (wgmma.wait_group). Thread 0 waits on it before refilling.
// Main loop, iteration kt (slot s = kt % STAGES):
//   wait full[s] -> 8 wgmmas (4 K slices x 2 row halves) -> commit -> wait_group(1), i.e. the
//   group of iteration kt-1 is done -> release slot (kt-1) % STAGES -> thread 0 refills that slot
//   with K tile kt-1+STAGES. So one wgmma group stays in flight while we wait and reload.
// Tails: TMA zero-fills rows >= M / N and K >= K (the full box still counts as transaction bytes);
// the epilogue stores are guarded.
//
// Build: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a gemm_sm90_2_tma.cu
#include "gemm_common.cuh"

namespace v2 {

constexpr int BM = 128, BN = 128, BK = 64, STAGES = 4;
constexpr int THREADS = 128;
constexpr int A_BYTES = BM * BK * 2;  // 16 KB
constexpr int B_BYTES = BN * BK * 2;  // 16 KB
constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
constexpr int SMEM_BYTES = 1024 /*alignment slack*/ + STAGES * STAGE_BYTES + 2 * STAGES * 8;
static_assert(BK * 2 == SW128_ROW_BYTES, "TMA box inner extent = one 128-byte swizzle row");
static_assert(A_BYTES % SW128_ATOM_BYTES == 0 && STAGE_BYTES % SW128_ATOM_BYTES == 0,
              "every A/B tile must start 1024-byte aligned (descriptor base offset 0)");
static_assert(BM == 128 && BN == 128, "two m64n128 wgmmas per K slice cover the tile");
static_assert(BM <= 256 && BN <= 256, "TMA box extents are at most 256");
static_assert(SMEM_BYTES <= 227 * 1024, "fits the sm_90 opt-in shared memory");

__global__ void __launch_bounds__(THREADS, 1)
    gemm_kernel(const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB,
                const bf16* __restrict__ bias, bf16* __restrict__ C, float* __restrict__ Cf, int M, int N, int K, int epi) {
  extern __shared__ uint8_t smem_raw[];
  // dynamic smem is only guaranteed 16-byte aligned: round up to 1024 by hand
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  uint64_t* full = reinterpret_cast<uint64_t*>(smem + STAGES * STAGE_BYTES);
  uint64_t* empty = full + STAGES;

  const int tid = threadIdx.x, lane = tid % 32;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int k_tiles = (K + BK - 1) / BK;

  if (tid == 0) {
    tma_prefetch_desc(&tmA);
    tma_prefetch_desc(&tmB);
    for (int s = 0; s < STAGES; ++s) {
      mbar_init(&full[s], 1);
      mbar_init(&empty[s], THREADS / 32);
    }
    fence_mbar_init();
  }
  __syncthreads();

  auto issue = [&](int kt) {  // thread 0 only: load K tile kt into slot kt % STAGES
    const int s = kt % STAGES;
    uint8_t* sa = smem + s * STAGE_BYTES;
    mbar_arrive_expect_tx(&full[s], STAGE_BYTES);
    tma_load_2d(sa, &tmA, &full[s], kt * BK, m0);
    tma_load_2d(sa + A_BYTES, &tmB, &full[s], kt * BK, n0);
  };
  if (tid == 0)
    for (int kt = 0; kt < STAGES && kt < k_tiles; ++kt) issue(kt);
  __syncwarp();

  float acc0[64], acc1[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) { acc0[i] = 0.f; acc1[i] = 0.f; }
  fence_regs(acc0);  // zero-init is complete before the first wgmma
  fence_regs(acc1);

  const uint32_t smem_base = smem_u32(smem);
  for (int kt = 0; kt < k_tiles; ++kt) {
    const int s = kt % STAGES;
    mbar_wait(&full[s], (kt / STAGES) & 1);

    const uint32_t a_addr = smem_base + s * STAGE_BYTES;
    const uint32_t b_addr = a_addr + A_BYTES;
    wgmma_fence();  // (no fence_regs inside the loop: an asm "defining" the accumulators while a
                    //  wgmma group is in flight makes ptxas serialize the wgmmas, warning C7515)
#pragma unroll
    for (int kk = 0; kk < BK / 16; ++kk) {
      const uint64_t db = make_desc_kmajor_sw128(b_addr + kk * 32);
      // rows 64-127 of the A tile start 64 rows * 128 B = 8 atoms later (still 1024-aligned)
      wgmma_m64n128k16(acc0, make_desc_kmajor_sw128(a_addr + kk * 32), db, 1);
      wgmma_m64n128k16(acc1, make_desc_kmajor_sw128(a_addr + 64 * SW128_ROW_BYTES + kk * 32), db, 1);
    }
    wgmma_commit();
    wgmma_wait<1>();  // the group of iteration kt-1 has finished reading its slot

    if (kt > 0) {
      const int ps = (kt - 1) % STAGES;
      __syncwarp();
      if (lane == 0) mbar_arrive(&empty[ps]);
      if (tid == 0 && kt - 1 + STAGES < k_tiles) {
        mbar_wait(&empty[ps], ((kt - 1) / STAGES) & 1);  // all 4 warps released it
        issue(kt - 1 + STAGES);
      }
      __syncwarp();  // reconverge warp 0 before the next .sync.aligned wgmma
    }
  }
  wgmma_wait<0>();
  fence_regs(acc0);
  fence_regs(acc1);

  store_fragment(acc0, C, Cf, M, N, m0, n0, epi, bias);
  store_fragment(acc1, C, Cf, M, N, m0 + 64, n0, epi, bias);
}

void launch(const GemmProblem& p, cudaStream_t stream) {
  LAB_REQUIRE(!p.trans_a && p.trans_b, "%s implements the NT layout only (see v3 for NN/TN/TT)", "v2");
  static bool configured = false;
  if (!configured) {
    CUDA_CHECK(cudaFuncSetAttribute(gemm_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES));
    configured = true;
  }
  const CUtensorMap tmA = cached_tmap_kmajor_sw128(p.A, p.M, p.K, BM);
  const CUtensorMap tmB = cached_tmap_kmajor_sw128(p.B, p.N, p.K, BN);
  dim3 grid((p.N + BN - 1) / BN, (p.M + BM - 1) / BM);
  LAB_REQUIRE(grid.y <= 65535, "M too large for v2's grid");
  gemm_kernel<<<grid, THREADS, SMEM_BYTES, stream>>>(tmA, tmB, p.bias, p.C, p.Cf, p.M, p.N, p.K, p.epi);
}

}  // namespace v2

int main(int argc, char** argv) { return gemm_lab_main(argc, argv, "v2_tma", v2::launch, LAYOUT_NT); }
