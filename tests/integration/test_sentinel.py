# SPDX-License-Identifier: Apache-2.0
"""Sentinel discovery against real redis-sentinel processes watching a real primary and
replica: both found from the sentinels with their roles; after a failover the new
primary is watched as primary and the old one relabelled replica, without a restart."""
import os
import shutil
import subprocess
import sys
import tempfile

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, answers, free_port, stop_process, wait_for  # noqa: E402


class Sentinel:
    """password: the sentinel's own (requirepass); master_password: the masters' (auth-pass)."""
    def __init__(self, primary_port, d, password=None, master_password=None):
        self.port = free_port()
        self.conf = os.path.join(d, f"sentinel-{self.port}.conf")
        with open(self.conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\ndir {d}\n"
                    f"sentinel monitor mymaster 127.0.0.1 {primary_port} 1\n"
                    "sentinel down-after-milliseconds mymaster 1000\n"
                    "sentinel failover-timeout mymaster 3000\n" +
                    (f"requirepass {password}\n" if password else "") +
                    (f"sentinel auth-pass mymaster {master_password}\n" if master_password else ""))
        self.proc = subprocess.Popen(["redis-sentinel", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, password=password, decode_responses=True)
        wait_for("sentinel to answer", lambda: answers(self.client))

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        stop_process(self.proc)


def roles(exporter):
    return {l["addr"]: l.get("node_role") for n, l, v in exporter.metrics() if n == "redis_up" and v == 1}


def test_sentinel_failover_followed():
    d = tempfile.mkdtemp(prefix="rme-sentinel-")
    primary = RedisServer()
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port))
    wait_for("replication up", lambda: replica.client.info("replication")["master_link_status"] == "up")
    sentinels = [Sentinel(primary.port, d) for _ in range(2)]
    wait_for("the sentinels see the replica",
             lambda: all(s.client.execute_command("SENTINEL", "REPLICAS", "mymaster") for s in sentinels))
    path = os.path.join(d, "targets.yml")
    with open(path, "w") as f:
        f.write("targets:\n" + "".join(f"  - addr: {s.addr}\n    discover: sentinel\n    master: mymaster\n"
                                         for s in sentinels))
    exporter = Exporter([], f"--targets.file={path}", "--poll.max-backoff=1s")
    try:
        wait_for("primary and replica found", lambda: roles(exporter) == {primary.label: "primary",
                                                                          replica.label: "replica"}, timeout=30)
        labels = next(l for n, l, v in exporter.metrics() if n == "redis_up" and l["addr"] == primary.label)
        assert labels["sentinel_master"] == "mymaster"
        assert len([1 for n, l, v in exporter.metrics() if n == "redis_up"]) == 2   # sentinels are not targets

        sentinels[0].client.execute_command("SENTINEL", "FAILOVER", "mymaster")
        wait_for("the new primary followed", lambda: roles(exporter) == {replica.label: "primary",
                                                                         primary.label: "replica"}, timeout=40)
        assert replica.client.info("replication")["role"] == "master"
        assert exporter.proc.poll() is None
    finally:
        exporter.stop()
        for s in sentinels:
            s.stop()
        replica.stop()
        primary.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_sentinels_with_their_own_password():
    """Sentinels with a password of their own (requirepass) beside the masters' password:
    sentinel_password_file: is used for the sentinels, password_file: for what they name.
    With only the masters' password the sentinel refuses it and nothing is found."""
    d = tempfile.mkdtemp(prefix="rme-sentinel-")
    primary = RedisServer("--requirepass", "data-pw")
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port), "--masterauth", "data-pw",
                          "--requirepass", "data-pw")
    wait_for("replication up", lambda: replica.client.info("replication")["master_link_status"] == "up")
    sentinel = Sentinel(primary.port, d, password="sentinel-pw", master_password="data-pw")
    wait_for("the sentinel sees the replica",
             lambda: sentinel.client.execute_command("SENTINEL", "REPLICAS", "mymaster"))
    for name, pw in (("data.pw", "data-pw"), ("sentinel.pw", "sentinel-pw")):
        with open(os.path.join(d, name), "w") as f:
            f.write(pw + "\n")
    item = f"targets:\n  - addr: {sentinel.addr}\n    discover: sentinel\n    master: mymaster\n    password_file: data.pw\n"
    both, only_data = os.path.join(d, "both.yml"), os.path.join(d, "only-data.yml")
    with open(both, "w") as f:
        f.write(item + "    sentinel_password_file: sentinel.pw\n")
    with open(only_data, "w") as f:
        f.write(item)
    try:
        exporter = Exporter([], f"--targets.file={both}", "--poll.max-backoff=1s")
        try:
            wait_for("primary and replica found and up", lambda: roles(exporter) == {primary.label: "primary",
                                                                                     replica.label: "replica"},
                     timeout=30)
            log = exporter.log()
            assert "sentinel-pw" not in log and "data-pw" not in log
        finally:
            exporter.stop()
        exporter = Exporter([], f"--targets.file={only_data}", "--poll.max-backoff=1s")
        try:
            wait_for("discovery refused", lambda: "discovery failed" in exporter.log(), timeout=15)
            assert "authentication rejected" in exporter.log()
            assert roles(exporter) == {}
        finally:
            exporter.stop()
    finally:
        sentinel.stop()
        replica.stop()
        primary.stop()
        shutil.rmtree(d, ignore_errors=True)
