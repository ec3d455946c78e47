#!/usr/bin/env bash
# Node-scale benchmark (issue 10, item 4): an orchestrator alone (`cod serve --orchestrator`) and
# NODES simulated compute nodes (bench/node_sim.cc) that join over NATS and heartbeat at the
# orchestrator's interval. Reports the orchestrator's CPU share of one core and RSS while they
# heartbeat, next to the same orchestrator idle with no node (the baseline of the same run); the
# GET /nodes page latency; and how long SILENCE nodes that stop heartbeating take to be marked
# disconnected (the timeout is 20 s).
#
#   bench/node_scale.sh [build/release/bin/cod]      NODES=10000 DURATION=60 SILENCE=100
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=${1:-build/release/bin/cod}
bin=$(dirname "$cod")
nodes=${NODES:-10000}
seconds=${DURATION:-60}
silence=${SILENCE:-100}
token=node-scale-bench

dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$cod" serve --orchestrator --data-dir "$dir/data" --api-port 0 --api-host 127.0.0.1 \
  --nats-port 0 --token "$token" --log-level warn >"$dir/serve.log" 2>&1 &
pid=$!
port=$(api_port "$dir/serve.log")
nats=$(sed -n 's|.*NATS on \(nats://[^ ]*\).*|\1|p' "$dir/serve.log" | head -1)
[ -n "$nats" ] || { echo "no NATS URL in the log:"; cat "$dir/serve.log"; exit 1; }

share() {  # CPU % of one core over $1 seconds
  local c0 c1 t0 t1
  c0=$(cpu_ms "$pid"); t0=$(date +%s%N); sleep "$1"; c1=$(cpu_ms "$pid"); t1=$(date +%s%N)
  echo $(( (c1 - c0) * 100000000 / (t1 - t0) ))
}
rss() { awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status"; }

echo "idle, no nodes: orchestrator CPU $(share 10)% of a core, RSS $(rss)"
"$bin/node_sim" --nats "$nats" --token "$token" --api-port "$port" --nodes "$nodes" \
  --password-file "$dir/data/orchestrator/nats/orchestrator-password" \
  --seconds "$seconds" --silence "$silence" >"$dir/sim.log" 2>&1 &
sim=$!
# Measure the middle of the steady phase, once every node has joined.
until grep -q "joined" "$dir/sim.log" || ! kill -0 "$sim" 2>/dev/null; do sleep 0.2; done
sleep $(( seconds / 4 ))
echo "$nodes nodes heartbeating: orchestrator CPU $(share $(( seconds / 2 )))% of a core, RSS $(rss)"
wait "$sim" || echo "(node_sim: some nodes were refused)"
cat "$dir/sim.log"
echo "orchestrator peak RSS $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status")"
