#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark redis_memory_exporter side by side with redis_exporter (Go) and nginx.
#
#   bash tests/bench/run.sh
#
# Installs what it needs from Debian, builds the exporter if build/ has no binary, then runs
# tests/bench/bench.py, which prints a table and writes tests/bench/results/latest.md.
# Everything listens on 127.0.0.1 only, every phase is bounded in time, and every process the
# benchmark starts is stopped on exit (normal end, error, Ctrl-C or SIGTERM).
# See tests/bench/README.md for the knobs (env vars) and what each figure means.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

# --- packages -------------------------------------------------------------------------------
# Debian package names; the benchmark asks apt only for the ones that are not installed yet.
need=(wrk prometheus-redis-exporter redis-server redis-tools valgrind curl procps util-linux strace linux-perf
      python3-redis)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nginx-light or nginx: either one serves a static file.
if ! dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q 'install ok installed' &&
   ! dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(nginx-light)
fi
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: need root (or sudo) for apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- the exporter binary ----------------------------------------------------------------------
export EXPORTER_BIN="${EXPORTER_BIN:-$repo/build/redis_memory_exporter}"
export BENCH_CORE_BIN="${BENCH_CORE_BIN:-$repo/build/rme_bench_core}"
if [ ! -x "$EXPORTER_BIN" ] && [ "${BENCH_BUILD:-1}" = 1 ] && [ -f "$repo/src/main.c" ]; then
  echo "bench: building (cmake -S . -B build && cmake --build build)" >&2
  if ! { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" >/dev/null; }; then
    echo "bench: build failed; the exporter's rows will be empty" >&2
  fi
fi
[ -x "$EXPORTER_BIN" ] || echo "bench: $EXPORTER_BIN not found; running without it" >&2

# 1000 targets need more than 1024 descriptors in the exporter.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- run, and clean up whatever the run started ------------------------------------------------
work="$(mktemp -d /tmp/rme-bench.XXXXXX)"
chmod 755 "$work"           # nginx workers run as nobody and read files under it
export BENCH_WORKDIR="$work"
py_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$py_pid" ] && kill -0 "$py_pid" 2>/dev/null; then
    kill -TERM "$py_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$py_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$py_pid" 2>/dev/null || true
  fi
  # bench.py writes the pid of every process it starts to $work/pids; it stops them itself,
  # this is the backstop if it was killed before it could.
  if [ -f "$work/pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] || continue
      if kill -0 "$pid" 2>/dev/null; then
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
      fi
    done <"$work/pids"
    sleep 0.5
    while read -r pid; do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    done <"$work/pids"
  fi
  if [ "${BENCH_KEEP_WORKDIR:-0}" = 1 ]; then echo "bench: work dir kept: $work" >&2
  else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

/usr/bin/python3 "$here/bench.py" "$@" &
py_pid=$!
wait "$py_pid"
