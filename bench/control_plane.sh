#!/usr/bin/env bash
# Control-plane benchmark (issue: orchestrator core): `cod devstack --computes 3` on a fresh data
# dir, 2,000 noop jobs submitted by 8 concurrent clients; reports completed jobs/s, submit latency
# p50/p99 and the orchestrator's peak RSS (VmHWM). Run with: make bench
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=${1:-build/release/bin/cod}
bench=$(dirname "$cod")/submit_bench
jobs=${JOBS:-2000}
clients=${CLIENTS:-8}
computes=${COMPUTES:-3}
runs=${RUNS:-3}

dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT

for run in $(seq 1 "$runs"); do
  rm -rf "$dir/data"
  "$cod" devstack --computes "$computes" --data-dir "$dir/data" --api-port 0 \
    --api-host 127.0.0.1 --nats-port 0 --publisher-port 0 --log-level warn \
    >"$dir/devstack.log" 2>&1 &
  pid=$!
  # The port it picked is on the line it prints once the API is up.
  port=$(api_port "$dir/devstack.log")
  echo "run $run: $jobs noop jobs, $clients clients, $computes compute nodes"
  "$bench" --port "$port" --jobs "$jobs" --clients "$clients"
  echo "orchestrator peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
