#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package builds with Debian's own tooling from the repository's files and is
# lintian-clean (remaining tags are overridden in debian/, each with its reason). The
# slower install/purge check on a fresh root is tests/deploy/package_test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git ls-files -z | tar --null -cT - | tar -x -C "$tmp/src"
(cd "$tmp/src" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) || { tail -30 "$tmp/build.log"; exit 1; }
changes=$(ls "$tmp"/*.changes)
contents=$(dpkg-deb -c "$tmp"/redis-memory-exporter_*_amd64.deb)   # (a grep -q on the pipe would cut it short)
grep -q ' ./usr/bin/redis_memory_exporter$' <<<"$contents"
grep -q ' ./lib/systemd/system/redis-memory-exporter.service$' <<<"$contents"
lintian --fail-on error,warning "$changes" 2>&1 | grep -v '^running with root privileges' || true
lintian --fail-on error,warning "$changes" >/dev/null 2>&1
echo "package: $(basename "$changes" .changes) built, lintian clean"
