// gemm_sm90_1_wgmma_basic.cu — version 1: the correctness baseline for wgmma descriptors.
//
//   C[M,N] = epi(op(a) @ op(b)), bf16 in/out, fp32 accumulation (see gemm_common.cuh)
//
// One warpgroup (128 threads) per 64x128 output tile. Each K step of 64:
//   1. every thread copies 16-byte chunks of A (64x64) and B (128x64) from global memory into
//      shared memory with plain loads/stores, writing the 128-byte-swizzled layout by hand;
//      out-of-range rows/K are 0;
//        K-major operand (NT): row = m or n, 128 B of K per row, 16-byte unit c of row r at
//          unit c ^ (r % 8) (sw128_offset);
//        MN-major operand (NN/TN/TT): 64-wide chunks along M/N, one 128-byte row per k, unit q of
//          k-row r at q ^ (r % 8); chunk j at j * 8 KB (see make_desc_mnmajor_sw128);
//   2. fence.proxy.async (generic-proxy smem writes -> visible to wgmma) + __syncthreads;
//   3. 4 x wgmma.m64n128k16 (K = 16 each): K-major descriptors advance 32 B per K slice,
//      MN-major ones 16 rows = 2 KB;
//   4. wait for the wgmma group, __syncthreads, next K step. No pipelining at all.
// Slow by design. It shares the descriptors and the fragment store with v2-v5 but not their TMA
// and barriers, so: v1 fails => descriptor / swizzle / fragment map; v1 passes and a later version
// fails on the same layout => TMA boxes or barrier protocol. B's MN-major tile is two 64-wide
// chunks, so v1-NN also exercises the MN-major LBO (chunk stride); GEMM_MN_SWAP=1 swaps LBO/SBO.
//
// Build: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a gemm_sm90_1_wgmma_basic.cu
// Run:   ./gemm_sm90_1_wgmma_basic [M N K] [--layout nt|nn|tn|tt] [--check-only] ...  (--help)
#include "gemm_common.cuh"

namespace v1 {

constexpr int BM = 64, BN = 128, BK = 64;
constexpr int THREADS = 128;  // one warpgroup
constexpr int A_TILE_BYTES = BM * BK * 2;  // 8 KB
constexpr int B_TILE_BYTES = BN * BK * 2;  // 16 KB
constexpr int MN_CHUNK = 64, MN_CHUNK_BYTES = BK * SW128_ROW_BYTES;  // 8 KB per 64-wide chunk
static_assert(BK * 2 == SW128_ROW_BYTES, "a K-major tile row must be exactly one 128-byte swizzle row");
static_assert(BM % 8 == 0 && BN % 8 == 0, "tiles are whole 8-row swizzle atoms");
static_assert(A_TILE_BYTES % SW128_ATOM_BYTES == 0, "B tile must start 1024-aligned after A");
static_assert(BM == 64, "one m64 wgmma covers the whole M tile");
static_assert(BN == 128, "wgmma_m64n128k16 covers the whole N tile");
static_assert(BM % MN_CHUNK == 0 && BN % MN_CHUNK == 0 && MN_CHUNK_BYTES % SW128_ATOM_BYTES == 0,
              "MN-major tiles are whole 1024-aligned 64-wide chunks");

// Copies one operand tile (EXT rows of M or N, BK of K) into smem in the swizzled layout.
//   K-major (MN == false): X is [dim, K] row-major; tile rows mn0..mn0+EXT-1, columns k0..k0+63.
//   MN-major (MN == true): X is [K, dim] row-major; tile k-rows k0..k0+63, columns mn0..mn0+EXT-1.
template <bool MN, int EXT>
__device__ __forceinline__ void load_tile(uint8_t* s, const bf16* __restrict__ X, int dim, int K,
                                          int mn0, int k0, int tid) {
  if (!MN) {
    constexpr int UNITS = BK / 8;  // 16-byte units per row
#pragma unroll
    for (int c = tid; c < EXT * UNITS; c += THREADS) {
      const int r = c / UNITS, kc = c % UNITS;
      const int gr = mn0 + r, gk = k0 + kc * 8;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (gr < dim && gk < K) v = *reinterpret_cast<const uint4*>(X + (size_t)gr * K + gk);
      *reinterpret_cast<uint4*>(s + sw128_offset(r, kc * 8)) = v;
    }
  } else {
    constexpr int UNITS = EXT / 8;  // 16-byte units per k-row (over all chunks)
#pragma unroll
    for (int c = tid; c < BK * UNITS; c += THREADS) {
      const int r = c / UNITS, u = c % UNITS;  // r: k within the tile, u: unit along M/N
      const int j = u / 8, q = u % 8;          // chunk, unit within the chunk's 128-byte row
      const int gk = k0 + r, gmn = mn0 + 8 * u;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (gk < K && gmn < dim) v = *reinterpret_cast<const uint4*>(X + (size_t)gk * dim + gmn);
      *reinterpret_cast<uint4*>(s + j * MN_CHUNK_BYTES + r * SW128_ROW_BYTES + ((q ^ (r & 7)) << 4)) = v;
    }
  }
}

template <bool A_MN, bool B_MN>
__global__ void __launch_bounds__(THREADS) gemm_kernel(const bf16* __restrict__ A,
                                                       const bf16* __restrict__ B,
                                                       const bf16* __restrict__ bias,
                                                       bf16* __restrict__ C, float* __restrict__ Cf, int M, int N, int K,
                                                       int epi, int mn_swap) {
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
  const uint32_t mn_lbo = mn_swap ? SW128_ATOM_BYTES : MN_CHUNK_BYTES;
  const uint32_t mn_sbo = mn_swap ? MN_CHUNK_BYTES : SW128_ATOM_BYTES;

  for (int k0 = 0; k0 < K; k0 += BK) {
    // ---- global -> shared, 16-byte units (pitches are multiples of 8: a unit is wholly in or out)
    load_tile<A_MN, BM>(sA, A, M, K, m0, k0, tid);
    load_tile<B_MN, BN>(sB, B, N, K, n0, k0, tid);
    fence_proxy_async_smem();  // our st.shared must be visible to the async proxy (wgmma)
    __syncthreads();

    // ---- 4 wgmma K slices of 16
    wgmma_fence();
    fence_regs(acc);
#pragma unroll
    for (int kk = 0; kk < BK / 16; ++kk) {
      const uint64_t da = A_MN ? make_desc_mnmajor_sw128(sA_addr + kk * 16 * SW128_ROW_BYTES, mn_lbo, mn_sbo)
                               : make_desc_kmajor_sw128(sA_addr + kk * 32);
      const uint64_t db = B_MN ? make_desc_mnmajor_sw128(sB_addr + kk * 16 * SW128_ROW_BYTES, mn_lbo, mn_sbo)
                               : make_desc_kmajor_sw128(sB_addr + kk * 32);
      wgmma_m64n128k16<A_MN ? 1 : 0, B_MN ? 1 : 0>(acc, da, db, 1);  // acc starts at 0
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_regs(acc);
    __syncthreads();  // everyone done reading smem (wgmma complete) before it is overwritten
  }

  store_fragment(acc, C, Cf, M, N, m0, n0, epi, bias);
}

template <bool A_MN, bool B_MN>
static void launch_layout(const GemmProblem& p, cudaStream_t stream) {
  static int mn_swap = -1;
  if (mn_swap < 0) {
    const char* e = std::getenv("GEMM_MN_SWAP");
    mn_swap = (e && std::atoi(e) != 0) ? 1 : 0;
    if (mn_swap && (A_MN || B_MN)) std::printf("  v1: GEMM_MN_SWAP=1, MN-major LBO/SBO swapped\n");
  }
  dim3 grid((p.N + BN - 1) / BN, (p.M + BM - 1) / BM);
  LAB_REQUIRE(grid.y <= 65535, "M too large for v1's grid");
  gemm_kernel<A_MN, B_MN><<<grid, THREADS, 0, stream>>>(p.A, p.B, p.bias, p.C, p.Cf, p.M, p.N, p.K, p.epi, mn_swap);
}

void launch(const GemmProblem& p, cudaStream_t stream) {
  const bool a_mn = p.trans_a != 0;   // a stored [K,M]
  const bool b_mn = p.trans_b == 0;   // b stored [K,N]
  if (!a_mn && !b_mn) launch_layout<false, false>(p, stream);       // NT
  else if (!a_mn && b_mn) launch_layout<false, true>(p, stream);    // NN
  else if (a_mn && b_mn) launch_layout<true, true>(p, stream);      // TN
  else launch_layout<true, false>(p, stream);                       // TT
}

}  // namespace v1

int main(int argc, char** argv) {
  return gemm_lab_main(argc, argv, "v1_wgmma_basic", v1::launch,
                       LAYOUT_NT | LAYOUT_NN | LAYOUT_TN | LAYOUT_TT);
}
