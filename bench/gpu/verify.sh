#!/usr/bin/env bash
# The GPU verification in ONE command (issue #13): run from the project root on the GPU machine,
# with the packed staging carried (carry [".gpu.tar.xz"]; see bench/kernels/README.md):
#   bash bench/gpu/verify.sh                       every phase, <= 8 minutes
#   bash bench/gpu/verify.sh --phases tests,rerun  a subset (the probe always runs first)
#   bash bench/gpu/verify.sh --dry-run             on a machine without a GPU: every phase's plumbing
# Phases and their hard deadlines (seconds; each phase is killed at its deadline and keeps what it
# recorded; the whole run also stops at VERIFY_TOTAL_S, default 480):
#   probe 20      nvidia-smi, the carried JRE, ldd libtriad, `triad info`, torch; stops the run
#                 (status "cuda unavailable", exit 3) when CUDA is unavailable
#   tests 120     every gpu-tagged JUnit test in one JVM; skipped or aborted counts as failed
#   rerun 50      each failed method again, one JVM each, TRIAD_CUDA_SYNC=1
#   memcheck 65   compute-sanitizer memcheck (TRIAD_CUDA_NO_CACHE=1) over a named subset
#   racecheck 55  compute-sanitizer racecheck over a named subset
#   bench 160     5 tiny pretrain steps with --profile --trace (logs: bench/triad_profile.txt),
#                 CudaBench (every timed output checked) and PyTorch at the same shapes, one table;
#                 then `triad bench --device cuda --quick` (every op and training step against the
#                 GPU's measured peak) into $OUT/triad_bench.json
# Override a deadline with VERIFY_LIMIT_<PHASE>=seconds. Output, in $OUT (default /tmp/triad-verify):
# results.json (every figure and pass/fail), summary.txt (printed last), logs.tar.xz (all logs),
# triad_bench.json (`triad bench`'s results, when it ran).
# Exit: 0 all passed (dry run: plumbing sound), 1 something failed, 2 bad usage, 3 no CUDA.
# After it, in the same device command: bench/gpu/nccl_smoke.sh (the NCCL plug-in, built there
# against PyTorch's NCCL, on one GPU) and bench/gpu/gemm_v2_check.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
report="$here/verify_report.py"

ALL=probe,tests,rerun,memcheck,racecheck,bench
phases=$ALL
dry=0
internal=
while (($#)); do
  case $1 in
    --internal) internal=$2; break ;;  # one phase's body, run by run_phase under its deadline
    --phases) phases=${2:?--phases needs a list, e.g. tests,rerun}; shift ;;
    --phases=*) phases=${1#--phases=} ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "verify.sh: unknown argument '$1' (known: --phases LIST, --dry-run)" >&2; exit 2 ;;
  esac
  shift
done
phases=${phases//sanitizers/memcheck,racecheck}
for p in ${phases//,/ }; do
  [[ ,$ALL, == *,$p,* ]] || { echo "verify.sh: unknown phase '$p' (known: $ALL, sanitizers)" >&2; exit 2; }
done
want() { [[ ,probe,$phases, == *,$1,* ]]; }

out=${OUT:-/tmp/triad-verify}
mkdir -p "$out"
state=$(mktemp -d /tmp/triad-verify-state.XXXXXX)
logs=$state/logs
mkdir -p "$logs"
G=${VERIFY_GPU_DIR:-$root/.gpu}
T0=$(date +%s)
TOTAL=${VERIFY_TOTAL_S:-480}
RESERVE=12  # seconds kept for the report and the log archive
declare -A LIMIT=([probe]=20 [tests]=120 [rerun]=50 [memcheck]=65 [racecheck]=55 [bench]=160)
now() { date +%s; }
log() { echo "[verify $(( $(now) - T0 ))s] $*" >&2; }

# the packed staging (bench/kernels/pack_gpu.sh) unpacks here on first use
if [[ ! -d $G && -f .gpu.tar.xz && -z ${VERIFY_GPU_DIR:-} ]]; then
  log "unpacking .gpu.tar.xz"
  timeout 60 tar -xJf .gpu.tar.xz || log "unpacking failed"
fi

json_str() { python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))'; }

# record PHASE STATUS DETAIL [extra JSON fields]: the phase's line in results.json
record() {
  local ph=$1 st=$2 detail=$3 extra=${4:-}
  local secs=${PH_SECS[$ph]:-0} lim=${PH_LIMIT[$ph]:-0}
  printf '{"status": "%s", "seconds": %s, "limit": %s, "detail": %s%s}\n' "$st" "$secs" "$lim" \
    "$(printf '%s' "$detail" | json_str)" "${extra:+, $extra}" > "$state/$ph.json"
}
declare -A PH_SECS PH_LIMIT PH_RC

# run_phase PHASE: the phase body (this script again, --internal) under its hard deadline
run_phase() {
  local ph=$1 lim=${LIMIT[$1]} left
  local var="VERIFY_LIMIT_${1^^}"
  lim=${!var:-$lim}
  left=$(( TOTAL - RESERVE - ($(now) - T0) ))
  (( left < lim )) && lim=$left
  PH_LIMIT[$ph]=$lim
  if (( lim < 3 )); then
    PH_SECS[$ph]=0; PH_RC[$ph]=124
    log "$ph: no time left"
    return 124
  fi
  log "$ph: start (limit ${lim}s)"
  local t=$(now)
  VERIFY_STATE=$state VERIFY_LOGS=$logs VERIFY_G=$G VERIFY_DRY=$dry VERIFY_PHASE_END=$(( t + lim )) \
    timeout -k 3 "$lim" bash "$0" --internal "$ph" > "$logs/phase_$ph.txt" 2>&1
  local rc=$?
  PH_SECS[$ph]=$(( $(now) - t )); PH_RC[$ph]=$rc
  log "$ph: rc $rc after ${PH_SECS[$ph]}s"
  return $rc
}

# ---------------------------------------------------------------- phase bodies (--internal)
junit() {  # junit REPORT_DIR SECONDS [launcher args]: the console launcher over the staged classes
  local dir=$1 secs=$2; shift 2
  (( secs < 1 )) && secs=1
  mkdir -p "$dir"
  timeout -k 2 "$secs" bash "$VERIFY_G/junit.sh" --include-tag gpu --details=flat --disable-ansi-colors \
    --reports-dir "$dir" "$@" > "$dir/console.txt" 2>&1
}
remaining() { echo $(( VERIFY_PHASE_END - $(date +%s) )); }

# named subsets for the sanitizers: the kernels that index shared memory, tiles and rings
MEMCHECK_SET=(
  dev.triad.tensor.CudaParityTest#matmulEveryForm dev.triad.tensor.CudaParityTest#matmulEpilogues
  dev.triad.tensor.CudaParityTest#attention dev.triad.tensor.CudaParityTest#attentionDecode
  dev.triad.tensor.CudaParityTest#embedding dev.triad.tensor.CudaParityTest#layernorm
  dev.triad.tensor.CudaParityTest#crossEntropy dev.triad.tensor.CudaParityTest#adamwAndSumSquares
  dev.triad.tensor.CudaParityTest#sampleMatchesCpuExactly
  dev.triad.tensor.CudaTilingTest#matmulManyKTilesEveryForm dev.triad.tensor.CudaTilingTest#attentionManyKeyTiles
)
RACECHECK_SET=(
  dev.triad.tensor.CudaTilingTest#matmulManyKTilesEveryForm dev.triad.tensor.CudaTilingTest#attentionManyKeyTiles
  dev.triad.tensor.CudaParityTest#attention dev.triad.tensor.CudaParityTest#layernorm
  dev.triad.tensor.CudaParityTest#crossEntropy dev.triad.tensor.CudaParityTest#biasBackward
  dev.triad.tensor.CudaParityTest#reductions
)
selectors() {  # selectors CLASS#METHOD...: the launcher's --include-methodname options, one per line
  python3 - "$here" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import verify_report as v
for m in sys.argv[2:]:
    print("--include-methodname")
    print(v.method_regex(m))
PY
}

# Runtime libraries libtriad (and the OpenBLAS that JavaCPP unpacks) need but a bare image may
# lack: libgomp, libquadmath. PyTorch's wheels carry copies; link the first one found into
# $VERIFY_STATE/libs and record that folder for LD_LIBRARY_PATH (every later phase uses it).
link_missing_libs() {
  local need=() lib dirs found
  mapfile -t need < <(awk '/not found/ && !/openblas|gfortran/ {print $1}' "$1")
  for lib in libgomp.so.1 libquadmath.so.0; do
    ldconfig -p 2>/dev/null | grep -q "$lib" || need+=("$lib")
  done
  ((${#need[@]})) || return 0
  dirs=$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null)
  mkdir -p "$VERIFY_STATE/libs"
  for lib in $(printf '%s\n' "${need[@]}" | sort -u); do
    found=$(find $dirs /usr/local/cuda*/lib64 /usr/lib /usr/lib64 -name "$lib" 2>/dev/null | head -1)
    # PyTorch's wheels rename their copies (torch.libs/libgomp-<hash>.so.1)
    [[ -n $found ]] || found=$(find $dirs -name "${lib%%.so*}-*.so*" 2>/dev/null | head -1)
    if [[ -n $found ]]; then
      ln -sf "$found" "$VERIFY_STATE/libs/$lib"
      echo "linked $lib -> $found" >> "$VERIFY_LOGS/libs_linked.txt"
    else
      echo "missing $lib (not found in $dirs)" >> "$VERIFY_LOGS/libs_linked.txt"
    fi
  done
  echo "$VERIFY_STATE/libs" > "$VERIFY_STATE/ld_path"
}

phase_probe() {
  local L=$VERIFY_LOGS
  { echo "date: $(date -u +%FT%TZ)"; uname -a; nproc; } > "$L/host.txt" 2>&1
  (timeout 15 python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' \
    > "$L/torch_probe.txt" 2>&1 &)
  timeout 8 nvidia-smi > "$L/nvidia-smi.txt" 2>&1
  timeout 5 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader \
    > "$L/gpu.txt" 2>&1
  timeout 10 "$VERIFY_G/jre/bin/java" -version > "$L/java.txt" 2>&1
  local lib
  lib=$(find "$VERIFY_G/classes" -name libtriad.so 2>/dev/null | head -1)
  { echo "libtriad: ${lib:-missing}"; [[ -n $lib ]] && ldd "$lib"; } > "$L/ldd.txt" 2>&1
  link_missing_libs "$L/ldd.txt"
  if [[ -s $VERIFY_STATE/ld_path ]]; then
    export LD_LIBRARY_PATH=$(cat "$VERIFY_STATE/ld_path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    { echo "libtriad: $lib (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)"; ldd "$lib"; } > "$L/ldd.txt" 2>&1
  fi
  timeout 12 bash "$VERIFY_G/java.sh" dev.triad.cli.Main info > "$L/triad_info.txt" 2>&1
  { sanitizer_bin && timeout 5 "$(sanitizer_bin)" --version; } > "$L/sanitizer_version.txt" 2>&1
  local w=0
  while [[ ! -s $L/torch_probe.txt ]] && (( w < 10 && $(remaining) > 2 )); do sleep 1; w=$((w + 1)); done
  python3 - "$L" "$VERIFY_STATE" <<'EOF'
import json, os, re, sys
L, S = sys.argv[1], sys.argv[2]
def read(n):
    try:
        return open(os.path.join(L, n), errors="replace").read().strip()
    except OSError:
        return ""
gpu = read("gpu.txt").splitlines()
info = read("triad_info.txt")
m = re.search(r"^cuda\s+(.*)$", info, re.M)
cuda_line = m.group(1) if m else ""
ldd = read("ldd.txt")
# OpenBLAS and its Fortran runtime come from the JavaCPP jar at load time: not a missing library
missing = [l.split()[0] for l in ldd.splitlines() if "not found" in l and not re.search(r"openblas|gfortran", l)]
jv = re.search(r'version "([^"]+)"', read("java.txt"))
available = cuda_line.startswith("available")
fields = {
    "gpu": gpu[0].split(",")[0].strip() if gpu and "," in gpu[0] else "none (nvidia-smi: " + (gpu[0][:80] if gpu else "no output") + ")",
    "driver": gpu[0].split(",")[1].strip() if gpu and "," in gpu[0] else None,
    "gpu_line": gpu[0] if gpu else "",
    "java": jv.group(1) if jv else "missing: " + read("java.txt")[:80],
    "libtriad_missing_libs": missing,
    "triad_info": info[-600:],
    "cuda_available": available,
    "cuda_cause": "" if available else (cuda_line or "triad info did not run: " + info[-200:]),
    "torch": (read("torch_probe.txt").splitlines() or ["no answer"])[-1][-120:],
    "compute_sanitizer": read("sanitizer_version.txt").splitlines()[-1:] or ["missing"],
    "libs_linked": read("libs_linked.txt").splitlines(),
}
ok = available and jv is not None and not missing
detail = f"{fields['gpu']}; java {fields['java']}; cuda " + ("available" if available else "UNAVAILABLE")
if missing:
    detail += "; libtriad misses " + ", ".join(missing)
fields["status"] = "pass" if ok else ("unavailable" if not available else "fail")
fields["detail"] = detail
json.dump(fields, open(os.path.join(S, "probe.fields.json"), "w"))
EOF
}

phase_tests() {
  junit "$VERIFY_LOGS/tests" $(( $(remaining) - 1 ))
}

phase_rerun() {
  local i=0 m max=${VERIFY_MAX_RERUNS:-1000}
  (( VERIFY_DRY )) && max=${VERIFY_MAX_RERUNS:-2}
  : > "$VERIFY_STATE/rerun.list"
  python3 -c 'import json,sys; [print(m) for m in json.load(open(sys.argv[1])).get("junit", {}).get("failed_methods", [])]' \
    "$VERIFY_STATE/tests.json" 2>/dev/null > "$VERIFY_STATE/rerun.todo" || true
  while read -r m; do
    (( i >= max )) && break
    (( $(remaining) < 6 )) && break
    local sel
    mapfile -t sel < <(selectors "$m")
    echo "$i $m" >> "$VERIFY_STATE/rerun.list"
    TRIAD_CUDA_SYNC=1 junit "$VERIFY_LOGS/rerun/$i" $(( $(remaining) - 2 )) "${sel[@]}"
    i=$((i + 1))
  done < "$VERIFY_STATE/rerun.todo"
}

sanitizer_bin() {  # on PATH, else where the CUDA toolkit keeps it
  command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1
}

sanitize() {  # sanitize TOOL ENV... -- METHODS...
  local tool=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local sel dir=$VERIFY_LOGS/$tool
  mapfile -t sel < <(selectors "$@")
  mkdir -p "$dir"
  printf '%s\n' "$@" > "$dir/selected.txt"
  local san
  san=$(sanitizer_bin)
  if [[ -n $san ]]; then
    # its own deadline a little inside the phase's, so the sanitizer can still write its summary
    timeout -k 3 $(( $(remaining) - 4 )) env "${envs[@]}" "$san" --tool "$tool" --error-exitcode 99 --target-processes all \
      --log-file "$dir/sanitizer.%p.txt" bash "$VERIFY_G/junit.sh" --include-tag gpu --details=flat \
      --disable-ansi-colors --reports-dir "$dir" "${sel[@]}" > "$dir/console.txt" 2>&1
    echo $? > "$dir/rc"
  elif (( VERIFY_DRY )); then
    # no sanitizer here: the same selection without it, and a made-up log for the parser
    export "${envs[@]}"
    junit "$dir" $(( $(remaining) - 1 )) "${sel[@]}"
    echo "========= COMPUTE-SANITIZER (dry run: not installed)" > "$dir/sanitizer.dry.txt"
    echo "========= ERROR SUMMARY: 0 errors" >> "$dir/sanitizer.dry.txt"
    echo 0 > "$dir/rc"
  else
    echo "compute-sanitizer not found" > "$dir/missing"
  fi
}
phase_memcheck() { sanitize memcheck TRIAD_CUDA_NO_CACHE=1 -- "${MEMCHECK_SET[@]}"; }
phase_racecheck() { sanitize racecheck TRIAD_CUDA_SYNC=1 -- "${RACECHECK_SET[@]}"; }

phase_bench() {
  local L=$VERIFY_LOGS/bench
  mkdir -p "$L"
  # --profile and --trace on CUDA (issue #14): 5 tiny pretrain steps, every op synchronised; the
  # per-op/per-phase tables land in triad_profile.txt, the Chrome trace of steps 3-4 in trace.json
  timeout -k 3 25 bash "$VERIFY_G/java.sh" dev.triad.cli.Main pretrain --device cuda --model tiny --steps 5 \
    --batch 4 --seq 64 --eval-every 0 --sample-every 0 --out "$VERIFY_STATE/profile_run" --profile \
    --trace "$L/trace.json" --trace-steps 3-4 > "$L/triad_profile.txt" 2>&1
  echo "exit $?" >> "$L/triad_profile.txt"
  # Triad first, then PyTorch, then `triad bench`, never together (they would share the GPU);
  # CudaBench gets what the other two do not need (PyTorch ~45 s: torch start, GEMMs, attention,
  # AdamW, 13 GPT-2 steps; triad bench --quick ~35 s: JVM start, peak, 14 ops, 12 training steps)
  local tb=40
  local tl=$(( $(remaining) - 48 - tb ))
  (( tl < 10 )) && tl=10
  timeout -k 3 "$tl" bash "$VERIFY_G/java.sh" dev.triad.tensor.CudaBench --gemm 4096,8192 --attention all \
    --adamw 134217728 --train-step bf16,f32 --train-steps 5 > "$L/triad_bench.txt" 2>&1
  echo "exit $?" >> "$L/triad_bench.txt"
  PYTHONUNBUFFERED=1 timeout -k 3 $(( $(remaining) - 2 )) python3 "$root/bench/kernels/torch_reference.py" \
    --gemm 4096,8192 --attention all --adamw 134217728 --train-step --train-steps 10 > "$L/torch_bench.txt" 2>&1
  echo "exit $?" >> "$L/torch_bench.txt"
  # the CLI's suite; its JSON (device, peaks, every case) also goes to $OUT on its own
  tb=$(( $(remaining) - 2 ))
  (( tb < 5 )) && tb=5
  timeout -k 3 "$tb" bash "$VERIFY_G/java.sh" dev.triad.cli.Main bench --device cuda --quick \
    --json "$L/triad_cli_bench.json" > "$L/triad_cli_bench.txt" 2>&1
  echo "exit $?" >> "$L/triad_cli_bench.txt"
  [[ -s $L/triad_cli_bench.json ]] && cp "$L/triad_cli_bench.json" "$out/triad_bench.json"
  if (( VERIFY_DRY )) && ! grep -q '^RESULT' "$L/torch_bench.txt"; then
    # no GPU here: the table's plumbing on made-up figures (marked as such in results.json)
    python3 "$report" fake-bench "$L/fake"
  fi
}

if [[ -n $internal ]]; then
  "phase_$internal"
  exit $?
fi

# ---------------------------------------------------------------- the run
{
  echo "{\"date\": \"$(date -u +%FT%TZ)\", \"dry_run\": $( ((dry)) && echo true || echo false),"
  echo " \"phases_requested\": \"$phases\", \"total_limit_s\": $TOTAL, \"host\": \"$(hostname)\"}"
} > "$state/meta.json"

if [[ ! -x $G/jre/bin/java || ! -f $G/junit.sh ]]; then
  PH_SECS[probe]=0; PH_LIMIT[probe]=0
  record probe fail "no staged .gpu/ (build, stage and pack: see bench/kernels/README.md)" '"cuda_available": null'
  stop=1
else
  run_phase probe; rc=$?
  python3 "$report" collect probe "$state" "${PH_SECS[probe]}" "${PH_LIMIT[probe]}" "$rc" \
    || record probe fail "collecting the probe's results failed (rc $rc)" '"cuda_available": false'
  [[ -s $state/ld_path ]] && export LD_LIBRARY_PATH=$(cat "$state/ld_path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  cuda=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("cuda_available"))' "$state/probe.json")
  stop=0
  [[ $cuda == True ]] || stop=1
  ((dry)) && stop=0
fi

for ph in tests rerun memcheck racecheck bench; do
  if ! want "$ph"; then
    continue
  fi
  if ((stop)); then
    PH_SECS[$ph]=0; PH_LIMIT[$ph]=0
    record "$ph" unavailable "not run: CUDA is unavailable (see probe)"
    continue
  fi
  run_phase "$ph"; rc=$?
  python3 "$report" collect "$ph" "$state" "${PH_SECS[$ph]}" "${PH_LIMIT[$ph]}" "$rc" \
    || record "$ph" fail "collecting the phase's results failed (rc $rc)"
done

# every phase not requested still has its line, so results.json always has all six
for ph in tests rerun memcheck racecheck bench; do
  [[ -f $state/$ph.json ]] || { PH_SECS[$ph]=0; PH_LIMIT[$ph]=0; record "$ph" "not requested" "not in --phases"; }
done

# ---------------------------------------------------------------- results
python3 "$report" report "$state" "$out" > /dev/null
cp "$state"/*.json "$logs/" 2>/dev/null
# a flood of sanitizer reports must not push the archive over the 16 MiB a returned file may have
find "$logs" -type f -size +4M -exec truncate -s 4M {} \;
tar -C "$state" -cf - logs | xz -T0 -6 > "$out/logs.tar.xz"
status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$out/results.json")
files=$(find "$out" -maxdepth 3 -type f | wc -l)
elapsed=$(( $(now) - T0 ))
rc=1
case $status in
  pass) rc=0 ;;
  "cuda unavailable") rc=3 ;;
  dry-run)
    # the plumbing is sound when every requested phase left its record, ended within its
    # deadline, the output folder holds <= 6 files and the whole run stayed within its limit
    rc=0
    # and the sanitizers' named tests all exist
    for ph in probe ${phases//,/ }; do
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["seconds"] <= r["limit"] + 5 and not r.get("unmatched") else 1)' \
        "$state/$ph.json" 2>/dev/null || { log "dry run: phase $ph has no record, overran, or names unknown tests"; rc=1; }
    done
    (( files <= 6 )) || { log "dry run: $files files in $out (limit 6)"; rc=1; }
    (( elapsed <= TOTAL )) || { log "dry run: took ${elapsed}s (limit ${TOTAL}s)"; rc=1; }
    ;;
esac
rm -rf "$state"
echo "files in $out: $files; ${elapsed}s in all; exit $rc" >> "$out/summary.txt"
cat "$out/summary.txt"
exit $rc
