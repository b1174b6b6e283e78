/*
 * libtriad_env: loaded by the Java binding before libtriad, and so before libgomp reads its
 * settings. It makes idle OpenMP threads sleep instead of spinning, unless the user already chose
 * (OMP_WAIT_POLICY set). On a small machine spinning OpenMP threads steal the cores OpenBLAS's
 * threads need between our kernels and the BLAS calls: a CPU training step measured 2.1x slower
 * with libgomp's default policy.
 */
#include <stdlib.h>

__attribute__((constructor)) static void triad_env_init(void) {
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
}
