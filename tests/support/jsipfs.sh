#!/usr/bin/env bash
# Runs the js-ipfs CLI on the repo REPO (reference/test-services.md):
#   jsipfs.sh REPO daemon       an offline IPFS node; its RPC API address appears in REPO/api
#   jsipfs.sh REPO add -r DIR   any other jsipfs command, against the running node
# The first `daemon` initialises REPO with the test profile and no fixed ports, bootstrap peers,
# routing, gateway or pubsub. js-ipfs comes from scripts/test-services.sh.
set -euo pipefail
repo=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
jsipfs=${COD_TEST_SERVICES:-$HOME/.cache/cod-test-services}/node_modules/.bin/jsipfs
[ -x "$jsipfs" ] || { echo "jsipfs.sh: js-ipfs is not installed (scripts/test-services.sh)" >&2; exit 1; }
export IPFS_PATH=$repo
export NODE_OPTIONS="--require $here/ipfs-polyfill.cjs"
if [ "${1:-}" = daemon ] && [ ! -f "$repo/config" ]; then
  "$jsipfs" init --profile test >/dev/null
  # The test profile listens on random ports already; these would take fixed ones or the network.
  node -e '
    const fs = require("fs");
    const file = process.argv[1];
    const c = JSON.parse(fs.readFileSync(file, "utf8"));
    c.Addresses.RPC = "";
    c.Addresses.Gateway = "";
    c.Routing = { Type: "none" };
    c.Pubsub = Object.assign(c.Pubsub || {}, { Enabled: false });
    c.Bootstrap = [];
    fs.writeFileSync(file, JSON.stringify(c, null, 2));
  ' "$repo/config"
  exec "$jsipfs" daemon --enable-preload=false
fi
exec "$jsipfs" "$@"
