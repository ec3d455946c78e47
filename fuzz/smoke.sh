#!/usr/bin/env bash
# One fuzzer for a fixed number of inputs, starting from its seed corpus (read only: what the run
# finds goes to a scratch folder). A crash, leak, sanitizer report or timeout fails the test and
# leaves the input that caused it in the scratch folder, whose path is printed.
#   fuzz/smoke.sh FUZZER CORPUS_DIR RUNS
set -euo pipefail
fuzzer=$1 corpus=$2 runs=$3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cod-fuzz-XXXXXX")
if "$fuzzer" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$scratch/" "$scratch" "$corpus" 2>"$scratch/log"; then
  tail -1 "$scratch/log"
  rm -rf "$scratch"
else
  tail -40 "$scratch/log"
  echo "fuzz finding kept in $scratch" >&2
  exit 1
fi
