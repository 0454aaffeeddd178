#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up and runs the whole test suite on Debian 12: installs the packages, builds,
# checks the C's format (tests/format.sh), runs every ctest suite (cmocka unit tests, integration tests against a real
# redis-server, deployment checks with promtool and a real Prometheus), then the unit
# and integration tests again under AddressSanitizer and UBSan.
# Last, every libFuzzer harness replays its saved regressions and fuzzes for 10 s.
#   bash tests/run.sh            everything
#   RME_SKIP_SANITIZE=1 bash tests/run.sh   without the sanitizer pass
#   RME_SKIP_FUZZ=1 bash tests/run.sh       without the fuzzing pass
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh test
bash tests/preflight.sh
bash tests/format.sh
jobs=$(nproc 2>/dev/null || echo 2)

# -DRME_TESTS=ON: the demo configures build/ without the tests, and the cache keeps that
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRME_TESTS=ON -DRME_REQUIRE_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure --timeout 600)

if [ "${RME_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== again under AddressSanitizer + UndefinedBehaviorSanitizer =="
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRME_SANITIZE=ON -DRME_REQUIRE_TESTS=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  (cd build-asan && ctest --output-on-failure --timeout 600 -R '^(unit_|integration|diagnosis)')
fi

if [ "${RME_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing: saved regressions, then 10 s per harness =="
  bash tests/fuzz/run.sh 10
fi
