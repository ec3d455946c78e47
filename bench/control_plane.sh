#!/usr/bin/env bash
# Control-plane benchmark (issue: orchestrator core): `cod devstack --computes 3` on a fresh data
# dir, 2,000 noop jobs submitted by 8 concurrent clients; reports completed jobs/s, submit latency
# p50/p99, CPU ms per job of each process (from /proc/PID/stat), the store's commits and bytes and
# the NATS messages per job (from GET /api/v1/agent/debug), and the orchestrator's peak RSS
# (VmHWM). Run with: make bench
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=${1:-build/release/bin/cod}
bench=$(dirname "$cod")/submit_bench
jobs=${JOBS:-2000}
clients=${CLIENTS:-8}
computes=${COMPUTES:-3}
runs=${RUNS:-3}

dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

for run in $(seq 1 "$runs"); do
  rm -rf "$dir/data"
  "$cod" devstack --computes "$computes" --data-dir "$dir/data" --api-port 0 \
    --api-host 127.0.0.1 --nats-port 0 --publisher-port 0 --log-level warn --api-rate-limit 0 \
    >"$dir/devstack.log" 2>&1 &
  pid=$!
  # The port it picked is on the line it prints once the API is up.
  port=$(api_port "$dir/devstack.log")
  echo "run $run: $jobs noop jobs, $clients clients, $computes compute nodes"
  computes_pids=$(python3 -c 'import json,sys; print(" ".join(str(c["PID"]) for c in json.load(open(sys.argv[1]))["Computes"]))' "$dir/data/devstack.json")
  nats_pid=$(pgrep -P "$pid" nats-server || echo 0)
  cpu() { local sum=0 p; for p in "$@"; do sum=$((sum + $(cpu_ms "$p"))); done; echo "$sum"; }
  debug() { curl -fsS "http://127.0.0.1:$port/api/v1/agent/debug"; }
  o0=$(cpu "$pid"); c0=$(cpu $computes_pids); n0=$(cpu "$nats_pid"); d0=$(debug)
  TIMEFORMAT='%U %S'
  { time "$bench" --port "$port" --jobs "$jobs" --clients "$clients" 2>&3; } 3>&2 2>"$dir/client.time"
  o1=$(cpu "$pid"); c1=$(cpu $computes_pids); n1=$(cpu "$nats_pid"); d1=$(debug)
  client_ms=$(awk '{printf "%d", ($1 + $2) * 1000}' "$dir/client.time")
  # Per completed job: CPU of each process, the store's commits and bytes, NATS messages.
  python3 - "$jobs" "$((o1 - o0))" "$((c1 - c0))" "$((n1 - n0))" "$client_ms" "$d0" "$d1" <<'PY'
import json, sys
jobs, orch, comp, nats, client = (int(x) for x in sys.argv[1:6])
d0, d1 = json.loads(sys.argv[6]), json.loads(sys.argv[7])
def delta(section, key): return (d1[section][key] - d0[section][key]) / jobs
print(f"cpu ms/job: orchestrator {orch / jobs:.2f}  computes {comp / jobs:.2f}  "
      f"nats-server {nats / jobs:.2f}  client {client / jobs:.2f}")
print(f"store/job: {delta('Store', 'Transactions'):.2f} transactions, "
      f"{delta('Store', 'Commits'):.2f} commits, {delta('Store', 'PagesWritten'):.1f} pages, "
      f"{delta('Store', 'BytesWritten') / 1024:.1f} KiB written")
print(f"nats/job (orchestrator's connection): {delta('Transport', 'MessagesIn'):.1f} in, "
      f"{delta('Transport', 'MessagesOut'):.1f} out, "
      f"{(delta('Transport', 'BytesIn') + delta('Transport', 'BytesOut')) / 1024:.1f} KiB")
PY
  echo "orchestrator peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
