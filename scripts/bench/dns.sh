#!/usr/bin/env bash
# Cluster DNS benchmark: kemu's DNS next to dnsmasq and unbound, in the same run, with the shared
# anchor (../shared/bench/dns-anchor.sh: 10,000 Services, dnsperf throughput and latency at a fixed
# 5,000 q/s), then DNS programming latency (store write -> answered) with
# dev.kemu.emulator.bench.DnsProgrammingLatency.
#
# Usage (as root: the anchor installs dnsmasq, unbound, dnsperf and dig with apt-get):
#   scripts/bench/dns.sh
# Env: KEMU_DNS_PORT [1053]  LATENCY_SAMPLES [1000]  ANCHOR [../shared/bench/dns-anchor.sh]
#      and every knob of the anchor (DURATION, ROUNDS, LAT_QPS, ...), passed through.
# Targets (issue 4): qps >= 1.0x dnsmasq, p99 < 1 ms at 5,000 q/s, programming p99 < 10 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
ANCHOR=${ANCHOR:-$root/../shared/bench/dns-anchor.sh}
PORT=${KEMU_DNS_PORT:-1053}
SAMPLES=${LATENCY_SAMPLES:-1000}
jar=emulator/target/emulator.jar
[ -x "$ANCHOR" ] || [ -f "$ANCHOR" ] || { echo "no anchor script at $ANCHOR (set ANCHOR=...)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root: the anchor installs and runs dnsmasq, unbound and dnsperf" >&2; exit 1; }
command -v dig >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bind9-dnsutils >/dev/null
[ -f "$jar" ] || ./mvnw -q -B -DskipTests package
[ -f emulator/target/test-classes/dev/kemu/emulator/bench/DnsProgrammingLatency.class ] \
  || ./mvnw -q -B -DskipTests test-compile -pl emulator -am

work=$(mktemp -d /tmp/kemu-dns-bench.XXXXXX)
kemu_pid=
cleanup() {
  if [ -n "$kemu_pid" ] && kill -0 "$kemu_pid" 2>/dev/null; then
    kill "$kemu_pid"; wait "$kemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The zone: the same 10,000 Services the anchor loads into dnsmasq and unbound. A cluster has the
# default namespace; the zone's manifest does not carry it.
bash "$ANCHOR" records "$work/zone" >/dev/null 2>&1
cat >"$work/zone/00-namespaces.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: default
YAML

probe() { dig +time=1 +tries=1 +short -p "$PORT" @127.0.0.1 "svc-9999.default.svc.cluster.local" A 2>/dev/null | grep -q .; }

start_cli() {
  java -jar "$jar" --manifests "$work/zone/00-namespaces.yaml" --manifests "$work/zone/services.yaml" \
    --dns-port "$PORT" --api-port 0 --no-watch --kubeconfig "$work/kubeconfig" \
    >"$work/kemu.out" 2>"$work/kemu.err" &
  kemu_pid=$!
}

start_loader() {
  java -cp "$jar:emulator/target/test-classes" dev.kemu.emulator.bench.DnsBenchServer "$PORT" \
    "$work/zone/services.yaml" >"$work/kemu.out" 2>"$work/kemu.err" &
  kemu_pid=$!
}

await_zone() {  # await_zone SECONDS: true once the last Service answers
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    kill -0 "$kemu_pid" 2>/dev/null || return 1
    probe && return 0
    # Started, and a manifest load still running would have printed nothing yet: the CLI prints
    # its table only once the manifests are applied.
    if grep -q "kemu ready" "$work/kemu.out" 2>/dev/null && ! probe; then
      sleep 2
      probe && return 0
      return 1
    fi
    sleep 0.2
  done
  return 1
}

log "starting kemu (CLI jar, --dns-port $PORT, 10,000 Services)"
start_cli
if ! await_zone 90; then
  if kill -0 "$kemu_pid" 2>/dev/null && grep -q "kemu ready" "$work/kemu.out"; then
    # A build whose CLI does not load --manifests yet: load the same file in-process instead.
    log "this build's CLI did not load the zone from --manifests; loading it with DnsBenchServer"
    kill "$kemu_pid"; wait "$kemu_pid" 2>/dev/null || true
    start_loader
    await_zone 90 || { cat "$work/kemu.err" >&2; echo "kemu did not answer the zone" >&2; exit 1; }
  else
    cat "$work/kemu.err" >&2; echo "kemu did not start or did not answer the zone" >&2; exit 1
  fi
fi
log "kemu answers svc-9999 (pid $kemu_pid)"

results="$work/results"
mkdir -p "$results"
RESULTS_DIR="$results" EMU_DNS="127.0.0.1:$PORT" EMU_PID="$kemu_pid" bash "$ANCHOR"
tsv=$(ls "$results"/dns-*.tsv | tail -1)

log "DNS programming latency: $SAMPLES writes against the same zone, in-process"
latency=$(java -cp "$jar:emulator/target/test-classes" dev.kemu.emulator.bench.DnsProgrammingLatency \
  "$work/zone/services.yaml" "$SAMPLES" 2>/dev/null | tail -1)

echo
lq=${LAT_QPS:-5000}
echo "== kemu cluster DNS vs dnsmasq and unbound (same run; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' -v lq="$lq" '
  /^#/ {next}
  $1 == "row" { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == "dnsmasq" || $1 == "unbound" || $1 == "emulator" {
    name = ($1 == "emulator") ? "kemu" : $1
    printf "%-8s qps %8s  (%s x dnsmasq)  p50 %s ms  p99 %s ms at %s q/s  cpu %s us/query\n",
      name, $col["qps"], $col["qps_vs_dnsmasq"], $(col["p50_ms@" lq]), $(col["p99_ms@" lq]), lq,
      $col["server_cpu_us_per_query"]
  }' "$tsv"
echo "programming latency (write -> answered): $latency"
awk -F'\t' -v lat="$latency" -v lq="$lq" '
  /^#/ {next}
  $1 == "row" { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == "emulator" { ratio = $col["qps_vs_dnsmasq"]; p99 = $(col["p99_ms@" lq]) }
  END {
    match(lat, /p99_ms=[0-9.]+/); lp99 = substr(lat, RSTART + 7, RLENGTH - 7)
    printf "targets: qps >= 1.0x dnsmasq: %s (%s)   p99 < 1 ms at %s q/s: %s (%s ms)   programming p99 < 10 ms: %s (%s ms)\n",
      (ratio + 0 >= 1.0 ? "met" : "MISSED"), ratio, lq, (p99 + 0 < 1.0 ? "met" : "MISSED"), p99,
      (lp99 + 0 < 10.0 ? "met" : "MISSED"), lp99
  }' "$tsv"
cp "$tsv" "/tmp/kemu-dns-bench-$(date +%Y%m%d-%H%M%S).tsv" && log "table kept in /tmp/kemu-dns-bench-*.tsv"
