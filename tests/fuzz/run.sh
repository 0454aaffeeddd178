#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzing: builds the libFuzzer harnesses (clang, ASan + UBSan) in build-fuzz/, replays
# every saved regression input, then fuzzes each harness for SECONDS (default 10) from its
# seeds (tests/fuzz/seeds/, the INFO fixtures) and prints the runs per harness.
#   bash tests/fuzz/run.sh          short: what the test command runs
#   bash tests/fuzz/run.sh 600      long: ten minutes a harness
# A finding stops the run with the reproducer's path; keep it in tests/fuzz/regressions/.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
harnesses=(info resp flags negotiate pipeline webcfg credmap topology targets)
command -v clang >/dev/null || { echo "fuzz: clang is needed (apt-get install clang)" >&2; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRME_FUZZ=ON \
      -DRME_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" --target "${harnesses[@]/#/fuzz_}" >/dev/null
seed_dirs() {
  case "$1" in
    info|pipeline) echo tests/fixtures/info; [ -d ../shared/fixtures/info ] && echo ../shared/fixtures/info ;;
    *) echo "tests/fuzz/seeds/$1" ;;
  esac
  return 0
}
total=0
for h in "${harnesses[@]}"; do
  bin=build-fuzz/tests/fuzz/fuzz_$h
  log=build-fuzz/fuzz_$h.log
  mkdir -p "build-fuzz/corpus/$h" "build-fuzz/findings/$h"
  regressions=(tests/fuzz/regressions/"$h"/*)
  if [ -e "${regressions[0]}" ] && ! "$bin" "${regressions[@]}" >"$log" 2>&1; then
    tail -40 "$log"; echo "fuzz_$h: a saved regression fails again" >&2; exit 1
  fi
  mapfile -t seeds < <(seed_dirs "$h")
  if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/findings/$h/" "build-fuzz/corpus/$h" "${seeds[@]}" >"$log" 2>&1; then
    tail -40 "$log"; echo "fuzz_$h: finding, reproducer in build-fuzz/findings/$h/" >&2; exit 1
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  total=$((total + runs))
  echo "fuzz_$h: $runs runs in ${secs} s, ${#regressions[@]} regressions replayed, 0 findings"
done
echo "fuzz: $total runs in total, 0 findings"
