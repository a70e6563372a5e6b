#!/usr/bin/env bash
# Startup time of kemu on the bundled example, as medians of several runs:
#   - in-process Emulator.start(): the first start in a fresh JVM, and warm starts after it;
#   - java -jar emulator.jar until it prints "kemu ready".
# Reference figures (not run here, no cluster images are reachable): kind ~33 s and k3d ~20 s
# until DNS answers (research/peers.md).
# Usage: scripts/bench/startup.sh [runs]   (default 7; needs a built tree: ./mvnw -DskipTests package)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7}
manifests=examples/shop
jar=emulator/target/emulator.jar
[ -f "$jar" ] || ./mvnw -q -B -DskipTests package
[ -d emulator/target/test-classes/dev/kemu/emulator/bench ] || ./mvnw -q -B -DskipTests test-compile -pl emulator -am

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== in-process Emulator.start() on $manifests: $runs fresh JVMs x 5 starts"
first=(); warm=()
for i in $(seq "$runs"); do
  line=$(java -cp "$jar:emulator/target/test-classes" dev.kemu.emulator.bench.StartupTimer "$manifests" 5 | tail -1)
  first+=("$(sed -E 's/.*first_ms=([0-9]+).*/\1/' <<<"$line")")
  warm+=("$(sed -E 's/.*warm_median_ms=([0-9]+).*/\1/' <<<"$line")")
done
in_first=$(printf '%s\n' "${first[@]}" | median)
in_warm=$(printf '%s\n' "${warm[@]}" | median)

echo "== java -jar $jar --manifests $manifests: $runs runs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wall=(); self=()
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  java -jar "$jar" --manifests "$manifests" --api-port 0 --no-watch --kubeconfig "$tmp/kubeconfig" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  until grep -q "kemu ready in" "$tmp/out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "kemu exited early:"; cat "$tmp/err"; exit 1; fi
    sleep 0.01
  done
  end=$(date +%s%N)
  wall+=($(( (end - start) / 1000000 )))
  self+=("$(grep -oE 'kemu ready in [0-9]+' "$tmp/out" | grep -oE '[0-9]+')")
  kill -TERM "$pid"; wait "$pid" || true  # SIGINT is ignored by background jobs of a script
done
jar_wall=$(printf '%s\n' "${wall[@]}" | median)
jar_self=$(printf '%s\n' "${self[@]}" | median)

printf '\n%-40s %10s %10s\n' "measure (median of $runs)" "ms" "target"
printf '%-40s %10s %10s\n' "in-process start, first in a JVM" "$in_first" "< 300"
printf '%-40s %10s %10s\n' "in-process start, warm JVM" "$in_warm" "< 300"
printf '%-40s %10s %10s\n' "java -jar to 'kemu ready' (wall)" "$jar_wall" "< 1500"
printf '%-40s %10s %10s\n' "java -jar, kemu's own start time" "$jar_self" "-"
printf '%-40s %10s\n' "kind (published, to DNS answering)" "33000"
printf '%-40s %10s\n' "k3d (published)" "19900"
awk -v j="$jar_wall" 'BEGIN { printf "ratio kind/kemu-jar: %.0fx   k3d/kemu-jar: %.0fx\n", 33000/j, 19900/j }'
