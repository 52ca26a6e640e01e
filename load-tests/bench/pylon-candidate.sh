#!/usr/bin/env bash
# Pylon as a candidate of the side-by-side benchmark kit (../shared/bench): `pylon run` with one Gateway server on
# {PORT} and one route to the kit's backend. bench.sh exports BENCH_PORT, BENCH_BACKEND_HOST, BENCH_BACKEND_PORT and
# BENCH_WORK; arguments override them:  pylon-candidate.sh PORT BACKEND_HOST BACKEND_PORT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(cd "$here/../.." && pwd)"
port=${1:-$BENCH_PORT}
backend_host=${2:-${BENCH_BACKEND_HOST:-127.0.0.1}}
backend_port=${3:-$BENCH_BACKEND_PORT}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/pylon-bench}
conf="$work/pylon-config-$port"
mkdir -p "$conf"
cat > "$conf/bench.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: $port, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend, namespace: default}
spec:
  hosts: [backend.bench.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: $backend_port, name: http, protocol: HTTP}]
  endpoints: [{address: $backend_host}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bench, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bench]
  http:
  - route:
    - destination: {host: backend.bench.local, port: {number: $backend_port}}
YAML
JTMP="$work/jvm-tmp"; mkdir -p "$JTMP"
export JAVA_OPTS="${JAVA_OPTS:-"-Xms256m -Xmx256m -XX:+UseG1GC"} -XX:-UsePerfData -Djava.io.tmpdir=$JTMP -Dvertx.cacheDirBase=$JTMP/vertx-cache"
export PYLON_LOG_LEVEL=${PYLON_LOG_LEVEL:-WARN}
exec "$home/bin/pylon" run --config "$conf" --bind 127.0.0.1 --xds-port 0 --admin-port 0 --health-port 0 \
  --metrics-port 0 --concurrency "${IO_THREADS:-1}"
