#!/usr/bin/env bash
# S3 input staging (issue: compute over data): how long a compute node takes to stage one large
# object from S3 for a job, against `aws s3 cp` of the same object from the same server, in the
# same run. The server is @20minutes/s3rver on loopback (scripts/test-services.sh installs it).
# cod's staging time is the job's wall time minus that of the same job with no input; each figure
# is the median of RUNS runs, alternating them so none gets a warmer machine. Then the same job
# again on a node with its input cache: the first run fills the cache, the later ones stage from it
# (hard links from <data>/cache, no download).
#
#   bench/s3_staging.sh [build/release/bin/cod]     (SIZE_MB=1024, RUNS=5 by default)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=$(readlink -f "${1:-build/release/bin/cod}")
runs=${RUNS:-5}
size_mb=${SIZE_MB:-1024}
image=cod-test/busybox:latest
root=$(cd "$(dirname "$0")/.." && pwd)
services=${COD_TEST_SERVICES:-$HOME/.cache/cod-test-services}
"$root/scripts/test-services.sh"

dir=$(mktemp -d)
cleanup() {
  for pid in ${cod_pid:-} ${s3_pid:-} ${dockerd_pid:-}; do
    { kill "$pid" && wait "$pid"; } 2>/dev/null || true
  done
  rm -rf "$dir" 2>/dev/null || true
}
trap cleanup EXIT

start_dockerd "$dir"

export AWS_ACCESS_KEY_ID=AKIACODBENCH00000000 AWS_SECRET_ACCESS_KEY=cod+bench/secret AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
mkdir -p "$dir/s3"
NODE_PATH=$services/node_modules NODE_OPTIONS=--openssl-legacy-provider \
  node "$root/tests/support/s3rver.js" "$dir/s3" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" bench \
  >"$dir/s3.port" 2>"$dir/s3.log" &
s3_pid=$!
for _ in $(seq 1 200); do [ -s "$dir/s3.port" ] && break; sleep 0.05; done
endpoint=http://127.0.0.1:$(head -1 "$dir/s3.port")
aws() { /usr/bin/aws --endpoint-url "$endpoint" --only-show-errors "$@"; }

head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$dir/big.bin"
aws s3 cp "$dir/big.bin" s3://bench/big.bin
rm -f "$dir/big.bin"

start_cod() { # CACHE_SIZE
  "$cod" serve --orchestrator --compute --data-dir "$dir/cod-$1" --api-host 127.0.0.1 \
    --api-port 0 --nats-port 0 --publisher-port 0 --input-cache-size "$1" --log-level warn \
    >"$dir/cod-$1.log" 2>&1 &
  cod_pid=$!
  export COD_API_PORT=$(api_port "$dir/cod-$1.log")
}
stop_cod() { kill "$cod_pid" && wait "$cod_pid" 2>/dev/null || true; cod_pid=; }

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
input="src=s3://bench/big.bin,dst=/in,opt=endpoint=$endpoint"
job() { "$cod" docker run -p noop "$@" "$image" -- true >/dev/null; }

# Without a cache: every run downloads.
start_cod 0
for _ in $(seq 1 "$runs"); do
  t=$(date +%s%N); aws s3 cp s3://bench/big.bin "$dir/copy.bin"; ms "$t" >>"$dir/aws.ms"; rm -f "$dir/copy.bin"
  t=$(date +%s%N); job; ms "$t" >>"$dir/plain.ms"
  t=$(date +%s%N); job -i "$input"; ms "$t" >>"$dir/input.ms"
done
stop_cod

# With the cache: one run fills it, the rest stage from it.
start_cod 4gb
t=$(date +%s%N); job -i "$input"; first_ms=$(ms "$t")
for _ in $(seq 1 "$runs"); do
  t=$(date +%s%N); job; ms "$t" >>"$dir/plain2.ms"
  t=$(date +%s%N); job -i "$input"; ms "$t" >>"$dir/cached.ms"
done
stop_cod

aws_ms=$(median "$dir/aws.ms")
plain_ms=$(median "$dir/plain.ms")
input_ms=$(median "$dir/input.ms")
plain2_ms=$(median "$dir/plain2.ms")
cached_ms=$(median "$dir/cached.ms")
staging_ms=$((input_ms - plain_ms))
cached_staging_ms=$((cached_ms - plain2_ms))
echo "object: ${size_mb} MiB, runs: $runs (medians)"
echo "aws s3 cp:                    ${aws_ms} ms"
echo "cod job without input:        ${plain_ms} ms"
echo "cod job staging the object:   ${input_ms} ms  (staging ≈ ${staging_ms} ms)"
awk -v s="$staging_ms" -v a="$aws_ms" 'BEGIN {printf "cod staging / aws s3 cp:      %.2f\n", s / a}'
echo "with the input cache:"
echo "  first run (fills the cache): ${first_ms} ms"
echo "  job without input:           ${plain2_ms} ms"
if ((cached_staging_ms > 0)); then
  echo "  job staging from the cache:  ${cached_ms} ms  (staging ≈ ${cached_staging_ms} ms)"
  awk -v s="$cached_staging_ms" -v a="$aws_ms" 'BEGIN {printf "  cached staging / aws s3 cp:  %.3f\n", s / a}'
else
  # A listing and a hard link: less than the runs' own spread.
  echo "  job staging from the cache:  ${cached_ms} ms  (staging ≈ 0: within run-to-run noise)"
fi
