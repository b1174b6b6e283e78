// Matmul with optional bias and fused epilogues, every transpose form, batched, any size.
//   bf16: on sm_90 devices (with sm_90a code in this build), TMA-aligned operands go to the
//         warp-specialised wgmma + TMA kernel of matmul_sm90.cu unless TRIAD_GEMM_SM80=1; every
//         other bf16 call runs the tensor-core kernel here: mma.sync m16n8k16 (sm_80+), fp32
//         accumulation, 128x128x32 block tiles in a three-stage cp.async pipeline, fragments via
//         ldmatrix (.trans for the transposed forms).
//   f32:  a SIMT fp32 kernel (64x64x16 tiles, 4x4 outputs per thread): exact fp32, as the CPU.
// Epilogue per element (matmul_epilogue.cuh, shared by all kernels): v = acc + bias[n]; GELU:
// pre = v, v = gelu(v); GELU_BACKWARD: v = v * gelu'(pre); then out = v (or out += v with
// accumulate).
#include "cuda/common.cuh"
#include "cuda/matmul_epilogue.cuh"
#include "cuda/matmul_sm90.h"
#include "cuda/mma.cuh"

namespace triad::cuda {

namespace {

using gemm::GemmArgs;
using gemm::epilogue_pair;
using gemm::epilogue_store;
using gemm::kNone;

// ---------------- bf16 tensor-core kernel ----------------
constexpr int BM = 128, BN = 128, BK = 32, kThreads = 256, kPad = 8, kStages = 3;

template <bool TA, bool TB>
constexpr size_t gemm_smem_bytes() {
  return sizeof(bf16) * kStages *
         ((TA ? BK * (BM + kPad) : BM * (BK + kPad)) + (TB ? BN * (BK + kPad) : BK * (BN + kPad)));
}

// Copies a ROWS x COLS tile (COLS contiguous in global memory, leading dimension ld) starting at
// (r0, c0) into shared memory with row stride SLD, zero-filling outside [rlim) x [clim).
// vec: 16-byte cp.async (needs ld % 8 == 0 and a 16-byte aligned base); else element loads.
template <int ROWS, int COLS, int SLD>
__device__ __forceinline__ void load_tile(bf16* s, const bf16* g, int ld, int r0, int rlim, int c0, int clim,
                                          bool vec) {
  constexpr int kVecs = ROWS * COLS / 8;
  static_assert(kVecs % kThreads == 0, "tile must split evenly over the block");
#pragma unroll
  for (int it = 0; it < kVecs / kThreads; ++it) {
    const int v = threadIdx.x + it * kThreads;
    const int r = v / (COLS / 8), c = (v % (COLS / 8)) * 8;
    const int gr = r0 + r, gc = c0 + c;
    bf16* dst = s + r * SLD + c;
    const bf16* src = g + (int64_t)gr * ld + gc;
    if (vec) {
      const int bytes = (gr < rlim && gc < clim) ? min(8, clim - gc) * 2 : 0;
      cp_async16(dst, bytes ? src : g, bytes);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        dst[e] = (gr < rlim && gc + e < clim) ? src[e] : __float2bfloat16_rn(0.0f);
    }
  }
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(kThreads, 2) gemm_bf16_mma_kernel(GemmArgs<bf16> p) {
  constexpr int A_ROWS = TA ? BK : BM, A_COLS = TA ? BM : BK, A_LD = A_COLS + kPad;
  constexpr int B_ROWS = TB ? BN : BK, B_COLS = TB ? BK : BN, B_LD = B_COLS + kPad;
  constexpr int A_ELEMS = A_ROWS * A_LD, B_ELEMS = B_ROWS * B_LD;
  extern __shared__ __align__(16) unsigned char gemm_smem[];
  bf16* smem_a = reinterpret_cast<bf16*>(gemm_smem);  // [kStages][A_ELEMS]
  bf16* smem_b = smem_a + kStages * A_ELEMS;           // [kStages][B_ELEMS]

  // dimensions fit in int (checked by the launcher); only element offsets need 64 bits
  const int M = (int)p.M, N = (int)p.N, K = (int)p.K;
  const int64_t bz = blockIdx.z;
  const bf16* A = p.a + bz * M * (int64_t)K;
  const bf16* B = p.b + bz * K * (int64_t)N;
  // Grouped rasterization: consecutive blocks walk kGroupM tile rows of one tile column band, so
  // the A rows and B columns a wave of blocks touches stay in L2 (large N x K operands).
  constexpr int kGroupM = 8;
  int m_tile, n_tile;
  {
    const int tiles_m = gridDim.y, tiles_n = gridDim.x;
    const int id = blockIdx.y * tiles_n + blockIdx.x;
    const int group = id / (kGroupM * tiles_n), first_m = group * kGroupM;
    const int rows = min(kGroupM, tiles_m - first_m);
    m_tile = first_m + (id % (kGroupM * tiles_n)) % rows;
    n_tile = (id % (kGroupM * tiles_n)) / rows;
  }
  const int m_blk = m_tile * BM, n_blk = n_tile * BN;
  const int a_ld = TA ? M : K, b_ld = TB ? K : N;
  const bool a_vec = a_ld % 8 == 0 && (reinterpret_cast<uintptr_t>(A) & 15) == 0;
  const bool b_vec = b_ld % 8 == 0 && (reinterpret_cast<uintptr_t>(B) & 15) == 0;

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp / 4, wn = warp % 4;  // 2 x 4 warps, each a 64 x 32 output tile

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

  auto load_stage = [&](int stage, int k0) {
    bf16* sa = smem_a + stage * A_ELEMS;
    bf16* sb = smem_b + stage * B_ELEMS;
    if (TA) load_tile<A_ROWS, A_COLS, A_LD>(sa, A, a_ld, k0, K, m_blk, M, a_vec);
    else    load_tile<A_ROWS, A_COLS, A_LD>(sa, A, a_ld, m_blk, M, k0, K, a_vec);
    if (TB) load_tile<B_ROWS, B_COLS, B_LD>(sb, B, b_ld, n_blk, N, k0, K, b_vec);
    else    load_tile<B_ROWS, B_COLS, B_LD>(sb, B, b_ld, k0, K, n_blk, N, b_vec);
  };

  // kStages-deep cp.async pipeline: tile kt + kStages - 1 streams in while tile kt is multiplied.
  // One commit group per tile (empty past the end) keeps the wait count uniform.
  const int nk = (K + BK - 1) / BK;
#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < nk) load_stage(st, st * BK);
    cp_async_commit();
  }
  for (int kt = 0; kt < nk; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();  // tile kt has landed for all; the stage refilled below was consumed at kt-1
    const int next = kt + kStages - 1;
    if (next < nk) load_stage(next % kStages, next * BK);
    cp_async_commit();
    const bf16* sa = smem_a + (kt % kStages) * A_ELEMS;
    const bf16* sb = smem_b + (kt % kStages) * B_ELEMS;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      uint32_t af[4][4], bfr[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) {
        const int m0 = wm * 64 + mi * 16;
        const bf16* ptr = TA ? sa + (kk + (lane & 7) + (lane >> 4) * 8) * A_LD + m0 + ((lane >> 3) & 1) * 8
                             : sa + (m0 + (lane & 15)) * A_LD + kk + (lane >> 4) * 8;
        ldmatrix_x4<TA>(af[mi], ptr);
      }
#pragma unroll
      for (int np = 0; np < 2; ++np) {
        const int n0 = wn * 32 + np * 16;
        const bf16* ptr = TB ? sb + (n0 + (lane & 7) + (lane >> 4) * 8) * B_LD + kk + ((lane >> 3) & 1) * 8
                             : sb + (kk + (lane & 7) + ((lane >> 3) & 1) * 8) * B_LD + n0 + (lane >> 4) * 8;
        uint32_t r[4];
        ldmatrix_x4<!TB>(r, ptr);
        bfr[2 * np][0] = r[0];
        bfr[2 * np][1] = r[1];
        bfr[2 * np + 1][0] = r[2];
        bfr[2 * np + 1][1] = r[3];
      }
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) mma_bf16(acc[mi][ni], af[mi], bfr[ni][0], bfr[ni][1]);
    }
  }
  cp_async_wait<0>();  // no copy may still target shared memory when the block exits

  const int64_t bofs = bz * M * (int64_t)N;
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni) {
      const int64_t m = m_blk + wm * 64 + mi * 16 + (lane >> 2);
      const int64_t n = n_blk + wn * 32 + ni * 8 + (lane & 3) * 2;
      epilogue_pair(p, bofs, m, n, acc[mi][ni][0], acc[mi][ni][1]);
      epilogue_pair(p, bofs, m + 8, n, acc[mi][ni][2], acc[mi][ni][3]);
    }
}

// ---------------- f32 SIMT kernel ----------------
constexpr int FM = 64, FN = 64, FK = 16;

template <bool TA, bool TB>
__global__ void __launch_bounds__(256) gemm_f32_kernel(GemmArgs<float> p) {
  __shared__ float sa[FK][FM + 4];  // [k][m]
  __shared__ float sb[FK][FN + 4];  // [k][n]
  const int64_t M = p.M, N = p.N, K = p.K;
  const int64_t bz = blockIdx.z;
  const float* A = p.a + bz * M * K;
  const float* B = p.b + bz * K * N;
  const int64_t m_blk = (int64_t)blockIdx.y * FM, n_blk = (int64_t)blockIdx.x * FN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;  // 16 x 16 threads, 4 x 4 outputs each
  float acc[4][4] = {};
  for (int64_t k0 = 0; k0 < K; k0 += FK) {
    // 1024 elements of each tile, 4 per thread; the contiguous global dimension varies fastest
#pragma unroll
    for (int it = 0; it < 4; ++it) {
      const int e = threadIdx.x + it * 256;
      int m, k;
      if (TA) { m = e % FM; k = e / FM; } else { k = e % FK; m = e / FK; }
      const int64_t gm = m_blk + m, gk = k0 + k;
      sa[k][m] = (gm < M && gk < K) ? (TA ? A[gk * M + gm] : A[gm * K + gk]) : 0.0f;
      int n, kb;
      if (TB) { kb = e % FK; n = e / FK; } else { n = e % FN; kb = e / FN; }
      const int64_t gn = n_blk + n, gkb = k0 + kb;
      sb[kb][n] = (gn < N && gkb < K) ? (TB ? B[gn * K + gkb] : B[gkb * N + gn]) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < FK; ++k) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) av[i] = sa[k][ty * 4 + i];
#pragma unroll
      for (int j = 0; j < 4; ++j) bv[j] = sb[k][tx * 4 + j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
  const int64_t bofs = bz * M * N;
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) epilogue_store(p, bofs, m_blk + ty * 4 + i, n_blk + tx * 4 + j, acc[i][j]);
}


template <class T>
void launch(const GemmArgs<T>& p, int64_t batch, bool ta, bool tb) {
  if (batch > 65535) fail(TRIAD_ERR_UNSUPPORTED, "batch > 65535 is not supported on cuda");
  if (p.M > INT32_MAX - 256 || p.N > INT32_MAX - 256 || p.K > INT32_MAX - 256) {
    fail(TRIAD_ERR_UNSUPPORTED, "matmul dimensions must be < 2^31 on cuda");
  }
  if constexpr (std::is_same_v<T, bf16>) {
    dim3 grid((unsigned)((p.N + BN - 1) / BN), (unsigned)((p.M + BM - 1) / BM), (unsigned)batch);
    if (grid.y > 65535) fail(TRIAD_ERR_UNSUPPORTED, "M too large for one launch");
    auto go = [&](auto kernel, size_t bytes) {
      allow_dynamic_smem(reinterpret_cast<const void*>(kernel), bytes);
      kernel<<<grid, kThreads, bytes, stream()>>>(p);
    };
    if (ta && tb) go(gemm_bf16_mma_kernel<true, true>, gemm_smem_bytes<true, true>());
    else if (ta) go(gemm_bf16_mma_kernel<true, false>, gemm_smem_bytes<true, false>());
    else if (tb) go(gemm_bf16_mma_kernel<false, true>, gemm_smem_bytes<false, true>());
    else go(gemm_bf16_mma_kernel<false, false>, gemm_smem_bytes<false, false>());
    check_launch("gemm_bf16_mma_kernel");
  } else {
    dim3 grid((unsigned)((p.N + FN - 1) / FN), (unsigned)((p.M + FM - 1) / FM), (unsigned)batch);
    if (grid.y > 65535) fail(TRIAD_ERR_UNSUPPORTED, "M too large for one launch");
    if (ta && tb) gemm_f32_kernel<true, true><<<grid, 256, 0, stream()>>>(p);
    else if (ta) gemm_f32_kernel<true, false><<<grid, 256, 0, stream()>>>(p);
    else if (tb) gemm_f32_kernel<false, true><<<grid, 256, 0, stream()>>>(p);
    else gemm_f32_kernel<false, false><<<grid, 256, 0, stream()>>>(p);
    check_launch("gemm_f32_kernel");
  }
}

template <class T>
void bias_backward_t(T* dbias, const T* g, int64_t M, int64_t N) {
  column_sums<T>(dbias, nullptr, 1, M, N, true, [=] __device__(int, int64_t r, int64_t j) { return ld(g, r * N + j); });
}

}  // namespace

void matmul_epilogue(int dt, void* out, void* pre, const void* a, const void* b, const void* bias,
                     int64_t batch, int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b,
                     bool accumulate, int epilogue) {
  if (dt == TRIAD_BF16 && gemm_sm90_applies(a, b, batch, M, N, K, trans_a, trans_b)) {
    gemm_sm90(out, pre, a, b, bias, batch, M, N, K, trans_a, trans_b, accumulate, epilogue);
    return;
  }
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    GemmArgs<T> p{P<T>(out), P<T>(pre), P<T>(a), P<T>(b), P<T>(bias), M, N, K, accumulate, epilogue};
    launch(p, batch, trans_a, trans_b);
  });
}

void matmul(int dt, void* out, const void* a, const void* b, const void* bias, int64_t batch,
            int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool accumulate) {
  matmul_epilogue(dt, out, nullptr, a, b, bias, batch, M, N, K, trans_a, trans_b, accumulate, kNone);
}

// dbias [N] += column sums of dout [M,N] (deterministic)
void bias_backward(int dt, void* dbias, const void* dout, int64_t M, int64_t N) {
  with_dtype(dt, [&](auto t) {
    using T = decltype(t);
    bias_backward_t<T>(P<T>(dbias), P<T>(dout), M, N);
  });
}

}  // namespace triad::cuda
