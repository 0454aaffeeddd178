#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Dockerfile with podman on a locally made debian:bookworm-slim base image
# (no registry needed), then runs the image's binary with chroot against a real
# redis-server on loopback and checks /metrics. Slow (debootstrap): run before each
# release of the Dockerfile, not on every CI run.
#   bash tests/deploy/image_test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
command -v podman >/dev/null && command -v debootstrap >/dev/null || {
  apt-get update -qq && apt-get install -y -qq podman debootstrap redis-server curl >/dev/null; }

work=$(mktemp -d)
redis_pid="" exporter_pid="" mnt=""
cleanup() {
  [ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  [ -n "$mnt" ] && podman image unmount localhost/redis_memory_exporter:test >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! podman image exists docker.io/library/debian:bookworm-slim; then
  echo "image_test: making debian:bookworm-slim with debootstrap"
  debootstrap --variant=minbase bookworm "$work/rootfs" >/dev/null
  tar -C "$work/rootfs" -c . | podman import - docker.io/library/debian:bookworm-slim >/dev/null
fi
podman build --isolation chroot --network host --pull=never -t localhost/redis_memory_exporter:test . >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log"; exit 1; }
mnt=$(podman image mount localhost/redis_memory_exporter:test)

# The final stage must hold the binary, run it as a non-root user, and have no compiler.
podman image inspect localhost/redis_memory_exporter:test --format '{{.Config.User}}' | grep -qx '65532:65532'
[ ! -e "$mnt/usr/bin/cc" ] && [ ! -e "$mnt/usr/include/hiredis" ]

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
web=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --maxmemory 32mb >/dev/null &
redis_pid=$!
chroot --userspec=65532:65532 "$mnt" /usr/local/bin/redis_memory_exporter \
  --redis.addr="127.0.0.1:$port" --web.listen-address="127.0.0.1:$web" 2>"$work/exporter.log" &
exporter_pid=$!
for _ in $(seq 50); do
  grep -q '^redis_up{.*} 1' <<<"$(curl -sf "http://127.0.0.1:$web/metrics" 2>/dev/null)" && break   # whole page first: grep -q under pipefail
  sleep 0.2
done
body=$(curl -sf "http://127.0.0.1:$web/metrics")
echo "$body" | grep -q '^redis_up{.*} 1'
echo "$body" | grep -q '^redis_memory_max_bytes{.*} 33554432'
echo "$body" | promtool check metrics
echo "image_test: 1 passed, 0 failed"
