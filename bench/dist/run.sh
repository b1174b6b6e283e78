#!/usr/bin/env bash
# Data-parallel throughput on this machine: `triad pretrain` of the small model for STEPS steps as
# 1 process and as 2 and 3 MPI ranks on the same global batch, each rank with THREADS CPU threads.
# Prints tokens/s of the job (median over the steps after the first 3) and the share of each step
# spent in the ZeRO-1 collectives (metrics.jsonl's comm_ms / step_ms, rank 0's view: waiting for
# the slowest rank included). Usage: bash bench/dist/run.sh [STEPS] (default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
args=(pretrain --model small --batch 8 --seq 128 --steps "$steps" --eval-every 0 --eval-batches 1 --sample-every 0
      --checkpoint-every 0 --device cpu --tokenizer byte)
./triad info >/dev/null   # build first
summary() { # dir label
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl") if '"loss"' in l]
steady = recs[3:] or recs
tps = statistics.median(r["tokens_per_s"] for r in steady)
step = statistics.median(r["step_ms"] for r in steady)
comm = statistics.median(r.get("comm_ms", 0.0) for r in steady)
print(f"{sys.argv[2]:<28} {tps:9.0f} tok/s   step {step:7.1f} ms   collectives {comm:6.1f} ms ({100 * comm / step:4.1f}%)   final loss {recs[-1]['loss']:.4f}")
PY
}
echo "small model, B=8 x T=128 global batch, $steps steps, $(nproc) cores ($(date -u +%F))"
OMP_NUM_THREADS=2 ./triad "${args[@]}" --out "$work/p1t2" >/dev/null
summary "$work/p1t2" "1 process, 2 threads"
OMP_NUM_THREADS=1 ./triad "${args[@]}" --out "$work/p1t1" >/dev/null
summary "$work/p1t1" "1 process, 1 thread"
for ranks in 2 3; do
  mpirun --oversubscribe -np "$ranks" -x OMP_NUM_THREADS=1 ./triad "${args[@]}" --out "$work/r$ranks" --distributed >/dev/null
  summary "$work/r$ranks" "$ranks ranks, 1 thread each"
done
