#!/usr/bin/env bash
# Installs every Debian package cod's build, tests and benchmarks need. Idempotent: packages that are
# already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config ninja-build
  libboost1.81-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev
  libnats-dev libcurl4-openssl-dev libssl-dev libarchive-dev uuid-dev libseccomp-dev
  # tests, benchmarks, lint
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy
  # services the tests drive for real
  nats-server docker.io busybox-static debootstrap curl procps file
  # S3 tests: awscli is the independent client; the S3 server itself comes from npm
  # (scripts/test-services.sh), run by Node.js
  awscli
  # IPFS tests: Debian's ipfs_cid checks CIDs independently of the node (js-ipfs, from npm)
  ipfs-cid
  # the TLS test makes its certificate with the openssl CLI
  openssl
  # the wasm engine's tests build their modules from C (clang, wasi-libc, the wasm32 runtime
  # library, lld) and from WAT (wabt)
  clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt
  # the asan preset (clang's AddressSanitizer, UBSan and libFuzzer runtimes)
  libclang-rt-14-dev
)

# Node.js and npm: Debian's, unless the machine already has them (some images ship NodeSource's
# nodejs, whose npm is built in and conflicts with Debian's npm package).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # Machines without an init system (containers, CI) cannot start the services packages like
  # docker.io try to start on install; tell the maintainer scripts not to (cod starts dockerd and
  # nats-server itself when it needs them).
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -d /run/systemd/system ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod +x "$policy"
    added_policy=1
  fi
  "${sudo_cmd[@]}" apt-get update -q
  status=0
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
  if [ "$added_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
  [ "$status" = 0 ] || exit "$status"
fi

# The python engine's interpreter (Pyodide, from npm; cached, a second run is one version check).
"$(dirname "$0")/install-pyodide.sh"
