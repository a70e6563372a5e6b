#!/usr/bin/env bash
# Latency of kemu's Kubernetes API port, in process: create/get/list/update of N ConfigMaps,
# N Service creates (ClusterIP allocation, EndpointSlice reconciliation; every write answers only
# once the cluster has settled), and watch delivery (update sent -> MODIFIED event read).
# Prints p50/p99. Target: mutating calls p99 < 10 ms (the Kubernetes SLO is 1 s).
# Usage: scripts/bench/api.sh [objects]   (default 1000; needs a built tree: ./mvnw -DskipTests package)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
jar=emulator/target/emulator.jar
[ -f "$jar" ] || ./mvnw -q -B -DskipTests package
[ -f emulator/target/test-classes/dev/kemu/emulator/bench/ApiBench.class ] || ./mvnw -q -B -DskipTests test-compile -pl emulator -am
java -cp "$jar:emulator/target/test-classes" dev.kemu.emulator.bench.ApiBench "$n"
