#!/usr/bin/env bash
# Stages the Java side for the GPU machine (.gpu/, see ../shared/gpu/stage.sh) from the Java
# modules: the shared script stages java/cli (its classes and every runtime and test jar,
# triad-train and triad-core with its native libraries included), then the test classes of
# triad-core and triad-train join triad-cli's, so `.gpu/junit.sh --include-tag gpu` finds every
# gpu-tagged test and `.gpu/java.sh` every test-side main (CudaBench, TrainStepBench).
# Usage, from the project root after `mvn -B -DskipTests install` (the shared script resolves
# triad-cli's dependencies from the local repository):
#   bash bench/gpu/stage.sh && bash bench/kernels/pack_gpu.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
bash ../shared/gpu/stage.sh java/cli
for m in core train; do
  [[ -d java/$m/target/test-classes ]] || { echo "stage.sh: java/$m/target/test-classes is missing; build first" >&2; exit 2; }
  cp -r "java/$m/target/test-classes/." .gpu/test-classes/
done
# triad-cli's tests depend on triad-core's test-jar; its classes are now in test-classes: keep one copy
rm -f .gpu/lib/triad-core-*-tests.jar
