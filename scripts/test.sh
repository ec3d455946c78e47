#!/usr/bin/env bash
# `make test`: every test — unit, integration (real services) and end to end (the cod binary).
# The tests start and stop the services they need themselves; this script only checks that the
# machine has them (scripts/install-deps.sh installs them).
set -euo pipefail

build_dir=${1:?usage: test.sh BUILD_DIR}
jobs=$(nproc)

ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 600
