#!/usr/bin/env bash
# GPU jobs end to end (issue: GPU jobs), for a machine with an NVIDIA GPU and the NVIDIA container
# toolkit. Starts `cod devstack --computes 1` on the machine's own dockerd (the one the toolkit is
# set up for), checks that the compute node found the GPUs nvidia-smi lists, that a job run with
# `cod docker run --gpu 1` sees the same GPU as `docker run --gpus 1`, then times the two,
# alternating, and prints the medians and their ratio. Exits 1 with a one-line reason when the
# machine has no NVIDIA GPU, no toolkit or no image, like the other scripts when what they
# measure is missing.
#
#   bench/gpu_check.sh [build/release/bin/cod]
#   (RUNS=11, IMAGE=nvidia/cuda:12.4.1-base-ubuntu22.04 by default; any local image with a
#   glibc works, the toolkit mounts nvidia-smi into it)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=$(readlink -f "${1:-build/release/bin/cod}")
runs=${RUNS:-11}
image=${IMAGE:-nvidia/cuda:12.4.1-base-ubuntu22.04}

missing() { echo "gpu_check: $*" >&2; exit 1; }

command -v nvidia-smi >/dev/null 2>&1 || missing "no NVIDIA GPU: nvidia-smi is not installed"
host_gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
[ "${host_gpus:-0}" -gt 0 ] || missing "no NVIDIA GPU: nvidia-smi lists none"
command -v docker >/dev/null 2>&1 || missing "no docker CLI on PATH"
docker info >/dev/null 2>&1 || missing "dockerd is not reachable (${DOCKER_HOST:-/var/run/docker.sock})"
if ! docker image inspect "$image" >/dev/null 2>&1 && ! docker pull -q "$image" >/dev/null 2>&1; then
  missing "image $image is not here and cannot be pulled (set IMAGE to a local image with a glibc)"
fi
if ! direct=$(docker run --rm --network none --gpus 1 "$image" nvidia-smi -L 2>&1); then
  missing "no NVIDIA container runtime: docker run --gpus 1 failed: $(echo "$direct" | tail -1)"
fi
[ -x "$cod" ] || missing "no cod binary at $cod (build it first: make build)"

dir=$(mktemp -d)
cleanup() {
  [ -n "${cod_pid:-}" ] && { kill "$cod_pid" && wait "$cod_pid"; } 2>/dev/null || true
  rm -rf "$dir" 2>/dev/null || true
}
trap cleanup EXIT

# One compute node: every compute process on a machine offers all of its GPUs.
"$cod" devstack --computes 1 --data-dir "$dir/cod" --api-host 127.0.0.1 --api-port 0 \
  --nats-port 0 --publisher-port 0 --log-level info >"$dir/devstack.log" 2>&1 &
cod_pid=$!
port=$(api_port "$dir/devstack.log")
export COD_API_PORT=$port

# The compute node found the GPUs (it registers a moment after the API is up).
nodes=
for _ in $(seq 1 100); do
  nodes=$("$cod" node list --output json 2>/dev/null | tr -d ' \n' || true)
  case $nodes in *'"NodeType":"Compute"'*) break ;; esac
  sleep 0.1
done
node_gpus=$(echo "$nodes" | grep -o '"MaxCapacity":{[^}]*' | grep -o '"GPU":[0-9]*' | cut -d: -f2 |
  sort -n | tail -1 || true)
echo "GPUs: nvidia-smi lists $host_gpus, the cod compute node offers ${node_gpus:-0}"
if [ "${node_gpus:-0}" -ne "$host_gpus" ]; then
  echo "gpu_check: the compute node did not find the GPUs; its log says:" >&2
  grep -i gpu "$dir/devstack.log" >&2 || tail -5 "$dir/devstack.log" >&2
  exit 1
fi

# The job sees a GPU, the same one docker gives (both take the first free device).
if ! id=$("$cod" docker run --id-only --gpu 1 "$image" -- nvidia-smi -L); then
  echo "gpu_check: the GPU job failed" >&2
  "$cod" job describe "$(echo "$id" | tail -1)" >&2 || true
  exit 1
fi
"$cod" job get "$id" --output-dir "$dir/job" >/dev/null
through_cod=$(cat "$dir/job/stdout")
echo "docker run --gpus 1: $direct"
echo "cod docker run --gpu 1: $through_cod"
[ "$through_cod" = "$direct" ] || { echo "gpu_check: the job saw a different GPU" >&2; exit 1; }

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: >"$dir/docker.ms"
: >"$dir/cod.ms"
for _ in $(seq 1 "$runs"); do
  t=$(date +%s%N); docker run --rm --network none --gpus 1 "$image" nvidia-smi >/dev/null; ms "$t" >>"$dir/docker.ms"
  t=$(date +%s%N); "$cod" docker run --wait --gpu 1 "$image" -- nvidia-smi >/dev/null; ms "$t" >>"$dir/cod.ms"
done
d=$(median "$dir/docker.ms")
c=$(median "$dir/cod.ms")
echo "runs=$runs medians: docker run --rm --gpus 1 ${d} ms | cod docker run --wait --gpu 1 ${c} ms"
echo "ratio cod / docker: $(awk -v a="$c" -v b="$d" 'BEGIN {printf "%.2f", a/b}')"
