// The Hopper (sm_90a) bf16 GEMM: warp-specialised wgmma + TMA, every transpose form, batched,
// with the epilogues of matmul_epilogue.cuh. From the lab's version 3 (bench/kernels/
// gemm_sm90_3_warpspec.cu, validated on an H200; layout facts in bench/kernels/GEMM.md).
//
// Block = 3 warpgroups (384 threads) computing one 128x256 tile of one batch entry, K step 64,
// a kStages-deep shared-memory ring of A and B tiles guarded by mbarriers:
//   WG0 producer : setmaxnreg.dec to 40 registers; one thread loops over the K tiles: wait
//                  empty[s], arrive.expect_tx(full[s], 48 KiB), TMA loads of the A and B tiles.
//   WG1, WG2     : setmaxnreg.inc to 232 registers; consumer c owns rows 64c..64c+63 of the tile:
//                  per K tile 4 x wgmma.m64n256k16 (128 fp32 accumulators per thread), commit,
//                  wait until the previous K tile's group is done and release its slot (lane 0
//                  of each consumer warp arrives on empty[]).
//   Epilogue     : v1, the default: each consumer applies matmul_epilogue.cuh to its fragment
//                  straight from registers (bias, GELU, GELU backward, accumulate; tails guarded).
//                  v2 (TRIAD_GEMM_STAGED_EPILOGUE=1, a candidate not yet run on a GPU): once both
//                  consumers are done with the ring, each stages its fp32 fragment there and its
//                  warps write whole rows through epilogue_quad (coalesced, compact code).
// Tails: TMA zero-fills every box outside the tensor (M, N, K not multiples of the tile; the full
// box still counts toward the transaction bytes); the epilogue skips rows >= M, columns >= N.
// Operands (no transposes in memory): a K-major operand (a [M,K], b [N,K]) is one TMA box
// {64 k, 128 or 256 rows}; an M/N-major one (a [K,M] with trans_a, b [K,N] without trans_b) is
// loaded as 64-wide chunks, boxes {64 mn, 64 k}, and read by wgmma with imm-trans = 1.
// Tensor maps are 3-D {cols, rows, batch}, so a tail box never reads the next batch entry.
#include <cuda.h>           // CUtensorMap and its enums (types only; libcuda is not linked)
#include <cudaTypedefs.h>   // PFN_cuTensorMapEncodeTiled_v12000

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "cuda/common.cuh"
#include "cuda/matmul_epilogue.cuh"
#include "cuda/matmul_sm90.h"
#include "cuda/wgmma.cuh"

namespace triad::cuda {

namespace {

using namespace sm90;

constexpr int BM = 128, BN = 256, BK = 64, kStages = 4;
constexpr int kConsumers = 2;                     // consumer warpgroups, 64 rows each
constexpr int kThreads = 128 * (1 + kConsumers);  // 384
constexpr int kProducerRegs = 40, kConsumerRegs = 232;
constexpr int kLaunchRegs = (65536 / kThreads) / 8 * 8;  // 168: what __launch_bounds__(384, 1) gives
constexpr int kABytes = BM * BK * 2;  // 16 KiB
constexpr int kBBytes = BN * BK * 2;  // 32 KiB
constexpr int kStageBytes = kABytes + kBBytes;
constexpr int kChunk = 64;                                  // MN elements per 128-byte row
constexpr int kChunkBytes = BK * (int)kSwizzleRowBytes;     // one {64 mn, 64 k} box: 8 KiB
constexpr int kSmemBytes = 1024 /* alignment slack */ + kStages * kStageBytes + 2 * kStages * 8;
// The epilogue's fp32 staging rows, padded by 8 floats: a warp's float2 stores (8 rows x 4 pairs)
// then fall on 32 distinct banks per half-warp, and the float4 row reads stay 16-byte aligned.
constexpr int kStageLd = BN + 8;
static_assert(kConsumers * 64 * kStageLd * 4 <= kStages * kStageBytes, "the epilogue stages in the ring");

static_assert(BK * 2 == (int)kSwizzleRowBytes, "a tile row of K is one 128-byte swizzle row");
static_assert(kABytes % kSwizzleAtomBytes == 0 && kStageBytes % kSwizzleAtomBytes == 0,
              "every tile starts 1024-byte aligned (descriptor base offset 0)");
static_assert(BM == 64 * kConsumers && BN == 256, "consumer = one m64n256 wgmma row band");
static_assert(BM % kChunk == 0 && BN % kChunk == 0 && (BM / kChunk) * kChunkBytes == kABytes &&
                  (BN / kChunk) * kChunkBytes == kBBytes,
              "MN-major chunks fill exactly the K-major tile's bytes (same expect_tx)");
static_assert(kSmemBytes <= 227 * 1024, "fits sm_90's opt-in shared memory");
static_assert(128 * kProducerRegs + 128 * kConsumers * kConsumerRegs <= kThreads * kLaunchRegs,
              "setmaxnreg budget exceeds the block's register pool: inc would wait forever");

// A_MN: a stored [K,M] (trans_a). B_MN: b stored [K,N] (!trans_b). p.a / p.b are unused (TMA).
template <bool A_MN, bool B_MN>
__global__ void __launch_bounds__(kThreads, 1)
    gemm_sm90_kernel(const __grid_constant__ CUtensorMap tm_a, const __grid_constant__ CUtensorMap tm_b,
                     const gemm::GemmArgs<bf16> p, const bool staged_epilogue) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  uint64_t* full = reinterpret_cast<uint64_t*>(smem + kStages * kStageBytes);  // [kStages]
  uint64_t* empty = full + kStages;                                            // [kStages]

  const int tid = threadIdx.x, wg = tid / 128, lane = tid % 32, warp_in_wg = (tid % 128) / 32;
  const int M = (int)p.M, N = (int)p.N, K = (int)p.K;  // < 2^31 (checked by the launcher)
  const int bz = blockIdx.y;                           // batch entry

  // tile coordinates: groups of kGroupM tile rows, column by column inside a group, so the blocks
  // in flight share A row panels and B column panels in L2
  constexpr int kGroupM = 16;
  const int tiles_m = (M + BM - 1) / BM, tiles_n = (N + BN - 1) / BN;
  int tm, tn;
  {
    const int t = blockIdx.x, per_group = kGroupM * tiles_n;
    const int first_m = (t / per_group) * kGroupM;
    const int rows_in_group = min(kGroupM, tiles_m - first_m);
    tm = first_m + (t % per_group) % rows_in_group;
    tn = (t % per_group) / rows_in_group;
  }
  const int m0 = tm * BM, n0 = tn * BN;
  const int k_tiles = (K + BK - 1) / BK;

  if (tid == 0) {
    tma_prefetch_desc(&tm_a);
    tma_prefetch_desc(&tm_b);
    for (int s = 0; s < kStages; ++s) {
      mbar_init(&full[s], 1);                // the producer's arrive.expect_tx
      mbar_init(&empty[s], kConsumers * 4);  // lane 0 of every consumer warp
    }
    fence_mbar_init();
  }
  __syncthreads();

  if (wg == 0) {
    // ---- producer ----
    setmaxnreg_dec<kProducerRegs>();
    if (warp_in_wg == 0 && lane == 0) {
      for (int kt = 0; kt < k_tiles; ++kt) {
        const int s = kt % kStages, round = kt / kStages;
        mbar_wait(&empty[s], (round & 1) ^ 1);  // round 0 passes at once
        uint8_t* sa = smem + s * kStageBytes;
        uint8_t* sb = sa + kABytes;
        mbar_arrive_expect_tx(&full[s], kStageBytes);
        if (!A_MN) {
          tma_load_3d(sa, &tm_a, &full[s], kt * BK, m0, bz);  // box {64 k, 128 m}
        } else {
#pragma unroll
          for (int j = 0; j < BM / kChunk; ++j)  // boxes {64 m, 64 k}
            tma_load_3d(sa + j * kChunkBytes, &tm_a, &full[s], m0 + j * kChunk, kt * BK, bz);
        }
        if (!B_MN) {
          tma_load_3d(sb, &tm_b, &full[s], kt * BK, n0, bz);  // box {64 k, 256 n}
        } else {
#pragma unroll
          for (int j = 0; j < BN / kChunk; ++j)  // boxes {64 n, 64 k}
            tma_load_3d(sb + j * kChunkBytes, &tm_b, &full[s], n0 + j * kChunk, kt * BK, bz);
        }
      }
    }
  } else {
    // ---- consumers ----
    setmaxnreg_inc<kConsumerRegs>();
    const int c = wg - 1;
    float acc[128];
#pragma unroll
    for (int i = 0; i < 128; ++i) acc[i] = 0.0f;
    fence_regs(acc);

    const uint32_t smem_base = smem_u32(smem);
    for (int kt = 0; kt < k_tiles; ++kt) {
      const int s = kt % kStages;
      mbar_wait(&full[s], (kt / kStages) & 1);
      // this consumer's 64 rows of A: 64 rows x 128 B into a K-major tile, or A chunk c
      const uint32_t a_addr = smem_base + s * kStageBytes + c * (A_MN ? kChunkBytes : 64 * kSwizzleRowBytes);
      const uint32_t b_addr = smem_base + s * kStageBytes + kABytes;
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk) {
        // k16 slice: +32 B inside K-major rows; +16 k-rows = +2 KiB in MN-major chunks
        const uint64_t da = A_MN ? desc_mnmajor(a_addr + kk * 16 * kSwizzleRowBytes, kChunkBytes)
                                 : desc_kmajor(a_addr + kk * 32);
        const uint64_t db = B_MN ? desc_mnmajor(b_addr + kk * 16 * kSwizzleRowBytes, kChunkBytes)
                                 : desc_kmajor(b_addr + kk * 32);
        wgmma_m64n256k16<A_MN ? 1 : 0, B_MN ? 1 : 0>(acc, da, db, 1);
      }
      wgmma_commit();
      wgmma_wait<1>();  // K tile kt-1's group is done: its slot may be refilled
      if (kt > 0) {
        __syncwarp();
        if (lane == 0) mbar_arrive(&empty[(kt - 1) % kStages]);
      }
    }
    wgmma_wait<0>();
    fence_regs(acc);

    if (!staged_epilogue) {
      // v1 (verified on an H200): each consumer applies the epilogue to its fragment straight from
      // registers, one 4-byte store per column pair.
      // fragment map (wgmma.cuh): d[i] -> row 16w + l/4 + 8((i/2)%2), column 8(i/4) + 2(l%4) + i%2
      const int64_t bofs = (int64_t)bz * M * N;
      const int row_base = m0 + c * 64 + 16 * warp_in_wg + lane / 4;
      const int col_base = n0 + 2 * (lane % 4);
#pragma unroll
      for (int i = 0; i < 128; i += 2) {
        gemm::epilogue_pair(p, bofs, row_base + 8 * ((i / 2) % 2), col_base + 8 * (i / 4), acc[i], acc[i + 1]);
      }
    } else {
      // v2 candidate (TRIAD_GEMM_STAGED_EPILOGUE=1; compiled, not yet run on a GPU): through shared
      // memory. Both consumers have finished their last wgmma once they pass the first barrier, so
      // the ring is free: each stages its 64 x 256 fp32 fragment there, then every warp writes
      // whole rows, four columns per lane, in one compact loop: coalesced 8-byte stores and one
      // copy of the epilogue's code instead of 64 unrolled ones (ncu on an H200, v1 on GPT-2's
      // step shapes: instruction-fetch stalls were 65% of the stall cycles, ~10% SM throughput).
      fence_proxy_async_smem();
      named_barrier_sync(1, 128 * kConsumers);
      float* stage = reinterpret_cast<float*>(smem) + c * 64 * kStageLd;  // [64][kStageLd]
      {
        // fragment map (wgmma.cuh): d[i] -> row 16w + l/4 + 8((i/2)%2), column 8(i/4) + 2(l%4) + i%2
        float* frag = stage + (16 * warp_in_wg + lane / 4) * kStageLd + 2 * (lane % 4);
#pragma unroll
        for (int i = 0; i < 128; i += 2) {
          *reinterpret_cast<float2*>(frag + 8 * ((i / 2) % 2) * kStageLd + 8 * (i / 4)) = make_float2(acc[i], acc[i + 1]);
        }
      }
      named_barrier_sync(2 + c, 128);  // this consumer's rows are staged; only its own warps read them
      const int64_t bofs = (int64_t)bz * M * N;
#pragma unroll 1
      for (int r = warp_in_wg; r < 64; r += 4) {
        const int m = m0 + c * 64 + r;
        if (m >= M) break;  // rows only grow with r
        const float* row = stage + r * kStageLd;
#pragma unroll 1
        for (int col = 4 * lane; col < BN; col += 128) {
          gemm::epilogue_quad(p, bofs, m, n0 + col, *reinterpret_cast<const float4*>(row + col));
        }
      }
    }
  }
#else
  __trap();  // never launched: gemm_sm90_applies requires the sm_90a image
#endif
}

// ---- host side ----

// Driver entry point and device check, decided once (after the runtime picked device 0).
struct Support {
  bool ok = false;
  PFN_cuTensorMapEncodeTiled_v12000 encode = nullptr;
};

const Support& support() {
  static const Support s = [] {
    Support r;
#if defined(TRIAD_CUDA_SM90A)
    int major = 0, minor = 0;
    cudaFuncAttributes attr{};
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) == cudaSuccess &&
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0) == cudaSuccess &&
        major == 9 && minor == 0 &&  // sm_90a code runs on 9.0 only
        cudaFuncGetAttributes(&attr, gemm_sm90_kernel<false, true>) == cudaSuccess &&
        cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &q) ==
            cudaSuccess &&
        q == cudaDriverEntryPointSuccess && fn != nullptr) {
      r.encode = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
      r.ok = true;
    }
    cudaGetLastError();  // a failed query leaves nothing behind
#endif
    return r;
  }();
  return s;
}

bool env_forces_sm80() {
  static const bool v = [] {
    const char* e = std::getenv("TRIAD_GEMM_SM80");
    return e && e[0] == '1';
  }();
  return v;
}

std::atomic<bool> g_forced_sm80{false};  // set_gemm_sm80 (tests)

// TRIAD_GEMM_STAGED_EPILOGUE=1: the shared-memory epilogue (v2) instead of the register one (v1)
bool env_staged_epilogue() {
  static const bool v = [] {
    const char* e = std::getenv("TRIAD_GEMM_STAGED_EPILOGUE");
    return e && e[0] == '1';
  }();
  return v;
}

bool sm90_enabled() { return !env_forces_sm80() && !g_forced_sm80.load() && support().ok; }

// Tensor map of a row-major bf16 tensor [batch, rows, cols] (cols contiguous), read in boxes of
// {64 cols, box_rows rows, 1} with the 128-byte swizzle; out-of-bounds elements read as zero.
// Encoding is a pure host computation of a few microseconds; a small cache keyed by every input
// makes repeated calls (a training step's fixed shapes and buffers) cost a lookup. A hit is always
// valid: the map depends on nothing else.
CUtensorMap tensor_map(const void* base, int64_t batch, int64_t rows, int64_t cols, int box_rows) {
  struct Entry {
    const void* base;
    int64_t batch, rows, cols;
    int box_rows;
    CUtensorMap map;
  };
  constexpr int kEntries = 32;
  static std::mutex mu;
  static Entry cache[kEntries];
  static int used = 0, next = 0;
  std::lock_guard<std::mutex> lock(mu);
  for (int i = 0; i < used; ++i) {
    const Entry& e = cache[i];
    if (e.base == base && e.batch == batch && e.rows == rows && e.cols == cols && e.box_rows == box_rows) return e.map;
  }
  Entry e{base, batch, rows, cols, box_rows, {}};
  const cuuint64_t dims[3] = {(cuuint64_t)cols, (cuuint64_t)rows, (cuuint64_t)batch};  // innermost first
  const cuuint64_t strides[2] = {(cuuint64_t)cols * 2, (cuuint64_t)(rows * cols * 2)};  // bytes, dims 1..2
  const cuuint32_t box[3] = {64, (cuuint32_t)box_rows, 1};
  const cuuint32_t elem_strides[3] = {1, 1, 1};
  const CUresult r = support().encode(&e.map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(base), dims,
                                      strides, box, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                      CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                      CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) {
    fail(TRIAD_ERR_DEVICE, "cuTensorMapEncodeTiled failed (CUresult " + std::to_string((int)r) + ") for a bf16 [" +
                               std::to_string(batch) + ", " + std::to_string(rows) + ", " + std::to_string(cols) +
                               "] matmul operand");
  }
  cache[next] = e;
  next = (next + 1) % kEntries;
  if (used < kEntries) ++used;
  return e.map;
}

// K-major operand: tensor [rows = M or N, cols = K], box {64 k, tile rows}.
// MN-major operand: tensor [rows = K, cols = M or N], box {64 mn, 64 k}.
CUtensorMap operand_map(const void* base, int64_t batch, int64_t mn, int64_t K, bool mn_major, int tile) {
  return mn_major ? tensor_map(base, batch, K, mn, BK) : tensor_map(base, batch, mn, K, tile);
}

template <bool A_MN, bool B_MN>
void launch(const gemm::GemmArgs<bf16>& p, int64_t batch) {
  const CUtensorMap tm_a = operand_map(p.a, batch, p.M, p.K, A_MN, BM);
  const CUtensorMap tm_b = operand_map(p.b, batch, p.N, p.K, B_MN, BN);
  const int64_t tiles = ((p.M + BM - 1) / BM) * ((p.N + BN - 1) / BN);
  auto kernel = gemm_sm90_kernel<A_MN, B_MN>;
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), kSmemBytes);
  kernel<<<dim3((unsigned)tiles, (unsigned)batch), kThreads, kSmemBytes, stream()>>>(tm_a, tm_b, p,
                                                                                  env_staged_epilogue());
  check_launch("gemm_sm90_kernel");
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace

bool gemm_sm90_applies(const void* a, const void* b, int64_t batch, int64_t M, int64_t N, int64_t K,
                       bool trans_a, bool trans_b) {
  if (batch < 1 || M < 1 || N < 1 || K < 1 || batch > 65535) return false;
  if (M > INT32_MAX - 256 || N > INT32_MAX - 256 || K > INT32_MAX - 256) return false;
  if (((M + BM - 1) / BM) * ((N + BN - 1) / BN) > INT32_MAX) return false;
  const int64_t a_pitch = trans_a ? M : K, b_pitch = trans_b ? K : N;  // elements
  if (a_pitch % 8 != 0 || b_pitch % 8 != 0 || !aligned16(a) || !aligned16(b)) return false;
  if (M * K * 2 >= (int64_t(1) << 40) || N * K * 2 >= (int64_t(1) << 40)) return false;  // TMA stride limit
  return sm90_enabled();
}

void gemm_sm90(void* out, void* pre, const void* a, const void* b, const void* bias, int64_t batch,
               int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool accumulate,
               int epilogue) {
  const gemm::GemmArgs<bf16> p{P<bf16>(out), P<bf16>(pre), P<bf16>(a), P<bf16>(b), P<bf16>(bias),
                               M, N, K, accumulate, epilogue};
  const bool a_mn = trans_a, b_mn = !trans_b;
  if (!a_mn && !b_mn) launch<false, false>(p, batch);     // NT: linear forward y = x W^T
  else if (!a_mn && b_mn) launch<false, true>(p, batch);  // NN: dx = dy W
  else if (a_mn && b_mn) launch<true, true>(p, batch);    // TN: dW = dy^T x
  else launch<true, false>(p, batch);                     // TT
}

int set_gemm_sm80(bool force) {
  g_forced_sm80.store(force);
  if (!available()) return 0;
  return sm90_enabled() ? 90 : 80;
}

}  // namespace triad::cuda
