#!/usr/bin/env bash
# Runs every libFuzzer harness long (issue 11): RUNS inputs each (default 10,000,000), one after
# another, each from its seed corpus under fuzz/corpus (what it finds goes to a scratch corpus,
# kept under build/asan/fuzz/corpus so a later run goes on from there). Prints each fuzzer's
# executions, time and finding; a finding's input is left under build/asan/fuzz/findings.
#   scripts/fuzz.sh [BUILD_DIR (build/asan)] [FUZZER...]      RUNS=10000000 JOBS=1 TIMEOUT=10
# TIMEOUT is the seconds one input may take before it counts as a finding: raise it on a busy
# machine, where a starved process can stall that long on any input.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Absolute: each fuzzer runs in a work folder of its own.
build=$(realpath -m "${1:-$root/build/asan}")
shift || true
runs=${RUNS:-10000000}
if [ ! -d "$build/fuzz" ]; then
  cmake --preset asan >/dev/null
  cmake --build "$build" -j "$(nproc)" --target \
    $(cd "$root/fuzz" && ls ./*_fuzzer.cc | sed 's|./||; s|\.cc$||')
fi
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || mapfile -t fuzzers < <(cd "$root/fuzz" && ls ./*_fuzzer.cc | sed 's|./||; s|_fuzzer\.cc$||')
# What a harness writes (archive extraction) stays in memory where there is a tmpfs.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
# ASan's default 256 MB quarantine, and the allocator's retention of what passed through it, took
# the job_spec fuzzer past 1.4 GB in two hours of ~20 KB inputs with no leak (one input repeated,
# or the corpus run three times, grows a few MB). 64 MB still catches a use after free.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
status=0
for name in "${fuzzers[@]}"; do
  corpus=$build/fuzz/corpus/$name findings=$build/fuzz/findings/$name
  mkdir -p "$corpus" "$findings"
  log=$build/fuzz/$name.log
  # -jobs > 1 forks workers that log to fuzz-N.log in the working directory: one per fuzzer,
  # so that runs side by side do not write over each other.
  parallel=()
  [ "${JOBS:-1}" -gt 1 ] && parallel=(-jobs="$JOBS" -workers="$JOBS")
  mkdir -p "$build/fuzz/work/$name"
  if (cd "$build/fuzz/work/$name" && "$build/fuzz/${name}_fuzzer" -runs="$runs" -max_len=65536 \
      -timeout="${TIMEOUT:-10}" -rss_limit_mb=4096 "${parallel[@]}" -artifact_prefix="$findings/" \
      "$corpus" "$root/fuzz/corpus/$name") >"$log" 2>&1; then
    echo "$name: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1), no finding"
  else
    status=1
    echo "$name: FINDING, see $log and $findings"
    grep -m3 -E 'ERROR|SUMMARY|deadly signal' "$log" || true
  fi
done
exit $status
