#!/usr/bin/env bash
# WASM and Python engines: what a job through cod costs against running the same thing directly,
# in the same run, alternating so that neither gets a warmer machine. A private
# `cod devstack --computes 1` runs the jobs; every figure is the median of RUNS runs.
#
# 1. CPU-bound: one C program (a prime sieve, fixed rounds, printing a checksum) built from the same
#    source natively (clang -O2) and for WASI (clang --target=wasm32-wasi -O2): native, the module
#    in node with cod's WASI runner directly, and `cod wasm run --wait` (the whole CLI command).
#    The three checksums must agree.
# 2. Trivial: a hello-world module, `cod wasm run --wait` against the runner directly.
# 3. Python: `cod run python -c CODE` against Pyodide in node directly (skipped, not failed, while
#    this build has no `cod run python`); plus a bare node start, the floor of both.
#
# Wall times come from bash's `time` (ms); CPU time (user+sys) is that of the process started,
# i.e. of the cod client for cod's rows (the job itself runs in the compute node).
#
#   bench/engines.sh [build/release/bin/cod]     (RUNS=11, ROUNDS=250 sieve rounds by default)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cod=$(readlink -f "${1:-build/release/bin/cod}")
runs=${RUNS:-11}
rounds=${ROUNDS:-250}
root=$(cd "$(dirname "$0")/.." && pwd)
node=$(command -v node) || { echo "engines: node is not installed" >&2; exit 1; }
runner=$root/src/executor/wasm/wasm_runner.mjs
pyrunner=$root/src/executor/python/pyodide_runner.mjs
pyodide=${COD_PYODIDE_DIR:-/usr/local/lib/cod/pyodide}/node_modules/pyodide
pycode='print(sum(range(10)))'

dir=$(mktemp -d)
cleanup() {
  [ -n "${cod_pid:-}" ] && kill "$cod_pid" 2>/dev/null && wait "$cod_pid" 2>/dev/null || true
  rm -rf "$dir" 2>/dev/null || true
}
trap cleanup EXIT

# A private copy of the binary (the devstack's compute process runs /proc/self/exe), so that a
# rebuild during the run changes nothing under it.
cp "$cod" "$dir/cod-bin"
cod=$dir/cod-bin

# ---- the programs ----
cat >"$dir/cpu.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define N 2000000
static unsigned char composite[N];
int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 250;
  uint64_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    int limit = N - r; /* a different limit each round: nothing to hoist */
    memset(composite, 0, (size_t)limit);
    for (int i = 2; (int64_t)i * i < limit; i++)
      if (!composite[i])
        for (int j = i * i; j < limit; j += i) composite[j] = 1;
    uint64_t count = 0, h = 0;
    for (int i = 2; i < limit; i++)
      if (!composite[i]) { count++; h = h * 1000003u + (uint64_t)i; }
    sum = sum * 31u + count + h;
  }
  printf("rounds=%d checksum=%llu\n", rounds, (unsigned long long)sum);
  return 0;
}
EOF
cat >"$dir/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
EOF
clang -O2 -o "$dir/cpu" "$dir/cpu.c"
clang --target=wasm32-wasi -O2 -o "$dir/cpu.wasm" "$dir/cpu.c"
clang --target=wasm32-wasi -O2 -o "$dir/hello.wasm" "$dir/hello.c"

# Python: only where this build has `cod run python` (`cod run python --help` alone is not
# enough: cod prints its top-level help and exits 0 for a subcommand it does not know) and its
# compute node can run it. Pyodide directly is measured either way, where it is installed (or
# installs; before the devstack starts, which looks for it).
python= pyodide_ok= python_skip="cod run python is not available in this build"
if "$cod" run python --help >"$dir/pyhelp" 2>&1 && grep -m1 '^Usage:' "$dir/pyhelp" | grep -q python; then
  python=1
fi
if "$root/scripts/install-pyodide.sh" >"$dir/pyodide-install.log" 2>&1; then
  pyodide_ok=1
elif [ -n "$python" ]; then
  cat "$dir/pyodide-install.log" >&2
  exit 1
fi

# ---- the devstack ----
"$cod" devstack --computes 1 --data-dir "$dir/data" --api-host 127.0.0.1 --api-port 0 \
  --nats-port 0 --publisher-port 0 >"$dir/cod.log" 2>&1 &
cod_pid=$!
export COD_API_PORT=$(api_port "$dir/cod.log")
unset COD_API_HOST
for _ in $(seq 1 200); do
  grep -q "registered with the orchestrator" "$dir/cod.log" && break
  sleep 0.05
done
if reason=$(grep -o "this node will not run wasm jobs: .*" "$dir/cod.log"); then
  echo "engines: the compute node cannot run wasm: ${reason#this node will not run wasm jobs: }" >&2
  exit 1
fi
if [ -n "$python" ] && reason=$(grep -o "this node will not run python jobs: .*" "$dir/cod.log"); then
  python=
  python_skip="the compute node cannot run python: ${reason#this node will not run python jobs: }"
fi

# ---- measuring ----
# timed NAME CMD...: runs CMD with stdout to $dir/NAME.out, appends wall ms to NAME.ms and
# user+sys ms to NAME.cpu; fails (with CMD's stderr) if CMD does.
timed() {
  local name=$1 t rc=0
  shift
  t=$( { TIMEFORMAT='%3R %3U %3S'; time "$@" >"$dir/$name.out" 2>"$dir/$name.err"; } 2>&1 ) || rc=$?
  end=$EPOCHREALTIME
  if ((rc != 0)); then
    echo "engines: $name failed (exit $rc): $*" >&2
    cat "$dir/$name.out" "$dir/$name.err" >&2
    exit 1
  fi
  awk -v t="$t" 'BEGIN {split(t, a, " "); printf "%d\n", a[1] * 1000 + 0.5}' >>"$dir/$name.ms"
  awk -v t="$t" 'BEGIN {split(t, a, " "); printf "%d\n", (a[2] + a[3]) * 1000 + 0.5}' >>"$dir/$name.cpu"
}
# spans NAME: from the events a `cod … --wait` printed (times of day, local, in ms) and the moment
# the command returned: appends the job's Running → Completed span to NAME.exec and the time from
# Completed until the CLI returned (its polling) to NAME.after.
tod_ms() { awk -F'[:.]' '{print (($1 * 60 + $2) * 60 + $3) * 1000 + $4}'; }
spans() {
  local name=$1 run done_ end_ms
  run=$(grep -m1 -E 'State Update +Running' "$dir/$name.out" | awk '{print $1}' | tod_ms)
  done_=$(grep -m1 -E 'State Update +Completed' "$dir/$name.out" | awk '{print $1}' | tod_ms)
  end_ms=$(echo "$(date -d "@${end%.*}" +%T).${end#*.}" | cut -c1-12 | tod_ms)
  echo $((done_ - run)) >>"$dir/$name.exec"
  echo $(( (end_ms - done_ + 86400000) % 86400000 )) >>"$dir/$name.after"
}
median() { sort -n "$dir/$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
range() { sort -n "$dir/$1" | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "[%s–%s]", lo, hi}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
# The job's stdout as cod prints it: the line after "Standard output:".
job_stdout() { sed -n '/^Standard output:/{n;p;q}' "$dir/$1.out"; }

direct_wasm() { # MODULE ARGS...
  local m=$1
  shift
  env -i "$node" --no-warnings --no-turbo-fast-api-calls "$runner" --module "$m" --root "$dir" -- "$@"
}
cod_wasm() { (cd "$dir" && "$cod" wasm run --wait "$@"); }

direct_python() {
  env -i "$node" --no-warnings --no-turbo-fast-api-calls --experimental-wasm-stack-switching \
    "$pyrunner" --pyodide "$pyodide" --command "$pycode"
}

# Warm every path once (page cache, the node binary, the compute node's first job).
timed warm-native "$dir/cpu" 1
timed warm-direct direct_wasm cpu.wasm 1
timed warm-cod cod_wasm ./cpu.wasm 1
timed warm-hello cod_wasm ./hello.wasm
if [ -n "$pyodide_ok" ]; then timed warm-py-direct direct_python; fi
if [ -n "$python" ]; then timed warm-py-cod "$cod" run python -c "$pycode"; fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$runs"); do
  timed native "$dir/cpu" "$rounds"
  timed wasm-node direct_wasm cpu.wasm "$rounds"
  timed wasm-cod cod_wasm ./cpu.wasm "$rounds"
  spans wasm-cod
  if ((i == 1)); then
    a=$(cat "$dir/native.out") b=$(cat "$dir/wasm-node.out") c=$(job_stdout wasm-cod)
    if [ "$a" != "$b" ] || [ "$a" != "$c" ]; then
      printf 'engines: checksums differ:\n  native:    %s\n  wasm/node: %s\n  cod:       %s\n' "$a" "$b" "$c" >&2
      exit 1
    fi
    checksum=$a
  fi
  timed hello-node direct_wasm hello.wasm
  timed hello-cod cod_wasm ./hello.wasm
  spans hello-cod
  timed node-e0 env -i "$node" -e 0
  if [ -n "$pyodide_ok" ]; then timed py-direct direct_python; fi
  if [ -n "$python" ]; then timed py-cod "$cod" run python -c "$pycode"; spans py-cod; fi
done
[ "$(cat "$dir/hello-node.out")" = hello ] && [ "$(job_stdout hello-cod)" = hello ] ||
  { echo "engines: hello printed something else" >&2; exit 1; }

n=$(median native.ms) w=$(median wasm-node.ms) c=$(median wasm-cod.ms)
echo "runs=$runs (medians; CPU = user+sys of the process started, for cod the client);" \
  "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "1. CPU-bound sieve, $rounds rounds ($checksum, the same in all three):"
echo "   native (clang -O2)            ${n} ms $(range native.ms)"
echo "   wasm in node directly         ${w} ms $(range wasm-node.ms)   wasm/native $(ratio "$w" "$n")"
echo "   cod wasm run --wait           ${c} ms $(range wasm-cod.ms)   cod/native $(ratio "$c" "$n")   cod/wasm-in-node $(ratio "$c" "$w")   client CPU $(median wasm-cod.cpu) ms"
echo "     of which the job Running → Completed $(median wasm-cod.exec) ms, Completed → CLI returns $(median wasm-cod.after) ms"
h=$(median hello-node.ms) hc=$(median hello-cod.ms) e=$(median node-e0.ms)
echo "2. hello-world module:"
echo "   node + wasm runner directly   ${h} ms $(range hello-node.ms)"
echo "   cod wasm run --wait           ${hc} ms $(range hello-cod.ms)   cod/direct $(ratio "$hc" "$h")   (cod - direct: $(awk -v a="$hc" -v b="$h" 'BEGIN {print a - b}') ms)   client CPU $(median hello-cod.cpu) ms"
echo "     of which the job Running → Completed $(median hello-cod.exec) ms, Completed → CLI returns $(median hello-cod.after) ms"
echo "3. Python ($pycode):"
echo "   bare node start (node -e 0)   ${e} ms $(range node-e0.ms)"
if [ -n "$pyodide_ok" ]; then
  p=$(median py-direct.ms)
  [ "$(cat "$dir/py-direct.out")" = 45 ] || { echo "engines: Pyodide printed '$(cat "$dir/py-direct.out")', not 45" >&2; exit 1; }
  echo "   Pyodide in node directly      ${p} ms $(range py-direct.ms)   /node-start $(ratio "$p" "$e")   CPU $(median py-direct.cpu) ms"
else
  echo "   Pyodide in node directly: not measured (scripts/install-pyodide.sh failed)"
fi
if [ -n "$python" ]; then
  pc=$(median py-cod.ms)
  [ "$(job_stdout py-cod)" = 45 ] || { echo "engines: cod run python printed '$(job_stdout py-cod)', not 45" >&2; exit 1; }
  echo "   cod run python                ${pc} ms $(range py-cod.ms)   cod/direct $(ratio "$pc" "$p")   (cod - direct: $(awk -v a="$pc" -v b="$p" 'BEGIN {print a - b}') ms)   client CPU $(median py-cod.cpu) ms"
  echo "     of which the job Running → Completed $(median py-cod.exec) ms, Completed → CLI returns $(median py-cod.after) ms"
else
  echo "   python: skipped ($python_skip)"
fi
