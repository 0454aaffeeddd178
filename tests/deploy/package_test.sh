#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package on a fresh Debian 12 root (debootstrap), from a clean copy of this
# repository: the README's manual build works there; the package builds with Debian's
# tooling (dpkg-buildpackage), installs (system user, unit enabled, /etc/default file,
# man page), runs as its system user against a Redis there and serves /metrics, and
# purges leaving nothing it made. Slow (debootstrap, packages): run before a release,
# not on every CI run (CI builds the package and runs lintian: tests/deploy/run.sh).
#   bash tests/deploy/package_test.sh
# The chroot has no systemd running, so `systemctl start` itself cannot be run here: the
# unit's command line is run as its user instead (tests/deploy/test_manifests.py checks
# that command line with and without a password).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
cache=/var/cache/rme-package-test
. tests/deploy/fresh_root.sh
root=$(mktemp -d)
chmod 755 "$root"   # apt drops to _apt to download: it must be able to enter
redis_pid="" exporter_pid=""
cleanup() {
  [ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  for m in proc sys dev/pts dev; do umount "$root/$m" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
step() { echo "package_test: $*"; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }

step "a fresh Debian 12 root (debootstrap; base tarball cached in $cache)"
fresh_root "$root" "$cache" || exit 1
in_root apt-get update -qq >/dev/null

step "a clean copy of the repository (git archive of HEAD)"
mkdir -p "$root/src/rme"
git archive HEAD | tar -x -C "$root/src/rme"

step "the README's manual build on the fresh root"
in_root bash -c 'cd /src/rme && bash deploy/install-deps.sh build >/tmp/deps.log 2>&1 && cmake -S . -B build >/tmp/cmake.log 2>&1 && cmake --build build -j2 >/tmp/build.log 2>&1' \
  || { tail -20 "$root/tmp/deps.log" "$root/tmp/cmake.log" "$root/tmp/build.log" 2>/dev/null; exit 1; }
[ -x "$root/src/rme/build/redis_memory_exporter" ]

step "the package builds with dpkg-buildpackage"
in_root bash -c 'apt-get install -y -qq --no-install-recommends debhelper dpkg-dev fakeroot scdoc lintian >/tmp/pkgdeps.log 2>&1'
in_root bash -c 'cd /src/rme && rm -rf build && dpkg-buildpackage -us -uc -b >/tmp/dpkg.log 2>&1' \
  || { tail -30 "$root/tmp/dpkg.log"; exit 1; }
deb=$(ls "$root"/src/redis-memory-exporter_*_amd64.deb)
step "lintian: $(in_root lintian --fail-on warning "/src/$(basename "${deb%.deb}").changes" 2>&1 | grep -c '^[EW]:' || true) errors or warnings"
in_root lintian --fail-on error,warning "/src/$(basename "${deb%.deb}").changes" >/dev/null 2>&1 || { in_root lintian "/src/$(basename "${deb%.deb}").changes"; exit 1; }

step "installs: system user, unit enabled, /etc/default, man page"
in_root apt-get install -y -qq --no-install-recommends redis-server "/src/$(basename "$deb")" >/tmp/package-install.log 2>&1 \
  || { tail -20 /tmp/package-install.log; exit 1; }
in_root getent passwd redis-memory-exporter | grep -q ':/nonexistent:/usr/sbin/nologin$'
[ -L "$root/etc/systemd/system/multi-user.target.wants/redis-memory-exporter.service" ]
[ -f "$root/etc/default/redis-memory-exporter" ] && [ -f "$root/usr/share/man/man1/redis_memory_exporter.1.gz" ]
[ "$(stat -c %a "$root/etc/redis-memory-exporter")" = 750 ]

step "runs as its system user against a Redis there and serves /metrics"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
web=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
chroot --userspec=redis:redis "$root" /usr/bin/redis-server --bind 127.0.0.1 --port "$port" --save '' --maxmemory 32mb >/dev/null 2>&1 &
redis_pid=$!
printf '\n' >"$root/tmp/empty-credential"   # what systemd gives without a password file
chroot --userspec=redis-memory-exporter:redis-memory-exporter "$root" /usr/bin/env -i \
  REDIS_ADDR="127.0.0.1:$port" /usr/bin/redis_memory_exporter --redis.password-file=/tmp/empty-credential \
  --web.listen-address="127.0.0.1:$web" >"$root/tmp/exporter.log" 2>&1 &
exporter_pid=$!
# the page is read whole before grep looks at it: `curl | grep -q` under pipefail fails
# when grep stops reading early (curl: (23)), which a long page makes likely
up() { grep -q '^redis_up{addr="127.0.0.1:'"$port"'"} 1' <<<"$(curl -fsS "http://127.0.0.1:$web/metrics" 2>/dev/null)"; }
for _ in $(seq 50); do up && break; sleep 0.2; done
up || { cat "$root/tmp/exporter.log"; exit 1; }
uid=$(in_root getent passwd redis-memory-exporter | cut -d: -f3)
[ "$(stat -c %u "/proc/$exporter_pid")" = "$uid" ] || { echo "package_test: not running as the system user" >&2; exit 1; }
kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || true; exporter_pid=""
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""

step "purge leaves nothing it made"
echo secret >"$root/etc/redis-memory-exporter/redis-password"
in_root apt-get purge -y -qq redis-memory-exporter >/tmp/package-purge.log 2>&1
! in_root getent passwd redis-memory-exporter >/dev/null
! in_root getent group redis-memory-exporter >/dev/null
for p in /etc/redis-memory-exporter /etc/default/redis-memory-exporter /usr/bin/redis_memory_exporter \
         /etc/systemd/system/multi-user.target.wants/redis-memory-exporter.service \
         /lib/systemd/system/redis-memory-exporter.service /usr/share/doc/redis-memory-exporter; do
  [ ! -e "$root$p" ] || { echo "package_test: $p is left after purge" >&2; exit 1; }
done
step "passed"
