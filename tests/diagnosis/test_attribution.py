# SPDX-License-Identifier: Apache-2.0
"""Attribution (issue 25) on real redis-servers: which bytes will expire by themselves,
which namespace grows, which watched key grows, which client holds the buffers. Each
test writes data in known amounts, works out the truth from Redis itself, and compares
what the exporter publishes against it."""
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, doctor, wait_for  # noqa: E402

BUCKETS = ["300", "3600", "86400", "604800", "+Inf"]


def ttl_keys(client):
    """Three groups in known amounts: TTL under an hour, under a day, none. Returns the
    truth per group (MEMORY USAGE ... SAMPLES 0 summed over each group's keys)."""
    groups = {"hour": (200, 1800, 2000), "day": (100, 43200, 5000), "none": (300, None, 0)}
    p = client.pipeline(transaction=False)
    for name, (n, ttl, size) in groups.items():
        for i in range(n):
            key = f"{name}:{i}"
            if ttl is None:
                p.hset(key, mapping={f"f{j}": b"h" * 100 for j in range(20)})
            else:
                p.set(key, b"v" * size, ex=ttl)
    p.execute()
    truth = {}
    for name, (n, _, _) in groups.items():
        p = client.pipeline(transaction=False)
        for i in range(n):
            p.memory_usage(f"{name}:{i}", samples=0)
        truth[name] = sum(p.execute())
    return truth


def expected_buckets(truth):
    """The cumulative buckets the groups above must fill, written before any run."""
    return {"300": 0, "3600": truth["hour"], "86400": truth["hour"] + truth["day"],
            "604800": truth["hour"] + truth["day"], "+Inf": truth["hour"] + truth["day"]}


def published(exporter):
    got = {l["le"]: v for n, l, v in exporter.metrics() if n == "redis_key_ttl_bytes"}
    return got, exporter.value("redis_key_persistent_bytes")


def sampled(exporter):
    return exporter.value("redis_key_sample_size_bytes_count") or 0


def test_bytes_by_ttl_after_a_cycle_and_exact_with_every_element():
    server = RedisServer()
    exporters = []
    try:
        truth = ttl_keys(server.client)
        want = expected_buckets(truth)
        keys = 600
        # SAMPLES 5 (the default): within 20 % of the truth once a whole cycle is in
        approx = Exporter(server.addr, "--sampler.keys-per-second=5000")
        exporters.append(approx)
        wait_for("two cycles sampled", lambda: sampled(approx) >= 2 * keys, timeout=30)
        got, persistent = published(approx)
        assert set(got) == set(BUCKETS), got
        for le in BUCKETS:
            assert abs(got[le] - want[le]) <= 0.2 * want[le], (le, got[le], want[le])
        assert abs(persistent - truth["none"]) <= 0.2 * truth["none"], (persistent, truth["none"])
        # SAMPLES 0: every element measured, the whole keyspace seen: exact
        exact = Exporter(server.addr, "--sampler.keys-per-second=5000", "--sampler.memory-samples=0")
        exporters.append(exact)
        wait_for("two cycles sampled", lambda: sampled(exact) >= 2 * keys, timeout=30)
        got, persistent = published(exact)
        assert got == want, (got, want)
        assert persistent == truth["none"]
        # the doctor says the same in JSON and in words
        status, out = doctor(server.addr, "--output=json", "--doctor.max-keys=0", "--sampler.memory-samples=0")
        report = json.loads(out)
        assert report["ttl_bytes"] == want and report["persistent_bytes"] == truth["none"]
        share = round(100 * truth["hour"] / (truth["hour"] + truth["day"] + truth["none"]))
        status, text = doctor(server.addr, "--doctor.max-keys=0", "--sampler.memory-samples=0")
        assert f"{share} % of the data expires within an hour" in text, text
        assert "`none:*`:" in text and "never expires" in text
        page = exact.landing()
        assert f"{share} % of the data expires within an hour" in page
    finally:
        for e in exporters:
            e.stop()
        server.stop()


def test_volatile_policy_judged_by_the_bytes_eviction_can_reach():
    """Half the keys have a TTL but they are tiny: by count eviction has plenty to free,
    by bytes almost nothing. With the sampler the finding says so."""
    server = RedisServer("--maxmemory-policy", "volatile-lru")
    exporter = None
    try:
        p = server.client.pipeline(transaction=False)
        for i in range(2000):
            p.set(f"tiny:{i}", b"t", ex=3600)
            p.set(f"blob:{i}", b"b" * 4000)
        p.execute()
        used = server.client.info("memory")["used_memory"]
        server.client.config_set("maxmemory", int(used / 0.85))
        plain = Exporter(server.addr)
        try:
            wait_for("the near-limit finding", lambda: ("memory_near_limit", "warning") in plain.findings())
            time.sleep(1.5)
            assert "volatile_without_ttl_keys" not in {f for f, _ in plain.findings()}
        finally:
            plain.stop()
        exporter = Exporter(server.addr, "--sampler.keys-per-second=20000")
        wait_for("the volatile finding from the bytes",
                 lambda: ("volatile_without_ttl_keys", "warning") in exporter.findings(), timeout=30)
        status, out = doctor(server.addr, "--output=json", "--doctor.max-keys=0")
        summary = {f["id"]: f["summary"] for f in json.loads(out)["findings"]}["volatile_without_ttl_keys"]
        assert "that is all eviction can free" in summary, summary
    finally:
        if exporter:
            exporter.stop()
        server.stop()


class Writer(threading.Thread):
    """Writes one namespace steadily (about 1 MiB a second) until stopped or 90 % full."""

    def __init__(self, client, prefix, limit):
        super().__init__(daemon=True)
        self.client, self.prefix, self.limit, self.stop_flag = client, prefix, limit, threading.Event()

    def run(self):
        i = 0
        while not self.stop_flag.is_set() and self.client.info("memory")["used_memory"] < self.limit * 0.9:
            p = self.client.pipeline(transaction=False)
            for _ in range(25):
                p.set(f"{self.prefix}:{i}", b"j" * 4000)
                i += 1
            p.execute()
            time.sleep(0.1)


def test_forecast_names_the_namespace_that_grows():
    server = RedisServer("--maxmemory-policy", "noeviction")
    exporter = None
    writer = None
    try:
        p = server.client.pipeline(transaction=False)
        for i in range(3000):
            p.set(f"still:{i}", b"s" * 4000)
        p.execute()
        used = server.client.info("memory")["used_memory"]
        limit = used * 8
        server.client.config_set("maxmemory", int(limit))
        exporter = Exporter(server.addr, "--sampler.keys-per-second=20000", "--diagnose.forecast-window=30s")
        writer = Writer(server.client, "jobs", limit)
        writer.start()

        def growth(ns):
            return exporter.value("redis_key_namespace_growth_bytes_per_hour", namespace=ns)

        wait_for("growth measured for both namespaces",
                 lambda: growth("jobs") is not None and growth("still") is not None, timeout=30)
        wait_for("jobs growing", lambda: (growth("jobs") or 0) > 1e9, timeout=30)
        assert abs(growth("still")) < 0.05 * growth("jobs")
        wait_for("the forecast naming jobs:*",
                 lambda: "`jobs:*` grows fastest" in exporter.landing(), timeout=30)
        page = exporter.landing()
        assert "`still:*` grows" not in page
        assert re.search(r"full in \d+ min", page)
    finally:
        if writer:
            writer.stop_flag.set()
            writer.join()
        if exporter:
            exporter.stop()
        server.stop()
