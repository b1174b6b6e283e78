#!/usr/bin/env bash
# Where the GPU time of a GPT-2 124M bf16 training step goes, Triad beside PyTorch, in ONE device
# command (about 3 minutes, at most VERIFY_TOTAL_S=400). Run from the project root on the GPU machine
# after bench/gpu/verify.sh has passed there, with the packed staging carried (carry [".gpu.tar.xz"]):
#   bash bench/gpu/profile_step.sh [--steps torch,times,ops,detail]   (default: all four)
# Steps (each under its own deadline; a killed step keeps its log):
#   torch   90 s  torch.profiler over PyTorch's step at the same shapes (torch_step_kernels.py)
#   times  120 s  ncu, gpu__time_duration only, over TrainStepBench gpt2 bf16 B=8 T=1024 (2 warm-up
#                 steps + 1): every kernel of the last step, grouped (profile_report.py)
#   ops     90 s  triad pretrain --device cuda --model gpt2 --profile (B=8, T=1024, 6 steps): per
#                 phase and per op (each op synchronised)
#   detail 120 s  ncu sections (speed of light, launch, occupancy, warp states, memory, compute) on
#                 the last layer's forward GEMMs and attention, the LM head, the loss and the first
#                 backward kernels
# Output in $OUT: profile_summary.txt (printed last) and profile_logs.tar.xz (every log).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
out=${OUT:-/tmp/triad-profile}
mkdir -p "$out"
work=$(mktemp -d /tmp/triad-profile.XXXXXX)
L=$work/logs
mkdir -p "$L"
G=$root/.gpu
T0=$(date +%s)
TOTAL=${VERIFY_TOTAL_S:-400}
B=8 T=1024
steps=torch,times,ops,detail
case ${1:-} in
  --steps) steps=${2:?--steps needs a list, e.g. times,ops} ;;
  --steps=*) steps=${1#--steps=} ;;
  "") ;;
  *) echo "profile_step.sh: unknown argument '$1' (known: --steps LIST)" >&2; exit 2 ;;
esac
want() { [[ ,$steps, == *,$1,* ]]; }
log() { echo "[profile $(( $(date +%s) - T0 ))s] $*" >&2; }

[[ -d $G ]] || { log "unpacking .gpu.tar.xz"; timeout 60 tar -xJf .gpu.tar.xz; }
ncu=$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)

# run NAME SECONDS CMD...: CMD under its deadline (cut to what the total leaves), output in $L/NAME.txt
run() {
  local name=$1 lim=$2 left
  shift 2
  left=$(( TOTAL - 10 - ($(date +%s) - T0) ))
  (( left < lim )) && lim=$left
  if (( lim < 5 )); then
    echo "not run: no time left" > "$L/$name.txt"
    return
  fi
  log "$name: start (limit ${lim}s)"
  timeout -k 3 "$lim" "$@" > "$L/$name.txt" 2>&1
  local rc=$?
  echo "exit $rc after $(( $(date +%s) - T0 ))s" >> "$L/$name.txt"
  log "$name: rc $rc"
}
step_bench=(bash "$G/java.sh" dev.triad.bench.TrainStepBench gpt2 bf16 "$B" "$T" 1)
profiler=("$ncu" --target-processes all --clock-control none)

want torch && PYTHONUNBUFFERED=1 run torch 90 python3 "$here/torch_step_kernels.py" --batch "$B" --t "$T"
if ! want times; then
  :
elif [[ -n $ncu ]]; then
  run times 120 "${profiler[@]}" --metrics gpu__time_duration.sum --csv --page raw --print-units base \
    --log-file "$L/ncu_times.csv" "${step_bench[@]}"
  python3 "$here/profile_report.py" kernels "$L/ncu_times.csv" > "$L/triad_kernels.txt" 2>&1
else
  echo "ncu not found" | tee "$L/times.txt" > "$L/triad_kernels.txt"
fi
want ops && run ops 90 bash "$G/java.sh" dev.triad.cli.Main pretrain --device cuda --model gpt2 --tokenizer gpt2 \
  --batch "$B" --seq "$T" --steps 6 --warmup 1 --eval-every 0 --eval-batches 1 --sample-every 0 \
  --out "$work/run" --profile
if want detail && [[ -n $ncu ]]; then
  # launches matching the filter, in order: 5 per layer forward (4 GEMMs + attention), so skipping
  # 55 starts at the last layer; then the LM head, the loss and the last layer's backward
  run detail 120 "${profiler[@]}" -k 'regex:gemm_sm90|flash_|attention_delta|ce_|layernorm_backward' \
    --launch-skip 55 --launch-count 24 --section SpeedOfLight --section LaunchStats --section Occupancy \
    --section WarpStateStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
    --log-file "$L/ncu_detail.txt" "${step_bench[@]}"
fi

{
  echo "triad GPU step profile  $(date -u +%FT%TZ)  $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
  want torch && { echo; echo "== PyTorch (torch.profiler) =="; head -40 "$L/torch.txt"; }
  want times && { echo; echo "== Triad (ncu gpu__time_duration, TrainStepBench's last step) =="; head -40 "$L/triad_kernels.txt"; }
  want ops && { echo; echo "== Triad --profile (per phase, per op) =="; sed -n '/^profile:/,$p' "$L/ops.txt" | head -60; }
  want detail && { echo; echo "== ncu detail: kernel, duration, SM and memory throughput =="; }
  [[ -f $L/ncu_detail.txt ]] && grep -E '^  [a-zA-Z_].*\(|Duration|Compute \(SM\) Throughput|^    Memory Throughput' \
    "$L/ncu_detail.txt" | head -120
} > "$out/profile_summary.txt" 2>&1
tar -C "$work" -cf - logs | xz -T0 -6 > "$out/profile_logs.tar.xz"
rm -rf "$work"
echo "$(( $(date +%s) - T0 ))s in all" >> "$out/profile_summary.txt"
cat "$out/profile_summary.txt"
