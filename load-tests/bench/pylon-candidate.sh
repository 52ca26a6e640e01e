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
tls_port=${BENCH_TLS_PORT:-0}
mtls_port=${BENCH_MTLS_PORT:-0}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/pylon-bench}
conf="$work/pylon-config-$port"
mkdir -p "$conf"
servers="  - port: {number: $port, name: http, protocol: HTTP}
    hosts: [\"*\"]"
if [ "$tls_port" != 0 ] && [ -n "${BENCH_CERT:-}" ]; then
  # h1tls/h2tls: TLS termination with the kit's certificate (ALPN h2 + http/1.1)
  servers="$servers
  - port: {number: $tls_port, name: https, protocol: HTTPS}
    hosts: [\"*\"]
    tls: {mode: SIMPLE, serverCertificate: $BENCH_CERT, privateKey: ${BENCH_KEY_PKCS8:-$BENCH_KEY}}"
fi
if [ "$mtls_port" != 0 ] && [ -n "${BENCH_CLIENT_CERT:-}" ]; then
  # h1mtls: plain HTTP in, mTLS origination to the kit's backend (client certificate, CA-verified, SNI localhost)
  servers="$servers
  - port: {number: $mtls_port, name: http-mtls, protocol: HTTP}
    hosts: [\"*\"]"
fi
mtls_rule=""
if [ "$mtls_port" != 0 ] && [ -n "${BENCH_CLIENT_CERT:-}" ]; then
  mtls_rule="  - match: [{port: $mtls_port}]
    route:
    - destination: {host: backend-mtls.bench.local, port: {number: $BENCH_BACKEND_MTLS_PORT}}"
fi
cat > "$conf/bench.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
$servers
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
$mtls_rule
  - route:
    - destination: {host: backend.bench.local, port: {number: $backend_port}}
YAML
if [ "$mtls_port" != 0 ] && [ -n "${BENCH_CLIENT_CERT:-}" ]; then
  cat >> "$conf/bench.yaml" <<YAML
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend-mtls, namespace: default}
spec:
  hosts: [backend-mtls.bench.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: $BENCH_BACKEND_MTLS_PORT, name: https, protocol: HTTPS}]
  endpoints: [{address: $backend_host}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: backend-mtls, namespace: default}
spec:
  host: backend-mtls.bench.local
  trafficPolicy:
    tls:
      mode: MUTUAL
      clientCertificate: $BENCH_CLIENT_CERT
      privateKey: ${BENCH_CLIENT_KEY_PKCS8:-$BENCH_CLIENT_KEY}
      caCertificates: $BENCH_CA
      sni: localhost
YAML
fi
JTMP="$work/jvm-tmp"; mkdir -p "$JTMP"
export JAVA_OPTS="${JAVA_OPTS:-"-Xms256m -Xmx256m -XX:+UseG1GC"} -XX:-UsePerfData -Djava.io.tmpdir=$JTMP -Dvertx.cacheDirBase=$JTMP/vertx-cache"
export PYLON_LOG_LEVEL=${PYLON_LOG_LEVEL:-WARN}
exec "$home/bin/pylon" run --config "$conf" --bind 127.0.0.1 --xds-port 0 --admin-port 0 --health-port 0 \
  --metrics-port 0 --concurrency "${IO_THREADS:-1}"
