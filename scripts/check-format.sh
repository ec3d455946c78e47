#!/usr/bin/env bash
# Fails when a tracked C++ file is not formatted as .clang-format says (run `make format`).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find src tests bench -name '*.h' -o -name '*.cc')
if ! clang-format --dry-run --Werror $files; then
  echo "clang-format found differences: run 'make format'" >&2
  exit 1
fi
