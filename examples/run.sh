#!/usr/bin/env bash
# Builds and runs the example application against the installed Triad artifacts (after
# `mvn -B -DskipTests install` at the top): what CI does after the tests.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q package
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
java --enable-native-access=ALL-UNNAMED -cp "target/triad-example-1.jar:$(cat target/classpath.txt)" \
  dev.triad.example.Example "$@"
