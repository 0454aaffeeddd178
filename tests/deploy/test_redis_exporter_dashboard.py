# SPDX-License-Identifier: Apache-2.0
"""redis_exporter's own stock Grafana dashboard (grafana.com 763, contrib/
grafana_prometheus_redis_dashboard.json upstream) against this exporter in a real
Prometheus (issue 24: 14 of its queries returned data; the per-command and network panels
stayed empty). The queries are written here afresh from what its panels compute, without
its kubernetes_pod_name selector (a label of its authors' scrape config, not of the
exporter): every one must return data."""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, Prometheus, RedisServer  # noqa: E402

# panel -> what it computes
PANELS = [
    ("Uptime", "max(max_over_time(redis_uptime_in_seconds[1m]))"),
    ("Clients", "redis_connected_clients"),
    ("Memory Usage", "100 * (redis_memory_used_bytes / redis_memory_max_bytes)"),
    ("Commands Executed / sec", "rate(redis_commands_processed_total[1m])"),
    ("Hits / Misses per Sec: hits", "irate(redis_keyspace_hits_total[5m])"),
    ("Hits / Misses per Sec: misses", "irate(redis_keyspace_misses_total[5m])"),
    ("Total Memory Usage: used", "redis_memory_used_bytes"),
    ("Total Memory Usage: max", "redis_memory_max_bytes"),
    ("Network I/O: input", "rate(redis_net_input_bytes_total[5m])"),
    ("Network I/O: output", "rate(redis_net_output_bytes_total[5m])"),
    ("Total Items per DB", "sum by (db) (redis_db_keys)"),
    ("Expiring vs Not-Expiring Keys: not expiring", "sum(redis_db_keys) - sum(redis_db_keys_expiring)"),
    ("Expiring vs Not-Expiring Keys: expiring", "sum(redis_db_keys_expiring)"),
    ("Expired / Evicted: expired", "sum by (instance) (rate(redis_expired_keys_total[5m]))"),
    ("Expired / Evicted: evicted", "sum by (instance) (rate(redis_evicted_keys_total[5m]))"),
    ("Command Calls / sec", "topk(5, irate(redis_commands_total[1m]))"),
    ("Connected / Blocked Clients: blocked", "redis_blocked_clients"),
    ("Average Time Spent by Command / sec",
     "sum by (cmd) (irate(redis_commands_duration_seconds_total[1m])) / sum by (cmd) (irate(redis_commands_total[1m]))"),
    ("Total Time Spent by Command / sec", "sum by (cmd) (irate(redis_commands_duration_seconds_total[1m]))"),
    ("variable instance", "count by (instance) (redis_up)"),
]


def test_every_panel_of_redis_exporters_dashboard_has_data():
    tmp = tempfile.mkdtemp(prefix="rme-763-")
    server = RedisServer("--maxmemory", "64mb")
    exporter = Exporter(server.addr)   # one Redis: commandstats on by default
    prom = None
    try:
        for name in ("redis_memory_rules.yml", "redis_memory_alerts.yml"):
            open(os.path.join(tmp, name), "w").write("groups: []\n")
        prom = Prometheus(tmp, exporter.port)
        deadline = time.monotonic() + 12
        i = 0
        while time.monotonic() < deadline:   # traffic across several scrapes: rates need two points
            server.client.set(f"k:{i}", "v", ex=3600 if i % 2 else None)
            server.client.get(f"k:{i}")
            server.client.get("missing")
            i += 1
            time.sleep(0.01)
        empty = [title for title, expr in PANELS if not prom.query(expr)]
        assert not empty, f"panels without data: {empty}"
    finally:
        if prom:
            prom.stop()
        exporter.stop()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
