#!/usr/bin/env bash
# clang-tidy over cod's sources with the checks in .clang-tidy; any finding fails. Needs a
# compile database (any configured preset; `make lint` uses build/release).
#   scripts/tidy.sh BUILD_DIR [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:?usage: tidy.sh BUILD_DIR [FILE...]}
shift
if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
fi
# The compile database holds GCC's flags; clang must not trip over the GCC-only warnings.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build_dir" --quiet \
    --extra-arg=-Wno-unknown-warning-option >"$out" 2>&1 || true
if grep -qE '(warning|error): ' "$out"; then
  grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|NOLINT' "$out" >&2
  echo "clang-tidy found problems (above)" >&2
  exit 1
fi
echo "clang-tidy: no findings in ${#files[@]} files"
