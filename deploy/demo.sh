#!/usr/bin/env bash
# Sets up, builds and runs redis_memory_exporter against a local Redis (Debian 12).
#   bash deploy/demo.sh [exporter flags...]
# REDIS_ADDR (default 127.0.0.1:6379) picks the Redis. When nothing answers there and
# the address is local, a throw-away redis-server (maxmemory 100mb, allkeys-lru) is
# started for the demo and stopped again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh demo
cmake -S . -B build -DRME_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

addr=${REDIS_ADDR:-127.0.0.1:6379}
hostport=${addr#redis://}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=6379
demo_pid="" dir=""
cleanup() {
  if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null; wait "$demo_pid" 2>/dev/null; fi
  if [ -n "$dir" ]; then rm -rf "$dir"; fi
  return 0
}
trap cleanup EXIT

if REDISCLI_AUTH="${REDIS_PASSWORD:-}" redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
  echo "demo: using the Redis that answers at $host:$port"
elif [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; then
  dir=$(mktemp -d)
  echo "demo: no Redis answers at $host:$port; starting a throw-away redis-server there (maxmemory 100mb, allkeys-lru, data in $dir)"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --maxmemory 100mb --maxmemory-policy allkeys-lru >"$dir/redis.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 50); do redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
else
  echo "demo: no Redis answers at $host:$port; the exporter will report redis_up 0 until one does"
fi

listen=127.0.0.1:39121
for a in "$@"; do case "$a" in --web.listen-address=*) listen=${a#*=} ;; esac; done
echo "demo: metrics at http://${listen}/metrics  (landing page http://${listen}/ ; Ctrl-C stops)"
build/redis_memory_exporter --redis.addr="$addr" "$@"
