#!/usr/bin/env bash
# Packs the staged .gpu/ (from ../shared/gpu/stage.sh) into one .gpu.tar.xz, which is what
# travels to the GPU machine: the staged tree is ~90 MiB (a jlink'ed JRE with a 24 MiB libjvm.so,
# the OpenBLAS jar, libtriad) but compresses to well under the device tool's 64 MiB carry limit.
# Usage, from the project root:  bash bench/gpu/stage.sh && bash bench/kernels/pack_gpu.sh
# Then carry [".gpu.tar.xz"]; bench/gpu/verify.sh (and run_gpu_bench.sh) unpack it on the device.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
[[ -d .gpu ]] || { echo "pack_gpu.sh: no .gpu/; run bench/gpu/stage.sh first" >&2; exit 2; }
exclude=$(git rev-parse --git-path info/exclude)  # .git is a file in a worktree
grep -qx '/.gpu.tar.xz' "$exclude" 2>/dev/null || echo '/.gpu.tar.xz' >> "$exclude"
# stage.sh links its JRE with --compress=2 (zip inside the jimage), which xz cannot shrink further;
# the same modules linked uncompressed xz to ~16 MiB instead of ~27. Done once (marker file).
if [[ -x .gpu/jre/bin/java && ! -f .gpu/jre/.uncompressed ]]; then
  mods=$(.gpu/jre/bin/java --list-modules | sed 's/@.*//' | paste -sd, -)
  jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  rm -rf .gpu/jre.new
  "$jdk/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=0 \
    --output .gpu/jre.new >/dev/null
  rm -rf .gpu/jre && mv .gpu/jre.new .gpu/jre && touch .gpu/jre/.uncompressed
fi
tar -cf - .gpu | xz -T0 -6 > .gpu.tar.xz
echo "packed .gpu.tar.xz: $(( $(stat -c %s .gpu.tar.xz) / 1048576 )) MiB (limit 64 MiB with the rest of the tree)"
