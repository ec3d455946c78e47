#!/usr/bin/env bash
# Makes sure a Docker daemon answers on /var/run/docker.sock (starting dockerd in the background
# when none does: these machines have no systemd) and that the local image cod-test/busybox:latest
# exists (no registry is reachable here). Idempotent. Used by `make run`.
set -euo pipefail

socket=/var/run/docker.sock
log=/var/log/cod-dockerd.log

ping() { curl -fsS --max-time 2 --unix-socket "$socket" http://docker/_ping >/dev/null 2>&1; }

if ! ping; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker.sh: no Docker daemon on $socket, and starting one needs root" >&2
    exit 1
  fi
  echo "starting dockerd (log: $log)"
  nohup dockerd >"$log" 2>&1 &
  for _ in $(seq 1 100); do ping && break; sleep 0.1; done
  if ! ping; then
    # Without the rights to set up a bridge (containers, CI sandboxes), run without one: jobs
    # still get network None (the default) and Host.
    pkill -x dockerd 2>/dev/null || true
    sleep 0.5
    echo "dockerd could not start with a bridge; starting it with --bridge=none" >&2
    nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$log" 2>&1 &
    for _ in $(seq 1 100); do ping && break; sleep 0.1; done
  fi
  if ! ping; then
    echo "docker.sh: dockerd did not start; see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
fi
"$(dirname "$0")/test-image.sh" "$socket" cod-test/busybox:latest
