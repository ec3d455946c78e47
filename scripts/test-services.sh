#!/usr/bin/env bash
# Installs the npm services cod's tests run for real (reference/test-services.md) into a cache that
# later runs reuse: @20minutes/s3rver, an S3 server that verifies SigV4, and js-ipfs (`ipfs`), an
# IPFS node with the Kubo RPC API. Idempotent: a second run costs two version checks. The cache is
# $COD_TEST_SERVICES (default ~/.cache/cod-test-services).
set -euo pipefail

dir=${COD_TEST_SERVICES:-$HOME/.cache/cod-test-services}
s3rver_version=5.0.0
ipfs_version=0.66.1

installed() { # PACKAGE VERSION
  local manifest="$dir/node_modules/$1/package.json"
  [ -f "$manifest" ] && grep -q "\"version\": \"$2\"" "$manifest"
}

if installed @20minutes/s3rver "$s3rver_version" && installed ipfs "$ipfs_version"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "test-services: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
echo "test-services: installing @20minutes/s3rver@$s3rver_version and ipfs@$ipfs_version into $dir"
mkdir -p "$dir"
cd "$dir"
# js-ipfs 0.66 no longer installs as published: newer libp2p releases satisfy its ranges but do
# not work with it. The overrides pin the versions it was released with.
cat >package.json <<JSON
{
  "name": "cod-test-services",
  "private": true,
  "dependencies": {
    "@20minutes/s3rver": "$s3rver_version",
    "ipfs": "$ipfs_version"
  },
  "overrides": {
    "@multiformats/multiaddr": "11.6.1",
    "@multiformats/mafmt": "11.1.1",
    "@libp2p/tcp": "6.1.2",
    "@libp2p/websockets": "5.0.5",
    "@libp2p/bootstrap": "6.0.0",
    "is-ipfs": "8.0.1",
    "@libp2p/logger": "2.0.7",
    "@libp2p/peer-record": "5.0.2"
  }
}
JSON
npm install --no-audit --no-fund --loglevel=error
