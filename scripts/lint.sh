#!/usr/bin/env bash
# Formatting and static checks on our own sources: clang-format must report nothing; clang-tidy
# runs the checks in .clang-tidy over the compile database.
set -euo pipefail

build_dir=${1:?usage: lint.sh BUILD_DIR}
echo "clang-format…"
"$(dirname "$0")/check-format.sh"

echo "clang-tidy…"
"$(dirname "$0")/tidy.sh" "$build_dir"
