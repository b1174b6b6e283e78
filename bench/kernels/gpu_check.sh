#!/usr/bin/env bash
# One phase of the GPU verification (bench/gpu/verify.sh does them all in one command; prefer it:
# a GPU lease has room for about one such command). Run from the project root on the GPU machine
# with .gpu.tar.xz carried; results in $OUT as verify.sh writes them.
#   bash bench/kernels/gpu_check.sh tests      every gpu-tagged test, failed ones rerun with TRIAD_CUDA_SYNC=1
#   bash bench/kernels/gpu_check.sh memcheck   compute-sanitizer memcheck over verify.sh's named subset
#   bash bench/kernels/gpu_check.sh racecheck  compute-sanitizer racecheck over the shared-memory kernels
#   bash bench/kernels/gpu_check.sh bench      the benchmark table vs PyTorch, every output checked
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case ${1:-tests} in
  tests) phases=tests,rerun ;;
  memcheck|racecheck|bench) phases=$1 ;;
  *) echo "gpu_check.sh: unknown mode '$1' (tests, memcheck, racecheck, bench)" >&2; exit 2 ;;
esac
exec bash "$here/../gpu/verify.sh" --phases "$phases"
