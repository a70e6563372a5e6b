#!/usr/bin/env bash
# Ingress benchmark: kemu's Ingress controller next to nginx and haproxy, in the same run.
#
# Starts kemu (emulator/target/emulator.jar; built if missing) with an Ingress that implements
# the anchor's rule (host app.bench.test, path /api/ Prefix -> a Service whose only endpoint is
# 127.0.0.1:18080, anything else 404) on --http-port, then runs ../shared/bench/http-proxy-anchor.sh
# with EMU_URL and EMU_PID so kemu, nginx and haproxy are measured by the same wrk load.
#
# Knobs: KEMU_HTTP_PORT[18880] ANCHOR[<repo>/../shared/bench/http-proxy-anchor.sh] JAVA[java]
#        JAVA_OPTS[-Xmx512m], and every knob of the anchor script (DURATION, ROUNDS, ...).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ANCHOR=${ANCHOR:-$repo/../shared/bench/http-proxy-anchor.sh}
[[ -x $ANCHOR || -f $ANCHOR ]] || ANCHOR=/work/shared/bench/http-proxy-anchor.sh
KEMU_HTTP_PORT=${KEMU_HTTP_PORT:-18880}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:--Xmx512m}
jar=$repo/emulator/target/emulator.jar

if [[ ! -f $jar ]]; then
  echo "building $jar" >&2
  (cd "$repo" && ./mvnw -q -B -o package -DskipTests -pl emulator -am)
fi

work=$(mktemp -d /tmp/kemu-ingress-bench.XXXXXX)
kemu_pid=
cleanup() {
  if [[ -n $kemu_pid ]] && kill -0 "$kemu_pid" 2>/dev/null; then
    kill "$kemu_pid" 2>/dev/null || true
    wait "$kemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/manifests"
cat > "$work/manifests/bench.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Service
metadata: {name: bench-backend, namespace: default}
spec:
  ports: [{name: http, port: 80, targetPort: 18080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: bench-backend-1
  namespace: default
  labels: {kubernetes.io/service-name: bench-backend}
addressType: IPv4
ports: [{name: http, port: 18080, protocol: TCP}]
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {ready: true}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: default}
spec:
  ingressClassName: kemu
  rules:
  - host: app.bench.test
    http:
      paths:
      - path: /api/
        pathType: Prefix
        backend: {service: {name: bench-backend, port: {number: 80}}}
YAML

# shellcheck disable=SC2086
"$JAVA" $JAVA_OPTS -jar "$jar" --manifests "$work/manifests" --api-port 0 \
  --http-port "$KEMU_HTTP_PORT" --kubeconfig "$work/kubeconfig" > "$work/kemu.log" 2>&1 &
kemu_pid=$!
for _ in $(seq 1 120); do
  grep -q 'kemu ready' "$work/kemu.log" && break
  kill -0 "$kemu_pid" 2>/dev/null || { cat "$work/kemu.log" >&2; echo "kemu exited" >&2; exit 1; }
  sleep 0.5
done
grep -q 'kemu ready' "$work/kemu.log" || { cat "$work/kemu.log" >&2; echo "kemu did not start" >&2; exit 1; }
echo "kemu (pid $kemu_pid) serves the Ingress on http://127.0.0.1:$KEMU_HTTP_PORT" >&2

EMU_URL=http://127.0.0.1:$KEMU_HTTP_PORT EMU_PID=$kemu_pid bash "$ANCHOR"
