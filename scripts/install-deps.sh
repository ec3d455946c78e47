#!/usr/bin/env bash
# Installs every Debian package cod's build, tests and benchmarks need. Idempotent: packages that are
# already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config ninja-build
  libboost1.81-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev
  libnats-dev libcurl4-openssl-dev libssl-dev libarchive-dev uuid-dev
  # tests, benchmarks, lint
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy
  # services the tests drive for real
  nats-server docker.io busybox-static curl procps file
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
