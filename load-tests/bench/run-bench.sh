#!/usr/bin/env bash
# Side-by-side benchmark: direct vs nginx vs HAProxy vs bare vertx-http-proxy vs Pylon, in one run, with the kit in
# ../shared/bench (override with BENCH_KIT). Needs nginx-light, haproxy, wrk, nghttp2-client (see the kit's README).
# Extra arguments go to the kit, e.g. ROUNDS=3 ./run-bench.sh; PYLON_SCENARIOS=h1,h1tls,h2tls,h1mtls adds the TLS
# scenarios for Pylon (vertx-http-proxy runs h1 unless VX_SCENARIOS says otherwise).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(cd "$here/../.." && pwd)"
kit=${BENCH_KIT:-"$home/../shared/bench"}
[ -x "$kit/bench.sh" ] || { echo "run-bench.sh: no benchmark kit at $kit (set BENCH_KIT)" >&2; exit 2; }
(cd "$home" && mvn -B -q -Dstyle.color=never -DskipTests package)
cd "$kit"
exec ./bench.sh \
  --candidate "vertx:${VX_SCENARIOS:-h1}=candidates/vertx-http-proxy.sh" \
  --candidate "pylon:${PYLON_SCENARIOS:-h1}=$here/pylon-candidate.sh" "$@"
