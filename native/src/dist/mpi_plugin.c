/*
 * libtriad_mpi: Triad's communicator over the MPI C API (Open MPI, MPICH), on host memory.
 *
 * Started by the job's launcher (mpirun, srun): MPI_Init_thread reads rank and size from it.
 * Errors come back as codes (MPI_ERRORS_RETURN on the world communicator) and are turned into a
 * message, never an abort of the caller, except by triad_dist_abort.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "dist/plugin.h"
#include "triad.h"

static char last_error[512];
static int world_rank = 0, world_size = 1, node_rank = 0;
static int started_mpi = 0;  /* we called MPI_Init (so we call MPI_Finalize) */

static int fail(const char* what, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) {
    snprintf(text, sizeof text, "MPI error %d", code);
  }
  snprintf(last_error, sizeof last_error, "%s failed on rank %d: %s", what, world_rank, text);
  return 1;
}

static int refuse(const char* message) {
  snprintf(last_error, sizeof last_error, "%s", message);
  return 1;
}

static int mpi_type(int dtype, MPI_Datatype* out) {
  switch (dtype) {
    case TRIAD_F32: *out = MPI_FLOAT; return 0;
    case TRIAD_I32: *out = MPI_INT32_T; return 0;
    default: return refuse("the MPI plug-in sums f32 and i32 only (bf16 is staged through f32)");
  }
}

/* MPI counts are ints. */
static int fits(int64_t count) {
  if (count > INT_MAX) {
    snprintf(last_error, sizeof last_error, "count %lld exceeds MPI's int count %d", (long long)count, INT_MAX);
    return 0;
  }
  return 1;
}

static int mpi_init(const triad_dist_bootstrap* bootstrap) {
  (void)bootstrap;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    /* The JVM handles SIGSEGV, SIGBUS and SIGFPE itself (implicit null checks and safepoints in
     * compiled code). Open MPI's crash handlers (opal_signal, default 6,7,8,11) leave a signal
     * alone when it already has a handler, as the JVM's do by now (CollectivesMain's null checks
     * pass with the default too); the empty list makes sure no version or setting takes them.
     * A user's own OMPI_MCA_opal_signal wins. */
    setenv("OMPI_MCA_opal_signal", "", 0);
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) return fail("MPI_Init_thread", rc);
    started_mpi = 1;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Comm node;
  int rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node);
  if (rc != MPI_SUCCESS) return fail("MPI_Comm_split_type", rc);
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  return 0;
}

static int mpi_rank(void) { return world_rank; }
static int mpi_size(void) { return world_size; }
static int mpi_local_rank(void) { return node_rank; }

static int mpi_all_reduce_sum(void* data, int64_t count, int dtype) {
  MPI_Datatype t;
  if (mpi_type(dtype, &t) || !fits(count)) return 1;
  int rc = MPI_Allreduce(MPI_IN_PLACE, data, (int)count, t, MPI_SUM, MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail("MPI_Allreduce", rc);
}

static int mpi_reduce_scatter_sum(const void* in, void* out, int64_t count, int dtype) {
  MPI_Datatype t;
  if (mpi_type(dtype, &t) || !fits(count) || !fits(count * world_size)) return 1;
  int rc = MPI_Reduce_scatter_block(in, out, (int)count, t, MPI_SUM, MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail("MPI_Reduce_scatter_block", rc);
}

/* Gathers and broadcasts only move elements: bf16 travels as 16-bit words. */
static MPI_Datatype moved_type(int dtype) {
  return dtype == TRIAD_BF16 ? MPI_UINT16_T : dtype == TRIAD_I32 ? MPI_INT32_T : MPI_FLOAT;
}

static int mpi_all_gather(const void* in, void* out, int64_t count, int dtype) {
  MPI_Datatype t = moved_type(dtype);
  if (!fits(count) || !fits(count * world_size)) return 1;
  int rc = MPI_Allgather(in, (int)count, t, out, (int)count, t, MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail("MPI_Allgather", rc);
}

static int mpi_broadcast(void* data, int64_t count, int dtype, int root) {
  MPI_Datatype t = moved_type(dtype);
  if (!fits(count)) return 1;
  int rc = MPI_Bcast(data, (int)count, t, root, MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail("MPI_Bcast", rc);
}

static int mpi_barrier(void) {
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail("MPI_Barrier", rc);
}

static void mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

static int mpi_finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!started_mpi || finalized) return 0;
  int rc = MPI_Finalize();
  return rc == MPI_SUCCESS ? 0 : fail("MPI_Finalize", rc);
}

static const char* mpi_last_error(void) { return last_error; }

static const triad_dist_plugin plugin = {
    TRIAD_DIST_PLUGIN_ABI, "mpi", 0, mpi_init, mpi_rank, mpi_size, mpi_local_rank, mpi_all_reduce_sum,
    mpi_reduce_scatter_sum, mpi_all_gather, mpi_broadcast, mpi_barrier, mpi_abort, mpi_finalize, mpi_last_error};

__attribute__((visibility("default"))) const triad_dist_plugin* triad_dist_plugin_v1(void) { return &plugin; }
