#!/usr/bin/env bash
# The NCCL plug-in on the GPU machine (issue #18), in ONE device command (~1 minute), after
# bench/gpu/verify.sh, from the project root with .gpu.tar.xz carried:
#   bash bench/gpu/nccl_smoke.sh
# 1. build   libtriad_nccl.so from native/src/dist/nccl_plugin.cpp with the machine's g++/nvcc
#            toolkit headers, against the NCCL that PyTorch's wheels carry (nvidia/nccl), or
#            NCCL_HOME where set
# 2. smoke   NcclSmokeMain: the communicator as a one-rank job ("self", no MPI there) with NCCL for
#            CUDA tensors; all-reduce, reduce-scatter, all-gather, broadcast of 1 Mi f32 and bf16
#            elements, each checked bit for bit on the host
# Output in $OUT: nccl_smoke.txt (printed last; "smoke: ok (self+nccl, ...)" when it passed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
out=${OUT:-/tmp/triad-nccl}
mkdir -p "$out"
G=$root/.gpu
report=$out/nccl_smoke.txt
[[ -d $G ]] || timeout 60 tar -xJf .gpu.tar.xz
smoke() {
  nccl=${NCCL_HOME:-$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null)}
  cuda=${CUDA_HOME:-$(ls -d /usr/local/cuda 2>/dev/null || dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")}
  echo "nccl: ${nccl:-not found}; cuda toolkit: $cuda"
  lib=$out/work/libtriad_nccl.so
  mkdir -p "$out/work"
  ncclso=$(ls "$nccl"/lib/libnccl.so* 2>/dev/null | head -1)
  if [[ -z $nccl || ! -f $nccl/include/nccl.h || -z $ncclso ]]; then
    echo "build: skipped: no nccl.h / libnccl.so (set NCCL_HOME)"
    return 0
  fi
  timeout 120 g++ -std=c++17 -O2 -shared -fPIC -fvisibility=hidden -o "$lib" native/src/dist/nccl_plugin.cpp \
    -I native/include -I native/src -I "$nccl/include" -I "$cuda/include" \
    "$ncclso" -L "$cuda/lib64" -lcudart -Wl,-rpath,"$nccl/lib:$cuda/lib64"
  echo "build: exit $?"
  [[ -f $lib ]] || return 0
  ld=$(cat /tmp/triad-verify-state.*/ld_path 2>/dev/null | head -1)
  LD_LIBRARY_PATH=${ld:+$ld:}$nccl/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout -k 3 60 \
    bash "$G/java.sh" dev.triad.dist.NcclSmokeMain "$lib"
  echo "smoke: exit $?"
}
smoke > "$report" 2>&1
rm -rf "$out/work"
cat "$report"
