/*
 * The interface between libtriad and a communication plug-in (libtriad_mpi, libtriad_nccl).
 *
 * libtriad never links a collective library: triad_dist_init dlopens a plug-in and asks it for
 * this table, so a single-process user needs neither MPI nor NCCL installed. A plug-in works on
 * raw pointers; libtriad has already checked the buffers, counts and dtypes, and stages through
 * host memory for a plug-in that cannot take device pointers.
 *
 * Every function returns 0 on success, otherwise nonzero with a message for last_error().
 */
#ifndef TRIAD_DIST_PLUGIN_H
#define TRIAD_DIST_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRIAD_DIST_PLUGIN_ABI 1

/* What a device plug-in (NCCL) bootstraps over: the already running host communicator. */
typedef struct triad_dist_bootstrap {
  int rank;
  int size;
  int local_rank;
  /* `bytes` of host memory at `data` from `root` to every rank (NCCL's unique id). */
  int (*broadcast_bytes)(void* data, int64_t bytes, int root);
} triad_dist_bootstrap;

typedef struct triad_dist_plugin {
  int abi;                 /* TRIAD_DIST_PLUGIN_ABI */
  const char* name;        /* "mpi", "nccl" */
  int device_pointers;     /* 1: the collectives take CUDA device pointers; 0: host pointers */
  /* Starts the plug-in: a host plug-in from its launcher (mpirun, srun), a device plug-in over
   * `bootstrap` (NULL for a host plug-in). */
  int (*init)(const triad_dist_bootstrap* bootstrap);
  int (*rank)(void);
  int (*size)(void);
  int (*local_rank)(void);
  /* dtype: TRIAD_F32, TRIAD_BF16 (device plug-ins only) or TRIAD_I32; counts in elements. */
  int (*all_reduce_sum)(void* data, int64_t count, int dtype);
  /* in [size * count] -> out [count]: the sum over ranks of in's slice [rank * count, +count). */
  int (*reduce_scatter_sum)(const void* in, void* out, int64_t count, int dtype);
  /* in [count] -> out [size * count], rank r's in at out[r * count]. */
  int (*all_gather)(const void* in, void* out, int64_t count, int dtype);
  int (*broadcast)(void* data, int64_t count, int dtype, int root);
  int (*barrier)(void);
  /* Ends every rank of the job now (after an error on this one); does not return on success. */
  void (*abort)(int code);
  int (*finalize)(void);
  const char* (*last_error)(void);
} triad_dist_plugin;

/* The one symbol a plug-in exports. */
typedef const triad_dist_plugin* (*triad_dist_plugin_fn)(void);
#define TRIAD_DIST_PLUGIN_SYMBOL "triad_dist_plugin_v1"

#ifdef __cplusplus
}
#endif

#endif
