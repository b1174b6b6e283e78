#!/usr/bin/env bash
# GPU-session checks in one place; run from the project root on the GPU machine after staging
# .gpu/ (see README.md). Logs go to $OUT (the device tool's return folder) or /tmp.
#   bash bench/kernels/gpu_check.sh tests      every CUDA op vs CPU (JUnit tag gpu), then the
#                                              attention tests again on the fp32 fallback kernels
#   bash bench/kernels/gpu_check.sh memcheck   compute-sanitizer memcheck over the gpu tests
#                                              (exact-size allocations, sync after every op)
#   bash bench/kernels/gpu_check.sh racecheck  compute-sanitizer racecheck over the kernels that
#                                              share memory between threads (GEMM, attention, reductions)
#   bash bench/kernels/gpu_check.sh bench      the benchmark table (run_gpu_bench.sh)
set -uo pipefail
out=${OUT:-/tmp}
# the packed staging (pack_gpu.sh) unpacks here on first use
[[ -d .gpu || ! -f .gpu.tar.xz ]] || tar -xJf .gpu.tar.xz
mode=${1:-tests}
shift || true
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt" || true
junit() { bash .gpu/junit.sh --include-tag gpu "$@"; }
summary() { grep -E "tests (successful|failed|aborted|skipped)|MethodSource|=> |Exception|relative error|run the sm_" "$1" | head -80; }
case $mode in
  tests)
    junit > "$out/junit_gpu.txt" 2>&1; echo "exit $?"
    summary "$out/junit_gpu.txt"
    TRIAD_ATTENTION_SIMT=1 junit --include-methodname 'dev\.triad\.tensor\.CudaParityTest#attention' \
      > "$out/junit_attention_simt.txt" 2>&1; echo "attention on the fp32 fallback: exit $?"
    summary "$out/junit_attention_simt.txt"
    ;;
  memcheck)
    TRIAD_CUDA_NO_CACHE=1 TRIAD_CUDA_SYNC=1 compute-sanitizer --tool memcheck --target-processes all \
      --log-file "$out/memcheck.%p.txt" bash .gpu/junit.sh --include-tag gpu "$@" > "$out/junit_memcheck.txt" 2>&1
    echo "exit $?"; summary "$out/junit_memcheck.txt"; tail -n 5 "$out"/memcheck.*.txt
    ;;
  racecheck)
    # junit.sh scans the class path, so methods are picked with name filters (OR-combined)
    sel=()
    for m in matmulEveryForm attention layernorm crossEntropy biasBackward attentionDecode sampleMatchesCpuExactly; do
      sel+=(--include-methodname "dev\.triad\.tensor\.CudaParityTest#$m")
    done
    TRIAD_CUDA_SYNC=1 compute-sanitizer --tool racecheck --target-processes all \
      --log-file "$out/racecheck.%p.txt" bash .gpu/junit.sh --include-tag gpu "${sel[@]}" > "$out/junit_racecheck.txt" 2>&1
    echo "exit $?"; summary "$out/junit_racecheck.txt"; tail -n 5 "$out"/racecheck.*.txt
    ;;
  bench)
    bash bench/kernels/run_gpu_bench.sh "$@"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
