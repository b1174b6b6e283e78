// triad_dist_*: the communicator. Loads the plug-ins (dist/plugin.h), checks every call's buffers
// and counts, and hands raw pointers to the plug-in: device pointers to a device plug-in (NCCL),
// host memory to a host plug-in (MPI), staging CUDA buffers and bf16 sums through a CPU copy.
#include <dlfcn.h>

#include <unistd.h>

#include <cstring>
#include <mutex>
#include <string>

#include "api/api.h"
#include "dist/plugin.h"

namespace triad {
namespace {

std::mutex init_mutex;
const triad_dist_plugin* host_plugin = nullptr;    // MPI: rank, size, host collectives, bootstrap
const triad_dist_plugin* device_plugin = nullptr;  // NCCL for CUDA buffers, or none
std::string backend;
bool finalized = false;

// The host communicator of a process that is the whole job, without any launcher or MPI: rank 0 of
// 1. Its collectives copy or do nothing. What triad_dist_init(NULL, nccl) starts NCCL over (one
// GPU, for a smoke test of the NCCL plug-in where no MPI is installed).
namespace self {
int init(const triad_dist_bootstrap*) { return 0; }
int zero() { return 0; }
int one() { return 1; }
int64_t bytes(int64_t count, int dtype) { return count * (dtype == TRIAD_BF16 ? 2 : 4); }
int all_reduce_sum(void*, int64_t, int) { return 0; }
int reduce_scatter_sum(const void* in, void* out, int64_t count, int dtype) {
  std::memcpy(out, in, bytes(count, dtype));
  return 0;
}
int all_gather(const void* in, void* out, int64_t count, int dtype) {
  std::memcpy(out, in, bytes(count, dtype));
  return 0;
}
int broadcast(void*, int64_t, int, int) { return 0; }
int barrier() { return 0; }
void abort(int code) { _exit(code); }
int finalize() { return 0; }
const char* last_error() { return ""; }
const triad_dist_plugin plugin = {TRIAD_DIST_PLUGIN_ABI, "self", 0, init, zero, one, zero, all_reduce_sum,
                                  reduce_scatter_sum, all_gather, broadcast, barrier, abort, finalize, last_error};
}  // namespace self

const triad_dist_plugin* load_plugin(const char* path, const char* role) {
  if (!path || !*path) fail(TRIAD_ERR_INVALID, std::string(role) + " plug-in path is empty");
  // RTLD_GLOBAL: Open MPI loads its own components later and they resolve libmpi's symbols
  // through the global namespace.
  void* handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!handle) {
    const char* why = dlerror();
    fail(TRIAD_ERR_UNSUPPORTED, std::string("cannot load ") + path + ": " + (why ? why : "unknown reason"));
  }
  auto entry = reinterpret_cast<triad_dist_plugin_fn>(dlsym(handle, TRIAD_DIST_PLUGIN_SYMBOL));
  if (!entry) fail(TRIAD_ERR_UNSUPPORTED, std::string(path) + " is not a Triad communication plug-in");
  const triad_dist_plugin* p = entry();
  if (!p || p->abi != TRIAD_DIST_PLUGIN_ABI) {
    fail(TRIAD_ERR_UNSUPPORTED, std::string(path) + " was built for another plug-in ABI than " +
                                    std::to_string(TRIAD_DIST_PLUGIN_ABI));
  }
  return p;
}

void comm_check(const triad_dist_plugin* p, int rc) {
  if (rc != 0) fail(TRIAD_ERR_COMM, std::string(p->name) + ": " + p->last_error());
}

const triad_dist_plugin& started() {
  if (!host_plugin) fail(TRIAD_ERR_INVALID, "the communicator is not started (call triad_dist_init first)");
  if (finalized) fail(TRIAD_ERR_INVALID, "the communicator was finalized");
  return *host_plugin;
}

int host_broadcast_bytes(void* data, int64_t bytes, int root) {
  // NCCL's unique id: whole 32-bit words (128 bytes)
  if (bytes % 4 != 0) return 1;
  return host_plugin->broadcast(data, bytes / 4, TRIAD_I32, root);
}

void api(int status) {
  if (status != TRIAD_OK) fail(status, triad_last_error());
}

// The first `n` elements of `b` as host memory in a dtype the host plug-in sums (f32 or i32):
// the buffer's own memory for a CPU f32/i32 buffer, else a CPU copy (bf16 widened to f32) that
// commit() writes back (narrowed with round-to-nearest-even).
class HostView {
 public:
  HostView(triad_buffer* b, int64_t n, bool read) : b_(b), n_(n) {
    if (b->device == TRIAD_DEVICE_CPU && b->dtype != TRIAD_BF16) {
      data_ = b->data;
      dtype_ = b->dtype;
      return;
    }
    dtype_ = b->dtype == TRIAD_BF16 ? TRIAD_F32 : b->dtype;
    api(triad_buffer_alloc_uninit(TRIAD_DEVICE_CPU, b->dtype, n, &same_));
    if (b->dtype == TRIAD_BF16) api(triad_buffer_alloc_uninit(TRIAD_DEVICE_CPU, TRIAD_F32, n, &wide_));
    if (read) {
      api(triad_buffer_copy(same_, 0, b, 0, n));
      if (wide_) api(triad_cast(wide_, same_));
    }
    data_ = (wide_ ? wide_ : same_)->data;
  }
  ~HostView() {
    triad_buffer_free(wide_);
    triad_buffer_free(same_);
  }
  HostView(const HostView&) = delete;
  HostView& operator=(const HostView&) = delete;
  void* data() const { return data_; }
  int dtype() const { return dtype_; }
  void commit() {
    if (!same_) return;
    if (wide_) api(triad_cast(same_, wide_));
    api(triad_buffer_copy(b_, 0, same_, 0, n_));
  }

 private:
  triad_buffer* b_;
  int64_t n_;
  triad_buffer* same_ = nullptr;
  triad_buffer* wide_ = nullptr;
  void* data_ = nullptr;
  int dtype_ = TRIAD_F32;
};

const triad_buffer& need_region(const triad_buffer* b, const char* name, int64_t n) {
  if (!b) fail(TRIAD_ERR_INVALID, std::string(name) + " is NULL");
  if (b->numel < n) {
    fail(TRIAD_ERR_INVALID, std::string(name) + " has " + std::to_string(b->numel) + " elements, needs " +
                                std::to_string(n));
  }
  return *b;
}

// A device plug-in takes CUDA buffers directly; it runs on its own stream, so the work queued on
// libtriad's stream must be done first.
bool on_device_plugin(const triad_buffer& b) {
  if (!device_plugin || b.device != TRIAD_DEVICE_CUDA) return false;
  api(triad_cuda_synchronize());
  return true;
}

void check_pair(const triad_buffer& out, const triad_buffer& in) {
  if (out.dtype != in.dtype) {
    fail(TRIAD_ERR_INVALID, std::string("out is ") + dtype_name(out.dtype) + " but in is " + dtype_name(in.dtype));
  }
  if (out.device != in.device) {
    fail(TRIAD_ERR_INVALID, std::string("out is on ") + device_name(out.device) + " but in is on " +
                                device_name(in.device));
  }
  if (out.data == in.data) fail(TRIAD_ERR_INVALID, "out and in are the same buffer");
}

int64_t times(int64_t count, int size) {
  int64_t total;
  if (count < 0) fail(TRIAD_ERR_INVALID, "count must be >= 0, got " + std::to_string(count));
  if (__builtin_mul_overflow(count, static_cast<int64_t>(size), &total)) fail(TRIAD_ERR_INVALID, "count overflows");
  return total;
}

}  // namespace
}  // namespace triad

using namespace triad;

extern "C" {

int triad_dist_init(const char* host_path, const char* device_path) {
  return guard("dist_init", [&] {
    std::lock_guard<std::mutex> lock(init_mutex);
    if (host_plugin) fail(TRIAD_ERR_INVALID, "the communicator is already started (" + backend + ")");
    const triad_dist_plugin* host = host_path ? load_plugin(host_path, "host") : &self::plugin;
    if (host->device_pointers) fail(TRIAD_ERR_INVALID, std::string(host_path) + " is a device plug-in, not a host one");
    const triad_dist_plugin* device = device_path ? load_plugin(device_path, "device") : nullptr;
    comm_check(host, host->init(nullptr));
    host_plugin = host;
    backend = host->name;
    if (device) {
      triad_dist_bootstrap boot{host->rank(), host->size(), host->local_rank(), host_broadcast_bytes};
      comm_check(device, device->init(&boot));
      device_plugin = device;
      backend += std::string("+") + device->name;
    }
  });
}

int triad_dist_rank(int* rank) {
  return guard("dist_rank", [&] {
    if (!rank) fail(TRIAD_ERR_INVALID, "rank is NULL");
    *rank = started().rank();
  });
}

int triad_dist_size(int* size) {
  return guard("dist_size", [&] {
    if (!size) fail(TRIAD_ERR_INVALID, "size is NULL");
    *size = started().size();
  });
}

int triad_dist_local_rank(int* rank) {
  return guard("dist_local_rank", [&] {
    if (!rank) fail(TRIAD_ERR_INVALID, "rank is NULL");
    *rank = started().local_rank();
  });
}

const char* triad_dist_backend(void) { return backend.c_str(); }

int triad_dist_all_reduce_sum(triad_buffer* buf, int64_t count) {
  return guard("dist_all_reduce_sum", [&] {
    const triad_dist_plugin& host = started();
    const triad_buffer& b = need_region(buf, "buf", count);
    Pinned pb(buf, "buf");
    if (count == 0) return;
    if (on_device_plugin(b)) return comm_check(device_plugin, device_plugin->all_reduce_sum(b.data, count, b.dtype));
    HostView v(buf, count, true);
    comm_check(&host, host.all_reduce_sum(v.data(), count, v.dtype()));
    v.commit();
  });
}

int triad_dist_reduce_scatter_sum(triad_buffer* out, const triad_buffer* in, int64_t count) {
  return guard("dist_reduce_scatter_sum", [&] {
    const triad_dist_plugin& host = started();
    const int64_t total = times(count, host.size());
    const triad_buffer& o = need_region(out, "out", count);
    const triad_buffer& i = need_region(in, "in", total);
    Pinned po(out, "out"), pi(in, "in");
    check_pair(o, i);
    if (count == 0) return;
    if (on_device_plugin(o)) {
      return comm_check(device_plugin, device_plugin->reduce_scatter_sum(i.data, o.data, count, o.dtype));
    }
    HostView vi(const_cast<triad_buffer*>(in), total, true), vo(out, count, false);
    comm_check(&host, host.reduce_scatter_sum(vi.data(), vo.data(), count, vo.dtype()));
    vo.commit();
  });
}

int triad_dist_all_gather(triad_buffer* out, const triad_buffer* in, int64_t count) {
  return guard("dist_all_gather", [&] {
    const triad_dist_plugin& host = started();
    const int64_t total = times(count, host.size());
    const triad_buffer& o = need_region(out, "out", total);
    const triad_buffer& i = need_region(in, "in", count);
    Pinned po(out, "out"), pi(in, "in");
    check_pair(o, i);
    if (count == 0) return;
    if (on_device_plugin(o)) return comm_check(device_plugin, device_plugin->all_gather(i.data, o.data, count, o.dtype));
    HostView vi(const_cast<triad_buffer*>(in), count, true), vo(out, total, false);
    comm_check(&host, host.all_gather(vi.data(), vo.data(), count, vo.dtype()));
    vo.commit();
  });
}

int triad_dist_broadcast(triad_buffer* buf, int64_t count, int root) {
  return guard("dist_broadcast", [&] {
    const triad_dist_plugin& host = started();
    if (root < 0 || root >= host.size()) {
      fail(TRIAD_ERR_INVALID, "root " + std::to_string(root) + " is not a rank of [0, " + std::to_string(host.size()) + ")");
    }
    const triad_buffer& b = need_region(buf, "buf", count);
    Pinned pb(buf, "buf");
    if (count == 0) return;
    if (on_device_plugin(b)) return comm_check(device_plugin, device_plugin->broadcast(b.data, count, b.dtype, root));
    HostView v(buf, count, true);
    comm_check(&host, host.broadcast(v.data(), count, v.dtype(), root));
    v.commit();
  });
}

int triad_dist_barrier(void) {
  return guard("dist_barrier", [&] {
    const triad_dist_plugin& host = started();
    comm_check(&host, host.barrier());
  });
}

int triad_dist_abort(int code) {
  return guard("dist_abort", [&] { started().abort(code); });
}

int triad_dist_finalize(void) {
  return guard("dist_finalize", [&] {
    std::lock_guard<std::mutex> lock(init_mutex);
    if (!host_plugin || finalized) return;
    finalized = true;
    if (device_plugin) comm_check(device_plugin, device_plugin->finalize());
    comm_check(host_plugin, host_plugin->finalize());
  });
}

}  // extern "C"
