#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's promise, checked as a new user meets it: on a fresh Debian 12 root
# (debootstrap minbase, nothing installed by hand), a clean clone of this repository's
# HEAD runs `bash .ci/run` (the README's test command) to the end. Catches an install
# step that only a fresh machine misses (issue 22: libclang-rt-14-dev). Slow (a fresh
# root, every package, the whole suite: about 25 minutes here): run it before resolving
# a change to what the tests install, not on every CI run.
#   bash tests/deploy/fresh_ci_test.sh          prints the time end to end
#   RME_KEEP_ROOT=1 bash tests/deploy/fresh_ci_test.sh   keeps the root for a look
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
cache=/var/cache/rme-package-test   # the base tarball is shared with package_test.sh
. tests/deploy/fresh_root.sh
root=$(mktemp -d /var/tmp/rme-fresh.XXXXXX)
chmod 755 "$root"
start=$(date +%s)
cleanup() {
  for m in dev/shm dev/pts dev sys proc; do umount "$root/$m" 2>/dev/null || true; done
  [ "${RME_KEEP_ROOT:-0}" = 1 ] && { echo "fresh_ci_test: root kept in $root"; return; }
  rm -rf "$root"
}
trap cleanup EXIT
step() { echo "fresh_ci_test: $* ($(( $(date +%s) - start )) s)"; }

step "a fresh Debian 12 root (debootstrap minbase; base tarball cached in $cache)"
fresh_root "$root" "$cache" || exit 1
mount -t tmpfs tmpfs "$root/dev/shm"   # Chromium's shared memory
# A fresh machine has git (to clone) and nothing else of ours.
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates sudo >/dev/null'

step "a clean clone of HEAD"
git clone -q --no-local "$PWD" "$root/src/rme"
git -C "$root/src/rme" checkout -q "$(git rev-parse HEAD)"
# CI puts a copy of shared/ beside the clone: so does this, where there is one.
[ -d ../shared ] && cp -r ../shared "$root/src/shared"

step "bash .ci/run in the fresh root (log: $root/tmp/ci.log)"
if ! chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true \
     DEBIAN_FRONTEND=noninteractive bash -c 'cd /src/rme && bash .ci/run' >"$root/tmp/ci.log" 2>&1 </dev/null; then
  tail -40 "$root/tmp/ci.log"
  RME_KEEP_ROOT=1
  step "FAILED"
  exit 1
fi
grep -E '^(fuzz: |[0-9]+% tests passed)' "$root/tmp/ci.log" || true
step "passed"
