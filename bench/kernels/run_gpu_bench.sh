#!/usr/bin/env bash
# One command on the GPU machine: Triad's CUDA kernels (CudaBench) and the PyTorch reference at
# the same shapes, then one side-by-side table. Run from the project root after staging .gpu/:
#   bash bench/kernels/run_gpu_bench.sh [--quick]
# Full logs go to $OUT (the device tool's return folder) when it is set.
set -euo pipefail
out=${OUT:-/tmp}
# the packed staging (pack_gpu.sh) unpacks here on first use
[[ -d .gpu || ! -f .gpu.tar.xz ]] || tar -xJf .gpu.tar.xz
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$out/gpu.txt" || true
bash .gpu/java.sh dev.triad.tensor.CudaBench "$@" 2>&1 | tee "$out/triad_bench.txt"
python3 bench/kernels/torch_reference.py --triad "$out/triad_bench.txt" "$@" 2>&1 | tee "$out/torch_bench.txt"
