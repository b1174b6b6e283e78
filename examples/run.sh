#!/usr/bin/env bash
# Builds and runs the example application against the installed Triad artifacts (after
# `mvn -B -DskipTests install` at the top): what CI does after the tests. It runs twice: on the
# class path, and with Triad's jars on the module path (named modules dev.triad.core and
# dev.triad.train; the native libraries load from the platform jars there too).
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q package
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
rm -rf target/example-runs target/example-runs-modules   # each run trains afresh
java --enable-native-access=ALL-UNNAMED -cp "target/triad-example-1.jar:$(cat target/classpath.txt)" \
  dev.triad.example.Example "$@"
echo "example: again, Triad on the module path"
java --enable-native-access=ALL-UNNAMED --module-path "$(cat target/classpath.txt)" --add-modules ALL-MODULE-PATH \
  -cp target/triad-example-1.jar dev.triad.example.Example target/example-runs-modules
