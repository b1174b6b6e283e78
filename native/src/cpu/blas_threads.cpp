// OpenBLAS runs its parallel work on our OpenMP threads. By default it keeps a pthread pool of
// its own whose idle threads spin for a while after every GEMM, on the same cores our kernels
// then need; with OpenBLAS's threading callback (0.3.27+) there is one set of threads, which
// sleeps when idle (OMP_WAIT_POLICY=PASSIVE, see src/env). Installed once, when libtriad loads.
#include <cblas.h>

#include <cstddef>
#include <cstdlib>

#include "common/denormals.h"

namespace triad::cpu {
namespace {

void run_blas_jobs(int sync, openblas_dojob_callback dojob, int numjobs, size_t jobdata_elsize,
                   void* jobdata, int dojob_data) {
  (void)sync;  // OpenBLAS only calls with sync = 1: every job finishes before we return
  char* jobs = static_cast<char*>(jobdata);
#pragma omp parallel for schedule(static) num_threads(numjobs)
  for (int i = 0; i < numjobs; i++) {
    flush_denormals_here();  // GEMM on subnormals is microcode-slow: see common/denormals.h
    dojob(i, jobs + i * jobdata_elsize, dojob_data);
  }
}

struct InstallBlasThreads {
  InstallBlasThreads() {
    // TRIAD_OPENBLAS_OWN_THREADS=1 keeps OpenBLAS's own pool (for comparisons and troubleshooting)
    const char* own = std::getenv("TRIAD_OPENBLAS_OWN_THREADS");
    if (!own || own[0] != '1') openblas_set_threads_callback_function(run_blas_jobs);
  }
} install_blas_threads;

}  // namespace
}  // namespace triad::cpu
