// gemm_sm90_3_warpspec.cu — version 3: warp-specialised producer/consumer GEMM.
//
//   C[M,N] = epi(A[M,K] @ B[N,K]^T), bf16 in/out, fp32 accumulation (see gemm_common.cuh)
//
// Block = 3 warpgroups (384 threads), one 128x256 output tile, K step 64, STAGES-deep smem ring.
//   WG0  producer : setmaxnreg.dec to 40 registers; one elected thread loops over K tiles:
//                   wait empty[s] -> arrive.expect_tx(full[s], 48 KB) -> TMA A box (128x64) and
//                   TMA B box (256x64) into slot s. The other 127 threads of WG0 just exit.
//   WG1, WG2 consumers: setmaxnreg.inc to 232 registers; consumer c owns rows 64c..64c+63 of the
//                   tile and all 256 columns: per K tile 4 x wgmma.m64n256k16 (128 fp32
//                   accumulators per thread), commit, wait_group(1), then release the slot of the
//                   previous K tile (lane 0 of each of the 8 consumer warps arrives on empty[]).
//   Epilogue      : each consumer writes its 64x256 fragment straight from registers to global
//                   (bias / bias+GELU fused, guarded for tails).
// Register budget (the block's pool is fixed at launch by __launch_bounds__(384, 1): 65536/384 ->
// 168 per thread): 128*40 + 256*232 = 64512 <= 384*168 = 64512. setmaxnreg.inc blocks until the
// registers are free, so these numbers must balance or the kernel hangs: see the static_assert.
// Tails: TMA zero-fills out-of-bounds rows/columns of every box (M, N, and K not multiples of the
// tile); the full box still counts toward the transaction bytes; stores are guarded.
// Block order: tile index -> (tm, tn) in groups of GROUP_M tile rows, so that the ~132 blocks in
// flight share A row panels and B column panels in L2.
//
// Build: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a gemm_sm90_3_warpspec.cu
#include "gemm_common.cuh"

namespace v3 {

constexpr int BM = 128, BN = 256, BK = 64, STAGES = 4;
constexpr int CONSUMERS = 2;                       // consumer warpgroups
constexpr int THREADS = 128 * (1 + CONSUMERS);     // 384
constexpr int PRODUCER_REGS = 40, CONSUMER_REGS = 232;
constexpr int LAUNCH_REGS = (65536 / THREADS) / 8 * 8;  // 168: what __launch_bounds__(384,1) gives
constexpr int GROUP_M = 16;
constexpr int A_BYTES = BM * BK * 2;   // 16 KB
constexpr int B_BYTES = BN * BK * 2;   // 32 KB
constexpr int STAGE_BYTES = A_BYTES + B_BYTES;  // 48 KB
constexpr int SMEM_BYTES = 1024 /*alignment slack*/ + STAGES * STAGE_BYTES + 2 * STAGES * 8;

static_assert(BK * 2 == SW128_ROW_BYTES, "TMA box inner extent = one 128-byte swizzle row");
static_assert(A_BYTES % SW128_ATOM_BYTES == 0 && STAGE_BYTES % SW128_ATOM_BYTES == 0,
              "every A/B tile must start 1024-byte aligned (descriptor base offset 0)");
static_assert(BM == 64 * CONSUMERS, "each consumer warpgroup owns 64 rows (one m64 wgmma)");
static_assert(BN == 256, "wgmma_m64n256k16 covers the whole N tile");
static_assert(BM <= 256 && BN <= 256, "TMA box extents are at most 256");
static_assert(SMEM_BYTES <= 227 * 1024, "fits the sm_90 opt-in shared memory (227 KB)");
static_assert(128 * PRODUCER_REGS + 128 * CONSUMERS * CONSUMER_REGS <= THREADS * LAUNCH_REGS,
              "setmaxnreg budget exceeds the block's register pool: inc would wait forever");

__global__ void __launch_bounds__(THREADS, 1)
    gemm_kernel(const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB,
                const bf16* __restrict__ bias, bf16* __restrict__ C, int M, int N, int K, int epi) {
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  uint64_t* full = reinterpret_cast<uint64_t*>(smem + STAGES * STAGE_BYTES);
  uint64_t* empty = full + STAGES;

  const int tid = threadIdx.x;
  const int wg = tid / 128;           // warpgroup index (warps 4*wg..4*wg+3, aligned as required)
  const int lane = tid % 32;
  const int warp_in_wg = (tid % 128) / 32;

  // ---- tile coordinates, grouped raster for L2 reuse
  const int tiles_m = (M + BM - 1) / BM, tiles_n = (N + BN - 1) / BN;
  int tm, tn;
  {
    const int t = blockIdx.x;
    const int per_group = GROUP_M * tiles_n;
    const int g = t / per_group;
    const int first_m = g * GROUP_M;
    const int rows_in_group = min(GROUP_M, tiles_m - first_m);
    const int r = t % per_group;
    tm = first_m + r % rows_in_group;
    tn = r / rows_in_group;
  }
  const int m0 = tm * BM, n0 = tn * BN;
  const int k_tiles = (K + BK - 1) / BK;

  if (tid == 0) {
    tma_prefetch_desc(&tmA);
    tma_prefetch_desc(&tmB);
    for (int s = 0; s < STAGES; ++s) {
      mbar_init(&full[s], 1);                   // producer's arrive.expect_tx
      mbar_init(&empty[s], CONSUMERS * 4);      // lane 0 of every consumer warp
    }
    fence_mbar_init();
  }
  __syncthreads();

  if (wg == 0) {
    // ================= producer warpgroup =================
    setmaxnreg_dec<PRODUCER_REGS>();
    if (warp_in_wg == 0 && lane == 0) {
      for (int kt = 0; kt < k_tiles; ++kt) {
        const int s = kt % STAGES, n = kt / STAGES;
        mbar_wait(&empty[s], (n & 1) ^ 1);  // n == 0: passes at once (see mbar_wait notes)
        uint8_t* sa = smem + s * STAGE_BYTES;
        mbar_arrive_expect_tx(&full[s], STAGE_BYTES);
        tma_load_2d(sa, &tmA, &full[s], kt * BK, m0);
        tma_load_2d(sa + A_BYTES, &tmB, &full[s], kt * BK, n0);
      }
    }
  } else {
    // ================= consumer warpgroups =================
    setmaxnreg_inc<CONSUMER_REGS>();
    const int c = wg - 1;
    float acc[128];
#pragma unroll
    for (int i = 0; i < 128; ++i) acc[i] = 0.f;
    fence_regs(acc);

    const uint32_t smem_base = smem_u32(smem);
    for (int kt = 0; kt < k_tiles; ++kt) {
      const int s = kt % STAGES;
      mbar_wait(&full[s], (kt / STAGES) & 1);
      // this consumer's 64 rows start 64 * 128 B = 8 swizzle atoms into the A tile
      const uint32_t a_addr = smem_base + s * STAGE_BYTES + c * 64 * SW128_ROW_BYTES;
      const uint32_t b_addr = smem_base + s * STAGE_BYTES + A_BYTES;
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk)
        wgmma_m64n256k16(acc, make_desc_kmajor_sw128(a_addr + kk * 32),
                         make_desc_kmajor_sw128(b_addr + kk * 32), 1);
      wgmma_commit();
      wgmma_wait<1>();  // group kt-1 done: its slot can be refilled
      if (kt > 0) {
        __syncwarp();
        if (lane == 0) mbar_arrive(&empty[(kt - 1) % STAGES]);
      }
    }
    wgmma_wait<0>();
    fence_regs(acc);
    store_fragment_bf16(acc, C, M, N, m0 + c * 64, n0, epi, bias);
  }
}

void launch(const GemmProblem& p, cudaStream_t stream) {
  static bool configured = false;
  if (!configured) {
    CUDA_CHECK(cudaFuncSetAttribute(gemm_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES));
    configured = true;
  }
  const CUtensorMap tmA = cached_tmap_kmajor_sw128(p.A, p.M, p.K, BM);
  const CUtensorMap tmB = cached_tmap_kmajor_sw128(p.B, p.N, p.K, BN);
  const long tiles = (long)((p.M + BM - 1) / BM) * ((p.N + BN - 1) / BN);
  LAB_REQUIRE(tiles < (1l << 31), "too many tiles");
  gemm_kernel<<<(unsigned)tiles, THREADS, SMEM_BYTES, stream>>>(tmA, tmB, p.bias, p.C, p.M, p.N, p.K, p.epi);
}

}  // namespace v3

int main(int argc, char** argv) { return gemm_lab_main(argc, argv, "v3_warpspec", v3::launch, 8); }
