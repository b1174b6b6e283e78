#!/usr/bin/env bash
# Packs the staged .gpu/ (from ../shared/gpu/stage.sh) into one .gpu.tar.xz, which is what
# travels to the GPU machine: the staged tree is ~90 MiB (a jlink'ed JRE with a 24 MiB libjvm.so,
# the OpenBLAS jar, libtriad) but compresses to well under the device tool's 64 MiB carry limit.
# Usage, from the project root:  bash ../shared/gpu/stage.sh java && bash bench/kernels/pack_gpu.sh
# Then carry [".gpu.tar.xz"]; gpu_check.sh and run_gpu_bench.sh unpack it on the device.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
[[ -d .gpu ]] || { echo "pack_gpu.sh: no .gpu/; run ../shared/gpu/stage.sh java first" >&2; exit 2; }
grep -qx '/.gpu.tar.xz' .git/info/exclude 2>/dev/null || echo '/.gpu.tar.xz' >> .git/info/exclude
tar -cf - .gpu | xz -T0 -6 > .gpu.tar.xz
echo "packed .gpu.tar.xz: $(( $(stat -c %s .gpu.tar.xz) / 1048576 )) MiB (limit 64 MiB with the rest of the tree)"
