#!/usr/bin/env bash
# Hopper GEMM lab: build every bench/kernels/gemm_sm90_*.cu for sm_90a, dump a SASS summary,
# validate each version (small shapes with a full fp64 reference + every size sampled), time it at
# each size, time torch.matmul (cuBLAS) bf16 on the same shapes in the same run, print one table.
#
#   bash bench/kernels/gemm_lab.sh                  # sizes 1024 2048 4096 8192 (cubes)
#   bash bench/kernels/gemm_lab.sh 4096 8192        # chosen sizes
#   VERSIONS="3 4" bash bench/kernels/gemm_lab.sh   # only some versions (by number)
#   CHECK_ONLY=1 bash bench/kernels/gemm_lab.sh     # validation phase only (every version x layout)
#   LAYOUTS="nt nn tn" bash ...                     # also time the backward layouts (v3 has them;
#                                                   #  versions without a layout show "-")
#   SANITIZE=1 bash ...                             # first run compute-sanitizer memcheck on a
#                                                   #  small shape of every version
#   NVCC_FLAGS="-DGEMM_GROUP_M=8" bash ...          # extra nvcc flags (tuning knobs, see GEMM.md)
#   RUN_TIMEOUT=60                                  # seconds per program run (a deadlocked
#                                                   #  barrier shows up as a timeout, rc=124)
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
LAYOUTS=(${LAYOUTS:-nt})
RUN_TIMEOUT="${RUN_TIMEOUT:-60}"
T0=$SECONDS

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
  ( "$NVCC" -O3 -std=c++17 -lineinfo -gencode=arch=compute_90a,code=sm_90a -Xptxas -v ${NVCC_FLAGS:-} \
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

# ---- optional: compute-sanitizer memcheck on a small shape -------------------------------------
if [ -n "${SANITIZE:-}" ]; then
  CS="$(dirname "$NVCC")/compute-sanitizer"; [ -x "$CS" ] || CS="$(command -v compute-sanitizer || true)"
  for f in "${SRCS[@]}"; do
    n="$(basename "$f" .cu)"; [ -x "$BUILD/$n" ] || continue
    log "== compute-sanitizer memcheck $n 384 520 264 --check-only --no-small"
    timeout 300 "$CS" --tool memcheck --error-exitcode 9 "$BUILD/$n" 384 520 264 --check-only --no-small 2>&1 \
      | tail -15 | tee -a "$LOG"
  done
fi

# ---- phase 1: validate every version on every layout (small shapes, full reference) -----------
declare -A CHK   # CHK[version,layout] = PASS, FAIL(rc), or - (not implemented)
VERS=()
any_fail=$build_fail
for f in "${SRCS[@]}"; do
  n="$(basename "$f" .cu)"
  VERS+=("$n")
  bin="$BUILD/$n"
  for lay in nt nn tn tt; do
    [ -x "$bin" ] || { CHK[$n,$lay]="nobuild"; continue; }
    log "== [$((SECONDS - T0))s] check $n --layout $lay"
    out="$(timeout "$RUN_TIMEOUT" "$bin" 512 512 512 --layout "$lay" --check-only 2>&1)"; rc=$?
    echo "$out" | tee -a "$LOG"
    if [ $rc -eq 2 ] && echo "$out" | grep -q "does not implement layout"; then CHK[$n,$lay]="-"; continue; fi
    if [ $rc -eq 0 ]; then CHK[$n,$lay]="PASS"; else
      CHK[$n,$lay]="FAIL(rc=$rc)"; any_fail=1
      [ $rc -eq 124 ] && log "   TIMEOUT after ${RUN_TIMEOUT}s: likely a deadlock (barrier phase / tx count)"
    fi
  done
done

# ---- phase 2: time (each run re-validates its big shape, sampled, before timing) ---------------
declare -A RES   # RES[version,layout,size] = tflops, FAIL(...), or - (layout not implemented)
if [ -z "${CHECK_ONLY:-}" ]; then
for n in "${VERS[@]}"; do
  bin="$BUILD/$n"
  for lay in "${LAYOUTS[@]}"; do
    for s in "${SIZES[@]}"; do
      [ -x "$bin" ] || { RES[$n,$lay,$s]="nobuild"; continue; }
      [ "${CHK[$n,$lay]:-}" = "-" ] && { RES[$n,$lay,$s]="-"; continue; }
      args=("$s" "$s" "$s" --layout "$lay" --reps "$REPS" --no-small)
      log "== [$((SECONDS - T0))s] $n ${args[*]}"
      out="$(timeout "$RUN_TIMEOUT" "$bin" "${args[@]}" 2>&1)"; rc=$?
      echo "$out" | tee -a "$LOG"
      if [ $rc -ne 0 ]; then
        any_fail=1
        [ $rc -eq 124 ] && log "   TIMEOUT after ${RUN_TIMEOUT}s: likely a deadlock (barrier phase / tx count)"
        RES[$n,$lay,$s]="FAIL(rc=$rc)"
      else
        t="$(echo "$out" | sed -n 's/^RESULT .* tflops=\([0-9.]*\).*/\1/p' | tail -1)"
        RES[$n,$lay,$s]="${t:-ok}"
      fi
    done
  done
done
fi

# ---- torch.matmul (cuBLAS) on the same shapes, timed the same way ----------------------------
declare -A TORCH
if [ -z "${CHECK_ONLY:-}" ] && command -v python3 >/dev/null; then
  log "== torch.matmul bf16 on the same layouts and shapes (cuBLAS)"
  tout="$(PYTHONUNBUFFERED=1 timeout 300 python3 - "$REPS" "${LAYOUTS[*]}" "${SIZES[@]}" <<'PY' 2>&1
import sys, math, statistics
try:
    import torch
except Exception as e:
    print("TORCH unavailable:", e); sys.exit(0)
reps = int(sys.argv[1]); layouts = sys.argv[2].split(); sizes = [int(s) for s in sys.argv[3:]]
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = True  # cuBLAS default path
def make(lay, M, N, K, g):
    r = lambda *shape: (torch.rand(*shape, device="cuda", generator=g) * 2 - 1).to(torch.bfloat16)
    # Triad layouts: NT a[M,K] b[N,K]; NN a[M,K] b[K,N]; TN a[K,M] b[K,N]; TT a[K,M] b[N,K]
    a = r(K, M) if lay[0] == "t" else r(M, K)
    b = r(N, K) if lay[1] == "t" else r(K, N)
    opa = a.t() if lay[0] == "t" else a
    opb = b.t() if lay[1] == "t" else b
    return lambda: torch.matmul(opa, opb)
for lay in layouts:
  for n in sizes:
    M = N = K = n
    g = torch.Generator(device="cuda").manual_seed(n)
    f = make(lay, M, N, K, g)
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
    print(f"TORCH {lay.upper()} M={M} N={N} K={K} ms={med:.4f} tflops={2*M*N*K/med/1e9:.1f} (min {min(ms):.4f} ms, {reps}x{inner})")
PY
)"
  echo "$tout" | tee -a "$LOG"
  for lay in "${LAYOUTS[@]}"; do
    LAY="$(echo "$lay" | tr a-z A-Z)"
    for s in "${SIZES[@]}"; do
      TORCH[$lay,$s]="$(echo "$tout" | sed -n "s/^TORCH $LAY M=$s N=$s K=$s .*tflops=\([0-9.]*\).*/\1/p" | tail -1)"
    done
  done
fi

# ---- table ------------------------------------------------------------------------------------
dev="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
{
  echo "GEMM bf16, C = op(a) @ op(b) (fp32 accumulate, bf16 out), TFLOP/s, $(date -u +%Y-%m-%d), ${dev:-unknown GPU}"
  echo "(NT = a[M,K] b[N,K], the linear forward; NN = dx = dy W; TN = dW = dy^T x)"
  echo
  hdr="| layout | size |"; sep="|---|---|"
  for n in "${VERS[@]}"; do v="${n#gemm_sm90_}"; hdr+=" $v |"; sep+="---|"; done
  hdr+=" torch.matmul | best/torch |"; sep+="---|---|"
  echo "$hdr"; echo "$sep"
  for lay in "${LAYOUTS[@]}"; do
    for s in "${SIZES[@]}"; do
      row="| $(echo "$lay" | tr a-z A-Z) | ${s}³ |"; best=""
      for n in "${VERS[@]}"; do
        r="${RES[$n,$lay,$s]:-}"; row+=" $r |"
        if [[ "$r" =~ ^[0-9.]+$ ]]; then
          best="$(awk -v a="${best:-0}" -v b="$r" 'BEGIN{print (b>a)?b:a}')"
        fi
      done
      t="${TORCH[$lay,$s]:-}"
      ratio=""
      if [[ "$t" =~ ^[0-9.]+$ ]] && [ -n "$best" ]; then
        ratio="$(awk -v a="$best" -v b="$t" 'BEGIN{printf "%.1f%%", 100*a/b}')"
      fi
      row+=" ${t:-n/a} | ${ratio:-n/a} |"
      echo "$row"
    done
  done
  echo
  echo "Target (issue #3): >= 90% of torch.matmul at 4096³ and 8192³."
  echo
  echo "Validation (small shapes with full fp64 reference incl. tails and all epilogues, plus 512³ sampled):"
  echo
  hdr="| version | NT | NN | TN | TT |"; echo "$hdr"; echo "|---|---|---|---|---|"
  for n in "${VERS[@]}"; do
    echo "| ${n#gemm_sm90_} | ${CHK[$n,nt]:-} | ${CHK[$n,nn]:-} | ${CHK[$n,tn]:-} | ${CHK[$n,tt]:-} |"
  done
} >"$OUTDIR/gemm_table.md"
log ""
log "total $((SECONDS - T0))s"
cat "$OUTDIR/gemm_table.md" | tee -a "$LOG"
if [ $any_fail -ne 0 ]; then log "SOME VERSIONS FAILED (see above)"; exit 1; fi
exit 0
