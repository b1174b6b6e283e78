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
// Layouts (Triad trans flags, see gemm_common.cuh): all four. Template flags A_MN / B_MN say that
// an operand is M-/N-major in memory (A_MN = trans_a: a stored [K,M]; B_MN = !trans_b: b stored
// [K,N]). Such an operand is loaded as 64-wide MN chunks (one TMA box {64 MN, 64 K} each: 2 for
// A's 128 rows, 4 for B's 256 columns, 8 KB apiece, the same bytes per stage as the K-major box)
// and read by wgmma with imm-trans = 1 through make_desc_mnmajor_sw128 (LBO = 8 KB between
// chunks, SBO = 1 KB between 8-k-row groups, +2 KB per k16 slice). GEMM_MN_SWAP=1 swaps LBO and
// SBO at run time, a one-flag test if only the MN-major layouts fail.
//   NT (0,1): A K-major,  B K-major   — linear forward y = x W^T   (the tuned path)
//   NN (0,0): A K-major,  B N-major   — dx = dy W
//   TN (1,0): A M-major,  B N-major   — dW = dy^T x
//   TT (1,1): A M-major,  B K-major
//
// Build: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a gemm_sm90_3_warpspec.cu
#include "gemm_common.cuh"

namespace v3 {

constexpr int BM = 128, BN = 256, BK = 64, STAGES = 4;
constexpr int CONSUMERS = 2;                       // consumer warpgroups
constexpr int THREADS = 128 * (1 + CONSUMERS);     // 384
constexpr int PRODUCER_REGS = 40, CONSUMER_REGS = 232;
constexpr int LAUNCH_REGS = (65536 / THREADS) / 8 * 8;  // 168: what __launch_bounds__(384,1) gives
#ifndef GEMM_GROUP_M
#define GEMM_GROUP_M 16  // tuning knob: nvcc -DGEMM_GROUP_M=8 (or NVCC_FLAGS=... in gemm_lab.sh)
#endif
constexpr int GROUP_M = GEMM_GROUP_M;
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

constexpr int MN_CHUNK = 64;                           // MN elements per 128-byte row
constexpr int MN_CHUNK_BYTES = BK * SW128_ROW_BYTES;   // one {64 MN, BK k} box: 8 KB
static_assert(BM % MN_CHUNK == 0 && BN % MN_CHUNK == 0, "MN-major tiles are whole 64-wide chunks");
static_assert(MN_CHUNK_BYTES % SW128_ATOM_BYTES == 0, "chunks start 1024-aligned");
static_assert((BM / MN_CHUNK) * MN_CHUNK_BYTES == A_BYTES && (BN / MN_CHUNK) * MN_CHUNK_BYTES == B_BYTES,
              "MN-major chunks fill exactly the bytes of the K-major box (same expect_tx)");

template <bool A_MN, bool B_MN>
__global__ void __launch_bounds__(THREADS, 1)
    gemm_kernel(const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB,
                const bf16* __restrict__ bias, bf16* __restrict__ C, float* __restrict__ Cf, int M, int N, int K, int epi,
                int mn_swap) {
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
        uint8_t* sb = sa + A_BYTES;
        mbar_arrive_expect_tx(&full[s], STAGE_BYTES);
        if (!A_MN) {
          tma_load_2d(sa, &tmA, &full[s], kt * BK, m0);             // box {64 k, 128 m}
        } else {
#pragma unroll
          for (int j = 0; j < BM / MN_CHUNK; ++j)                  // boxes {64 m, 64 k}
            tma_load_2d(sa + j * MN_CHUNK_BYTES, &tmA, &full[s], m0 + j * MN_CHUNK, kt * BK);
        }
        if (!B_MN) {
          tma_load_2d(sb, &tmB, &full[s], kt * BK, n0);             // box {64 k, 256 n}
        } else {
#pragma unroll
          for (int j = 0; j < BN / MN_CHUNK; ++j)                  // boxes {64 n, 64 k}
            tma_load_2d(sb + j * MN_CHUNK_BYTES, &tmB, &full[s], n0 + j * MN_CHUNK, kt * BK);
        }
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
    const uint32_t mn_lbo = mn_swap ? SW128_ATOM_BYTES : MN_CHUNK_BYTES;
    const uint32_t mn_sbo = mn_swap ? MN_CHUNK_BYTES : SW128_ATOM_BYTES;
    for (int kt = 0; kt < k_tiles; ++kt) {
      const int s = kt % STAGES;
      mbar_wait(&full[s], (kt / STAGES) & 1);
      // this consumer's 64 rows: K-major, 64 rows * 128 B = 8 atoms into the A tile; MN-major,
      // A chunk c (8 KB each)
      const uint32_t a_addr = smem_base + s * STAGE_BYTES + c * (A_MN ? MN_CHUNK_BYTES : 64 * SW128_ROW_BYTES);
      const uint32_t b_addr = smem_base + s * STAGE_BYTES + A_BYTES;
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk) {
        // K-major: k16 slice = +32 B inside the swizzled rows; MN-major: +16 rows = +2 KB
        const uint64_t da = A_MN ? make_desc_mnmajor_sw128(a_addr + kk * 16 * SW128_ROW_BYTES, mn_lbo, mn_sbo)
                                 : make_desc_kmajor_sw128(a_addr + kk * 32);
        const uint64_t db = B_MN ? make_desc_mnmajor_sw128(b_addr + kk * 16 * SW128_ROW_BYTES, mn_lbo, mn_sbo)
                                 : make_desc_kmajor_sw128(b_addr + kk * 32);
        wgmma_m64n256k16<A_MN ? 1 : 0, B_MN ? 1 : 0>(acc, da, db, 1);
      }
      wgmma_commit();
      wgmma_wait<1>();  // group kt-1 done: its slot can be refilled
      if (kt > 0) {
        __syncwarp();
        if (lane == 0) mbar_arrive(&empty[(kt - 1) % STAGES]);
      }
    }
    wgmma_wait<0>();
    fence_regs(acc);
    store_fragment(acc, C, Cf, M, N, m0 + c * 64, n0, epi, bias);
  }
}

template <bool A_MN, bool B_MN>
static void launch_layout(const GemmProblem& p, cudaStream_t stream) {
  static bool configured = false;
  static int mn_swap = -1;
  auto kernel = gemm_kernel<A_MN, B_MN>;
  if (!configured) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES));
    configured = true;
  }
  if (mn_swap < 0) {
    const char* e = std::getenv("GEMM_MN_SWAP");
    mn_swap = (e && std::atoi(e) != 0) ? 1 : 0;
    if (mn_swap && (A_MN || B_MN)) std::printf("  v3: GEMM_MN_SWAP=1, MN-major LBO/SBO swapped\n");
  }
  // K-major operand: tensor [rows = M or N, cols = K], box {64 k, BM or BN rows}.
  // MN-major operand: tensor [rows = K, cols = M or N], box {64 mn, BK k-rows}.
  const CUtensorMap tmA = A_MN ? cached_tmap_kmajor_sw128(p.A, p.K, p.M, BK)
                               : cached_tmap_kmajor_sw128(p.A, p.M, p.K, BM);
  const CUtensorMap tmB = B_MN ? cached_tmap_kmajor_sw128(p.B, p.K, p.N, BK)
                               : cached_tmap_kmajor_sw128(p.B, p.N, p.K, BN);
  const long tiles = (long)((p.M + BM - 1) / BM) * ((p.N + BN - 1) / BN);
  LAB_REQUIRE(tiles < (1l << 31), "too many tiles");
  kernel<<<(unsigned)tiles, THREADS, SMEM_BYTES, stream>>>(tmA, tmB, p.bias, p.C, p.Cf, p.M, p.N, p.K, p.epi, mn_swap);
}

void launch(const GemmProblem& p, cudaStream_t stream) {
  const bool a_mn = p.trans_a != 0;   // a stored [K,M]
  const bool b_mn = p.trans_b == 0;   // b stored [K,N]
  if (!a_mn && !b_mn) launch_layout<false, false>(p, stream);       // NT
  else if (!a_mn && b_mn) launch_layout<false, true>(p, stream);    // NN
  else if (a_mn && b_mn) launch_layout<true, true>(p, stream);      // TN
  else launch_layout<true, false>(p, stream);                       // TT
}

}  // namespace v3

int main(int argc, char** argv) { return gemm_lab_main(argc, argv, "v3_warpspec", v3::launch,
                                                     LAYOUT_NT | LAYOUT_NN | LAYOUT_TN | LAYOUT_TT); }
