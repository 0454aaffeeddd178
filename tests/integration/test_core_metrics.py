# SPDX-License-Identifier: Apache-2.0
"""The exporter against a real redis-server: values, ratio, evictions, OOM rejections,
restarts, resets, exposition format and HTTP behaviour."""
import gzip
import os
import subprocess
import sys
import time

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, parse_metrics, wait_for  # noqa: E402

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics  # noqa: E402


def series(exporter, name):
    return {tuple(sorted(l.items())): v for n, l, v in exporter.metrics() if n == name}


def test_values_equal_info():
    server = RedisServer("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lfu")
    exporter = Exporter(server.addr)
    try:
        c = server.client
        for i in range(300):
            c.set(f"a:{i}", "v")
        for i in range(120):
            c.set(f"t:{i}", "v", ex=1000)
        c3 = redis.Redis(host="127.0.0.1", port=server.port, db=3)
        for i in range(7):
            c3.set(f"z:{i}", "v")

        def settled():
            m = exporter.metrics()
            keys = {l.get("db"): v for n, l, v in m if n == "redis_db_keys"}
            return keys == {"db0": 420, "db3": 7} and m
        m = wait_for("keyspace in /metrics", settled)
        ks = c.info("keyspace")
        val = {(n, l.get("db")): v for n, l, v in m}
        for db, info in ks.items():
            assert val[("redis_db_keys", db)] == info["keys"]
            assert val[("redis_db_keys_expiring", db)] == info["expires"]
            assert val[("redis_db_keys_persistent", db)] == info["keys"] - info["expires"]
            assert val[("redis_db_avg_ttl_seconds", db)] >= 0
        mem = c.info("memory")
        assert val[("redis_memory_max_bytes", None)] == mem["maxmemory"] == 64 * 1024 * 1024
        assert abs(val[("redis_memory_used_bytes", None)] - mem["used_memory"]) < 0.1 * mem["used_memory"]
        assert val[("redis_memory_used_ratio", None)] == val[("redis_memory_used_bytes", None)] / (64 * 1024 * 1024)
        assert val[("redis_memory_max_configured", None)] == 1
        assert val[("redis_up", None)] == 1
        info = [l for n, l, v in m if n == "redis_instance_info"][0]
        assert info["maxmemory_policy"] == "allkeys-lfu"
        assert info["redis_version"] == c.info("server")["redis_version"]
        assert info["role"] == "master" and info["addr"] == server.addr
        # Counters follow INFO exactly: make misses, then nothing else touches the count.
        for i in range(37):
            assert c.get(f"missing:{i}") is None
        misses = c.info("stats")["keyspace_misses"]
        assert misses >= 37
        wait_for(f"redis_keyspace_misses_total == {misses}",
                 lambda: exporter.value("redis_keyspace_misses_total") == misses)
        assert val[("redis_connected_clients", None)] >= 1
        assert "# TYPE redis_evicted_keys_total counter" in exporter.text()
        # One connection kept: many polls, one connection from the exporter.
        before = c.info("stats")["total_connections_received"]
        time.sleep(2)
        assert c.info("stats")["total_connections_received"] - before <= 1
    finally:
        exporter.stop()
        server.stop()


def test_ratio_absent_without_maxmemory():
    server = RedisServer()
    exporter = Exporter(server.addr)
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        assert exporter.value("redis_memory_max_configured") == 0
        assert exporter.value("redis_memory_max_bytes") == 0
        assert exporter.value("redis_memory_used_ratio") is None
        assert exporter.value("redis_memory_time_to_full_seconds") is None
    finally:
        exporter.stop()
        server.stop()


def test_real_evictions_under_allkeys_lru():
    server = RedisServer("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
    exporter = Exporter(server.addr)
    try:
        wait_for("first poll", lambda: exporter.value("redis_evicted_keys_total") == 0)
        rates = []

        def fill_and_look():
            p = server.client.pipeline(transaction=False)
            for i in range(2000):
                p.set(f"e:{time.monotonic_ns()}:{i}", b"x" * 300)
            p.execute()
            rate = exporter.value("redis_evicted_keys_per_second")
            rates.append(rate)
            return rate and rate > 0
        wait_for("an eviction rate above 0", fill_and_look, timeout=30, step=0.2)
        evicted = exporter.value("redis_evicted_keys_total")
        assert evicted > 0
        assert evicted <= server.client.info("stats")["evicted_keys"]
        assert exporter.value("redis_memory_eviction_possible") == 1
    finally:
        exporter.stop()
        server.stop()


def test_real_oom_rejections_under_noeviction():
    server = RedisServer("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")
    exporter = Exporter(server.addr)
    try:
        wait_for("OOM series present at 0", lambda: exporter.value("redis_errors_total", err="OOM") == 0)
        rejected = 0

        def write_and_look():
            nonlocal rejected
            for i in range(500):
                try:
                    server.client.set(f"o:{time.monotonic_ns()}:{i}", b"x" * 300)
                except redis.exceptions.ResponseError as e:
                    assert "OOM" in str(e)
                    rejected += 1
            rate = exporter.value("redis_oom_rejections_per_second")
            return rate and rate > 0
        wait_for("an OOM rejection rate above 0", write_and_look, timeout=30, step=0.2)
        assert rejected > 0
        counted = exporter.value("redis_errors_total", err="OOM")
        raw = server.client.info("errorstats")["errorstat_OOM"]
        info = raw["count"] if isinstance(raw, dict) else int(str(raw).split("=")[1])
        assert 0 < counted <= info <= rejected
        assert exporter.value("redis_memory_eviction_possible") == 0
    finally:
        exporter.stop()
        server.stop()


def test_redis_down_then_back():
    server = RedisServer("--maxmemory", "10mb")
    exporter = Exporter(server.addr, interval="300ms")
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        server.proc.terminate()
        server.proc.wait()
        # How soon is a benchmark figure (tests/bench, "Redis paused"); here: it happens.
        wait_for("redis_up 0", lambda: exporter.value("redis_up") == 0, timeout=5)
        names = {n for n, l, v in exporter.metrics()}
        assert "redis_memory_used_bytes" not in names and "redis_memory_used_ratio" not in names
        assert "redis_memory_exporter_last_poll_success_timestamp_seconds" in names
        assert exporter.value("redis_memory_exporter_poll_errors_total", reason="connect") >= 1
        server.restart()
        wait_for("redis_up 1 again", lambda: exporter.value("redis_up") == 1, timeout=20)
        assert exporter.value("redis_memory_max_bytes") == 10 * 1024 * 1024
    finally:
        exporter.stop()
        server.stop()


def test_no_negative_rate_after_resetstat_and_restart():
    server = RedisServer("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
    exporter = Exporter(server.addr)

    def fill(prefix):
        p = server.client.pipeline(transaction=False)
        for i in range(30000):
            p.set(f"{prefix}:{i}", b"x" * 300)
        p.execute()

    def rates_stay_sane(seconds):
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name in ("redis_evicted_keys_per_second", "redis_expired_keys_per_second",
                         "redis_oom_rejections_per_second"):
                v = exporter.value(name)
                if v is not None:
                    seen.append(v)
                    assert 0 <= v < 1e6, (name, v)
            time.sleep(0.05)
        return seen

    try:
        fill("r")
        wait_for("evictions counted", lambda: (exporter.value("redis_evicted_keys_total") or 0) > 0)
        # 1. CONFIG RESETSTAT: the counters go to 0 under the same run_id.
        server.client.config_resetstat()
        assert rates_stay_sane(3), "rates came back after the reset"
        assert exporter.value("redis_evicted_keys_total") == 0
        # 2. A real restart: a new run_id, uptime from 0, every counter from 0.
        fill("s")
        wait_for("evictions counted again", lambda: (exporter.value("redis_evicted_keys_total") or 0) > 0)
        server.restart()
        wait_for("the restarted server's counters",
                 lambda: exporter.value("redis_up") == 1 and exporter.value("redis_evicted_keys_total") == 0)
        fill("t")
        # Eviction may go on for a moment in the background: compare with INFO once the
        # two agree (it counts this server lifetime only: it started from 0).
        wait_for("redis_evicted_keys_total equal to INFO's evicted_keys",
                 lambda: exporter.value("redis_evicted_keys_total") == server.client.info("stats")["evicted_keys"])
        assert exporter.value("redis_evicted_keys_total") > 0
        assert rates_stay_sane(3), "rates came back after the restart"
        assert exporter.log().count("counters reset") >= 2, exporter.log()
    finally:
        exporter.stop()
        server.stop()


def test_exposition_format_and_http():
    server = RedisServer("--maxmemory", "10mb")
    exporter = Exporter(server.addr)
    try:
        server.client.set("weird", "x")
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        status, headers, body = exporter.request("/metrics")
        assert status == 200
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = body.decode()
        assert text.endswith("\n") and "\n\n" not in text
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        assert check.returncode == 0 and check.stdout.strip() == "" and check.stderr.strip() == "", check
        parse_metrics(text)   # every sample line parses
        # Families are contiguous, HELP and TYPE once each, before the samples.
        seen, current = set(), None
        for line in text.splitlines():
            name = line.split()[2] if line.startswith("#") else line.split("{")[0].split(" ")[0]
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if current and name == current + suffix:
                    base = current
            if base != current:
                assert base not in seen, f"family {base} is split"
                seen.add(base)
                current = base

        # OpenMetrics on request, valid for a strict parser, counters named without _total.
        status, headers, body = exporter.request(
            "/metrics", headers={"Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
        assert headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
        om = body.decode()
        assert om.endswith("# EOF\n")
        families = {f.name: f.type for f in parse_openmetrics(om)}
        assert families["redis_evicted_keys"] == "counter"
        assert families["redis_memory_used_bytes"] == "gauge"

        # gzip when asked, the same bytes inside.
        status, headers, body = exporter.request("/metrics", headers={"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert parse_metrics(gzip.decompress(body).decode())

        status, headers, body = exporter.request("/metrics", method="HEAD")
        assert status == 200 and body == b""
        status, headers, _ = exporter.request("/metrics", method="POST")
        assert status == 405 and "GET" in headers["Allow"]
        assert exporter.request("/nope")[0] == 404
        assert exporter.request("/healthz")[2] == b"ok\n"
        status, headers, page = exporter.request("/")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert server.addr in page.decode() and "/metrics" in page.decode()
    finally:
        exporter.stop()
        server.stop()


def test_several_targets_each_labelled():
    a, b = RedisServer("--maxmemory", "5mb"), RedisServer("--maxmemory", "7mb")
    exporter = Exporter([a.addr, b.addr])
    try:
        wait_for("both up", lambda: len([1 for n, l, v in exporter.metrics() if n == "redis_up" and v == 1]) == 2)
        assert exporter.value("redis_memory_max_bytes", addr=a.addr) == 5 * 1024 * 1024
        assert exporter.value("redis_memory_max_bytes", addr=b.addr) == 7 * 1024 * 1024
        check = subprocess.run(["promtool", "check", "metrics"], input=exporter.text(), capture_output=True, text=True)
        assert check.returncode == 0, check
    finally:
        exporter.stop()
        a.stop()
        b.stop()


def test_keep_alive_and_no_redis_command_per_scrape():
    import http.client
    server = RedisServer()
    exporter = Exporter(server.addr, interval="1s")
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        server.client.config_resetstat()
        conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=5)
        conn.request("GET", "/metrics")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        assert first.getheader("Connection", "").lower() != "close"
        for _ in range(200):
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            assert r.status == 200 and r.read()
        assert conn.sock is sock, "the connection was not kept alive"
        conn.close()
        # 201 scrapes in well under 2 s: at most a couple of polls reached Redis.
        calls = server.client.info("commandstats").get("cmdstat_info", {"calls": 0})["calls"]
        assert calls <= 4, calls
    finally:
        exporter.stop()
        server.stop()


def test_polls_keep_their_interval():
    """A target is polled once an interval, when due: 200 ms for 6 s is 30 INFO calls (the
    ticks wait in libevent's common-timeout queues, each set to land when due: a wrong
    queue would poll early and more often), and each tick is counted in the lateness
    histogram."""
    server = RedisServer()
    exporter = Exporter(server.addr, interval="200ms")
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        ticks0 = exporter.value("redis_memory_exporter_poll_lateness_seconds_count")
        server.client.config_resetstat()
        t0 = time.monotonic()
        time.sleep(6)
        calls = server.client.info("commandstats").get("cmdstat_info", {"calls": 0})["calls"]
        elapsed = time.monotonic() - t0
        ticks = exporter.value("redis_memory_exporter_poll_lateness_seconds_count") - ticks0
        assert elapsed / 0.2 - 2 <= calls <= elapsed / 0.2 + 1, (calls, elapsed)
        assert abs(ticks - calls) <= 2, (ticks, calls)
        # Each poll when due, not merely as many: the gaps between INFO calls as Redis saw
        # them (a tick queued 63 ms short alternates 137 and 263 ms and still counts 30).
        times = []
        with server.client.monitor() as m:
            for cmd in m.listen():
                if cmd["command"].upper().startswith("INFO"):
                    times.append(cmd["time"])
                if len(times) == 12:
                    break
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(0.17 <= g <= 0.23 for g in gaps), gaps
    finally:
        exporter.stop()
        server.stop()


def test_unix_socket_target():
    import tempfile as _tempfile
    sock_dir = _tempfile.mkdtemp(prefix="rme-sock-")
    path = os.path.join(sock_dir, "redis.sock")
    server = RedisServer("--unixsocket", path, "--unixsocketperm", "700", "--maxmemory", "6mb")
    exporter = Exporter(f"unix://{path}")
    try:
        wait_for("redis_up 1 over the unix socket", lambda: exporter.value("redis_up", addr=path) == 1)
        assert exporter.value("redis_memory_max_bytes", addr=path) == 6 * 1024 * 1024
    finally:
        exporter.stop()
        server.stop()
        os.rmdir(sock_dir) if os.path.isdir(sock_dir) and not os.listdir(sock_dir) else None


def test_process_open_fds_counts_the_descriptors():
    """process_open_fds (a stat of /proc/self/fd on Linux 6.2+, else its entries counted)
    is what /proc lists for the process, with 16 targets' connections open."""
    server = RedisServer()
    exporter = Exporter([f"redis://{server.label}/{db}" for db in range(16)])
    try:
        wait_for("targets up", lambda: sum(1 for n, l, v in exporter.metrics() if n == "redis_up" and v == 1) == 16)
        time.sleep(5.5)   # /proc is read every 5 s
        listed = len(os.listdir(f"/proc/{exporter.proc.pid}/fd"))
        reported = exporter.value("process_open_fds")
        assert reported is not None and abs(reported - listed) <= 2, (reported, listed)
        assert reported >= 16
    finally:
        exporter.stop()
        server.stop()
