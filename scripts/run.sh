#!/usr/bin/env bash
# `make run` / `make stop`: one cod on this machine (orchestrator + compute) in the background,
# with `cod` on the PATH. Idempotent: a second `make run` finds it running.
set -euo pipefail

cod=${COD:?}
cod_dir=${COD_DIR:-$HOME/.cod}
pid_file="$cod_dir/serve.pid"
log_file="$cod_dir/serve.log"
api="http://127.0.0.1:${COD_API_PORT:-1234}"

running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

case "${1:-start}" in
  start)
    mkdir -p "$cod_dir"
    # `cod` on the PATH, pointing at this checkout's build.
    target=$(readlink -f "$cod")
    if [ -w /usr/local/bin ]; then ln -sf "$target" /usr/local/bin/cod; fi
    if running; then
      echo "cod is already running (pid $(cat "$pid_file")); API $api"
      exit 0
    fi
    # Docker jobs need a daemon and, with no registry reachable, a local image.
    "$(dirname "$0")/docker.sh" || echo "warning: Docker is not available; docker jobs will not run" >&2
    nohup "$cod" serve --orchestrator --compute --data-dir "$cod_dir" >>"$log_file" 2>&1 &
    echo $! >"$pid_file"
    for _ in $(seq 1 100); do
      if curl -fsS "$api/api/v1/agent/alive" >/dev/null 2>&1; then
        cat <<MSG
cod is running (pid $(cat "$pid_file")): orchestrator + compute node, API $api
  data dir  $cod_dir     log  $log_file
Try:
  cod docker run cod-test/busybox:latest -- sh -c 'echo hello; echo 15 > /outputs/n'
  cod job get <job id>
  cod job run examples/noop.yaml
  cod job list
Stop it with: make stop
MSG
        exit 0
      fi
      if ! running; then
        echo "cod exited while starting; the end of $log_file:" >&2
        tail -20 "$log_file" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo "cod did not answer on $api within 10 s; see $log_file" >&2
    exit 1
    ;;
  stop)
    if running; then
      kill "$(cat "$pid_file")"
      for _ in $(seq 1 100); do running || break; sleep 0.1; done
      rm -f "$pid_file"
      echo "cod stopped"
    else
      echo "cod is not running"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
