// gemm_common.cuh — shared pieces of the Hopper GEMM lab (bench/kernels/gemm_sm90_*.cu).
//
// Problem every version solves, with Triad's triad_matmul conventions (native/include/triad.h):
//   C[M,N] = epilogue( op(a)[M,K] @ op(b)[K,N] ),  bf16 in/out, fp32 accumulation, row-major
//   op(a) = a stored [M,K]  or, with trans_a, a^T with a stored [K,M]
//   op(b) = b stored [K,N]  or, with trans_b, b^T with b stored [N,K]
// Layout names (BLAS style, op(A) op(B)):  NT = (0,1)  NN = (0,0)  TN = (1,0)  TT = (1,1).
// The main case is NT, a linear layer y = x W^T: both operands K-major (K contiguous), exactly
// what wgmma wants with imm-trans-a = imm-trans-b = 0. The backward passes need NN (dx = dy W)
// and TN (dW = dy^T x): there an operand is "MN-major" (M or N contiguous), which wgmma reads
// with imm-trans = 1 and an MN-major smem descriptor (all versions but v2 implement all four).
// Epilogues: 0 = none, 1 = + bias[N], 2 = GELU_tanh(. + bias[N]) (bias bf16, math in fp32).
//
// This header has two halves:
//   1. host harness: argument parsing, seeded random bf16 init, fp64 CPU reference (full on small
//      shapes, sampled on big ones), validation with a stated tolerance, cudaEvent timing (median),
//      TFLOP/s print, and a single entry point gemm_lab_main() that each version's main() calls;
//   2. device PTX wrappers shared by the versions (wgmma, descriptors, mbarrier, TMA, setmaxnreg),
//      each with the layout facts it relies on written next to it.
// Only for the GEMM lab files; not part of the Maven/CMake build of libtriad.
#pragma once

#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda.h>           // CUtensorMap & enums only (types); libcuda is NOT linked
#include <cudaTypedefs.h>   // PFN_cuTensorMapEncodeTiled_v12000

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// ------------------------------------------------------------------------------------------------
// Error checking
// ------------------------------------------------------------------------------------------------
#define CUDA_CHECK(call)                                                                         \
  do {                                                                                           \
    cudaError_t err__ = (call);                                                                  \
    if (err__ != cudaSuccess) {                                                                  \
      std::fprintf(stderr, "CUDA error %s (%d) at %s:%d in `%s`: %s\n", cudaGetErrorName(err__), \
                   (int)err__, __FILE__, __LINE__, #call, cudaGetErrorString(err__));            \
      std::exit(3);                                                                              \
    }                                                                                            \
  } while (0)

// After every launch: launch-config errors now, asynchronous faults at the sync.
#define CUDA_CHECK_LAUNCH(what)                                                                  \
  do {                                                                                           \
    cudaError_t err__ = cudaGetLastError();                                                      \
    if (err__ != cudaSuccess) {                                                                  \
      std::fprintf(stderr, "launch of %s failed: %s (%s) at %s:%d\n", what,                      \
                   cudaGetErrorName(err__), cudaGetErrorString(err__), __FILE__, __LINE__);      \
      std::exit(3);                                                                              \
    }                                                                                            \
  } while (0)

#define LAB_REQUIRE(cond, ...)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "error: " __VA_ARGS__);                                               \
      std::fprintf(stderr, "\n");                                                                \
      std::exit(2);                                                                              \
    }                                                                                            \
  } while (0)

typedef __nv_bfloat16 bf16;

enum Epilogue { EPI_NONE = 0, EPI_BIAS = 1, EPI_BIAS_GELU = 2 };
static inline const char* epi_name(int e) {
  return e == EPI_NONE ? "none" : e == EPI_BIAS ? "bias" : "bias+gelu";
}

// What a version's host launcher receives. All pointers are device pointers; A is [M,K], B is
// [N,K], C is [M,N], bias is [N] (or nullptr when epi == EPI_NONE). Row-major, no padding.
struct GemmProblem {
  const bf16* A;   // [M,K], or [K,M] when trans_a
  const bf16* B;   // [K,N], or [N,K] when trans_b   (NT: trans_a = 0, trans_b = 1)
  const bf16* bias;
  bf16* C;         // bf16 output [M,N] (used when Cf == nullptr)
  float* Cf;       // fp32 output [M,N] instead, when non-null (--out f32)
  int M, N, K;
  int epi;
  int trans_a, trans_b;
};
enum Layout { LAYOUT_NT = 1, LAYOUT_NN = 2, LAYOUT_TN = 4, LAYOUT_TT = 8 };
static inline int layout_bit(int ta, int tb) { return ta ? (tb ? LAYOUT_TT : LAYOUT_TN) : (tb ? LAYOUT_NT : LAYOUT_NN); }
static inline const char* layout_name(int ta, int tb) { return ta ? (tb ? "TT" : "TN") : (tb ? "NT" : "NN"); }
typedef void (*GemmLaunchFn)(const GemmProblem& p, cudaStream_t stream);

// ------------------------------------------------------------------------------------------------
// Host bf16 helpers (bit-exact; no reliance on host-side intrinsics)
// ------------------------------------------------------------------------------------------------
static inline uint16_t host_f2bf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return 0x7fc0;  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);                                           // round to nearest even
  return (uint16_t)(u >> 16);
}
static inline float host_bf2f(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static const uint16_t BF16_POISON = 0x7fc0;  // quiet NaN: any element the kernel forgets stays NaN

// splitmix64: fixed-seed, platform-independent random numbers
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * (float)((next() >> 40) * (1.0 / 16777216.0)); }
  int below(int n) { return (int)(next() % (uint64_t)n); }
};

static inline void fill_random_bf16(std::vector<uint16_t>& v, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  Rng r(seed);
  for (auto& x : v) {
    uint16_t h = host_f2bf(r.uniform(lo, hi));
    if ((h & 0x7fff) == 0) h = host_f2bf(0.0078125f);  // never exact zeros (they hide indexing bugs)
    x = h;
  }
}

static inline double gelu_tanh_ref(double x) {
  const double k0 = 0.7978845608028654;  // sqrt(2/pi)
  return 0.5 * x * (1.0 + std::tanh(k0 * (x + 0.044715 * x * x * x)));
}

// ------------------------------------------------------------------------------------------------
// CPU reference and validation
// ------------------------------------------------------------------------------------------------
// Reference for one element in fp64 from the exact bf16 inputs, plus the "scale" of the sum
// (sum_k |a_ik * b_jk| + |bias_j|) used by the tolerance.
struct RefVal { double val, scale; };
static inline RefVal ref_element(const std::vector<uint16_t>& A, const std::vector<uint16_t>& B,
                                 const std::vector<uint16_t>& bias, int M, int N, int K, int epi,
                                 int ta, int tb, int i, int j) {
  double acc = 0.0, scale = 0.0;
  // element (i,k) of op(a) and (k,j) of op(b), as (base, stride along k)
  const uint16_t* a = ta ? &A[i] : &A[(size_t)i * K];
  const size_t sa = ta ? (size_t)M : 1;
  const uint16_t* b = tb ? &B[(size_t)j * K] : &B[j];
  const size_t sb = tb ? 1 : (size_t)N;
  for (int k = 0; k < K; ++k) {
    double p = (double)host_bf2f(a[k * sa]) * (double)host_bf2f(b[k * sb]);
    acc += p;
    scale += std::fabs(p);
  }
  if (epi != EPI_NONE) {
    double bj = host_bf2f(bias[j]);
    acc += bj;
    scale += std::fabs(bj);
  }
  if (epi == EPI_BIAS_GELU) acc = gelu_tanh_ref(acc);  // |gelu'| <= 1.13: the scale still bounds it
  return {acc, scale};
}

// Tolerance (per element), bf16 output of an fp32-accumulated sum of exact bf16 products
// (fp32 output: the same with 2^-20 instead of 2^-7):
//   |out - ref| <= 2^-7 * |ref| + 2e-5 * scale + 1e-6
//   - 2^-7 relative: bf16 rounding of the output is at most half an ulp = 2^-8 relative; we allow
//     one full ulp (GELU's tanhf and fp32 rounding of the pre-activation can push it over half).
//   - 2e-5 * scale: fp32 accumulation over K terms (order differs from the reference); the typical
//     error is ~1e-7*scale, so this is loose for rounding but still ~10x tighter than the error of
//     a dropped or duplicated 16-wide K slice (a wrong descriptor offset or pipeline phase).
// Plus a global check ||out - ref|| / ||ref|| < 1e-2 over all checked elements (METHOD.md: bf16
// operands land between 1e-3 and 1e-2; here inputs are exact, so expect ~2e-3 from output rounding).
struct CheckStats {
  long checked = 0, bad = 0, nonfinite = 0;
  double max_abs_err = 0, err2 = 0, ref2 = 0;
  struct Bad { int i, j; double out, ref; };
  std::vector<Bad> first_bad;  // up to 8, printed on failure: the pattern of (i, j) usually names
                               // the bug (rows 8-15 of each 16: fragment map; k slices: descriptor)
  double rel_l2() const { return ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0; }
};

static inline void check_element(CheckStats& st, double out, RefVal r, int i, int j, bool f32 = false) {
  st.checked++;
  double err = std::fabs(out - r.val);
  // fp32 output (--out f32): no bf16 rounding of the result, so the relative term is 2^-20
  double tol = std::ldexp(std::fabs(r.val), f32 ? -20 : -7) + 2e-5 * r.scale + 1e-6;
  bool bad = !(err <= tol);  // NaN-safe
  if (!std::isfinite(out)) st.nonfinite++;
  if (std::isfinite(out)) {
    st.err2 += err * err;
    st.max_abs_err = std::max(st.max_abs_err, err);
  }
  st.ref2 += r.val * r.val;
  if (bad) {
    if (st.first_bad.size() < 8) st.first_bad.push_back({i, j, out, r.val});
    st.bad++;
  }
}

// ------------------------------------------------------------------------------------------------
// Device buffers for one problem
// ------------------------------------------------------------------------------------------------
struct LabBuffers {
  int M = 0, N = 0, K = 0, ta = 0, tb = 1;
  bool out_f32 = false;
  std::vector<uint16_t> hA, hB, hBias, hC;
  std::vector<float> hCf;
  bf16 *dA = nullptr, *dB = nullptr, *dBias = nullptr, *dC = nullptr;
  float* dCf = nullptr;

  void alloc_and_init(int M_, int N_, int K_, uint64_t seed) {
    M = M_; N = N_; K = K_;
    hA.resize((size_t)M * K); hB.resize((size_t)N * K); hBias.resize(N); hC.resize((size_t)M * N);
    fill_random_bf16(hA, seed * 3 + 1);
    fill_random_bf16(hB, seed * 3 + 2);
    fill_random_bf16(hBias, seed * 3 + 3);
    CUDA_CHECK(cudaMalloc(&dA, hA.size() * 2));
    CUDA_CHECK(cudaMalloc(&dB, hB.size() * 2));
    CUDA_CHECK(cudaMalloc(&dBias, hBias.size() * 2));
    CUDA_CHECK(cudaMalloc(&dC, hC.size() * 2));
    if (out_f32) {
      hCf.resize((size_t)M * N);
      CUDA_CHECK(cudaMalloc(&dCf, hCf.size() * 4));
    }
    CUDA_CHECK(cudaMemcpy(dA, hA.data(), hA.size() * 2, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(dB, hB.data(), hB.size() * 2, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(dBias, hBias.data(), hBias.size() * 2, cudaMemcpyHostToDevice));
  }
  void poison_output() {
    // 0x7fc0 in every bf16 (byte pattern c0 7f c0 7f ...): cudaMemset sets bytes, so fill on host.
    std::vector<uint16_t> p((size_t)M * N, BF16_POISON);
    CUDA_CHECK(cudaMemcpy(dC, p.data(), p.size() * 2, cudaMemcpyHostToDevice));
    if (out_f32) CUDA_CHECK(cudaMemset(dCf, 0xff, hCf.size() * 4));  // 0xffffffff = NaN
  }
  void fetch_output() {
    if (out_f32) CUDA_CHECK(cudaMemcpy(hCf.data(), dCf, hCf.size() * 4, cudaMemcpyDeviceToHost));
    else CUDA_CHECK(cudaMemcpy(hC.data(), dC, hC.size() * 2, cudaMemcpyDeviceToHost));
  }
  double out_at(size_t idx) const { return out_f32 ? (double)hCf[idx] : (double)host_bf2f(hC[idx]); }
  GemmProblem problem(int epi) const {
    return GemmProblem{dA, dB, epi == EPI_NONE ? nullptr : dBias, dC, out_f32 ? dCf : nullptr, M, N, K, epi, ta, tb};
  }
  void release() {
    cudaFree(dA); cudaFree(dB); cudaFree(dBias); cudaFree(dC); cudaFree(dCf);
    dA = dB = dBias = dC = nullptr;
    dCf = nullptr;
  }
};

// Runs the kernel once on poisoned output and checks it: every element when full=true (small
// shapes), else all of row 0, row M-1, column 0, column N-1 (edges catch tail bugs) plus `samples`
// random elements; in both cases the whole output is scanned for NaN (= unwritten or poisoned).
static inline bool run_and_check(const char* name, GemmLaunchFn launch, LabBuffers& buf, int epi,
                          bool full, int samples, uint64_t seed) {
  buf.poison_output();
  launch(buf.problem(epi), 0);
  CUDA_CHECK_LAUNCH(name);
  CUDA_CHECK(cudaDeviceSynchronize());
  buf.fetch_output();
  const int M = buf.M, N = buf.N, K = buf.K;
  CheckStats st;
  long nan_total = 0;
  for (size_t idx = 0; idx < buf.hC.size(); ++idx)
    if (!std::isfinite(buf.out_at(idx))) nan_total++;
  auto chk = [&](int i, int j) {
    RefVal r = ref_element(buf.hA, buf.hB, buf.hBias, M, N, K, epi, buf.ta, buf.tb, i, j);
    check_element(st, buf.out_at((size_t)i * N + j), r, i, j, buf.out_f32);
  };
  if (full) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) chk(i, j);
  } else {
    Rng r(seed ^ 0x5eedull);
    // edges: strided so the cost stays ~O(8k elements * K)
    int stepN = std::max(1, N / 1024), stepM = std::max(1, M / 1024);
    for (int j = 0; j < N; j += stepN) { chk(0, j); chk(M - 1, j); }
    for (int i = 0; i < M; i += stepM) { chk(i, 0); chk(i, N - 1); }
    chk(M - 1, N - 1);
    for (int s = 0; s < samples; ++s) chk(r.below(M), r.below(N));
  }
  bool ok = st.bad == 0 && nan_total == 0 && st.rel_l2() < 1e-2;
  std::printf("  check %-10s %s%s M=%-5d N=%-5d K=%-5d epi=%-9s %s: %ld elems, max|err|=%.3g, "
              "rel_l2=%.3g, NaN/unwritten=%ld -> %s\n",
              name, layout_name(buf.ta, buf.tb), buf.out_f32 ? "/f32" : "", M, N, K, epi_name(epi), full ? "full" : "sampled", st.checked, st.max_abs_err,
              st.rel_l2(), nan_total, ok ? "PASS" : "FAIL");
  if (!ok && st.bad > 0) {
    std::printf("    %ld elements out of tolerance; first ones:", st.bad);
    for (auto& b : st.first_bad) std::printf(" (%d,%d) got %.5g want %.5g;", b.i, b.j, b.out, b.ref);
    std::printf("\n");
  }
  return ok;
}

// Timing: `warmup` launches, then one event-timed launch to size the batch, then `reps` samples,
// each an event pair around `inner` back-to-back launches (inner chosen so a sample lasts >= ~1 ms,
// which hides host launch gaps at 1024^3 where one launch is a few microseconds). Returns the
// median over samples of the per-launch time in ms. Same inputs every launch: a GEMM at these
// sizes is compute-bound, and torch.matmul is timed the same way in gemm_lab.sh.
static inline double time_kernel(GemmLaunchFn launch, const GemmProblem& p, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) launch(p, 0);
  CUDA_CHECK_LAUNCH("warmup");
  CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  float one = 0.f;
  CUDA_CHECK(cudaEventRecord(e0, 0));
  launch(p, 0);
  CUDA_CHECK(cudaEventRecord(e1, 0));
  CUDA_CHECK_LAUNCH("sizing run");
  CUDA_CHECK(cudaEventSynchronize(e1));
  CUDA_CHECK(cudaEventElapsedTime(&one, e0, e1));
  int inner = (int)std::min(200.0, std::max(1.0, std::ceil(1.0 / std::max(one, 1e-3f))));
  std::vector<float> ms(reps);
  for (int i = 0; i < reps; ++i) {
    CUDA_CHECK(cudaEventRecord(e0, 0));
    for (int j = 0; j < inner; ++j) launch(p, 0);
    CUDA_CHECK(cudaEventRecord(e1, 0));
    CUDA_CHECK(cudaEventSynchronize(e1));
    CUDA_CHECK_LAUNCH("timed runs");
    CUDA_CHECK(cudaEventElapsedTime(&ms[i], e0, e1));
    ms[i] /= inner;
  }
  CUDA_CHECK(cudaEventDestroy(e0));
  CUDA_CHECK(cudaEventDestroy(e1));
  std::sort(ms.begin(), ms.end());
  double med = reps % 2 ? ms[reps / 2] : 0.5 * (ms[reps / 2 - 1] + ms[reps / 2]);
  std::printf("  timing: %d samples x %d launches, min %.4f ms, median %.4f ms, max %.4f ms\n", reps,
              inner, ms.front(), med, ms.back());
  return med;
}

// ------------------------------------------------------------------------------------------------
// Entry point shared by all versions
// ------------------------------------------------------------------------------------------------
struct LabOptions {
  int M = 4096, N = 4096, K = 4096;
  bool check_only = false;
  bool skip_small = false;
  int epi = EPI_NONE;  // epilogue used for the benchmark run
  int ta = 0, tb = 1;  // layout of the benchmark run (default NT)
  bool out_f32 = false;  // --out f32: fp32 output for every check and the timing
  int warmup = 5, reps = 30;
  uint64_t seed = 1234;
};

static inline void lab_usage(const char* prog) {
  std::printf(
      "usage: %s [M N K] [--check-only] [--no-small] [--epi none|bias|gelu] [--layout nt|nn|tn|tt]\n"
      "          [--out bf16|f32] [--reps R] [--warmup W] [--seed S]\n"
      "  C[M,N] = epi(op(a) @ op(b)), bf16 in/out, fp32 accumulate; default layout NT:\n"
      "  a [M,K], b [N,K] (y = x W^T). Validates the chosen layout on small shapes (full fp64\n"
      "  reference, all epilogues, tails) and on M N K (sampled), then times M N K.\n"
      "  Exit: 0 ok, 1 validation failed, 2 bad usage/unsupported, 3 CUDA error.\n",
      prog);
}

static inline LabOptions parse_lab_args(int argc, char** argv) {
  LabOptions o;
  std::vector<int> dims;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](const char* what) {
      LAB_REQUIRE(i + 1 < argc, "%s needs a value", what);
      return std::string(argv[++i]);
    };
    if (a == "--check-only") o.check_only = true;
    else if (a == "--no-small") o.skip_small = true;
    else if (a == "--epi") {
      std::string v = need("--epi");
      o.epi = v == "none" ? EPI_NONE : v == "bias" ? EPI_BIAS : v == "gelu" ? EPI_BIAS_GELU : -1;
      LAB_REQUIRE(o.epi >= 0, "--epi must be none, bias or gelu");
    } else if (a == "--out") {
      std::string v = need("--out");
      LAB_REQUIRE(v == "bf16" || v == "f32", "--out must be bf16 or f32");
      o.out_f32 = v == "f32";
    } else if (a == "--layout") {
      std::string v = need("--layout");
      for (auto& ch : v) ch = (char)std::tolower((unsigned char)ch);
      LAB_REQUIRE(v == "nt" || v == "nn" || v == "tn" || v == "tt", "--layout must be nt, nn, tn or tt");
      o.ta = v[0] == 't';
      o.tb = v[1] == 't';
    } else if (a == "--reps") o.reps = std::atoi(need("--reps").c_str());
    else if (a == "--warmup") o.warmup = std::atoi(need("--warmup").c_str());
    else if (a == "--seed") o.seed = std::strtoull(need("--seed").c_str(), nullptr, 10);
    else if (a == "-h" || a == "--help") { lab_usage(argv[0]); std::exit(0); }
    else if (!a.empty() && (a[0] >= '0' && a[0] <= '9')) dims.push_back(std::atoi(a.c_str()));
    else { lab_usage(argv[0]); LAB_REQUIRE(false, "unknown argument '%s'", a.c_str()); }
  }
  if (dims.size() == 1) { o.M = o.N = o.K = dims[0]; }
  else if (dims.size() == 3) { o.M = dims[0]; o.N = dims[1]; o.K = dims[2]; }
  else LAB_REQUIRE(dims.empty(), "give either one size (cube) or M N K");
  LAB_REQUIRE(o.M > 0 && o.N > 0 && o.K > 0, "sizes must be positive");
  LAB_REQUIRE(o.reps > 0 && o.warmup >= 0, "bad --reps/--warmup");
  return o;
}

// Row pitch (elements) of the stored operands must be a multiple of 8 (16 bytes) for 16-byte loads
// and TMA: a's pitch is K (or M when trans_a), b's is N (or K when trans_b).
static inline bool pitches_ok(int M, int N, int K, int ta, int tb) {
  return (ta ? M : K) % 8 == 0 && (tb ? K : N) % 8 == 0;
}

// layouts: bit mask of the Layout values the version implements.
static inline int gemm_lab_main(int argc, char** argv, const char* name, GemmLaunchFn launch, int layouts) {
  LabOptions o = parse_lab_args(argc, argv);
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  std::printf("%s on %s (sm_%d%d, %d SMs, %d KB smem/block opt-in, L2 %d MB)\n", name, prop.name,
              prop.major, prop.minor, prop.multiProcessorCount,
              (int)(prop.sharedMemPerBlockOptin / 1024), prop.l2CacheSize >> 20);
  LAB_REQUIRE(prop.major == 9 && prop.minor == 0,
              "%s is built for sm_90a (H100/H200) only; this device is sm_%d%d", name, prop.major,
              prop.minor);
  LAB_REQUIRE(layouts & layout_bit(o.ta, o.tb), "%s does not implement layout %s", name,
              layout_name(o.ta, o.tb));
  LAB_REQUIRE(pitches_ok(o.M, o.N, o.K, o.ta, o.tb),
              "%s: row pitches of a and b must be multiples of 8 elements (16 bytes): M=%d N=%d K=%d %s",
              name, o.M, o.N, o.K, layout_name(o.ta, o.tb));

  bool all_ok = true;
  uint64_t seed = o.seed;
  if (!o.skip_small) {
    // Small shapes with a full reference, fresh inputs each: one exact multiple of the tiles, and
    // tails in every dimension (M, N not multiples of 64/128/256, K not a multiple of 64, K < 64).
    // Shapes whose pitches do not fit a layout are skipped for that layout.
    const int shapes[][3] = {{256, 256, 128}, {200, 328, 136}, {129, 65, 8}, {136, 72, 24}, {384, 520, 264}};
    // Only the requested layout (so a bug in one layout cannot hide the timings of another);
    // gemm_lab.sh validates every layout in a separate pass.
    for (int ta = 0; ta <= 1; ++ta)
      for (int tb = 0; tb <= 1; ++tb) {
        if (!(layouts & layout_bit(ta, tb)) || ta != o.ta || tb != o.tb) continue;
        for (auto& s : shapes) {
          if (!pitches_ok(s[0], s[1], s[2], ta, tb)) continue;
          LabBuffers b;
          b.ta = ta; b.tb = tb; b.out_f32 = o.out_f32;
          b.alloc_and_init(s[0], s[1], s[2], ++seed);
          for (int epi = EPI_NONE; epi <= EPI_BIAS_GELU; ++epi)
            all_ok &= run_and_check(name, launch, b, epi, true, 0, seed);
          b.release();
        }
      }
  }
  LabBuffers big;
  big.ta = o.ta; big.tb = o.tb; big.out_f32 = o.out_f32;
  big.alloc_and_init(o.M, o.N, o.K, ++seed);
  all_ok &= run_and_check(name, launch, big, o.epi, false, 4096, seed);
  if (o.epi != EPI_BIAS_GELU && !o.skip_small)
    all_ok &= run_and_check(name, launch, big, EPI_BIAS_GELU, false, 1024, seed + 7);
  const std::string lay_s = std::string(layout_name(o.ta, o.tb)) + (o.out_f32 ? "/f32" : "");
  const char* lay = lay_s.c_str();
  if (!all_ok) {
    std::printf("RESULT %s %s M=%d N=%d K=%d check=FAIL\n", name, lay, o.M, o.N, o.K);
    big.release();
    return 1;
  }
  if (!o.check_only) {
    double ms = time_kernel(launch, big.problem(o.epi), o.warmup, o.reps);
    double tflops = 2.0 * o.M * (double)o.N * o.K / (ms * 1e-3) / 1e12;
    std::printf("RESULT %s %s M=%d N=%d K=%d epi=%s ms=%.4f tflops=%.1f check=PASS\n", name, lay,
                o.M, o.N, o.K, epi_name(o.epi), ms, tflops);
  } else {
    std::printf("RESULT %s %s M=%d N=%d K=%d check=PASS (check-only)\n", name, lay, o.M, o.N, o.K);
  }
  big.release();
  return 0;
}

// ================================================================================================
// Device side: PTX wrappers (sm_90a). Layout facts are stated where they are used.
// ================================================================================================

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}

// ---- wgmma shared-memory matrix descriptor (PTX ISA "Matrix Descriptor Format") ---------------
// 64-bit value:
//   bits  0-13  start address >> 4        (shared-window byte address, 16-byte granularity)
//   bits 16-29  leading-dim byte offset >> 4 (LBO)
//   bits 32-45  stride-dim  byte offset >> 4 (SBO)
//   bits 49-51  matrix base offset         (0: every swizzle atom starts 1024-byte aligned)
//   bits 62-63  swizzle mode: 0 none, 1 = 128B, 2 = 64B, 3 = 32B
// Our operand tiles are K-major with the 128-byte swizzle:
//   - a tile row (one M or N index) holds BK = 64 bf16 = 128 bytes of K, one "swizzle row";
//   - 8 consecutive rows form a 1024-byte swizzle atom; inside it the 16-byte chunk c of row r is
//     stored at chunk position c ^ (r % 8) (this is what TMA's CU_TENSOR_MAP_SWIZZLE_128B writes,
//     and what v1 writes by hand);
//   - atoms are stacked densely along M/N, so SBO (distance between 8-row groups) = 1024 bytes;
//   - for swizzled K-major layouts LBO is unused (the whole K extent of one wgmma, 16 elements =
//     32 bytes, lies inside one 128-byte row); PTX says "assumed 1", so we encode 1.
//   - one wgmma consumes K = 16 (32 bytes); the k-th 16-slice of a 64-wide tile starts 32*k bytes
//     after the tile base. The hardware applies the XOR swizzle to the final address bits [4:6] ^
//     [7:9], so adding 32*k to the start address is correct only if the tile base is 1024-aligned.
constexpr int SW128_ROW_BYTES = 128;
constexpr int SW128_ATOM_BYTES = 1024;
constexpr uint64_t DESC_SWIZZLE_128B = 1ull;

__device__ __forceinline__ uint64_t make_desc_kmajor_sw128(uint32_t smem_addr) {
  uint64_t d = 0;
  d |= (uint64_t)((smem_addr & 0x3FFFFu) >> 4);               // start address
  d |= (uint64_t)1 << 16;                                      // LBO (unused, "assumed 1")
  d |= (uint64_t)(SW128_ATOM_BYTES >> 4) << 32;                // SBO = 1024 B -> 64
  d |= DESC_SWIZZLE_128B << 62;                                // 128B swizzle
  return d;
}

// MN-major operand (imm-trans = 1; a stored [K,M] for A, b stored [K,N] for B), 128B swizzle.
// The tile is kept as CHUNKS of 64 M/N-elements: chunk j holds MN indices 64j..64j+63 for all BK
// k's, one 128-byte row per k (rows swizzled like the K-major case: 16-byte unit u of row r at
// u ^ (r % 8)), i.e. exactly one TMA box {64 MN, BK rows} with CU_TENSOR_MAP_SWIZZLE_128B.
// 8 k-rows form one 1024-byte atom. Strides (PTX: for MN-major swizzled layouts the "leading"
// offset steps between swizzle-width (64-element) groups along MN, the "stride" offset between
// 8-row groups along K):
//   LBO = distance between MN chunks = BK * 128 bytes (8 KB for BK = 64)
//   SBO = distance between 8-k-row groups = 1024 bytes
// The k16 slice kk of a wgmma starts kk * 16 rows * 128 B = 2048*kk bytes in (whole atoms).
// THIS IS THE LEAST CERTAIN FIELD ASSIGNMENT IN THE LAB: if the MN-major layouts fail while NT
// passes, run with GEMM_MN_SWAP=1, which swaps LBO and SBO (see v3).
__device__ __forceinline__ uint64_t make_desc_mnmajor_sw128(uint32_t smem_addr, uint32_t lbo_bytes,
                                                            uint32_t sbo_bytes) {
  uint64_t d = 0;
  d |= (uint64_t)((smem_addr & 0x3FFFFu) >> 4);
  d |= (uint64_t)((lbo_bytes >> 4) & 0x3FFFu) << 16;
  d |= (uint64_t)((sbo_bytes >> 4) & 0x3FFFu) << 32;
  d |= DESC_SWIZZLE_128B << 62;
  return d;
}

// byte offset of element (row r, k) inside a K-major SW128 tile whose rows are 128 bytes
__host__ __device__ constexpr uint32_t sw128_offset(uint32_t r, uint32_t k) {
  return r * SW128_ROW_BYTES + ((((k * 2) >> 4) ^ (r & 7)) << 4) + ((k * 2) & 15);
}
static_assert(sw128_offset(0, 8) == 16, "chunk 1 of row 0 unswizzled");
static_assert(sw128_offset(1, 0) == 128 + 16, "row 1 chunk 0 lands in chunk slot 1");
static_assert(sw128_offset(7, 63) == 7 * 128 + ((7 ^ 7) << 4) + 14, "last element of an atom");

// ---- wgmma fences ------------------------------------------------------------------------------
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  static_assert(N >= 0 && N <= 7, "wait_group takes 0..7");
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from moving accumulator reads/writes across wgmma issue/wait.
template <int R>
__device__ __forceinline__ void fence_regs(float (&d)[R]) {
#pragma unroll
  for (int i = 0; i < R; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// ---- wgmma.mma_async m64nNk16, bf16 x bf16 -> f32, A and B from shared memory ------------------
// Operands after the descriptors: scale-d (predicate: 0 -> D = A*B, 1 -> D += A*B),
// imm-scale-a = 1, imm-scale-b = 1 (no negation), imm-trans-a = TA, imm-trans-b = TB
// (0: the operand is K-major in smem, the NT case; 1: M-/N-major, see make_desc_mnmajor_sw128).
// Accumulator fragment (f32, N/2 registers per thread), thread t of the warpgroup, warp w = t/32,
// lane l:   d[i] -> row = 16*w + l/4 + 8*((i/2) % 2),  col = 8*(i/4) + 2*(l%4) + (i%2)
// (the mma.sync m16n8 C layout, warp w owning rows 16w..16w+15, repeated for each 8-column block).
template <int TA = 0, int TB = 0>
__device__ __forceinline__ void wgmma_m64n128k16(float (&d)[64], uint64_t da, uint64_t db, int scale_d) {
  static_assert((TA == 0 || TA == 1) && (TB == 0 || TB == 1), "imm-trans is 0 (K-major) or 1 (MN-major)");
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1, %67, %68;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(da), "l"(db), "r"(scale_d), "n"(TA), "n"(TB));
}

template <int TA = 0, int TB = 0>
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], uint64_t da, uint64_t db, int scale_d) {
  static_assert((TA == 0 || TA == 1) && (TB == 0 || TB == 1), "imm-trans is 0 (K-major) or 1 (MN-major)");
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
      "%128, %129, p, 1, 1, %131, %132;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
        "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
        "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
        "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
        "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
        "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
        "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "l"(da), "l"(db), "r"(scale_d), "n"(TA), "n"(TB));
}

// ---- async-proxy fence -------------------------------------------------------------------------
// Generic-proxy writes to shared memory (st.shared, v1's hand-made tiles) must be made visible to
// the async proxy (wgmma operand reads, TMA) by this fence in each writing thread, then a barrier.
__device__ __forceinline__ void fence_proxy_async_smem() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// ---- mbarrier (64-bit object in shared memory, 8-byte aligned) ----------------------------------
// Phase protocol: a barrier starts in phase 0. It completes the current phase when its pending
// arrival count reaches 0 AND its pending transaction bytes reach 0; then the phase flips.
// try_wait.parity(P) returns true once the phase with parity P has completed, i.e. while the
// barrier's current phase parity != P. So a consumer waiting for the n-th fill of a slot waits on
// parity (n & 1); a producer waiting for the slot to be freed for the n-th time (n >= 1) waits on
// the empty barrier's parity ((n - 1) & 1), which is written (n & 1) ^ 1 — for n = 0 that is
// parity 1, the "phase before phase 0", which counts as already completed: the first pass through
// the ring does not block.
__device__ __forceinline__ void mbar_init(uint64_t* bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(count) : "memory");
}
// Makes mbarrier.init visible to the async proxy (TMA complete_tx) and to other threads/CTAs.
__device__ __forceinline__ void fence_mbar_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
// One arrival + announce `bytes` of transactions (TMA bytes) that must land before the phase ends.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint64_t* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_u32(bar)) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint64_t* bar, uint32_t parity) {
  asm volatile(
      "{\n.reg .pred done;\n"
      "WAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_%=;\n}\n" ::"r"(smem_u32(bar)),
      "r"(parity)
      : "memory");
}

// ---- TMA (cp.async.bulk.tensor) -----------------------------------------------------------------
// 2-D tiled load of one box into shared memory; completion is signalled on `bar` as transaction
// bytes (the full box size is always counted, also for boxes partly outside the tensor, whose
// out-of-bounds elements are filled with zeros). Coordinates: c0 = innermost (K, elements),
// c1 = row. The tensor map must live in param/const/global space: we pass it as a
// __grid_constant__ kernel parameter and hand its generic address to the instruction.
__device__ __forceinline__ void tma_load_2d(void* smem_dst, const CUtensorMap* map, uint64_t* bar,
                                            int c0, int c1) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
      " [%0], [%1, {%3, %4}], [%2];\n" ::"r"(smem_u32(smem_dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(smem_u32(bar)), "r"(c0), "r"(c1)
      : "memory");
}
__device__ __forceinline__ void tma_prefetch_desc(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}

// ---- thread-block clusters (v4+) -------------------------------------------------------------
__device__ __forceinline__ uint32_t cluster_ctarank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}
// Full cluster barrier: every thread of every CTA in the cluster must execute it (aligned: the
// whole warp, converged). release/acquire order shared-memory accesses across the cluster.
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::: "memory");
}
// Address of the same shared-memory object in CTA `rank` of this cluster (shared::cluster window).
__device__ __forceinline__ uint32_t mapa_shared(uint32_t smem_addr, uint32_t rank) {
  uint32_t out;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(out) : "r"(smem_addr), "r"(rank));
  return out;
}
// Arrive on an mbarrier that may live in another CTA of the cluster (address from mapa_shared).
__device__ __forceinline__ void mbar_arrive_cluster(uint32_t cluster_addr) {
  asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];\n" ::"r"(cluster_addr) : "memory");
}
// Wait whose acquire covers arrivals released by other CTAs of the cluster.
__device__ __forceinline__ void mbar_wait_cluster(uint64_t* bar, uint32_t parity) {
  asm volatile(
      "{\n.reg .pred done;\n"
      "WAITC_%=:\n"
      "mbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAITC_%=;\n}\n" ::"r"(smem_u32(bar)),
      "r"(parity)
      : "memory");
}
// TMA load multicast to every CTA in `cta_mask`: the box lands at the same smem offset in each of
// them, and each destination CTA's mbarrier at the same offset as `bar` receives complete_tx of
// the box bytes.
__device__ __forceinline__ void tma_load_2d_multicast(void* smem_dst, const CUtensorMap* map, uint64_t* bar,
                                                      int c0, int c1, uint16_t cta_mask) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%3, %4}], [%2], %5;\n" ::"r"(smem_u32(smem_dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(smem_u32(bar)), "r"(c0), "r"(c1), "h"(cta_mask)
      : "memory");
}

// ---- register reallocation between warpgroups (needs __launch_bounds__(threads, 1)) -------------
template <int R>
__device__ __forceinline__ void setmaxnreg_inc() {
  static_assert(R % 8 == 0 && R >= 24 && R <= 256, "setmaxnreg: multiple of 8 in [24, 256]");
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(R));
}
template <int R>
__device__ __forceinline__ void setmaxnreg_dec() {
  static_assert(R % 8 == 0 && R >= 24 && R <= 256, "setmaxnreg: multiple of 8 in [24, 256]");
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(R));
}

// ---- epilogue ----------------------------------------------------------------------------------
__device__ __forceinline__ float gelu_tanh_dev(float x) {
  const float k0 = 0.7978845608028654f;
  return 0.5f * x * (1.f + tanhf(k0 * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ float apply_epi(float v, int epi, const bf16* bias, int col) {
  if (epi != EPI_NONE) v += __bfloat162float(bias[col]);
  if (epi == EPI_BIAS_GELU) v = gelu_tanh_dev(v);
  return v;
}

// Stores one warpgroup's m64nN fp32 accumulator fragment (layout above) into C at (row0, col0),
// guarded for the M/N tails: as bf16 into C, or as fp32 into Cf when Cf != nullptr. Pairs of
// adjacent columns go out as one 4-byte (bf16x2) or 8-byte (float2) store when the pair is in
// bounds and aligned (N even).
template <int NF>
__device__ __forceinline__ void store_fragment(const float (&d)[NF], bf16* C, float* Cf, int M, int N,
                                               int row0, int col0, int epi, const bf16* bias) {
  const int t = threadIdx.x % 128, w = t / 32, l = t % 32;
  const bool n_even = (N % 2) == 0;
#pragma unroll
  for (int i = 0; i < NF; i += 2) {
    const int row = row0 + 16 * w + l / 4 + 8 * ((i / 2) % 2);
    const int col = col0 + 8 * (i / 4) + 2 * (l % 4);
    if (row >= M) continue;
    const size_t off = (size_t)row * N + col;
    if (n_even && col + 1 < N) {
      const float v0 = apply_epi(d[i], epi, bias, col), v1 = apply_epi(d[i + 1], epi, bias, col + 1);
      if (Cf) *reinterpret_cast<float2*>(Cf + off) = make_float2(v0, v1);
      else *reinterpret_cast<__nv_bfloat162*>(C + off) = __floats2bfloat162_rn(v0, v1);
    } else {
      if (col < N) {
        const float v0 = apply_epi(d[i], epi, bias, col);
        if (Cf) Cf[off] = v0; else C[off] = __float2bfloat16(v0);
      }
      if (col + 1 < N) {
        const float v1 = apply_epi(d[i + 1], epi, bias, col + 1);
        if (Cf) Cf[off + 1] = v1; else C[off + 1] = __float2bfloat16(v1);
      }
    }
  }
}

// ---- host: cuTensorMapEncodeTiled through the runtime (no -lcuda) -------------------------------
static inline PFN_cuTensorMapEncodeTiled_v12000 get_tensor_map_encoder() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  if (fn) return fn;
  void* p = nullptr;
  cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
  CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q));
  LAB_REQUIRE(q == cudaDriverEntryPointSuccess && p != nullptr,
              "cuTensorMapEncodeTiled not found in the driver (query result %d)", (int)q);
  fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  return fn;
}

// Tensor map for a row-major bf16 matrix [rows, cols] (cols contiguous, cols % 8 == 0), loaded in
// boxes of box_rows x 64 columns with the 128-byte swizzle (64 bf16 = 128 bytes = one swizzle row;
// the swizzle-128B mode requires box inner extent * elemsize <= 128). Out-of-bounds -> zeros.
// Despite the name it serves both operand kinds: K-major (rows = M or N, cols = K, box_rows = the
// tile's M/N extent) and MN-major (rows = K, cols = M or N, box_rows = BK: one 64-wide chunk).
static inline CUtensorMap make_tmap_kmajor_sw128(const bf16* base, int rows, int cols, int box_rows) {
  LAB_REQUIRE(cols % 8 == 0, "TMA needs the row pitch (%d elems) to be a multiple of 16 bytes", cols);
  LAB_REQUIRE(box_rows >= 1 && box_rows <= 256, "TMA box extent must be in [1,256]");
  LAB_REQUIRE(((uintptr_t)base % 16) == 0, "TMA needs a 16-byte aligned base");
  CUtensorMap map;
  std::memset(&map, 0, sizeof(map));
  cuuint64_t dims[2] = {(cuuint64_t)cols, (cuuint64_t)rows};         // innermost first
  cuuint64_t strides[1] = {(cuuint64_t)cols * sizeof(bf16)};          // bytes, dims 1..rank-1
  cuuint32_t box[2] = {64, (cuuint32_t)box_rows};
  cuuint32_t estrides[2] = {1, 1};
  CUresult r = get_tensor_map_encoder()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, (void*)base, dims,
                                        strides, box, estrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                        CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                        CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  LAB_REQUIRE(r == CUDA_SUCCESS, "cuTensorMapEncodeTiled failed (CUresult %d) rows=%d cols=%d box_rows=%d",
              (int)r, rows, cols, box_rows);
  return map;
}

// Small cache so that timing loops do not re-encode tensor maps on every launch (encoding is a
// host call of a few microseconds — as long as a whole 1024^3 GEMM).
static inline CUtensorMap cached_tmap_kmajor_sw128(const bf16* base, int rows, int cols, int box_rows) {
  struct Entry { const bf16* base; int rows, cols, box; CUtensorMap map; };
  static Entry cache[16];
  static int used = 0, next = 0;
  for (int i = 0; i < used; ++i)
    if (cache[i].base == base && cache[i].rows == rows && cache[i].cols == cols && cache[i].box == box_rows)
      return cache[i].map;
  Entry e{base, rows, cols, box_rows, make_tmap_kmajor_sw128(base, rows, cols, box_rows)};
  cache[next] = e;
  next = (next + 1) % 16;
  used = std::min(used + 1, 16);
  return e.map;
}
