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

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, doctor, fill, wait_for  # noqa: E402

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
    got = {l["ttl_le"]: v for n, l, v in exporter.metrics() if n == "redis_key_ttl_bytes"}
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


def watched(exporter, name):
    return {l["key"]: v for n, l, v in exporter.metrics() if n == name}


def test_watched_keys_follow_llen_and_xlen_and_vanish_when_deleted():
    server = RedisServer()
    exporter = None
    try:
        c = server.client
        c.rpush("queue:jobs", *[f"j{i}" for i in range(10)])
        c.xadd("stream:events", {"f": "v"})
        other = redis.Redis(host="127.0.0.1", port=server.port, db=1)
        other.sadd("set:one", "a", "b", "c")
        exporter = Exporter(server.addr, "--keys.watch=db0=queue:jobs,db0=stream:events,db1=set:one,db0=absent",
                            "--keys.watch-interval=1s")
        wait_for("the three keys' lengths",
                 lambda: watched(exporter, "redis_key_size") == {"queue:jobs": 10, "stream:events": 1, "set:one": 3})
        sizes = {l["key"]: l["db"] for n, l, v in exporter.metrics() if n == "redis_key_size"}
        assert sizes == {"queue:jobs": "db0", "stream:events": "db0", "set:one": "db1"}
        mem = watched(exporter, "redis_key_memory_usage_bytes")
        assert mem["queue:jobs"] == c.memory_usage("queue:jobs")
        assert "absent" not in mem   # a missing key: no series, not 0
        for round_ in range(3):
            c.rpush("queue:jobs", *[f"x{i}" for i in range(7)])
            for _ in range(5):
                c.xadd("stream:events", {"f": "v"})
            want = {"queue:jobs": c.llen("queue:jobs"), "stream:events": c.xlen("stream:events"), "set:one": 3}
            wait_for(f"LLEN/XLEN followed ({want})", lambda: watched(exporter, "redis_key_size") == want, timeout=10)
        c.delete("queue:jobs")
        wait_for("the deleted key's series gone", lambda: "queue:jobs" not in watched(exporter, "redis_key_size")
                 and "queue:jobs" not in watched(exporter, "redis_key_memory_usage_bytes"), timeout=10)
        c.set("queue:jobs", "now a string")   # back, as another type: TYPE again
        wait_for("back as a string", lambda: watched(exporter, "redis_key_size").get("queue:jobs") == 12, timeout=10)
        other.close()
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def commands_run(client, names):
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{n}", {}).get("calls", 0) for n in names)


def test_a_thousand_watched_keys_cost_what_the_budget_says():
    server = RedisServer()
    exporter = None
    try:
        c = server.client
        p = c.pipeline(transaction=False)
        for i in range(1000):
            p.rpush(f"q:{i}", "x")
        p.execute()
        keys = ",".join(f"db0=q:{i}" for i in range(1000))
        budget = 200
        exporter = Exporter(server.addr, f"--keys.watch={keys}", f"--keys.watch-keys-per-second={budget}",
                            "--keys.watch-interval=1s")
        wait_for("every key's length", lambda: len(watched(exporter, "redis_key_size")) == 1000, timeout=30)
        names = ["llen", "memory|usage", "type", "select"]
        before, t0 = commands_run(c, names), time.monotonic()
        time.sleep(10)
        spent, took = commands_run(c, names) - before, time.monotonic() - t0
        # two commands a key, a SELECT per step of at most 64 keys, at most `budget` keys a
        # second plus the bucket's burst of 2 s
        allowed = (budget * took + 2 * budget) * (2 + 1 / 64) + 10
        print(f"1,000 watched keys: {spent / took:.0f} commands a second (budget {budget} keys/s: "
              f"{allowed / took:.0f} allowed)")
        assert spent <= allowed, (spent, allowed)
        assert spent >= budget * took   # and the watcher does run at its budget
    finally:
        if exporter:
            exporter.stop()
        server.stop()


class Producer(threading.Thread):
    """Appends to a stream (10 a second) and a list (4 a second) until stopped; the stream's
    XADD takes the cap the fix prints once `maxlen` is set."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.client = redis.Redis(host="127.0.0.1", port=port)
        self.stop_flag, self.maxlen = threading.Event(), None
        self.n = 0

    def run(self):
        while not self.stop_flag.is_set():
            if self.maxlen:
                self.client.xadd("stream:events", {"f": "v" * 50}, maxlen=self.maxlen, approximate=True)
            else:
                self.client.xadd("stream:events", {"f": "v" * 50})
            if self.n % 5 == 0:
                self.client.rpush("queue:jobs", f"job{self.n}")
            self.n += 2
            time.sleep(0.1)


def test_growing_stream_and_queue_named_and_their_fixes_followed():
    """key_growing_unbounded (issue 25): a stream without MAXLEN and a queue without
    consumers, near the limit. The finding names the stream first (it grew more); its
    printed XTRIM, run as printed, and its printed XADD cap taken by the writer end its
    growth; the finding then names the queue, and starting a consumer clears it. Every
    other key stays."""
    server = RedisServer("--maxmemory-policy", "noeviction")
    exporter = producer = consumer = None
    stop_consumer = threading.Event()
    try:
        c = server.client
        p = c.pipeline(transaction=False)
        for i in range(3000):
            p.set(f"ballast:{i}", b"b" * 1000)
        for i in range(1000):
            p.xadd("stream:events", {"f": "v" * 50})
        p.execute()
        c.config_set("maxmemory", int(c.info("memory")["used_memory"] / 0.85))
        producer = Producer(server.port)
        producer.start()
        exporter = Exporter(server.addr, "--keys.watch=db0=stream:events,db0=queue:jobs", "--keys.watch-interval=1s",
                            "--keys.watch-growth-window=15s")
        wait_for("the growth finding", lambda: ("key_growing_unbounded", "warning") in exporter.findings(), timeout=40)
        page = exporter.landing()
        m = re.search(r"XTRIM stream:events MAXLEN ~ (\d+)", page)
        assert m, page[page.find("key_growing_unbounded") - 200:page.find("key_growing_unbounded") + 1500]
        keep = int(m.group(1))
        assert 1000 <= keep < c.xlen("stream:events")
        assert f"XADD stream:events MAXLEN ~ {keep} * field value" in page
        # follow it: trim now, and the writer caps what it adds
        assert c.execute_command(*m.group(0).split()) >= 0
        producer.maxlen = keep
        wait_for("the queue named instead", lambda: "start or scale its consumers" in exporter.landing()
                 and "queue:jobs" in exporter.landing(), timeout=40)

        def consume():
            client = redis.Redis(host="127.0.0.1", port=server.port)
            while not stop_consumer.is_set():
                client.blpop("queue:jobs", timeout=0.2)
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        wait_for("the finding cleared", lambda: "key_growing_unbounded" not in {f for f, _ in exporter.findings()},
                 timeout=40)
        assert c.xlen("stream:events") <= keep + 200
        assert sum(1 for _ in c.scan_iter("ballast:*", count=1000)) == 3000
    finally:
        stop_consumer.set()
        if consumer:
            consumer.join()
        if producer:
            producer.stop_flag.set()
            producer.join()
        if exporter:
            exporter.stop()
        server.stop()


def test_a_client_list_too_large_for_the_reply_limit_is_not_asked():
    """While client buffers hold the memory, CLIENT LIST names the client, but only when
    the list fits --poll.max-reply-bytes: a list past the limit would fail the connection
    and turn a buffer incident into "Redis down". 80 idle clients (about 28 KB of list)
    against a 16 KB limit: redis_up stays 1, the finding stays, in general words."""
    import socket
    server = RedisServer("--maxmemory", "24mb", "--maxmemory-policy", "noeviction",
                         "--client-output-buffer-limit", "pubsub 0 0 0")
    exporter = None
    idle = []
    sub = socket.socket()
    try:
        fill(server.client, 8000, size=1000)
        for _ in range(80):
            idle.append(socket.create_connection(("127.0.0.1", server.port)))
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.connect(("127.0.0.1", server.port))
        sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n")
        exporter = Exporter(server.addr, "--poll.max-reply-bytes=16384")
        for _ in range(2000):
            server.client.publish("news", b"m" * 65536)
            if server.client.info("memory")["used_memory"] > 23 * 1024 * 1024:
                break
        wait_for("the client buffer finding",
                 lambda: "client_output_buffers" in {f for f, _ in exporter.findings()})
        time.sleep(2)   # polls after the finding: CLIENT LIST would have gone out with them
        assert exporter.value("redis_up") == 1
        assert exporter.value("redis_memory_exporter_poll_errors_total", reason="too_large") == 0
        page = exporter.landing()
        assert "client_output_buffers" in page and "CLIENT KILL ID &lt;id&gt;" in page
    finally:
        sub.close()
        for s in idle:
            s.close()
        if exporter:
            exporter.stop()
        server.stop()
