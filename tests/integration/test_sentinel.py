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
    def __init__(self, primary_port, d):
        self.port = free_port()
        self.conf = os.path.join(d, f"sentinel-{self.port}.conf")
        with open(self.conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\ndir {d}\n"
                    f"sentinel monitor mymaster 127.0.0.1 {primary_port} 1\n"
                    "sentinel down-after-milliseconds mymaster 1000\n"
                    "sentinel failover-timeout mymaster 3000\n")
        self.proc = subprocess.Popen(["redis-sentinel", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
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
