#!/usr/bin/env bash
# service.sh — kemu's Service data plane (ServiceProxy) measured next to the shared L4 anchors, in
# the same run:
#   1. kemu serves a ClusterIP with two TCP ports (-> the anchor's HTTP backend 127.0.0.1:18080 and
#      byte sink 127.0.0.1:19000) and a UDP ClusterIP (-> unbound 127.0.0.1:15354);
#      ../shared/bench/tcp-proxy-anchor.sh measures kemu (EMU_TCP_ADDR, EMU_BULK_ADDR) next to
#      direct, haproxy 'mode tcp', nginx stream and iptables DNAT: connection rate (churn),
#      request rate (keep-alive) and bulk throughput;
#   2. with UDP=1, ../shared/bench/dns-anchor.sh adds kemu's UDP Service hop (EMU_UDP_ADDR);
#   3. programming latency: with 1k Services served, an EndpointSlice write until the proxy has
#      applied it and until a new connection reaches the new endpoint (p50/p99);
#   4. RSS of kemu with 1k Services and 10k endpoints, every ClusterIP listening.
# Then prints kemu's figures as ratios to haproxy and direct, against the targets of issue 5.
#
# Needs root (the anchors install nginx, haproxy, wrk, socat... with apt-get and may add an
# iptables rule; see ../shared/bench/README.md). Knobs of the anchors pass through (DURATION,
# ROUNDS, BULK_BYTES, IPTABLES...). Own knobs: VIP [127.96.0.20] (kemu's ClusterIP; the UDP
# Service gets the next address), NODE [127.0.1.20] (kemu's node address, the source of its
# upstream connections: each proxy row of the anchor connects from its own address so TIME_WAIT
# sockets of one row do not stall the next), UDP [0], SERVICES [1000], ENDPOINTS [10] per
# Service, SAMPLES [1000], SHARED_BENCH [../shared/bench].
# Usage: sudo scripts/bench/service.sh   (needs a built tree: ./mvnw -DskipTests package)
set -u
set -o pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
VIP=${VIP:-127.96.0.20}
NODE=${NODE:-127.0.1.20}
UDP=${UDP:-0}
SERVICES=${SERVICES:-1000}
ENDPOINTS=${ENDPOINTS:-10}
SAMPLES=${SAMPLES:-1000}
JAR=emulator/target/emulator.jar
CP="$JAR:emulator/target/test-classes"
export RESULTS_DIR=${RESULTS_DIR:-/tmp/k8s-emu-bench/results}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -x $SHARED/tcp-proxy-anchor.sh ]] || die "no $SHARED/tcp-proxy-anchor.sh (set SHARED_BENCH)"
command -v java >/dev/null || die "java is needed"
if [[ ! -f $JAR || ! -d emulator/target/test-classes/dev/kemu/emulator/bench ]]; then
  log "building kemu (./mvnw -DskipTests package)"
  ./mvnw -q -B -DskipTests package || die "build failed"
fi

KEMU_PID=
KEMU_OUT=$(mktemp /tmp/kemu-service-bench.XXXXXX)
cleanup() {
  if [[ -n $KEMU_PID ]] && kill -0 "$KEMU_PID" 2>/dev/null; then
    kill "$KEMU_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$KEMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$KEMU_PID" 2>/dev/null
  fi
  rm -f "$KEMU_OUT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ 1+2: kemu next to the anchors
java -cp "$CP" dev.kemu.emulator.bench.ServiceBenchTarget "$VIP" "$NODE" >"$KEMU_OUT" 2>&1 &
KEMU_PID=$!
for _ in $(seq 600); do
  grep -q '^ready' "$KEMU_OUT" && break
  kill -0 "$KEMU_PID" 2>/dev/null || { cat "$KEMU_OUT" >&2; die "kemu exited early"; }
  sleep 0.1
done
grep -q '^ready' "$KEMU_OUT" || die "kemu did not start in 60 s"
log "kemu: $(grep '^ready' "$KEMU_OUT")"
UDP_VIP=${VIP%.*}.$((${VIP##*.} + 1))

TCP_LOG=$(mktemp /tmp/kemu-service-bench-tcp.XXXXXX)
EMU_TCP_ADDR=$VIP:18080 EMU_BULK_ADDR=$VIP:19000 EMU_PID=$KEMU_PID \
  "$SHARED/tcp-proxy-anchor.sh" 2>&1 | tee "$TCP_LOG"
TCP_TSV=$(grep -o 'results: .*tcp-proxy-[^ ]*\.tsv' "$TCP_LOG" | tail -1 | sed 's/^results: //')
rm -f "$TCP_LOG"
[[ -f ${TCP_TSV:-} ]] || die "tcp-proxy-anchor.sh produced no result table"

if [[ $UDP == 1 ]]; then
  EMU_UDP_ADDR=$UDP_VIP:53 EMU_PID=$KEMU_PID "$SHARED/dns-anchor.sh" 2>&1 | tail -25
fi
METRICS_URL=$(sed -n 's/^ready .*api=\([^ ]*\).*/\1/p' "$KEMU_OUT")/metrics
KEMU_ERRORS=$(curl -s "$METRICS_URL" | awk '/^kemu_service_errors_total/ {s += $2} END {print s + 0}')
kill "$KEMU_PID" 2>/dev/null; wait "$KEMU_PID" 2>/dev/null; KEMU_PID=

# ------------------------------------------------------------------ 3: programming latency
log "programming latency with $SERVICES Services ($SAMPLES samples)"
LAT=$(java -cp "$CP" dev.kemu.emulator.bench.ServiceProgrammingLatency "$SERVICES" "$SAMPLES" 2>/dev/null)
printf '%s\n' "$LAT" >&2

# ------------------------------------------------------------------ 4: RSS
log "RSS with $SERVICES Services and $((SERVICES * ENDPOINTS)) endpoints"
RSS=$(java -cp "$CP" dev.kemu.emulator.bench.ServiceScaleRss "$SERVICES" "$ENDPOINTS" 2>/dev/null | tail -1)
printf '%s\n' "$RSS" >&2

# ------------------------------------------------------------------ report
col() {  # col ROW NAME: a column of the anchor's table by header name
  awk -F'\t' -v row="$1" -v name="$2" '
    /^#/ {next}
    !h {for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next}
    $1 == row {print $(c[name])}' "$TCP_TSV"
}
num() { tr -d ',' <<<"$1"; }
ratio() { awk -v a="$(num "$1")" -v b="$(num "$2")" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
check() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "-") {print "n/a"; exit} ok = (op == ">=") ? v + 0 >= t : v + 0 < t; print ok ? "met" : "MISSED" }'; }

E_CH=$(col emulator churn_conn_s); H_CH=$(col haproxy churn_conn_s); D_CH=$(col direct churn_conn_s)
E_KA=$(col emulator ka_req_s); H_KA=$(col haproxy ka_req_s); D_KA=$(col direct ka_req_s)
E_BK=$(col emulator bulk_MB_s); H_BK=$(col haproxy bulk_MB_s); D_BK=$(col direct bulk_MB_s)
E_ERR=$(col emulator errors)
LAT_P99=$(sed -n 's/^used .*p99=\([0-9.]*\).*/\1/p' <<<"$LAT")
LAT_P50=$(sed -n 's/^used .*p50=\([0-9.]*\).*/\1/p' <<<"$LAT")
APPLIED_P99=$(sed -n 's/^applied .*p99=\([0-9.]*\).*/\1/p' <<<"$LAT")
RSS_MB=$(sed -n 's/.*rss_mb=\([0-9]*\).*/\1/p' <<<"$RSS")

echo
echo "== kemu Service data plane vs the anchors (same run; anchor table: $TCP_TSV)"
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' measure kemu haproxy direct vs_haproxy vs_direct target result
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' "connection rate (churn, conn/s)" "$E_CH" "$H_CH" "$D_CH" \
  "$(ratio "$E_CH" "$H_CH")" "$(ratio "$E_CH" "$D_CH")" ">= 1.0x haproxy" "$(check "$(ratio "$E_CH" "$H_CH")" 1.0 '>=')"
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' "request rate (keep-alive, req/s)" "$E_KA" "$H_KA" "$D_KA" \
  "$(ratio "$E_KA" "$H_KA")" "$(ratio "$E_KA" "$D_KA")" ">= 1.0x haproxy" "$(check "$(ratio "$E_KA" "$H_KA")" 1.0 '>=')"
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' "bulk throughput (MB/s)" "$E_BK" "$H_BK" "$D_BK" \
  "$(ratio "$E_BK" "$H_BK")" "$(ratio "$E_BK" "$D_BK")" ">= 0.8x direct" "$(check "$(ratio "$E_BK" "$D_BK")" 0.8 '>=')"
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' "programming latency p99 (ms)" "$LAT_P99" - - - - "< 10 ms, $SERVICES Services" "$(check "$LAT_P99" 10 '<')"
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' "  (p50; write->applied p99)" "$LAT_P50" - - - - "$APPLIED_P99 ms applied" ""
printf '%-34s %12s %12s %12s %10s %10s %-26s %s\n' "RSS (MB)" "$RSS_MB" - - - - "< 256 MB, $((SERVICES * ENDPOINTS)) endpoints" "$(check "$RSS_MB" 256 '<')"
echo "errors: anchor (wrk/socat) $E_ERR, kemu_service_errors_total $KEMU_ERRORS"
