#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks that src/, include/ and the unit tests are formatted as .clang-format says
# (Debian 12's clang-format 14). With --fix, rewrites them in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(src/*.c include/*.h tests/unit/*.c)
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "not formatted (bash tests/format.sh --fix): ${bad[*]}" >&2
  exit 1
fi
echo "format: ${#files[@]} files as .clang-format says"
