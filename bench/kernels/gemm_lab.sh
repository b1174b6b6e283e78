#!/usr/bin/env bash
# Hopper GEMM lab: build every bench/kernels/gemm_sm90_*.cu for sm_90a, dump a SASS summary,
# validate each version (small shapes with a full fp64 reference + every size sampled), time it at
# each size, time torch.matmul (cuBLAS) bf16 on the same shapes in the same run, print one table.
#
#   bash bench/kernels/gemm_lab.sh                  # sizes 1024 2048 4096 8192 (cubes)
#   bash bench/kernels/gemm_lab.sh 4096 8192        # chosen sizes
#   VERSIONS="3 4" bash bench/kernels/gemm_lab.sh   # only some versions (by number)
#   CHECK_ONLY=1 bash bench/kernels/gemm_lab.sh     # validate, no timing
#
# Outputs go to $OUT (the device tool's folder) or /tmp/gemm_lab_out when OUT is unset:
#   gemm_lab.log   everything      gemm_table.md  the final table
#   sass.txt       SASS instruction counts per binary (HGMMA, UTMALDG, SYNCS, LDL/STL...)
#   ptxas.txt      registers / smem / spills per kernel
# Exit status: 0 when every version validated, 1 otherwise (timings of passing versions still shown).
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="${OUT:-/tmp/gemm_lab_out}"
BUILD="${BUILD_DIR:-/tmp/gemm_lab_build}"
mkdir -p "$OUTDIR" "$BUILD"
LOG="$OUTDIR/gemm_lab.log"
: >"$LOG"
log() { echo "$@" | tee -a "$LOG"; }

SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(1024 2048 4096 8192)
REPS="${REPS:-30}"

NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
[ -x "$NVCC" ] || { log "nvcc not found (set NVCC=...)"; exit 2; }
CUOBJDUMP="$(dirname "$NVCC")/cuobjdump"
[ -x "$CUOBJDUMP" ] || CUOBJDUMP="$(command -v cuobjdump || true)"

log "== gemm_lab $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu \
    --format=csv 2>&1 | tee -a "$LOG"
fi
"$NVCC" --version | tail -1 | tee -a "$LOG"

# ---- build (in parallel) --------------------------------------------------------------------
SRCS=()
for f in "$HERE"/gemm_sm90_*.cu; do
  n="$(basename "$f" .cu)"            # gemm_sm90_<v>_<name>
  v="${n#gemm_sm90_}"; v="${v%%_*}"
  if [ -n "${VERSIONS:-}" ] && ! [[ " $VERSIONS " == *" $v "* ]]; then continue; fi
  SRCS+=("$f")
done
[ ${#SRCS[@]} -gt 0 ] || { log "no versions selected"; exit 2; }

: >"$OUTDIR/ptxas.txt"
pids=()
for f in "${SRCS[@]}"; do
  n="$(basename "$f" .cu)"
  ( "$NVCC" -O3 -std=c++17 -lineinfo -gencode=arch=compute_90a,code=sm_90a -Xptxas -v \
      -Xcompiler -Wall,-Wextra -o "$BUILD/$n" "$f" >"$BUILD/$n.build.txt" 2>&1 ) &
  pids+=($!)
done
build_fail=0
for i in "${!pids[@]}"; do
  n="$(basename "${SRCS[$i]}" .cu)"
  if ! wait "${pids[$i]}"; then build_fail=1; log "BUILD FAILED: $n"; fi
  { echo "### $n"; cat "$BUILD/$n.build.txt"; } >>"$OUTDIR/ptxas.txt"
done
cat "$OUTDIR/ptxas.txt" >>"$LOG"
grep -iE "warning|error" "$OUTDIR/ptxas.txt" | tee -a "$LOG"

# ---- SASS evidence --------------------------------------------------------------------------
: >"$OUTDIR/sass.txt"
if [ -n "$CUOBJDUMP" ]; then
  for f in "${SRCS[@]}"; do
    n="$(basename "$f" .cu)"
    [ -x "$BUILD/$n" ] || continue
    "$CUOBJDUMP" -sass "$BUILD/$n" >"$BUILD/$n.sass" 2>&1
    {
      printf '%-28s' "$n"
      for op in HGMMA UTMALDG UTMAPF SYNCS WARPGROUP USETMAXREG LDL STL; do
        printf ' %s=%s' "$op" "$(grep -c "$op" "$BUILD/$n.sass")"
      done
      echo
    } >>"$OUTDIR/sass.txt"
  done
  log "== SASS instruction counts (HGMMA = wgmma, UTMALDG = TMA load, SYNCS = mbarrier ops;"
  log "   LDL/STL must be 0: local memory = spilled accumulators)"
  cat "$OUTDIR/sass.txt" | tee -a "$LOG"
else
  log "cuobjdump not found: no SASS summary"
fi

# ---- validate + time ours -------------------------------------------------------------------
any_fail=$build_fail
declare -A RES   # RES[version,size] = tflops or FAIL
VERS=()
for f in "${SRCS[@]}"; do
  n="$(basename "$f" .cu)"
  VERS+=("$n")
  bin="$BUILD/$n"
  [ -x "$bin" ] || { for s in "${SIZES[@]}"; do RES[$n,$s]="nobuild"; done; continue; }
  first=1
  for s in "${SIZES[@]}"; do
    args=("$s" "$s" "$s" --reps "$REPS")
    [ $first -eq 1 ] || args+=(--no-small)     # small-shape/tail/epilogue checks once per version
    [ -n "${CHECK_ONLY:-}" ] && args+=(--check-only)
    log "== $n ${args[*]}"
    out="$(timeout 300 "$bin" "${args[@]}" 2>&1)"; rc=$?
    echo "$out" | tee -a "$LOG"
    if [ $rc -ne 0 ]; then
      any_fail=1
      RES[$n,$s]="FAIL(rc=$rc)"
    else
      t="$(echo "$out" | sed -n 's/^RESULT .* tflops=\([0-9.]*\).*/\1/p' | tail -1)"
      RES[$n,$s]="${t:-ok}"
    fi
    first=0
  done
done

# ---- torch.matmul (cuBLAS) on the same shapes, timed the same way ----------------------------
declare -A TORCH
if command -v python3 >/dev/null; then
  log "== torch.matmul bf16, A[M,K] @ B[N,K]^T (the same NT problem)"
  tout="$(PYTHONUNBUFFERED=1 timeout 300 python3 - "$REPS" "${SIZES[@]}" <<'PY' 2>&1
import sys, math, statistics
try:
    import torch
except Exception as e:
    print("TORCH unavailable:", e); sys.exit(0)
reps = int(sys.argv[1]); sizes = [int(s) for s in sys.argv[2:]]
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = True  # cuBLAS default path
for n in sizes:
    M = N = K = n
    g = torch.Generator(device="cuda").manual_seed(n)
    a = (torch.rand(M, K, device="cuda", generator=g) * 2 - 1).to(torch.bfloat16)
    b = (torch.rand(N, K, device="cuda", generator=g) * 2 - 1).to(torch.bfloat16)
    f = lambda: torch.matmul(a, b.t())
    for _ in range(5): f()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record(); f(); e1.record(); torch.cuda.synchronize()
    one = max(e0.elapsed_time(e1), 1e-3)
    inner = int(min(200, max(1, math.ceil(1.0 / one))))
    ms = []
    for _ in range(reps):
        e0.record()
        for _ in range(inner): f()
        e1.record(); torch.cuda.synchronize()
        ms.append(e0.elapsed_time(e1) / inner)
    med = statistics.median(ms)
    print(f"TORCH M={M} N={N} K={K} ms={med:.4f} tflops={2*M*N*K/med/1e9:.1f} (min {min(ms):.4f} ms, {reps}x{inner})")
PY
)"
  echo "$tout" | tee -a "$LOG"
  for s in "${SIZES[@]}"; do
    TORCH[$s]="$(echo "$tout" | sed -n "s/^TORCH M=$s N=$s K=$s .*tflops=\([0-9.]*\).*/\1/p" | tail -1)"
  done
fi

# ---- table ------------------------------------------------------------------------------------
dev="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
{
  echo "GEMM bf16 NT (C = A @ B^T, fp32 accumulate), TFLOP/s, $(date -u +%Y-%m-%d), ${dev:-unknown GPU}"
  echo
  hdr="| size |"; sep="|---|"
  for n in "${VERS[@]}"; do v="${n#gemm_sm90_}"; hdr+=" $v |"; sep+="---|"; done
  hdr+=" torch.matmul | best/torch |"; sep+="---|---|"
  echo "$hdr"; echo "$sep"
  for s in "${SIZES[@]}"; do
    row="| ${s}³ |"; best=""
    for n in "${VERS[@]}"; do
      r="${RES[$n,$s]:-}"; row+=" $r |"
      if [[ "$r" =~ ^[0-9.]+$ ]]; then
        best="$(awk -v a="${best:-0}" -v b="$r" 'BEGIN{print (b>a)?b:a}')"
      fi
    done
    t="${TORCH[$s]:-}"
    ratio=""
    if [[ "$t" =~ ^[0-9.]+$ ]] && [ -n "$best" ]; then
      ratio="$(awk -v a="$best" -v b="$t" 'BEGIN{printf "%.1f%%", 100*a/b}')"
    fi
    row+=" ${t:-n/a} | ${ratio:-n/a} |"
    echo "$row"
  done
  echo
  echo "Target (issue #3): >= 90% of torch.matmul at 4096³ and 8192³."
} >"$OUTDIR/gemm_table.md"
log ""
cat "$OUTDIR/gemm_table.md" | tee -a "$LOG"
if [ $any_fail -ne 0 ]; then log "SOME VERSIONS FAILED (see above)"; exit 1; fi
exit 0
