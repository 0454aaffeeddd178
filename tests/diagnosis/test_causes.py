# SPDX-License-Identifier: Apache-2.0
"""Causes beyond the first five (issue 13), each reproduced on real redis-servers as it
happens in production. Each test asserts the finding, its severity and that no other
finding appears; where the printed fix is safe to run, it runs it as printed and checks
that the finding clears and that no key was lost."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, answers, doctor, fill, free_port, wait_for  # noqa: E402


def doctor_report(addr, *flags):
    status, out = doctor(addr, "--output=json", *flags)
    report = json.loads(out)
    assert report["exit_code"] == status
    return report


def fix_of(report, finding_id):
    return {f["id"]: f["fix"] for f in report["findings"]}[finding_id]


def run_printed(client, fix, pattern):
    """Finds the command in the printed fix and runs it exactly as printed."""
    m = re.search(pattern, fix)
    assert m, f"no '{pattern}' in: {fix}"
    words = m.group(0).split()
    return client.execute_command(*words)


def set_ratio(client, ratio):
    """Sets maxmemory so that today's use is `ratio` of it."""
    used = client.info("memory")["used_memory"]
    client.config_set("maxmemory", int(used / ratio))


def replica_of(primary, *args):
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port), *args)
    wait_for("the replica in sync",
             lambda: replica.client.info("replication").get("master_link_status") == "up"
             and replica.client.info("replication").get("master_sync_in_progress") == 0, timeout=30)
    return replica


def test_replication_backlog_and_its_fix():
    """A backlog sized for a long outage fills a cache's limit: eviction cannot free it.
    The fix shrinks it; the replica stays in sync and no key is evicted."""
    primary = RedisServer("--maxmemory-policy", "allkeys-lru", "--repl-backlog-size", "64mb")
    replica = replica_of(primary)
    exporter = None
    try:
        fill(primary.client, 2000)
        for _ in range(96):   # one key rewritten: a small dataset, a 24 MB write stream
            primary.client.set("churn", os.urandom(256 * 1024))
        wait_for("the backlog to hold the stream",
                 lambda: primary.client.info("memory")["mem_replication_backlog"] > 20 * 1024 * 1024)
        set_ratio(primary.client, 0.85)
        exporter = Exporter(primary.addr)
        want = {("memory_near_limit", "warning"), ("replication_backlog", "warning")}
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=90)
        report = doctor_report(primary.addr)
        assert {(f["id"], f["severity"]) for f in report["findings"]} == want, report
        fix = fix_of(report, "replication_backlog")
        assert "allkeys" not in json.dumps(report["findings"])
        keys = primary.client.dbsize()
        run_printed(primary.client, fix, r"CONFIG SET repl-backlog-size \d+mb")
        wait_for("the findings cleared", lambda: exporter.findings() == set(), timeout=60)
        assert primary.client.dbsize() == keys
        assert primary.client.info("stats")["evicted_keys"] == 0
        wait_for("the replica has every key", lambda: replica.client.dbsize() == keys)
        assert replica.client.info("replication")["master_link_status"] == "up"
    finally:
        if exporter:
            exporter.stop()
        replica.stop()
        primary.stop()


def test_script_cache_and_its_fix():
    """Scripts generated per call (values pasted into the text) fill the script cache.
    The fix, SCRIPT FLUSH, frees it and touches no key."""
    server = RedisServer("--maxmemory-policy", "allkeys-lru")
    exporter = None
    try:
        fill(server.client, 2000)
        p = server.client.pipeline(transaction=False)
        for i in range(20000):
            p.eval(f"return '{i:0200d}'", 0)
            if i % 2000 == 1999:
                p.execute()
        p.execute()
        info = server.client.info("memory")
        assert info["number_of_cached_scripts"] == 20000
        set_ratio(server.client, 0.85)
        exporter = Exporter(server.addr)
        want = {("memory_near_limit", "warning"), ("script_cache", "warning")}
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        report = doctor_report(server.addr)
        assert {(f["id"], f["severity"]) for f in report["findings"]} == want, report
        assert "20000 cached scripts" in {f["id"]: f["summary"] for f in report["findings"]}["script_cache"]
        run_printed(server.client, fix_of(report, "script_cache"), r"SCRIPT FLUSH")
        wait_for("the findings cleared", lambda: exporter.findings() == set(), timeout=30)
        assert server.client.dbsize() == 2000
        assert server.client.info("stats")["evicted_keys"] == 0
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_fork_figures_and_a_limit_the_host_cannot_fork():
    """A real BGSAVE: its figures are exported. Then a maxmemory at 95 % of the host's RAM
    leaves no room for a fork's copy: fork_memory, and its fix (a lower limit that today's
    data fits) clears it with every key kept."""
    server = RedisServer("--save", "3600 1")
    exporter = None
    try:
        fill(server.client, 50000, size=100)
        server.client.bgsave()
        wait_for("the BGSAVE done", lambda: server.client.info("persistence")["rdb_bgsave_in_progress"] == 0
                 and server.client.info("persistence")["rdb_last_bgsave_time_sec"] >= 0)
        exporter = Exporter(server.addr)
        wait_for("the fork figures", lambda: (exporter.value("redis_latest_fork_seconds") or 0) > 0)
        assert exporter.value("redis_rdb_last_bgsave_duration_seconds") >= 0
        assert exporter.value("redis_rdb_last_cow_size_bytes") is not None
        assert exporter.findings() == set()
        host = server.client.info("memory")["total_system_memory"]
        server.client.config_set("maxmemory", int(host * 0.95))
        want = {("fork_memory", "warning")}
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=90)
        report = doctor_report(server.addr)
        assert {(f["id"], f["severity"]) for f in report["findings"]} == want, report
        run_printed(server.client, fix_of(report, "fork_memory"), r"CONFIG SET maxmemory \d+mb")
        assert server.client.config_get("maxmemory")["maxmemory"] != str(int(host * 0.95))
        wait_for("the finding cleared", lambda: exporter.findings() == set(), timeout=90)
        assert server.client.dbsize() == 50000
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_no_memory_limit_and_its_fix():
    """maxmemory 0 on a host that is filling up. What "filling up" means is a flag (half
    the host's RAM by default); here it is set low so that a test-sized dataset counts.
    The printed limit is set as printed: the finding clears and nothing is evicted."""
    server = RedisServer()
    exporter = None
    flags = ("--diagnose.no-limit-host-share=0.0001",)
    try:
        fill(server.client, 5000)
        exporter = Exporter(server.addr, *flags)
        want = {("no_memory_limit", "warning")}
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        report = doctor_report(server.addr, *flags)
        assert {(f["id"], f["severity"]) for f in report["findings"]} == want, report
        run_printed(server.client, fix_of(report, "no_memory_limit"), r"CONFIG SET maxmemory \d+mb")
        assert int(server.client.config_get("maxmemory")["maxmemory"]) > 0
        wait_for("the finding cleared", lambda: exporter.findings() == set(), timeout=90)
        assert server.client.dbsize() == 5000
        assert server.client.info("stats")["evicted_keys"] == 0
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_replica_is_judged_as_a_replica():
    """A replica whose own maxmemory is below its data, as replica-ignore-maxmemory (the
    default) allows: nothing is evicted or rejected there, so a warning about promotion
    and no noeviction advice. Its fix (the limit raised) clears it; the replica keeps
    every key."""
    primary = RedisServer()
    exporter = None
    replica = None
    try:
        fill(primary.client, 40000, size=200)
        replica = replica_of(primary, "--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
        wait_for("every key on the replica", lambda: replica.client.dbsize() == 40000)
        exporter = Exporter(replica.addr)
        want = {("memory_near_limit", "warning")}
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        report = doctor_report(replica.addr)
        assert {(f["id"], f["severity"]) for f in report["findings"]} == want, report
        fix = fix_of(report, "memory_near_limit")
        assert "promoted" in fix and "allkeys" not in fix
        run_printed(replica.client, fix, r"CONFIG SET maxmemory \d+mb")
        wait_for("the finding cleared", lambda: exporter.findings() == set(), timeout=30)
        assert replica.client.dbsize() == primary.client.dbsize() == 40000
    finally:
        if exporter:
            exporter.stop()
        if replica:
            replica.stop()
        primary.stop()


def test_loading_shows_progress_and_no_judgement():
    """While a real dump loads (key-load-delay), the target is down with reason loading,
    redis_loading_dump_file is 1 with its progress, and no finding or memory figure is
    made from the half-loaded data; once loaded, the near-limit finding is back."""
    d = tempfile.mkdtemp(prefix="rme-loading-")
    port = free_port()
    args = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", d, "--save", "",
            "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = redis.Redis(port=port)
    exporter = None
    try:
        wait_for("redis", lambda: answers(c))
        fill(c, 30000, prefix="k", size=20)
        c.save()
        used = c.info("memory")["used_memory"]
        p.terminate()
        p.wait()
        p = subprocess.Popen(args + ["--maxmemory", str(int(used / 0.85)), "--key-load-delay", "200",
                                     "--loading-process-events-interval-bytes", "1024"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        exporter = Exporter(f"127.0.0.1:{port}", "--poll.max-backoff=1s", interval="300ms")
        seen = []

        def loading_seen():
            if exporter.value("redis_loading_dump_file") == 1:
                seen.append((exporter.value("redis_up"), exporter.value("redis_loading_progress_ratio"),
                             exporter.value("redis_memory_used_bytes"), exporter.findings()))
            return len(seen) >= 2
        wait_for("two scrapes while loading", loading_seen, timeout=30)
        for up, progress, used_bytes, findings in seen:
            assert up == 0 and used_bytes is None and findings == set()
            assert 0 <= progress <= 1
        wait_for("loaded: the near-limit finding", lambda: exporter.findings() == {("memory_near_limit", "warning")},
                 timeout=60)
        assert exporter.value("redis_loading_dump_file") == 0 and exporter.value("redis_up") == 1
        assert "reason=loading" in exporter.log()
        assert exporter.log().count("reason=loading") == 1, "loading's progress must not be logged every poll"
        assert c.dbsize() == 30000
    finally:
        if exporter:
            exporter.stop()
        p.terminate()
        p.wait()


def test_namespaces_name_the_keys_without_a_ttl():
    """volatile-lru where almost no key has a TTL: the sampler groups keys by prefix, the
    finding names the namespace that holds the data without TTLs, and its fix - list them
    with the printed `redis-cli --scan --pattern`, then EXPIRE each - clears the finding
    with every key kept (each now with a TTL the user chose)."""
    import shlex
    server = RedisServer("--maxmemory-policy", "volatile-lru")
    exporter = None
    try:
        fill(server.client, 6000, prefix="session", size=300)
        fill(server.client, 300, prefix="user", size=100)
        p = server.client.pipeline(transaction=False)
        for i in range(50):
            p.set(f"cache:{i}", b"c" * 100, ex=3600)
        p.execute()
        set_ratio(server.client, 0.85)
        exporter = Exporter(server.addr, "--sampler.keys-per-second=20000")
        want = {("memory_near_limit", "warning"), ("volatile_without_ttl_keys", "warning")}
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        # a whole SCAN cycle: every namespace seen, the counts exact (before it ends they
        # are scaled up from the keys seen so far)
        wait_for("the namespaces counted over a whole cycle",
                 lambda: exporter.value("redis_key_namespace_ttl_ratio", namespace="cache") == 1
                 and abs((exporter.value("redis_key_namespace_keys", namespace="session") or 0) - 6000) <= 60,
                 timeout=30)
        assert exporter.value("redis_key_namespace_ttl_ratio", namespace="session") == 0
        report = doctor_report(server.addr, "--doctor.max-keys=0")
        assert report["namespaces"][0]["namespace"] == "session"
        assert abs(report["namespaces"][0]["keys"] - 6000) <= 60
        fix = fix_of(report, "volatile_without_ttl_keys")
        assert fix.startswith("session:* holds "), fix
        listing = re.search(r"`(redis-cli --scan --pattern '[^']+')`", fix).group(1)
        argv = shlex.split(listing)
        keys = subprocess.run([argv[0], "-p", str(server.port), *argv[1:]], capture_output=True, text=True,
                              check=True).stdout.split()
        assert len(keys) == 6000 and all(k.startswith("session:") for k in keys)
        p = server.client.pipeline(transaction=False)
        for k in keys:
            p.expire(k, 86400)
        p.execute()
        wait_for("the TTL finding cleared",
                 lambda: "volatile_without_ttl_keys" not in {f for f, _ in exporter.findings()}, timeout=30)
        assert server.client.dbsize() == 6350
        assert server.client.ttl("session:0") > 0
    finally:
        if exporter:
            exporter.stop()
        server.stop()
