#!/usr/bin/env bash
# Hostile-traffic benchmark (issue 11, item 1): `cod serve --orchestrator --compute` and
# bench/hostile_api.py sending REQUESTS (20,000) requests from THREADS (8) clients, a mix of bodies
# near the size limit, deep and wide JSON, huge header blocks, SLOW (200) connections that never
# finish their headers, unlimited list requests, bad specs and valid noop jobs. Reports the
# orchestrator's RSS before (the baseline of the same run), at its peak, and settled 10 s after the
# traffic stopped; how long `GET /jobs?limit=100` takes after it; and what each kind got back.
#
#   bench/hostile_api.sh [build/release/bin/cod]      REQUESTS=20000 THREADS=8 SLOW=200
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=${1:-build/release/bin/cod}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$cod" serve --orchestrator --compute --data-dir "$dir/data" --api-port 0 --api-host 127.0.0.1 \
  --nats-port 0 --publisher-port 0 --log-level warn >"$dir/serve.log" 2>&1 &
pid=$!
port=$(api_port "$dir/serve.log")
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }
hwm() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }

sleep 2
echo "baseline: RSS $(rss) MB"
c0=$(cpu_ms "$pid")
python3 "$(dirname "$0")/hostile_api.py" "$port"
c1=$(cpu_ms "$pid")
echo "during: peak RSS $(hwm) MB, orchestrator CPU $(( c1 - c0 )) ms"
sleep 10
echo "settled (10 s later): RSS $(rss) MB"
t0=$(date +%s%N)
curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/orchestrator/jobs?limit=100"
t1=$(date +%s%N)
echo "GET /jobs?limit=100 after it: $(( (t1 - t0) / 1000000 )) ms"
kill -0 "$pid" || { echo "the server died:"; tail -20 "$dir/serve.log"; exit 1; }
