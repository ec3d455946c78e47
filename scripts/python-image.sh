#!/usr/bin/env bash
# Builds the local test image cod-test/python:latest (no registry is reachable here): Debian
# bookworm's python3 and pip, made with debootstrap, and loads it into the Docker daemon at $1 (a
# unix socket path; default /var/run/docker.sock). It is what `cod run python --deterministic=false`
# runs on in the tests. Idempotent: does nothing when the image is already there.
#
# debootstrap takes about a minute, so the trimmed rootfs is kept as a tar.gz under
# ${COD_TEST_IMAGES:-$HOME/.cache/cod-test-images}; a later run (a fresh test dockerd, another
# machine with the same HOME) imports it in seconds. The cache file is named after a hash of this
# script, so changing the recipe builds a new one. Needs root (debootstrap chroots and creates
# device nodes); COD_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

socket=${1:-/var/run/docker.sock}
tag=${2:-cod-test/python:latest}
export DOCKER_HOST=unix://$socket
docker=/usr/bin/docker
mirror=${COD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_dir=${COD_TEST_IMAGES:-$HOME/.cache/cod-test-images}

if "$docker" image inspect "$tag" >/dev/null 2>&1; then exit 0; fi

recipe=$(sha256sum "$0" | cut -c1-12)
cache=$cache_dir/python-bookworm-$recipe.tar.gz

import_image() {
  # PATH: docker import keeps no environment, and cod's job script calls `python` by name.
  # PIP_ROOT_USER_ACTION: jobs run as root in a throwaway container, where pip's warning about
  # root installs is noise on every job's stderr.
  "$docker" import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'ENV PIP_ROOT_USER_ACTION=ignore' \
    -c 'CMD ["python3"]' \
    "$cache" "$tag" >/dev/null || {
    echo "python-image: could not import $cache (delete it to build it again)" >&2
    return 1
  }
}

if [ -s "$cache" ]; then
  import_image
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "python-image: debootstrap needs root to build $tag (or a cached $cache)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  echo "python-image: debootstrap is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

mkdir -p "$cache_dir"
# One builder at a time: concurrent test binaries wait for the first build and import its result.
exec 9>"$cache_dir/python-bookworm.lock"
flock 9
if [ -s "$cache" ]; then
  import_image
  exit 0
fi

work=$(mktemp -d)
root=$work/root
cleanup() {
  # debootstrap mounts /proc and /sys in the target; if it was interrupted they may still be
  # mounted, and must not be deleted through. Unmount the deepest first.
  local m
  for m in $(grep -o " $root/[^ ]*" /proc/mounts | sort -r || true); do
    umount -l "$m" || true
  done
  rm -rf --one-file-system "$work"
  rm -f "$cache.tmp.$$"
}
trap cleanup EXIT

echo "python-image: building $tag with debootstrap (about a minute; cached after)" >&2
# python-is-python3: the `python` command (cod's job script runs `python`, as in the official
# python images; Debian's python3 alone has only `python3`).
if ! debootstrap --variant=minbase --include=python3,python3-pip,python-is-python3 \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  echo "python-image: debootstrap failed; the end of its log:" >&2
  tail -n 20 "$work/debootstrap.log" >&2
  exit 1
fi

# Debian marks its Python as managed by apt (PEP 668): its pip refuses `pip install` into the
# system interpreter with "externally-managed-environment". A job's container is thrown away after
# one run, so there is nothing for pip to break; removing the marker lets the plain
# `python -m pip install -r requirements.txt` of cod's job script work, for every user and without
# the job having to set PIP_BREAK_SYSTEM_PACKAGES. Packages go to /usr/local/lib/python3.11.
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED

# Trim what a job never reads: docs, man pages, translations, apt's downloads and lists, logs.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
  "$root"/var/cache/debconf/*-old "$root"/var/log/* "$root"/tmp/*

tar -C "$root" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
  -czf "$cache.tmp.$$" .
mv "$cache.tmp.$$" "$cache"
# Rootfs tarballs of earlier recipes are not used again.
find "$cache_dir" -maxdepth 1 -name 'python-bookworm-*.tar.gz' ! -name "${cache##*/}" -delete
import_image
