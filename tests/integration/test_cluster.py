"""Redis Cluster discovery against a real six-node Cluster made here: every node found
from one seed and labelled with its shard and role; a primary killed -> its replica is
promoted and followed, only the dead node says redis_up 0; a node added and removed."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from cluster import Cluster  # noqa: E402
from harness import Exporter, wait_for  # noqa: E402


def ups(exporter):
    return {l["addr"]: (v, l) for n, l, v in exporter.metrics() if n == "redis_up"}


def test_cluster_discovered_followed_and_resized():
    cluster = Cluster()
    d = tempfile.mkdtemp(prefix="rme-cluster-")
    path = os.path.join(d, "targets.yml")
    seed = cluster.nodes[0]
    with open(path, "w") as f:
        f.write(f"targets:\n  - addr: {seed.addr}\n    discover: cluster\n    labels: {{cluster: main}}\n")
    exporter = Exporter([], f"--targets.file={path}", "--poll.max-backoff=1s")
    try:
        wait_for("six nodes up", lambda: len(ups(exporter)) == 6 and all(v == 1 for v, _ in ups(exporter).values()),
                 timeout=30)
        u = ups(exporter)
        shards = {}
        for node in cluster.nodes:
            _, labels = u[node.addr]
            assert labels["cluster"] == "main"
            want = "primary" if node.role() == "master" else "replica"
            assert labels["node_role"] == want, (node.addr, labels)
            shards.setdefault(labels["shard"], []).append(labels["node_role"])
        assert sorted(shards) == sorted(["0-5460", "5461-10922", "10923-16383"]), shards
        assert all(sorted(r) == ["primary", "replica"] for r in shards.values()), shards

        # Kill a primary that is not the seed: its replica takes over.
        victim = next(p for p in cluster.primaries() if p is not seed)
        shard = u[victim.addr][1]["shard"]
        replica = next(x for x in cluster.nodes if x is not victim and u[x.addr][1]["shard"] == shard)
        victim.kill()
        wait_for("the replica promoted", lambda: replica.role() == "master", timeout=30)
        wait_for("the promotion followed", lambda: ups(exporter)[replica.addr][1]["node_role"] == "primary",
                 timeout=30)
        now = ups(exporter)
        down = sorted(a for a, (v, _) in now.items() if v != 1)
        assert down == [victim.addr], now
        assert now[replica.addr][1]["shard"] == shard   # the shard keeps its name across the failover

        # A node joins, then leaves.
        newcomer = cluster.add_node()
        wait_for("the new node found", lambda: ups(exporter).get(newcomer.addr, (0,))[0] == 1, timeout=30)
        assert ups(exporter)[newcomer.addr][1]["shard"] == "none"
        cluster.remove_node(newcomer)
        wait_for("the node gone", lambda: newcomer.addr not in ups(exporter), timeout=30)
    finally:
        exporter.stop()
        cluster.stop()
        shutil.rmtree(d, ignore_errors=True)
