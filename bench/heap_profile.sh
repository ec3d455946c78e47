#!/usr/bin/env bash
# What holds the orchestrator's heap at its peak: `cod serve --orchestrator` under heaptrack, with
# COMPUTES (3) compute processes, while submit_bench runs JOBS (20,000) noop jobs from CLIENTS (8)
# clients. heaptrack slows the orchestrator several times, so jobs queue up: the peak is the
# backlog's. Prints the run's figures, the peak heap and the peak's share held by the housekeeping
# pass, the evaluation broker and SQLite; the heaptrack file is kept for `heaptrack --analyze`.
# Needs heaptrack (apt install heaptrack).
#   bench/heap_profile.sh [cod] [OUT_DIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=$(realpath "${1:-build/release/bin/cod}")
bench=$(dirname "$cod")/submit_bench
out=${2:-$(mktemp -d)}
jobs=${JOBS:-20000}
clients=${CLIENTS:-8}
computes=${COMPUTES:-3}
command -v heaptrack >/dev/null || { echo "heaptrack is not installed (apt install heaptrack)" >&2; exit 1; }

dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
token=bench-$$
heaptrack -o "$out/orchestrator" "$cod" serve --orchestrator --data-dir "$dir/o" --api-port 0 \
  --nats-port 0 --token "$token" --log-level warn --api-rate-limit 0 >"$dir/o.log" 2>&1 &
tracer=$!
port=$(api_port "$dir/o.log")
nats=$(sed -n 's|.*NATS on \(nats://[^ ]*\).*|\1|p' "$dir/o.log" | head -1)
for i in $(seq 1 "$computes"); do
  "$cod" serve --compute --data-dir "$dir/c$i" --orchestrators "$nats" --token "$token" \
    --log-level warn --api-port 0 --publisher-port 0 >"$dir/c$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 200); do
  joined=$(curl -fsS "http://127.0.0.1:$port/api/v1/orchestrator/nodes" |
    python3 -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin)["Nodes"] if n["Connection"] == "CONNECTED"))')
  [ "$joined" -ge "$computes" ] && break
  sleep 0.1
done
"$bench" --port "$port" --jobs "$jobs" --clients "$clients"
orchestrator=$(pgrep -f "serve --orchestrator --data-dir $dir/o" | grep -vx "$tracer" | tail -1)
echo "orchestrator peak RSS (with heaptrack's own): $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$orchestrator/status")"
kill "${pids[@]}"
kill "$orchestrator"
wait "$tracer" || true
file=$(ls "$out"/orchestrator*)
heaptrack_print -f "$file" --flamegraph-cost-type peak -F "$dir/peak.txt" >/dev/null
awk '{n = $NF; $NF = ""; total += n
      if ($0 ~ /Orchestrator::housekeeping/) hk += n
      else if ($0 ~ /EvaluationBroker/) broker += n
      else if ($0 ~ /sqlite3/) sqlite += n}
     END {printf "peak heap %.1f MB: housekeeping %.1f MB, broker %.1f MB, SQLite %.1f MB, the rest %.1f MB\n",
          total / 1e6, hk / 1e6, broker / 1e6, sqlite / 1e6, (total - hk - broker - sqlite) / 1e6}' "$dir/peak.txt"
echo "heaptrack file: $file"
