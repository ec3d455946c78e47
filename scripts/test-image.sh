#!/usr/bin/env bash
# Builds the local test image cod-test/busybox:latest (no registry is reachable here) from
# Debian's busybox-static, and loads it into the Docker daemon at $1 (a unix socket path; default
# /var/run/docker.sock). Idempotent: does nothing when the image is already there.
set -euo pipefail

socket=${1:-/var/run/docker.sock}
tag=${2:-cod-test/busybox:latest}
export DOCKER_HOST=unix://$socket
docker=/usr/bin/docker

if "$docker" image inspect "$tag" >/dev/null 2>&1; then exit 0; fi

busybox=/bin/busybox
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  echo "test-image: $busybox is not the static busybox (apt-get install busybox-static)" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
chmod 1777 "$root/tmp"
tar -C "$root" -c . | "$docker" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
