#!/usr/bin/env bash
# Docker job latency (issue: compute nodes over NATS and the Docker executor): the median wall time
# of `cod docker run --wait IMAGE true` against `docker run --rm IMAGE true`, on the same machine,
# in the same run, alternating the two so that neither gets a warmer machine. Also prints the
# ratio of the medians.
#
#   bench/docker_latency.sh [build/release/bin/cod]     (RUNS=21 by default)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=$(readlink -f "${1:-build/release/bin/cod}")
runs=${RUNS:-21}
image=cod-test/busybox:latest
root=$(cd "$(dirname "$0")/.." && pwd)

dir=$(mktemp -d)
cleanup() {
  [ -n "${cod_pid:-}" ] && kill "$cod_pid" 2>/dev/null && wait "$cod_pid" 2>/dev/null || true
  [ -n "${dockerd_pid:-}" ] && kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null || true
  rm -rf "$dir" 2>/dev/null || true
}
trap cleanup EXIT

# A private dockerd, as the tests use (no bridge: reference/test-services.md).
start_dockerd "$dir"

"$cod" serve --orchestrator --compute --data-dir "$dir/cod" --api-host 127.0.0.1 \
  --api-port 0 --nats-port 0 --publisher-port 0 --log-level warn >"$dir/cod.log" 2>&1 &
cod_pid=$!
port=$(api_port "$dir/cod.log")
export COD_API_PORT=$port

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Warm both paths once.
/usr/bin/docker run --rm --network none "$image" true >/dev/null
"$cod" docker run --wait "$image" true >/dev/null

: >"$dir/docker.ms"
: >"$dir/limited.ms"
: >"$dir/cod.ms"
# The second baseline asks docker for what cod's executor sets on every container (cod's default
# 500m CPU and 512 MB, a pids limit, no-new-privileges), to show what the limits themselves cost.
for _ in $(seq 1 "$runs"); do
  t=$(date +%s%N); /usr/bin/docker run --rm --network none "$image" true >/dev/null; ms "$t" >>"$dir/docker.ms"
  t=$(date +%s%N); "$cod" docker run --wait "$image" true >/dev/null; ms "$t" >>"$dir/cod.ms"
  t=$(date +%s%N)
  /usr/bin/docker run --rm --network none --cpus 0.5 --memory 512m --memory-swap 512m --pids-limit 2048 \
    --security-opt no-new-privileges "$image" true >/dev/null
  ms "$t" >>"$dir/limited.ms"
done
d=$(median <"$dir/docker.ms")
l=$(median <"$dir/limited.ms")
c=$(median <"$dir/cod.ms")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
echo "runs=$runs medians: docker run --rm ${d} ms | docker run --rm with cod's limits ${l} ms | cod docker run --wait ${c} ms"
echo "ratio cod / docker run --rm: $(ratio "$c" "$d")   ratio cod / docker run with the same limits: $(ratio "$c" "$l")"
