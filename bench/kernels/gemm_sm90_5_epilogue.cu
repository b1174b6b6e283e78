// gemm_sm90_5_epilogue.cu — version 5: v4 with a shared-memory-staged, coalesced epilogue.
//
//   C[M,N] = epi(op(a) @ op(b)), bf16 in/out, fp32 accumulation (see gemm_common.cuh)
//
// Everything up to the epilogue is v4 (persistent, 2-CTA clusters with B multicast, producer +
// 2 consumer warpgroups, 128x256x64 tiles, 4 stages, all four layouts; GEMM_V4_CLUSTER and
// GEMM_MN_SWAP work the same way). What changes is how a consumer writes its 64x256 fragment:
//   v4: straight from registers, one 4-byte store per column pair: each warp store instruction
//       touches 8 rows x 16 bytes, i.e. 8 half-used 32-byte sectors.
//   v5: in two halves of 64x128: (1) named barrier of the warpgroup, (2) registers -> smem
//       staging buffer (16 KB per consumer, rows of 256 B, the 16-byte chunk q of row r stored at
//       chunk q ^ (r % 8): the 8 rows written by one warp instruction then hit 8 different chunk
//       columns = 32 distinct banks), (3) named barrier, (4) each thread copies 16-byte chunks to
//       global: a warp writes 2 full 256-byte row segments per instruction (fully used sectors).
//   Shared memory: 4 x 48 KB stages + 2 x 16 KB staging + barriers + 1 KB alignment slack =
//   230464 B <= 227 KB (232448 B).
// Expected gain over v4: a few percent at 4096^3 (the epilogue is a larger share of a tile's time
// when K is smaller), less at 8192^3. If v5 fails and v4 passes, the bug is in the staging code.
//
// Build: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a gemm_sm90_5_epilogue.cu
#include "gemm_common.cuh"

namespace v5 {

constexpr int BM = 128, BN = 256, BK = 64, STAGES = 4;
constexpr int CONSUMERS = 2;
constexpr int THREADS = 128 * (1 + CONSUMERS);  // 384
constexpr int PRODUCER_REGS = 40, CONSUMER_REGS = 232;
constexpr int LAUNCH_REGS = (65536 / THREADS) / 8 * 8;  // 168
#ifndef GEMM_GROUP_M
#define GEMM_GROUP_M 16  // tuning knob: nvcc -DGEMM_GROUP_M=8 (or NVCC_FLAGS=... in gemm_lab.sh)
#endif
constexpr int GROUP_M_TILES = GEMM_GROUP_M;  // raster: this many tile rows share a B column panel in L2
constexpr int A_BYTES = BM * BK * 2;            // 16 KB
constexpr int B_BYTES = BN * BK * 2;            // 32 KB
constexpr int STAGE_BYTES = A_BYTES + B_BYTES;  // 48 KB
constexpr int HALF_N = BN / 2;                              // epilogue works in 64 x 128 halves
constexpr int STG_ROW_BYTES = HALF_N * 2;                   // 256 B
constexpr int STG_BYTES = 64 * STG_ROW_BYTES;               // 16 KB per consumer warpgroup
constexpr int STG_OFFSET = STAGES * STAGE_BYTES;
constexpr int BAR_OFFSET = STG_OFFSET + CONSUMERS * STG_BYTES;
constexpr int SMEM_BYTES = 1024 + BAR_OFFSET + 2 * STAGES * 8;
static_assert(STG_ROW_BYTES / 16 == 16, "16 chunks of 16 B per staging row (XOR with r%8 stays inside)");

static_assert(BK * 2 == SW128_ROW_BYTES, "TMA box inner extent = one 128-byte swizzle row");
static_assert(A_BYTES % SW128_ATOM_BYTES == 0 && STAGE_BYTES % SW128_ATOM_BYTES == 0,
              "every A/B tile must start 1024-byte aligned (descriptor base offset 0)");
static_assert(BM == 64 * CONSUMERS && BN == 256, "consumer c: rows 64c..64c+63, all 256 columns");
static_assert(SMEM_BYTES <= 227 * 1024, "fits the sm_90 opt-in shared memory (227 KB)");
static_assert(128 * PRODUCER_REGS + 128 * CONSUMERS * CONSUMER_REGS <= THREADS * LAUNCH_REGS,
              "setmaxnreg budget exceeds the block's register pool");

constexpr int MN_CHUNK = 64;                           // MN elements per 128-byte row
constexpr int MN_CHUNK_BYTES = BK * SW128_ROW_BYTES;   // one {64 MN, BK k} box: 8 KB
static_assert(BM % MN_CHUNK == 0 && BN % MN_CHUNK == 0, "MN-major tiles are whole 64-wide chunks");
static_assert((BM / MN_CHUNK) * MN_CHUNK_BYTES == A_BYTES && (BN / MN_CHUNK) * MN_CHUNK_BYTES == B_BYTES,
              "MN-major chunks fill exactly the bytes of the K-major box (same expect_tx)");

struct TileMap {
  int tiles_m, tiles_n, pairs_m, num_pairs;
  // pair p -> (pm, tn), grouped so that consecutive pairs walk down M inside a band of columns
  __device__ void pair_coords(int p, int cl, int& pm, int& tn) const {
    const int gp = max(1, GROUP_M_TILES / cl);
    const int per_group = gp * tiles_n;
    const int g = p / per_group, first = g * gp;
    const int rows = min(gp, pairs_m - first);
    const int r = p % per_group;
    pm = first + r % rows;
    tn = r / rows;
  }
};

// Named barrier for one warpgroup (ids 1, 2; 0 is __syncthreads).
__device__ __forceinline__ void wg_bar(int id) { asm volatile("bar.sync %0, 128;\n" ::"r"(id) : "memory"); }

// Writes one consumer's 64x256 accumulator fragment (layout: store_fragment in
// gemm_common.cuh) to C through the 16 KB staging buffer `stg`, in two 64x128 halves.
__device__ __forceinline__ void store_tile_staged(const float (&d)[128], uint8_t* stg, int bar_id,
                                                  bf16* C, int M, int N, int row0, int col0, int epi,
                                                  const bf16* bias) {
  const int t = threadIdx.x % 128, w = t / 32, l = t % 32;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    wg_bar(bar_id);  // previous reads of the staging buffer are done
#pragma unroll
    for (int i = 64 * h; i < 64 * h + 64; i += 2) {
      const int r = 16 * w + l / 4 + 8 * ((i / 2) % 2);     // 0..63
      const int q = i / 4 - 16 * h;                          // 16-byte chunk in the half row
      const int col = col0 + 128 * h + 8 * q + 2 * (l % 4);  // global column of d[i]
      float v0 = d[i], v1 = d[i + 1];
      if (epi != EPI_NONE) {  // bias index guarded: columns >= N are computed but never stored
        v0 = apply_epi(v0, epi, bias, min(col, N - 1));
        v1 = apply_epi(v1, epi, bias, min(col + 1, N - 1));
      }
      *reinterpret_cast<__nv_bfloat162*>(stg + r * STG_ROW_BYTES + ((q ^ (r & 7)) << 4) + 4 * (l % 4)) =
          __floats2bfloat162_rn(v0, v1);
    }
    wg_bar(bar_id);  // the half tile is in shared memory
    const bool vec_ok = (N % 8) == 0;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int g = t + 128 * j;  // chunk id: 16 per row, 64 rows
      const int r = g / 16, q = g % 16;
      const int grow = row0 + r, gcol = col0 + 128 * h + 8 * q;
      if (grow >= M || gcol >= N) continue;
      const uint4 v = *reinterpret_cast<const uint4*>(stg + r * STG_ROW_BYTES + ((q ^ (r & 7)) << 4));
      bf16* dst = C + (size_t)grow * N + gcol;
      if (vec_ok && gcol + 8 <= N) {
        *reinterpret_cast<uint4*>(dst) = v;
      } else {
        const uint32_t wv[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int x = 0; x < 8; ++x)  // constant indices: stays in registers
          if (gcol + x < N) {
            const uint16_t bits = (uint16_t)(wv[x / 2] >> (16 * (x % 2)));
            dst[x] = __ushort_as_bfloat16(bits);
          }
      }
    }
  }
}

template <int CL, bool A_MN, bool B_MN>
__global__ void __launch_bounds__(THREADS, 1)
    gemm_kernel(const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB,
                const bf16* __restrict__ bias, bf16* __restrict__ C, float* __restrict__ Cf, int M, int N, int K, int epi,
                TileMap tmap, int mn_swap) {
  static_assert(CL == 1 || CL == 2, "cluster of 1 or 2 CTAs along M");
  constexpr int B_SLICE_ROWS = BN / CL;                        // B rows (N) this CTA loads
  constexpr int B_SLICE_BYTES = B_SLICE_ROWS * SW128_ROW_BYTES;
  static_assert(B_SLICE_ROWS % 8 == 0 && B_SLICE_BYTES % SW128_ATOM_BYTES == 0,
                "a B slice is whole swizzle atoms, so its smem offset keeps the atoms aligned");
  static_assert(B_SLICE_ROWS % MN_CHUNK == 0 && B_SLICE_BYTES == (B_SLICE_ROWS / MN_CHUNK) * MN_CHUNK_BYTES,
                "N-major B: a slice is whole 64-wide chunks and has the same bytes/offset");

  extern __shared__ uint8_t smem_raw[];
  // The multicast writes at the same offset in every CTA: the aligned base must be at the same
  // offset in each CTA too. It is, since all CTAs run the same kernel with the same smem layout.
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  uint64_t* full = reinterpret_cast<uint64_t*>(smem + BAR_OFFSET);
  uint64_t* empty = full + STAGES;

  const int tid = threadIdx.x;
  const int wg = tid / 128, lane = tid % 32, warp_in_wg = (tid % 128) / 32;
  const int rank = CL == 1 ? 0 : (int)cluster_ctarank();
  const int cluster_id = blockIdx.x / CL, num_clusters = gridDim.x / CL;
  const int k_tiles = (K + BK - 1) / BK;

  if (tid == 0) {
    tma_prefetch_desc(&tmA);
    tma_prefetch_desc(&tmB);
    for (int s = 0; s < STAGES; ++s) {
      mbar_init(&full[s], 1);
      mbar_init(&empty[s], CL * CONSUMERS * 4);
    }
    fence_mbar_init();
  }
  // every CTA's barriers must be initialised before any peer multicasts into them
  if (CL > 1) cluster_sync(); else __syncthreads();

  if (wg == 0) {
    // ================= producer =================
    setmaxnreg_dec<PRODUCER_REGS>();
    if (warp_in_wg == 0 && lane == 0) {
      uint32_t it = 0;
      for (int p = cluster_id; p < tmap.num_pairs; p += num_clusters) {
        int pm, tn;
        tmap.pair_coords(p, CL, pm, tn);
        const int m0 = (pm * CL + rank) * BM, n0 = tn * BN;
        for (int kt = 0; kt < k_tiles; ++kt, ++it) {
          const int s = it % STAGES;
          const uint32_t n = it / STAGES;
          if (CL > 1) mbar_wait_cluster(&empty[s], (n & 1) ^ 1);
          else mbar_wait(&empty[s], (n & 1) ^ 1);
          uint8_t* sa = smem + s * STAGE_BYTES;
          mbar_arrive_expect_tx(&full[s], STAGE_BYTES);  // A + the whole B tile (all slices)
          if (!A_MN) {
            tma_load_2d(sa, &tmA, &full[s], kt * BK, m0);               // box {64 k, 128 m}
          } else {
#pragma unroll
            for (int j = 0; j < BM / MN_CHUNK; ++j)                    // boxes {64 m, 64 k}
              tma_load_2d(sa + j * MN_CHUNK_BYTES, &tmA, &full[s], m0 + j * MN_CHUNK, kt * BK);
          }
          uint8_t* sb = sa + A_BYTES + rank * B_SLICE_BYTES;
          const int nb = n0 + rank * B_SLICE_ROWS;
          const uint16_t mask = (uint16_t)((1u << CL) - 1);
          if (!B_MN) {                                                  // box {64 k, BN/CL n}
            if (CL > 1) tma_load_2d_multicast(sb, &tmB, &full[s], kt * BK, nb, mask);
            else tma_load_2d(sb, &tmB, &full[s], kt * BK, nb);
          } else {
#pragma unroll
            for (int j = 0; j < B_SLICE_ROWS / MN_CHUNK; ++j) {         // boxes {64 n, 64 k}
              if (CL > 1)
                tma_load_2d_multicast(sb + j * MN_CHUNK_BYTES, &tmB, &full[s], nb + j * MN_CHUNK, kt * BK, mask);
              else
                tma_load_2d(sb + j * MN_CHUNK_BYTES, &tmB, &full[s], nb + j * MN_CHUNK, kt * BK);
            }
          }
        }
      }
    }
    __syncwarp();
  } else {
    // ================= consumers =================
    setmaxnreg_inc<CONSUMER_REGS>();
    const int c = wg - 1;
    const uint32_t smem_base = smem_u32(smem);
    const uint32_t mn_lbo = mn_swap ? SW128_ATOM_BYTES : MN_CHUNK_BYTES;
    const uint32_t mn_sbo = mn_swap ? MN_CHUNK_BYTES : SW128_ATOM_BYTES;
    // cluster address of empty[0] in every CTA of the cluster (ours included); empty[s] is 8*s
    // bytes further (mapa is linear inside the shared window). Kept in 1-2 registers rather than
    // an array indexed by the run-time slot, which would go to local memory.
    uint32_t empty_base[CL];
#pragma unroll
    for (int r = 0; r < CL; ++r)
      empty_base[r] = CL > 1 ? mapa_shared(smem_u32(&empty[0]), r) : smem_u32(&empty[0]);
    auto release = [&](int s) {
      __syncwarp();
      if (lane == 0) {
#pragma unroll
        for (int r = 0; r < CL; ++r) {
          if (CL > 1) mbar_arrive_cluster(empty_base[r] + 8u * s);
          else mbar_arrive(&empty[s]);
        }
      }
    };

    float acc[128];
    uint32_t it = 0;
    for (int p = cluster_id; p < tmap.num_pairs; p += num_clusters) {
      int pm, tn;
      tmap.pair_coords(p, CL, pm, tn);
      const int m0 = (pm * CL + rank) * BM, n0 = tn * BN;
#pragma unroll
      for (int i = 0; i < 128; ++i) acc[i] = 0.f;
      fence_regs(acc);
      for (int kt = 0; kt < k_tiles; ++kt, ++it) {
        const int s = it % STAGES;
        mbar_wait(&full[s], (it / STAGES) & 1);
        const uint32_t a_addr = smem_base + s * STAGE_BYTES + c * (A_MN ? MN_CHUNK_BYTES : 64 * SW128_ROW_BYTES);
        const uint32_t b_addr = smem_base + s * STAGE_BYTES + A_BYTES;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < BK / 16; ++kk) {
          const uint64_t da = A_MN ? make_desc_mnmajor_sw128(a_addr + kk * 16 * SW128_ROW_BYTES, mn_lbo, mn_sbo)
                                   : make_desc_kmajor_sw128(a_addr + kk * 32);
          const uint64_t db = B_MN ? make_desc_mnmajor_sw128(b_addr + kk * 16 * SW128_ROW_BYTES, mn_lbo, mn_sbo)
                                   : make_desc_kmajor_sw128(b_addr + kk * 32);
          wgmma_m64n256k16<A_MN ? 1 : 0, B_MN ? 1 : 0>(acc, da, db, 1);
        }
        wgmma_commit();
        wgmma_wait<1>();
        if (kt > 0) release((it - 1) % STAGES);
      }
      wgmma_wait<0>();
      fence_regs(acc);
      release((it - 1) % STAGES);  // last slot of this tile: producer may refill during epilogue
      if (Cf)  // fp32 output: direct stores (the staging buffer is sized for bf16)
        store_fragment(acc, C, Cf, M, N, m0 + c * 64, n0, epi, bias);
      else
        store_tile_staged(acc, smem + STG_OFFSET + c * STG_BYTES, /*bar id*/ 1 + c, C, M, N,
                          m0 + c * 64, n0, epi, bias);
    }
  }
  // no CTA may leave while a peer can still write its smem / arrive on its barriers
  if (CL > 1) cluster_sync();
}

template <int CL, bool A_MN, bool B_MN>
static void launch_cl(const GemmProblem& p, cudaStream_t stream) {
  static int grid = 0;
  static TileMap tm_cached{};
  static int cached_M = -1, cached_N = -1;
  static int mn_swap = -1;
  auto kernel = gemm_kernel<CL, A_MN, B_MN>;
  if (mn_swap < 0) {
    const char* e = std::getenv("GEMM_MN_SWAP");
    mn_swap = (e && std::atoi(e) != 0) ? 1 : 0;
  }
  if (grid == 0) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES));
    if (CL > 1) CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 0));
  }
  if (cached_M != p.M || cached_N != p.N) {
    TileMap t;
    t.tiles_m = (p.M + BM - 1) / BM;
    t.tiles_n = (p.N + BN - 1) / BN;
    t.pairs_m = (t.tiles_m + CL - 1) / CL;
    t.num_pairs = t.pairs_m * t.tiles_n;
    int dev = 0, sms = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    int max_clusters = sms / CL;
    if (CL > 1) {
      cudaLaunchConfig_t cfg = {};
      cudaLaunchAttribute attr[1];
      attr[0].id = cudaLaunchAttributeClusterDimension;
      attr[0].val.clusterDim.x = CL; attr[0].val.clusterDim.y = 1; attr[0].val.clusterDim.z = 1;
      cfg.gridDim = dim3(sms / CL * CL);
      cfg.blockDim = dim3(THREADS);
      cfg.dynamicSmemBytes = SMEM_BYTES;
      cfg.attrs = attr;
      cfg.numAttrs = 1;
      CUDA_CHECK(cudaOccupancyMaxActiveClusters(&max_clusters, kernel, &cfg));
      LAB_REQUIRE(max_clusters > 0, "v5: no cluster of %d CTAs with %d B smem fits", CL, SMEM_BYTES);
    }
    const int clusters = std::min(max_clusters, t.num_pairs);
    grid = clusters * CL;
    tm_cached = t;
    cached_M = p.M; cached_N = p.N;
    std::printf("  v5 launch: cluster=%d, %d clusters (%d CTAs) persistent over %d tile pairs\n", CL,
                clusters, grid, t.num_pairs);
  }
  // K-major operand: tensor [rows = M or N, cols = K]; MN-major: tensor [rows = K, cols = M or N]
  const CUtensorMap tmA = A_MN ? cached_tmap_kmajor_sw128(p.A, p.K, p.M, BK)
                               : cached_tmap_kmajor_sw128(p.A, p.M, p.K, BM);
  const CUtensorMap tmB = B_MN ? cached_tmap_kmajor_sw128(p.B, p.K, p.N, BK)
                               : cached_tmap_kmajor_sw128(p.B, p.N, p.K, BN / CL);
  cudaLaunchConfig_t cfg = {};
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeClusterDimension;
  attr[0].val.clusterDim.x = CL; attr[0].val.clusterDim.y = 1; attr[0].val.clusterDim.z = 1;
  cfg.gridDim = dim3(grid);
  cfg.blockDim = dim3(THREADS);
  cfg.dynamicSmemBytes = SMEM_BYTES;
  cfg.stream = stream;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, tmA, tmB, p.bias, p.C, p.Cf, p.M, p.N, p.K, p.epi, tm_cached, mn_swap));
}

template <int CL>
static void launch_layout(const GemmProblem& p, cudaStream_t stream) {
  const bool a_mn = p.trans_a != 0;   // a stored [K,M]
  const bool b_mn = p.trans_b == 0;   // b stored [K,N]
  if (!a_mn && !b_mn) launch_cl<CL, false, false>(p, stream);       // NT
  else if (!a_mn && b_mn) launch_cl<CL, false, true>(p, stream);    // NN
  else if (a_mn && b_mn) launch_cl<CL, true, true>(p, stream);      // TN
  else launch_cl<CL, true, false>(p, stream);                       // TT
}

void launch(const GemmProblem& p, cudaStream_t stream) {
  static int cl = 0;
  if (cl == 0) {
    const char* e = std::getenv("GEMM_V4_CLUSTER");
    cl = e ? std::atoi(e) : 2;
    LAB_REQUIRE(cl == 1 || cl == 2, "GEMM_V4_CLUSTER must be 1 or 2");
  }
  if (cl == 2) launch_layout<2>(p, stream);
  else launch_layout<1>(p, stream);
}

}  // namespace v5

int main(int argc, char** argv) { return gemm_lab_main(argc, argv, "v5_epilogue", v5::launch,
                                                     LAYOUT_NT | LAYOUT_NN | LAYOUT_TN | LAYOUT_TT); }
