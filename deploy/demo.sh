#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up, builds and runs redis_memory_exporter (Debian 12).
#   bash deploy/demo.sh [--scenario NAME] [exporter flags...]
# Without --scenario it watches the Redis at REDIS_ADDR (default 127.0.0.1:6379); when
# nothing answers there it starts a throw-away redis-server on a port of its own.
# With --scenario it always starts a throw-away redis-server on its own port and drives
# it into real trouble, so that within a minute the landing page and the doctor show
# findings and their fixes:
#   near-limit       an allkeys-lru cache at 85 % of maxmemory
#   noeviction-oom   noeviction at the limit, writes rejected with OOM
#   volatile-no-ttl  volatile-lru where no key has a TTL: rejected writes too
#   large-key        a 3 MiB key among small ones (the key sampler finds it)
#   client-buffers   a subscriber that never reads fills memory with its output buffer
# The throw-away server is never a system service and is stopped on exit. Package and
# build output go to a log file; one line per step here. EXPORTER_BIN=path skips the
# setup and build (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."
scenarios="near-limit noeviction-oom volatile-no-ttl large-key client-buffers"
scenario=""
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario=*) scenario=${1#*=} ;;
    --scenario) [ $# -ge 2 ] || { echo "demo: --scenario needs a name: $scenarios" >&2; exit 2; }; scenario=$2; shift ;;
    *) flags+=("$1") ;;
  esac
  shift
done
# A whole name only: grep -w would take "oom", a part of noeviction-oom, as a name.
known=0
for s in $scenarios; do [ "$s" = "$scenario" ] && known=1; done
if [ -n "$scenario" ] && [ "$known" = 0 ]; then
  echo "demo: --scenario: unknown '$scenario' (one of: $scenarios)" >&2
  exit 2
fi
say() { echo "demo: $*"; }

exporter=${EXPORTER_BIN:-}
if [ -z "$exporter" ]; then
  mkdir -p build
  log=$PWD/build/demo-setup.log
  : >"$log"
  had_redis=$(dpkg-query -W -f='${Status}' redis-server 2>/dev/null | grep -c 'install ok installed' || true)
  say "installing packages (output in $log)"
  # Debian starts a newly installed redis-server as a system service: not for a demo.
  # A policy-rc.d that says "no" keeps it from starting; it is removed right after.
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [ "$had_redis" = 0 ] && [ ! -e "$policy" ] && [ "$(id -u)" = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  if ! bash deploy/install-deps.sh demo >>"$log" 2>&1; then
    [ -n "$own_policy" ] && rm -f "$policy"
    echo "demo: installing packages failed; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  [ -n "$own_policy" ] && rm -f "$policy"
  if [ "$had_redis" = 0 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now redis-server >>"$log" 2>&1 || true
    say "Debian's redis-server service was installed but not started or enabled (systemctl enable --now redis-server starts it)"
  fi
  say "building (output in $log)"
  if ! { cmake -S . -B build -DRME_TESTS=OFF && cmake --build build -j"$(nproc 2>/dev/null || echo 2)"; } >>"$log" 2>&1; then
    echo "demo: the build failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  exporter=build/redis_memory_exporter
fi

demo_pid="" dir="" sub_fd_open="" writer_pid="" exporter_pid=""
cleanup() {
  set +e   # every step runs, whatever the one before it returned
  [ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null && wait "$exporter_pid" 2>/dev/null
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null
  [ -n "$sub_fd_open" ] && exec 3>&-
  if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null; wait "$demo_pid" 2>/dev/null; fi
  if [ -n "$dir" ]; then rm -rf "$dir"; fi
  return 0
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# A free loopback port for the throw-away server.
free_port() {
  local p
  for p in $(seq 16379 16479); do
    if ! (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo 0
}

start_redis() {   # start_redis PORT [redis-server args...]
  local port=$1; shift
  dir=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --enable-debug-command local "$@" >"$dir/redis.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "demo: the throw-away redis-server did not start; its log:" >&2
  cat "$dir/redis.log" >&2
  exit 1
}

addr=${REDIS_ADDR:-127.0.0.1:6379}
expect=""
if [ -z "$scenario" ]; then
  hostport=${addr#redis://}
  hostport=${hostport%%/*}
  host=${hostport%:*}
  port=${hostport##*:}
  [ "$port" = "$hostport" ] && port=6379
  if REDISCLI_AUTH="${REDIS_PASSWORD:-}" redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
    say "watching the Redis that answers at $host:$port"
  elif [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; then
    own=$(free_port)
    addr=127.0.0.1:$own
    start_redis "$own" --maxmemory 100mb --maxmemory-policy allkeys-lru
    say "no Redis answers at $host:$port; watching a throw-away redis-server at $addr instead (maxmemory 100mb)"
  else
    say "no Redis answers at $host:$port; the exporter reports redis_up 0 until one does"
  fi
else
  port=$(free_port)
  addr=127.0.0.1:$port
  cli=(redis-cli -p "$port")
  case "$scenario" in
    near-limit)
      start_redis "$port" --maxmemory-policy allkeys-lru
      "${cli[@]}" debug populate 40000 key 200 >/dev/null
      used=$("${cli[@]}" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
      "${cli[@]}" config set maxmemory $((used * 100 / 85)) >/dev/null
      expect="memory_near_limit (warning)" ;;
    noeviction-oom|volatile-no-ttl)
      policy=noeviction; [ "$scenario" = volatile-no-ttl ] && policy=volatile-lru
      start_redis "$port" --maxmemory 8mb --maxmemory-policy "$policy"
      "${cli[@]}" debug populate 60000 key 200 >/dev/null   # past the limit, no TTLs
      # keep writing: rejections are happening now, as in production
      ( i=0; while :; do "${cli[@]}" set "write:$i" value >/dev/null 2>&1; i=$((i + 1)); sleep 0.2; done ) &
      writer_pid=$!
      if [ "$scenario" = noeviction-oom ]; then
        expect="memory_near_limit, noeviction_at_limit, oom_rejections (critical)"
      else
        expect="memory_near_limit, volatile_without_ttl_keys, oom_rejections (critical)"
      fi ;;
    large-key)
      start_redis "$port"
      "${cli[@]}" debug populate 5000 small 50 >/dev/null
      head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'B' | "${cli[@]}" -x set big:blob >/dev/null
      flags=(--sampler.keys-per-second=2000 "${flags[@]}")
      expect="large_keys (warning), naming big:blob" ;;
    client-buffers)
      start_redis "$port" --maxmemory 24mb --maxmemory-policy noeviction --client-output-buffer-limit "pubsub 0 0 0"
      "${cli[@]}" debug populate 8000 data 1000 >/dev/null
      # A subscriber that never reads: it subscribes and then leaves its socket alone.
      exec 3<>"/dev/tcp/127.0.0.1/$port"
      sub_fd_open=1
      printf '*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n' >&3
      sleep 0.2
      msg=$(mktemp)
      head -c 65536 /dev/zero | tr '\0' 'm' >"$msg"
      for _ in $(seq 1 600); do
        "${cli[@]}" -x publish news <"$msg" >/dev/null
        "${cli[@]}" set probe p 2>&1 | grep -q OOM && break
      done
      rm -f "$msg"
      ( while :; do "${cli[@]}" set probe p >/dev/null 2>&1; sleep 0.2; done ) &
      writer_pid=$!
      expect="client_output_buffers, noeviction_at_limit (critical); the fix is CLIENT KILL, never an evicting policy" ;;
  esac
  say "scenario $scenario: a throw-away redis-server at $addr (data in $dir)"
  say "expect within a minute: $expect"
  say "the doctor: $exporter doctor --redis.addr=$addr"
fi

listen=127.0.0.1:39121
for a in "${flags[@]}"; do case "$a" in --web.listen-address=*) listen=${a#*=} ;; esac; done
say "redis at $addr"
say "metrics at http://${listen}/metrics, the landing page at http://${listen}/ (Ctrl-C stops)"
"$exporter" --redis.addr="$addr" "${flags[@]}" &
exporter_pid=$!
wait "$exporter_pid"
