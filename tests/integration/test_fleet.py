# SPDX-License-Identifier: Apache-2.0
"""Multi-target HTTP and sharding: /scrape answers a listed target with its series only
and a 404 for anything else, proven never to connect there; three exporters with
--targets.shard split 30 targets so that each is polled by exactly one, and a real
Prometheus fed by their /discovery endpoints scrapes every target once."""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, free_port, parse_metrics, wait_for  # noqa: E402


def test_scrape_answers_listed_targets_only_and_never_connects_elsewhere():
    a, b = RedisServer(), RedisServer()
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(16)
    trap.setblocking(False)
    trap_port = trap.getsockname()[1]
    exporter = Exporter([a.addr, b.addr])
    try:
        wait_for("both up", lambda: exporter.value("redis_up", addr=a.label) == 1 and
                 exporter.value("redis_up", addr=b.label) == 1)
        for form in (a.addr, f"redis://{a.addr}", f"valkey://{a.addr}/"):
            status, headers, body = exporter.request("/scrape?target=" + urllib.parse.quote(form, safe=""))
            assert status == 200, (form, status)
            samples = parse_metrics(body.decode())
            addrs = {l.get("addr") for _, l, _ in samples}
            assert addrs == {a.label}, (form, addrs)   # a's series, nothing of b's, no exporter series
            assert ("redis_up", {"addr": a.label}, 1.0) in samples
            assert not [n for n, _, _ in samples if n.startswith("process_")]
        status, headers, body = exporter.request(f"/scrape?target={b.label}",
                                                 headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        assert status == 200 and body.endswith(b"# EOF\n") and "openmetrics" in headers["Content-Type"]
        # Not a target: 404, and not one connection attempt, whatever the form or scheme.
        for form in (f"127.0.0.1:{trap_port}", f"redis://127.0.0.1:{trap_port}", f"rediss://127.0.0.1:{trap_port}",
                     f"unix:///tmp/none.sock", "not an address", f"{a.label}/3"):
            status, _, body = exporter.request("/scrape?target=" + urllib.parse.quote(form, safe=""))
            assert status == 404, (form, status)
            assert str(trap_port).encode() not in body
        assert exporter.request("/scrape")[0] == 400
        # /exporter-metrics: the exporter's own series, none of a target's; they are the
        # series of /metrics that belong to no target.
        status, headers, body = exporter.request("/exporter-metrics")
        own = parse_metrics(body.decode())
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert ("redis_memory_exporter_targets", {}, 2.0) in own
        assert not [n for n, l, _ in own if "addr" in l or n.startswith("redis_") and
                    not n.startswith("redis_memory_exporter_")], own
        everything = exporter.metrics()
        untargeted = {(n, tuple(sorted(l.items()))) for n, l, _ in everything if "addr" not in l}
        assert {(n, tuple(sorted(l.items()))) for n, l, _ in own} == untargeted
        assert any("addr" in l for _, l, _ in everything)
        status, headers, body = exporter.request("/exporter-metrics",
                                                 headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        assert status == 200 and body.endswith(b"# EOF\n") and "openmetrics" in headers["Content-Type"]
        time.sleep(1)
        readable, _, _ = select.select([trap], [], [], 0)
        assert not readable, "the exporter connected to an address it was only asked about"
    finally:
        trap.close()
        exporter.stop()
        a.stop()
        b.stop()


def discovery(exporter):
    status, _, body = exporter.request("/discovery")
    assert status == 200
    return json.loads(body)


def test_three_shards_cover_thirty_targets_once_and_prometheus_scrapes_each():
    servers = [RedisServer("--databases", "16") for _ in range(2)]
    addrs = [f"redis://{s.addr}/{db}" for s in servers for db in range(15)]
    d = tempfile.mkdtemp(prefix="rme-fleet-")
    path = os.path.join(d, "targets.yml")
    with open(path, "w") as f:
        f.write("targets:\n" + "".join(f"  - addr: {a}\n" for a in addrs))
    shards = [Exporter([], f"--targets.file={path}", f"--targets.shard={i}/3") for i in range(3)]
    prom = None
    try:
        wait_for("every share polled", lambda: sum(e.value("redis_memory_exporter_targets") or 0
                                                   for e in shards) == 30)
        lists = [[g["labels"]["__param_target"] for g in discovery(e)] for e in shards]
        everything = [t for l in lists for t in l]
        assert sorted(everything) == sorted(a[len("redis://"):] for a in addrs), lists
        assert len(set(everything)) == 30   # no target in two shares
        # Every replica has a real share. The ports are random, so the shares are binomial
        # (30, 1/3): 3..17 missed about once in 150 runs (simulated), 1..20 once in 10,000.
        assert all(1 <= len(l) <= 20 for l in lists), [len(l) for l in lists]
        # Each target polled by exactly one exporter: one connection each, 30 in all.
        def exporter_conns():
            return sum(1 for s in servers for c in s.client.client_list() if c.get("name") == "redis_memory_exporter")
        wait_for("30 connections", lambda: exporter_conns() == 30)
        # Each group points at the exporter that has the target.
        for e, l in zip(shards, lists):
            groups = discovery(e)
            assert {g["targets"][0] for g in groups} == {f"127.0.0.1:{e.port}"}

        port = free_port()
        urls = "".join(f"      - url: http://127.0.0.1:{e.port}/discovery\n" for e in shards)
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            # As deploy/prometheus/fleet.yml: the targets through /discovery and /scrape, the
            # replicas' own series from /exporter-metrics.
            f.write("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: redis\n"
                    "    http_sd_configs:\n" + urls.replace("      - url:", "      - refresh_interval: 1s\n        url:") +
                    "  - job_name: redis_memory_exporter\n    metrics_path: /exporter-metrics\n"
                    "    static_configs:\n      - targets: [" +
                    ", ".join(f"'127.0.0.1:{e.port}'" for e in shards) + "]\n")
        prom = subprocess.Popen(["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def query(q):
            try:
                u = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
                with urllib.request.urlopen(u, timeout=5) as r:
                    return json.load(r)["data"]["result"]
            except OSError:
                return None
        wait_for("30 targets up in Prometheus", lambda: (query('count(up{job="redis"} == 1)') or [{}])[0]
                 .get("value", [0, "0"])[1] == "30", timeout=90)
        per_instance = query('count by (instance) (redis_up{job="redis"})')
        assert len(per_instance) == 30 and all(r["value"][1] == "1" for r in per_instance), per_instance
        assert query('count(redis_up{job="redis"} == 1)')[0]["value"][1] == "30"
        # The replicas' own job adds their series and not one target's: every Redis once.
        wait_for("the replicas' own series", lambda: (query('sum(redis_memory_exporter_targets)') or [{}])[0]
                 .get("value", [0, "0"])[1] == "30", timeout=30)
        assert query('count(redis_memory_exporter_targets{job="redis_memory_exporter"})')[0]["value"][1] == "3"
        assert query('count(redis_up)')[0]["value"][1] == "30"
        assert query('count({job="redis_memory_exporter", addr!=""})') == []
    finally:
        if prom:
            prom.terminate()
            prom.wait(10)
        for e in shards:
            e.stop()
        for s in servers:
            s.stop()
        shutil.rmtree(d, ignore_errors=True)
