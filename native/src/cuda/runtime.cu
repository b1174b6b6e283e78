// The CUDA runtime layer: device availability (decided once; a machine without a driver or GPU
// just reports why), the one stream, the caching device allocator, error checks, the device-side
// record of bad ids, host-overhead counters and NVTX ranges.
#include <nvtx3/nvToolsExt.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cuda/common.cuh"

namespace triad::cuda {

namespace {

std::atomic<int64_t> n_syncs{0}, n_mallocs{0}, n_launches{0};

struct Device {
  bool ok = false;
  std::string reason;
  int sms = 0;
  cudaStream_t stream = nullptr;
  bool sync_each_op = false;
};

Device& device() {
  static Device d = [] {
    Device r;
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      int driver = 0;
      cudaDriverGetVersion(&driver);
      r.reason = driver == 0 ? std::string("no NVIDIA driver found (libcuda.so.1 is not loadable)")
                             : std::string("no usable CUDA device (driver API version ") +
                                   std::to_string(driver) + ")";
      r.reason += std::string(": ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
      cudaGetLastError();  // not sticky, but leave nothing behind
      return r;
    }
    if (count < 1) {
      r.reason = "no CUDA device found";
      return r;
    }
    cudaDeviceProp prop{};
    e = cudaGetDeviceProperties(&prop, 0);
    if (e != cudaSuccess) {
      r.reason = std::string("cudaGetDeviceProperties failed: ") + cudaGetErrorString(e);
      return r;
    }
    if (prop.major < 8) {
      r.reason = std::string("device 0 (") + prop.name + ") has compute capability " +
                 std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                 "; the CUDA backend needs 8.0 or newer";
      return r;
    }
    e = cudaSetDevice(0);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
      r.reason = std::string("cannot initialise device 0 (") + prop.name + "): " + cudaGetErrorString(e);
      return r;
    }
    r.sms = prop.multiProcessorCount;
    const char* sync = std::getenv("TRIAD_CUDA_SYNC");
    r.sync_each_op = sync && sync[0] == '1';
    r.ok = true;
    return r;
  }();
  return d;
}

Device& ready() {
  Device& d = device();
  if (!d.ok) fail(TRIAD_ERR_UNSUPPORTED, "cuda is not available: " + d.reason);
  return d;
}

// ---- caching allocator ----
// Blocks are rounded up (512 B below 1 MiB, else 2 MiB) and kept on free lists keyed by size
// when released; a request takes the smallest cached block that fits within 2x (or exactly the
// rounded size for large ones), else cudaMalloc. A failed cudaMalloc empties the cache and tries
// again before reporting TRIAD_ERR_OOM with the requested and free bytes. One stream, so a block
// released by the host is safe to hand out again: its next use is queued after its last one.
class Allocator {
 public:
  // TRIAD_CUDA_NO_CACHE=1: exact-size cudaMalloc/cudaFree per buffer, so compute-sanitizer's
  // memcheck sees every buffer's true end (rounded cached blocks would hide small overruns).
  Allocator() {
    const char* v = std::getenv("TRIAD_CUDA_NO_CACHE");
    exact_ = v && v[0] == '1';
  }

  void* alloc(size_t bytes) {
    const size_t size = exact_ ? (bytes ? bytes : 1) : round(bytes);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.lower_bound(size);
    if (!exact_ && it != free_.end() && it->first <= 2 * size) {
      void* p = it->second;
      live_[p] = it->first;
      free_.erase(it);
      return p;
    }
    void* p = nullptr;
    ++n_mallocs;
    cudaError_t e = cudaMalloc(&p, size);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      release_cached_locked();
      ++n_mallocs;
      e = cudaMalloc(&p, size);
    }
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      fail(TRIAD_ERR_OOM, "out of memory on cuda: requested " + std::to_string(bytes) +
                              " bytes, " + std::to_string(free_b) + " of " +
                              std::to_string(total_b) + " bytes free, " +
                              std::to_string(reserved_) + " bytes held by triad");
    }
    check(e, "cudaMalloc");
    reserved_ += size;
    live_[p] = size;
    return p;
  }

  void release(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(p);
    if (it == live_.end()) return;  // not ours: ignore rather than corrupt the cache
    if (exact_) {
      ++n_syncs;
      cudaFree(p);  // synchronizes with queued work
      reserved_ -= it->second;
    } else {
      free_.emplace(it->second, p);
    }
    live_.erase(it);
  }

  void empty() {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached_locked();
  }

  int64_t reserved() {
    std::lock_guard<std::mutex> lock(mu_);
    return (int64_t)reserved_;
  }

 private:
  static size_t round(size_t n) {
    constexpr size_t kSmall = 512, kLarge = 2u << 20;
    if (n == 0) n = 1;
    return n < (1u << 20) ? (n + kSmall - 1) / kSmall * kSmall : (n + kLarge - 1) / kLarge * kLarge;
  }

  void release_cached_locked() {
    if (free_.empty()) return;
    ++n_syncs;
    cudaStreamSynchronize(device().stream);  // cached blocks may still be in use by queued work
    for (auto& [size, p] : free_) {
      cudaFree(p);
      reserved_ -= size;
    }
    free_.clear();
  }

  std::mutex mu_;
  std::multimap<size_t, void*> free_;       // size -> cached block
  std::unordered_map<void*, size_t> live_;  // handed-out block -> its size
  size_t reserved_ = 0;
  bool exact_ = false;
};

Allocator& allocator() {
  static Allocator* a = new Allocator();  // never destroyed: buffers may be freed at exit
  return *a;
}

// ---- the bad-id record: device-resident, mirrored into pinned host memory by the copy that
// every synchronizing call queues just before it waits (so reading it costs no extra sync) ----
struct IdRecord {
  IdError* dev = nullptr;
  IdError* host = nullptr;  // pinned
};

IdRecord& id_record() {
  static IdRecord* r = [] {
    auto* rec = new IdRecord();  // never destroyed: kernels may still be queued at exit
    ++n_mallocs;
    check(cudaMalloc(&rec->dev, sizeof(IdError)), "cudaMalloc(id record)");
    ++n_mallocs;
    check(cudaMallocHost(&rec->host, sizeof(IdError)), "cudaMallocHost(id record)");
    std::memset(rec->host, 0, sizeof(IdError));
    check(cudaMemsetAsync(rec->dev, 0, sizeof(IdError), device().stream), "cudaMemsetAsync(id record)");
    return rec;
  }();
  return *r;
}

// op and id kind of each IdSite
const char* const kSiteOp[kIdSiteCount] = {
    "", "embedding_forward", "embedding_forward", "embedding_backward", "embedding_backward",
    "gather_forward", "gather_backward", "cross_entropy_forward", "cross_entropy_backward",
    "attention_decode"};
const char* const kSiteWhat[kIdSiteCount] = {
    "", "token id", "position id", "token id", "position id", "gather index", "gather index",
    "target", "target", "start"};

// Waits for the stream; `what` names the call (or, with name_is_op, the op that just ran).
void sync_checked(const char* what, bool name_is_op) {
  cudaStream_t st = ready().stream;
  IdRecord& rec = id_record();
  cudaError_t e = cudaMemcpyAsync(rec.host, rec.dev, sizeof(IdError), cudaMemcpyDeviceToHost, st);
  ++n_syncs;
  if (e == cudaSuccess) e = cudaStreamSynchronize(st);
  const std::string where = name_is_op ? std::string(what)
                                       : std::string(what) + " (an asynchronous error from this or an earlier op; run with "
                                                             "TRIAD_CUDA_SYNC=1 to find the op)";
  check(e, where.c_str());
  const IdError bad = *rec.host;
  if (bad.site == kIdNone) return;
  rec.host->site = kIdNone;
  check(cudaMemsetAsync(rec.dev, 0, sizeof(IdError), st), "cudaMemsetAsync(id record)");
  const int site = bad.site > 0 && bad.site < kIdSiteCount ? bad.site : 0;
  fail(TRIAD_ERR_INVALID, std::string(kSiteWhat[site]) + " " + std::to_string(bad.value) + " at index " +
                              std::to_string(bad.index) + " is out of range [0, " + std::to_string(bad.limit) +
                              ") in " + kSiteOp[site] +
                              " (ids are checked on the device and reported at the next synchronizing call; "
                              "that op skipped the bad id)");
}

}  // namespace

bool available() { return device().ok; }
const char* unavailable_reason() { return device().ok ? "" : device().reason.c_str(); }
cudaStream_t stream() { return ready().stream; }
int sm_count() { return ready().sms; }

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next op starts clean
  const std::string msg = std::string(what) + ": " + cudaGetErrorName(status) + " (" +
                          cudaGetErrorString(status) + ")";
  if (status == cudaErrorMemoryAllocation) fail(TRIAD_ERR_OOM, "out of memory on cuda: " + msg);
  fail(TRIAD_ERR_DEVICE, msg);
}

void* alloc(size_t bytes) {
  ready();
  return allocator().alloc(bytes);
}
void release(void* ptr) { allocator().release(ptr); }
int64_t reserved_bytes() { return device().ok ? allocator().reserved() : 0; }
void empty_cache() {
  ready();
  allocator().empty();
}

void memory_info(int64_t* free_bytes, int64_t* total_bytes) {
  ready();
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  *free_bytes = static_cast<int64_t>(free_b);
  *total_bytes = static_cast<int64_t>(total_b);
}

void synchronize(const char* what) { sync_checked(what, false); }

IdError* id_error() { return id_record().dev; }

void count_launch() { ++n_launches; }
void count_sync() { ++n_syncs; }
void count_malloc() { ++n_mallocs; }
Counters counters() { return Counters{n_syncs.load(), n_mallocs.load(), n_launches.load()}; }

void range_push(const char* name) { nvtxRangePushA(name); }
void range_pop() { nvtxRangePop(); }

OpScope::OpScope(const char* name) : name_(name) {
  ready();
  nvtxRangePushA(name);
}
OpScope::~OpScope() { nvtxRangePop(); }
void OpScope::finish() {
  check(cudaGetLastError(), name_);
  if (device().sync_each_op) sync_checked(name_, true);
}

void allow_dynamic_smem(const void* kernel, size_t bytes) {
  if (bytes <= 48 * 1024) return;
  static std::mutex mu;
  static std::unordered_map<const void*, size_t>* limits = new std::unordered_map<const void*, size_t>();
  std::lock_guard<std::mutex> lock(mu);
  size_t& cur = (*limits)[kernel];
  if (bytes <= cur) return;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes),
        "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
  cur = bytes;
}

}  // namespace triad::cuda
