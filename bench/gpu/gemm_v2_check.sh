#!/usr/bin/env bash
# Checks and times the Hopper GEMM's staged epilogue (v2, TRIAD_GEMM_STAGED_EPILOGUE=1) against the
# verified register epilogue (v1, the default) in ONE device command (~2.5 minutes), after
# bench/gpu/verify.sh. From the project root on the GPU machine, with .gpu.tar.xz carried:
#   bash bench/gpu/gemm_v2_check.sh
# 1. tests     60 s  the GEMM tests with v2: CudaGemmSm90Test (every layout x epilogue x tail shape,
#                    against the CPU and the sm_80 kernel), CudaTilingTest, CudaParityTest's
#                    matmuls, CudaGptParityTest (a whole model on CUDA against the CPU)
# 2. racecheck 60 s  compute-sanitizer racecheck over CudaGemmSm90Test with v2 (the ring is reused
#                    as the staging buffer behind named barriers)
# 3. bench     90 s  CudaBench GEMM 4096/8192 and the GPT-2 bf16 step: v1, v2, v1 (alternating)
# 4. times     60 s  ncu per-kernel times of the GPT-2 step with v2 (profile_step.sh's "times")
# Output in $OUT: gemm_v2_summary.txt (printed last), gemm_v2_logs.tar.xz. Flip the default in
# matmul_sm90.cu (and drop v1) only when 1 and 2 pass and 3 shows v2 faster.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
out=${OUT:-/tmp/triad-gemm-v2}
mkdir -p "$out"
work=$(mktemp -d /tmp/triad-gemm-v2.XXXXXX)
L=$work/logs
mkdir -p "$L"
G=$root/.gpu
T0=$(date +%s)
log() { echo "[gemm-v2 $(( $(date +%s) - T0 ))s] $*" >&2; }
[[ -d $G ]] || { log "unpacking .gpu.tar.xz"; timeout 60 tar -xJf .gpu.tar.xz; }
san=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
junit=(bash "$G/junit.sh" --include-tag gpu --details=flat --disable-ansi-colors)

log "tests"
TRIAD_GEMM_STAGED_EPILOGUE=1 timeout -k 3 60 "${junit[@]}" --reports-dir "$L/tests" \
  --include-classname 'dev\.triad\.tensor\.(CudaGemmSm90Test|CudaTilingTest)|dev\.triad\.nn\.CudaGptParityTest|dev\.triad\.tensor\.CudaParityTest' \
  --include-methodname '.*(CudaGemmSm90Test|CudaTilingTest|CudaGptParityTest)#.*|.*CudaParityTest#matmul.*' \
  > "$L/tests.txt" 2>&1
echo "exit $?" >> "$L/tests.txt"
log "racecheck"
if [[ -n $san ]]; then
  TRIAD_GEMM_STAGED_EPILOGUE=1 TRIAD_CUDA_SYNC=1 timeout -k 3 60 "$san" --tool racecheck --target-processes all \
    --log-file "$L/racecheck.%p.txt" "${junit[@]}" --reports-dir "$L/racecheck" \
    --select-class dev.triad.tensor.CudaGemmSm90Test > "$L/racecheck.txt" 2>&1
  echo "exit $?" >> "$L/racecheck.txt"
else
  echo "compute-sanitizer not found" > "$L/racecheck.txt"
fi
log "bench"
bench=(bash "$G/java.sh" dev.triad.tensor.CudaBench --gemm 4096,8192 --train-step bf16 --train-steps 5)
i=0
for v in 1 2 1; do
  i=$((i + 1))
  TRIAD_GEMM_STAGED_EPILOGUE=$(( v - 1 )) timeout -k 3 30 "${bench[@]}" > "$L/bench_${i}_v$v.txt" 2>&1
done
log "times"
OUT=$work/times TRIAD_GEMM_STAGED_EPILOGUE=1 VERIFY_TOTAL_S=70 bash "$here/profile_step.sh" --steps times > /dev/null 2>&1
cp "$work/times/profile_summary.txt" "$L/times_v2.txt" 2>/dev/null

{
  echo "Hopper GEMM epilogue v2 check  $(date -u +%FT%TZ)  $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
  echo; echo "== tests with v2 =="; grep -E "tests (successful|failed|aborted|skipped)|exit" "$L/tests.txt"
  grep -E "^\s*(✘|JUnit.*Failed)|MethodSource|AssertionFailed|expected" "$L/tests.txt" | head -20
  echo; echo "== racecheck with v2 =="; cat "$L"/racecheck.*.txt 2>/dev/null | grep -E "SUMMARY|Race|Error" | head -20
  grep -E "tests (successful|failed)|exit" "$L/racecheck.txt"
  echo; echo "== bench (v1 = register epilogue, v2 = staged), in run order =="
  for f in "$L"/bench_*_v*.txt; do
    echo "-- run $(basename "$f" .txt | cut -d_ -f2-)"; grep -E "^(RESULT|CHECK.*FAIL|UNSUPPORTED)" "$f"
  done
  echo; echo "== per-kernel times with v2 =="; sed -n '/Triad (ncu/,$p' "$L/times_v2.txt" | head -20
} > "$out/gemm_v2_summary.txt" 2>&1
tar -C "$work" -cf - logs | xz -T0 -6 > "$out/gemm_v2_logs.tar.xz"
rm -rf "$work"
echo "$(( $(date +%s) - T0 ))s in all" >> "$out/gemm_v2_summary.txt"
cat "$out/gemm_v2_summary.txt"
