#!/usr/bin/env bash
# Installs the npm services cod's tests run for real (reference/test-services.md) into a cache that
# later runs reuse: @20minutes/s3rver, an S3 server that verifies SigV4. Idempotent: a second run
# costs one directory check. The cache is $COD_TEST_SERVICES (default ~/.cache/cod-test-services).
set -euo pipefail

dir=${COD_TEST_SERVICES:-$HOME/.cache/cod-test-services}
s3rver_version=5.0.0

if [ -f "$dir/node_modules/@20minutes/s3rver/package.json" ] &&
  grep -q "\"version\": \"$s3rver_version\"" "$dir/node_modules/@20minutes/s3rver/package.json"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "test-services: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
echo "test-services: installing @20minutes/s3rver@$s3rver_version into $dir"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"cod-test-services","private":true}' >package.json
npm install --no-audit --no-fund --loglevel=error "@20minutes/s3rver@$s3rver_version"
