# SPDX-License-Identifier: Apache-2.0
"""Names, types and values shared with redis_exporter (Debian's prometheus-redis-exporter)
are the same on the same server, so its dashboards and rules keep working."""
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, free_port, parse_metrics, wait_for  # noqa: E402

GO = shutil.which("prometheus-redis-exporter")

# Values that cannot move on a quiet server between the two scrapes.
SAME = [
    "redis_memory_max_bytes", "redis_mem_clients_slaves",
    "redis_defrag_hits", "redis_defrag_misses", "redis_defrag_key_hits", "redis_defrag_key_misses",
    "redis_rdb_bgsave_in_progress", "redis_rdb_changes_since_last_save", "redis_rdb_last_save_timestamp_seconds",
    "redis_rdb_last_cow_size_bytes",
    "redis_aof_last_cow_size_bytes", "redis_evicted_keys_total", "redis_expired_keys_total",
    "redis_keyspace_misses_total", "redis_rejected_connections_total",
    # issue 13's names: settings, replication, errors, forks and loading
    "redis_config_maxmemory", "redis_config_maxclients", "redis_connected_slaves",
    "redis_latest_fork_seconds", "redis_loading_dump_file",
    "redis_replication_backlog_bytes", "redis_number_of_cached_scripts", "redis_memory_used_scripts_bytes",
]
# Values that move on their own (memory, clients): same name and type, and close.
# redis_exporter's *_duration_sec names fail promtool's lint ("abbreviated units"): ours end
# in _seconds (README, migration table); the values are the same.
RENAMED = {"redis_rdb_last_bgsave_duration_sec": "redis_rdb_last_bgsave_duration_seconds"}
# Same name and value, typed gauge: a counter's name must end in _total (OpenMetrics, which
# Prometheus negotiates, would rename it), and dashboards query it by this name.
RETYPED = ["redis_total_error_replies"]
CLOSE = ["redis_memory_used_bytes", "redis_mem_clients_normal", "redis_client_recent_max_output_buffer_bytes",
         "redis_client_recent_max_input_buffer_bytes", "redis_start_time_seconds"]


# INFO commandstats, labelled cmd (redis_exporter's names and units)
PER_COMMAND = ("redis_commands_total", "redis_commands_duration_seconds_total",
               "redis_commands_rejected_calls_total", "redis_commands_failed_calls_total")


def types(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            out[name] = kind
    return out


def test_same_names_types_and_values_as_redis_exporter():
    assert GO, "prometheus-redis-exporter is needed (bash deploy/install-deps.sh test installs it)"
    server = RedisServer("--maxmemory", "64mb")
    server.client.set("a", "b")
    ours = Exporter(server.addr)
    port = free_port()
    go = subprocess.Popen([GO, f"--redis.addr=redis://{server.addr}", f"--web.listen-address=127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("redis_up 1", lambda: ours.value("redis_up") == 1)

        def go_text():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                    return r.read().decode()
            except OSError:
                return ""
        wait_for("redis_exporter", lambda: "redis_up 1" in go_text())
        time.sleep(1)   # both have polled the quiet server since the last write
        g_text, o_text = go_text(), ours.text()
        g_types, o_types = types(g_text), types(o_text)
        g = {n: v for n, l, v in parse_metrics(g_text) if not l.get("db")}
        o = {n: v for n, l, v in parse_metrics(o_text) if not l.get("db")}
        for name in SAME + CLOSE:
            assert name in g, f"{name} is not in redis_exporter's output here"
            assert name in o, f"{name} is missing from ours"
            assert o_types[name] == g_types[name], (name, o_types[name], g_types[name])
        for name in SAME:
            assert o[name] == g[name], (name, o[name], g[name])
        for name in RETYPED:
            assert o[name] == g[name] and g_types[name] == "counter" and o_types[name] == "gauge", name
        for theirs, name in RENAMED.items():
            assert o[name] == g[theirs] and o_types[name] == g_types[theirs], (name, o[name], g[theirs])
        for name in CLOSE:
            assert abs(o[name] - g[name]) <= max(0.2 * g[name], 65536), (name, o[name], g[name])
        # issue 24: the families its stock dashboard's per-command and network panels read
        for name in ("redis_net_input_bytes_total", "redis_net_output_bytes_total") + PER_COMMAND:
            assert o_types.get(name) == g_types.get(name) == "counter", (name, o_types.get(name), g_types.get(name))
        for name in PER_COMMAND:   # the test's one SET, on a quiet server: the same counts
            gs = [v for n, l, v in parse_metrics(g_text) if n == name and l.get("cmd") == "set"]
            os_ = [v for n, l, v in parse_metrics(o_text) if n == name and l.get("cmd") == "set"]
            assert gs and os_ and abs(gs[0] - os_[0]) < 1e-9, (name, gs, os_)
    finally:
        go.terminate()
        go.wait(10)
        ours.stop()
        server.stop()
