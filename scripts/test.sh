#!/usr/bin/env bash
# `make test`: every test — unit, integration (real services) and end to end (the cod binary).
# The tests start and stop the services they need themselves; this script installs the npm ones
# (scripts/test-services.sh, cached) — scripts/install-deps.sh installs the Debian ones.
set -euo pipefail

build_dir=${1:?usage: test.sh BUILD_DIR [CTEST_ARGS...]}
shift
jobs=$(nproc)

# npm services (the S3 server, the IPFS node); cached, so a second run costs nothing. Under make
# test a test whose service cannot start fails instead of skipping (tests/support/services.h).
"$(dirname "$0")/test-services.sh"
export COD_REQUIRE_TEST_SERVICES=1

ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 600 "$@"
