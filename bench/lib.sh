# Shared by the benchmark scripts (sourced).

# Waits up to 20 s for a cod started with --api-port 0 to print "API on http://HOST:PORT" in LOG,
# then prints PORT; prints the log and fails if it never does.
api_port() {
  local log=$1 port=
  for _ in $(seq 1 400); do
    port=$(sed -n 's|.*API on http://[^:]*:\([0-9]*\).*|\1|p' "$log" | head -1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.05
  done
  echo "cod did not start:" >&2
  cat "$log" >&2
  return 1
}

# Starts a private dockerd under DIR (no bridge: reference/test-services.md), loads the test
# image, exports DOCKER_HOST and sets dockerd_pid (the caller stops it).
start_dockerd() {
  local dir=$1 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local socket=$dir/docker.sock
  dockerd --host "unix://$socket" --data-root "$dir/docker" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" --bridge=none --iptables=false --ip-masq=false \
    >"$dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS --unix-socket "$socket" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$root/scripts/test-image.sh" "$socket" cod-test/busybox:latest
  export DOCKER_HOST=unix://$socket
}

# CPU time (user + system) PID has used so far, in milliseconds; 0 when it is gone.
cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz }' \
    "/proc/$1/stat" 2>/dev/null || echo 0
}
