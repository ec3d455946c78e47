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
