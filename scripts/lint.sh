#!/usr/bin/env bash
# Formatting and static checks on our own sources: clang-format must report nothing; clang-tidy
# runs the checks in .clang-tidy over the compile database.
set -euo pipefail

build_dir=${1:?usage: lint.sh BUILD_DIR}
echo "clang-format…"
"$(dirname "$0")/check-format.sh"

echo "clang-tidy…"
git ls-files 'src/*.cc' | grep -v '_test.cc$' | xargs -P "$(nproc)" -n 4 \
  clang-tidy -p "$build_dir" --quiet 2>/dev/null
