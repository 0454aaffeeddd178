#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks, before anything is built, that every tool the test suite runs is here and works,
# and names what is missing with the Debian package that brings it. A missing piece
# otherwise shows only minutes later, deep in a build or a test (a fresh machine without
# libclang-rt-14-dev failed the fuzz link after 11 minutes).
#   bash tests/preflight.sh        exits 1 with one line per missing piece
set -uo pipefail
missing=()
need_cmd() {   # command, package
  command -v "$1" >/dev/null 2>&1 || missing+=("command '$1' (package $2)")
}
for pair in cc:build-essential cmake:cmake pkg-config:pkg-config clang:clang redis-server:redis-server \
            redis-sentinel:redis-sentinel redis-cli:redis-tools prometheus:prometheus promtool:prometheus \
            prometheus-redis-exporter:prometheus-redis-exporter chromium:chromium jsonnet:jsonnet yamllint:yamllint \
            curl:curl dpkg-buildpackage:dpkg-dev lintian:lintian \
            prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager scdoc:scdoc man:man-db \
            clang-format:clang-format; do
  need_cmd "${pair%%:*}" "${pair#*:}"
done
# The test scripts run Debian's interpreter (python3 on the PATH may be another one).
for pair in pytest:python3-pytest redis:python3-redis requests:python3-requests yaml:python3-yaml \
            prometheus_client:python3-prometheus-client PIL:python3-pil; do
  /usr/bin/python3 -c "import ${pair%%:*}" 2>/dev/null || missing+=("Python module '${pair%%:*}' for /usr/bin/python3 (package ${pair#*:})")
done
# Link checks: what a compiler needs lives in runtime libraries that can be absent while
# the compiler itself is present.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/f.c"
printf 'int main(void) { return 0; }\n' >"$tmp/m.c"
if command -v clang >/dev/null 2>&1; then
  clang -fsanitize=fuzzer,address,undefined "$tmp/f.c" -o "$tmp/f" >"$tmp/log" 2>&1 \
    || missing+=("clang's libFuzzer and sanitizer runtime (package libclang-rt-14-dev): $(grep -m1 -o 'cannot find [^ ]*' "$tmp/log" || head -c 200 "$tmp/log")")
fi
if command -v cc >/dev/null 2>&1; then
  cc -fsanitize=address,undefined "$tmp/m.c" -o "$tmp/m" >"$tmp/log" 2>&1 \
    || missing+=("cc's AddressSanitizer runtime (package libgcc-12-dev): $(head -c 200 "$tmp/log")")
fi
for lib in hiredis libevent_core libevent_openssl libmicrohttpd jansson cmocka yaml-0.1 gnutls libxcrypt zlib openssl; do
  pkg-config --exists "$lib" 2>/dev/null || missing+=("library '$lib' for pkg-config (bash deploy/install-deps.sh test)")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "preflight: the tests cannot run; missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "preflight: 'bash deploy/install-deps.sh test' installs all of these on Debian 12" >&2
  exit 1
fi
echo "preflight: every tool and runtime the tests use is here"
