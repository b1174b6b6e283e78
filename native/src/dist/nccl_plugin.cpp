// libtriad_nccl: Triad's communicator for CUDA buffers over NCCL. Bootstraps over the host plug-in
// (rank 0's ncclUniqueId broadcast by MPI), runs each collective on its own stream and waits for
// it, so a call returns with the result in place (libtriad has finished its own stream's work
// before calling). One GPU per rank: the device current when the plug-in starts (libtriad's).
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdio>

#include "dist/plugin.h"
#include "triad.h"

namespace {

char last_error[512];
ncclComm_t comm = nullptr;
cudaStream_t stream = nullptr;
int world_rank = 0, world_size = 1, node_rank = 0;

int nccl_failed(const char* what, ncclResult_t r) {
  std::snprintf(last_error, sizeof last_error, "%s failed on rank %d: %s (%s)", what, world_rank,
                ncclGetErrorString(r), ncclGetLastError(comm));
  return 1;
}

int cuda_failed(const char* what, cudaError_t e) {
  std::snprintf(last_error, sizeof last_error, "%s failed on rank %d: %s", what, world_rank, cudaGetErrorString(e));
  return 1;
}

int refuse(const char* message) {
  std::snprintf(last_error, sizeof last_error, "%s", message);
  return 1;
}

int nccl_type(int dtype, ncclDataType_t* out) {
  switch (dtype) {
    case TRIAD_F32: *out = ncclFloat32; return 0;
    case TRIAD_BF16: *out = ncclBfloat16; return 0;
    case TRIAD_I32: *out = ncclInt32; return 0;
    default: return refuse("unknown dtype");
  }
}

// Waits for the collective just queued; its result is in place when the call returns.
int finish(const char* what, ncclResult_t r) {
  if (r != ncclSuccess) return nccl_failed(what, r);
  cudaError_t e = cudaStreamSynchronize(stream);
  return e == cudaSuccess ? 0 : cuda_failed(what, e);
}

int nccl_init(const triad_dist_bootstrap* boot) {
  if (!boot) return refuse("the NCCL plug-in starts over a host communicator (MPI)");
  world_rank = boot->rank;
  world_size = boot->size;
  node_rank = boot->local_rank;
  ncclUniqueId id;
  if (world_rank == 0) {
    ncclResult_t r = ncclGetUniqueId(&id);
    if (r != ncclSuccess) return nccl_failed("ncclGetUniqueId", r);
  }
  if (boot->broadcast_bytes(&id, sizeof id, 0) != 0) return refuse("broadcasting the NCCL unique id failed");
  cudaError_t e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (e != cudaSuccess) return cuda_failed("cudaStreamCreateWithFlags", e);
  ncclResult_t r = ncclCommInitRank(&comm, world_size, id, world_rank);
  return r == ncclSuccess ? 0 : nccl_failed("ncclCommInitRank", r);
}

int nccl_rank() { return world_rank; }
int nccl_size() { return world_size; }
int nccl_local_rank() { return node_rank; }

int nccl_all_reduce_sum(void* data, int64_t count, int dtype) {
  ncclDataType_t t;
  if (nccl_type(dtype, &t)) return 1;
  return finish("ncclAllReduce", ncclAllReduce(data, data, static_cast<size_t>(count), t, ncclSum, comm, stream));
}

int nccl_reduce_scatter_sum(const void* in, void* out, int64_t count, int dtype) {
  ncclDataType_t t;
  if (nccl_type(dtype, &t)) return 1;
  return finish("ncclReduceScatter", ncclReduceScatter(in, out, static_cast<size_t>(count), t, ncclSum, comm, stream));
}

int nccl_all_gather(const void* in, void* out, int64_t count, int dtype) {
  ncclDataType_t t;
  if (nccl_type(dtype, &t)) return 1;
  return finish("ncclAllGather", ncclAllGather(in, out, static_cast<size_t>(count), t, comm, stream));
}

int nccl_broadcast(void* data, int64_t count, int dtype, int root) {
  ncclDataType_t t;
  if (nccl_type(dtype, &t)) return 1;
  return finish("ncclBroadcast", ncclBroadcast(data, data, static_cast<size_t>(count), t, root, comm, stream));
}

int nccl_barrier() {
  // NCCL has no barrier: an all-reduce of one word is one.
  static int* word = nullptr;
  if (!word) {
    cudaError_t e = cudaMalloc(&word, sizeof(int));
    if (e != cudaSuccess) return cuda_failed("cudaMalloc", e);
  }
  return nccl_all_reduce_sum(word, 1, TRIAD_I32);
}

void nccl_abort(int) {
  if (comm) ncclCommAbort(comm);
}

int nccl_finalize() {
  if (!comm) return 0;
  ncclResult_t r = ncclCommDestroy(comm);
  comm = nullptr;
  if (stream) cudaStreamDestroy(stream);
  return r == ncclSuccess ? 0 : nccl_failed("ncclCommDestroy", r);
}

const char* nccl_last_error() { return last_error; }

const triad_dist_plugin plugin = {TRIAD_DIST_PLUGIN_ABI, "nccl", 1, nccl_init, nccl_rank, nccl_size,
                                  nccl_local_rank, nccl_all_reduce_sum, nccl_reduce_scatter_sum, nccl_all_gather,
                                  nccl_broadcast, nccl_barrier, nccl_abort, nccl_finalize, nccl_last_error};

}  // namespace

extern "C" __attribute__((visibility("default"))) const triad_dist_plugin* triad_dist_plugin_v1(void) {
  return &plugin;
}
