#!/usr/bin/env bash
# Open-loop benchmark (issue 10, item 4): `cod devstack --computes 3` on a fresh data dir takes
# submissions, describes and lists arriving at fixed rates (bench/open_loop.cc) for SECONDS; then,
# with PRELOAD > 0, that many more jobs are submitted (closed loop, submit_bench) and the same load
# runs again against the fuller store, so the empty-store run is the baseline of the same session.
# Reports each kind's p50/p99/max from its scheduled arrival, whether every job completed, the
# orchestrator's CPU share of one core during each run and its RSS after it.
#
#   bench/open_loop.sh [build/release/bin/cod]      RATE=500 DURATION=60 PRELOAD=100000
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=${1:-build/release/bin/cod}
bin=$(dirname "$cod")
rate=${RATE:-500}
seconds=${DURATION:-60}
preload=${PRELOAD:-0}
computes=${COMPUTES:-3}

dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$cod" devstack --computes "$computes" --data-dir "$dir/data" --api-port 0 \
  --api-host 127.0.0.1 --nats-port 0 --publisher-port 0 --log-level warn --api-rate-limit 0 \
  >"$dir/devstack.log" 2>&1 &
pid=$!
port=$(api_port "$dir/devstack.log")

load() {
  local label=$1 c0 c1 t0 t1
  c0=$(cpu_ms "$pid"); t0=$(date +%s%N)
  "$bin/open_loop" --port "$port" --rate "$rate" --describe-rate "$rate" --list-rate 10 \
    --seconds "$seconds" || echo "(open_loop reported errors or unfinished jobs)"
  c1=$(cpu_ms "$pid"); t1=$(date +%s%N)
  echo "$label: orchestrator CPU $(( (c1 - c0) * 100000000 / (t1 - t0) ))% of a core," \
    "RSS $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)" \
    "(peak $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$pid/status))"
}

echo "== $rate submissions/s, $rate describes/s, 10 lists/s for $seconds s, empty store"
load "empty store"
if [ "$preload" -gt 0 ]; then
  echo "== preloading $preload jobs"
  "$bin/submit_bench" --port "$port" --jobs "$preload" --clients 8 | tail -1
  echo "== the same load with $preload more jobs in the store"
  load "$preload jobs"
fi
