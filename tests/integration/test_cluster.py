# SPDX-License-Identifier: Apache-2.0
"""Redis Cluster discovery against a real six-node Cluster made here: every node found
from one seed and labelled with its shard and role; a primary killed -> its replica is
promoted and followed, only the dead node says redis_up 0; a node added and removed."""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from cluster import Cluster  # noqa: E402
from harness import Exporter, RedisServer, parse_metrics, wait_for  # noqa: E402


def ups(exporter):
    return {l["addr"]: (v, l) for n, l, v in exporter.metrics() if n == "redis_up"}


def test_cluster_discovered_followed_and_resized():
    cluster = Cluster()
    # A plain target beside the seed: it must stay through every change discovery makes
    # (the file is not kept; its targets are taken from the running ones then).
    lone = RedisServer()
    d = tempfile.mkdtemp(prefix="rme-cluster-")
    path = os.path.join(d, "targets.yml")
    seed = cluster.nodes[0]
    with open(path, "w") as f:
        f.write(f"targets:\n  - addr: {seed.addr}\n    discover: cluster\n    labels: {{cluster: main}}\n"
                f"  - addr: {lone.addr}\n    labels: {{team: solo}}\n")
    exporter = Exporter([], f"--targets.file={path}", "--poll.max-backoff=1s")

    def cluster_ups():
        return {a: x for a, x in ups(exporter).items() if a != lone.addr}
    try:
        wait_for("six nodes up", lambda: len(cluster_ups()) == 6 and all(v == 1 for v, _ in cluster_ups().values()),
                 timeout=30)

        def labels_match_roles():
            u = ups(exporter)
            return all(u[x.addr][1]["node_role"] == ("primary" if x.role() == "master" else "replica")
                       for x in cluster.nodes)
        wait_for("roles as the nodes say", labels_match_roles, timeout=30)
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
        now = cluster_ups()
        down = sorted(a for a, (v, _) in now.items() if v != 1)
        assert down == [victim.addr], now
        assert now[replica.addr][1]["shard"] == shard   # the shard keeps its name across the failover

        # A node joins, then leaves.
        newcomer = cluster.add_node()
        wait_for("the new node found", lambda: ups(exporter).get(newcomer.addr, (0,))[0] == 1, timeout=30)
        assert ups(exporter)[newcomer.addr][1]["shard"] == "none"
        cluster.remove_node(newcomer)
        wait_for("the node gone", lambda: newcomer.addr not in ups(exporter), timeout=30)
        assert ups(exporter)[lone.addr] == (1, {"addr": lone.addr, "team": "solo"}), ups(exporter).get(lone.addr)
    finally:
        exporter.stop()
        cluster.stop()
        lone.stop()
        shutil.rmtree(d, ignore_errors=True)


def cluster_findings(exporter):
    return [l for n, l, v in exporter.metrics() if n == "redis_cluster_finding" and v == 1]


def slot_range(node):
    for line in node.client.execute_command("CLUSTER", "NODES").decode().splitlines():
        f = line.split()
        if "myself" in f[2]:
            lo, hi = f[8].split("-")
            return int(lo), int(hi)
    raise AssertionError("no slots")


def test_one_full_shard_is_found_and_resharding_as_advised_clears_it():
    """One shard at 80 %+ of its limit while the others are near empty: the finding names
    it; the printed fix (moving slots off it with redis-cli --cluster reshard) is run,
    the finding clears and not one key is lost."""
    from redis.crc import key_slot
    import subprocess
    cluster = Cluster()
    d = tempfile.mkdtemp(prefix="rme-cluster-")
    path = os.path.join(d, "targets.yml")
    with open(path, "w") as f:
        f.write(f"targets:\n  - addr: {cluster.nodes[0].addr}\n    discover: cluster\n")
    try:
        primaries = cluster.primaries()
        full, other = primaries[0], primaries[1]
        lo, hi = slot_range(full)
        for node in cluster.nodes:
            node.client.config_set("maxmemory", "8mb")
        pipe = full.client.pipeline(transaction=False)
        i = n = 0
        while n < 4000:
            key = f"item:{i}"
            i += 1
            if lo <= key_slot(key.encode()) <= hi:
                pipe.set(key, "v" * 1000)
                n += 1
        pipe.execute()
        ratio = full.client.info("memory")["used_memory"] / (8 << 20)
        assert ratio >= 0.8, ratio
        keys_before = sum(p.client.dbsize() for p in primaries)
        exporter = Exporter([], f"--targets.file={path}")
        try:
            wait_for("the finding", lambda: cluster_findings(exporter), timeout=30)
            (finding,) = cluster_findings(exporter)
            assert finding["cluster"] == cluster.nodes[0].addr and finding["shard"] == f"{lo}-{hi}", finding
            assert finding["id"] == "shard_near_limit_alone"
            assert exporter.value("redis_cluster_memory_used_ratio_max", cluster=cluster.nodes[0].addr) >= 0.8
            # The Cluster-level series are on /exporter-metrics too (a fleet scrapes its
            # targets through /scrape): the finding and the ratios, and no node's series.
            status, _, body = exporter.request("/exporter-metrics")
            own = parse_metrics(body.decode())
            assert status == 200 and ("redis_cluster_finding", finding, 1.0) in own, own
            assert [v for n, l, v in own if n == "redis_cluster_memory_used_ratio_max"][0] >= 0.8
            assert not [n for n, l, _ in own if "addr" in l], "a node's series on /exporter-metrics"
            page = exporter.landing()
            assert "shard_near_limit_alone" in page and "--cluster reshard" in page
            # Follow the fix: move most of its slots, keys and all, to another primary.
            subprocess.run(["redis-cli", "--cluster", "reshard", full.addr, "--cluster-from", full.node_id(),
                            "--cluster-to", other.node_id(), "--cluster-slots", str((hi - lo) * 3 // 5),
                            "--cluster-yes"], check=True, capture_output=True, timeout=120)
            wait_for("the finding cleared", lambda: not cluster_findings(exporter), timeout=40)
            assert sum(p.client.dbsize() for p in primaries) == keys_before, "a key was lost"
        finally:
            exporter.stop()
    finally:
        cluster.stop()
        shutil.rmtree(d, ignore_errors=True)


def command_calls(node, name):
    stats = node.client.info("commandstats")
    return stats.get(f"cmdstat_{name}", {}).get("calls", 0)


def test_discovery_asks_cluster_shards_and_falls_back_to_nodes():
    """Redis 7 is asked CLUSTER SHARDS; where that is refused (an ACL here, an unknown
    subcommand before 7.0) CLUSTER NODES gives the same nodes, shards and roles."""
    cluster = Cluster()
    d = tempfile.mkdtemp(prefix="rme-cluster-")
    with open(os.path.join(d, "pw"), "w") as f:
        f.write("s3cret\n")
    for node in cluster.nodes:
        node.client.execute_command("ACL", "SETUSER", "noshards", "on", ">s3cret", "+@all", "-cluster|shards", "~*")
    seed = cluster.nodes[0]
    found = {}
    try:
        for user in ("", "noshards"):
            path = os.path.join(d, f"targets-{user or 'default'}.yml")
            with open(path, "w") as f:
                f.write(f"targets:\n  - addr: {seed.addr}\n    discover: cluster\n" +
                        (f"    user: {user}\n    password_file: pw\n" if user else ""))
            shards_before, nodes_before = command_calls(seed, "cluster|shards"), command_calls(seed, "cluster|nodes")
            exporter = Exporter([], f"--targets.file={path}")
            try:
                wait_for("six nodes up", lambda: len(ups(exporter)) == 6 and all(v == 1 for v, _ in ups(exporter).values()),
                         timeout=30)
                found[user] = {a: (l["shard"], l["node_role"]) for a, (_, l) in ups(exporter).items()}
                log = exporter.log()
            finally:
                exporter.stop()
            shards_calls = command_calls(seed, "cluster|shards") - shards_before
            nodes_calls = command_calls(seed, "cluster|nodes") - nodes_before
            if user:
                assert "CLUSTER SHARDS refused; asking CLUSTER NODES" in log, log
                assert nodes_calls >= 1
                assert shards_calls == 0   # refused: Redis counts it under rejected_calls
            else:
                assert shards_calls >= 1 and nodes_calls == 0, (shards_calls, nodes_calls)
                assert "CLUSTER SHARDS refused" not in log
        assert found[""] == found["noshards"], found
        assert sorted({s for s, _ in found[""].values()}) == ["0-5460", "10923-16383", "5461-10922"]
    finally:
        cluster.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_shards_keep_a_cluster_whole_on_one_replica():
    """Three replicas with --targets.shard: every node of the Cluster is polled by the one
    replica its name picks (the fullest-shard series need all the primaries in one place),
    the other replicas do not even ask its seed; plain targets still spread one by one."""
    cluster = Cluster()
    lone = RedisServer("--databases", "16")
    plain = [f"redis://{lone.addr}/{db}" for db in range(12)]
    d = tempfile.mkdtemp(prefix="rme-cluster-")
    path = os.path.join(d, "targets.yml")
    with open(path, "w") as f:
        f.write(f"targets:\n  - addr: {cluster.nodes[0].addr}\n    discover: cluster\n    labels: {{cluster: main}}\n" +
                "".join(f"  - addr: {a}\n" for a in plain))
    for node in cluster.nodes:
        node.client.config_resetstat()
    started = time.monotonic()
    shards = [Exporter([], f"--targets.file={path}", f"--targets.shard={i}/3") for i in range(3)]
    try:
        def nodes_of(e):
            return {l["addr"] for n, l, v in e.metrics() if n == "redis_up" and l.get("cluster") == "main"}
        wait_for("the Cluster polled", lambda: any(len(nodes_of(e)) == 6 for e in shards), timeout=30)
        calls = sum(command_calls(node, "cluster|shards") for node in cluster.nodes)
        elapsed = time.monotonic() - started
        # One discoverer asks at start and every 10 s; three would have asked three times.
        assert 1 <= calls <= int(elapsed // 10) + 1, (calls, elapsed)
        owners = [e for e in shards if nodes_of(e)]
        assert len(owners) == 1 and nodes_of(owners[0]) == {x.addr for x in cluster.nodes}
        for e in shards:
            _, _, body = e.request("/exporter-metrics")
            ratios = [l for n, l, v in parse_metrics(body.decode()) if n == "redis_cluster_memory_used_ratio_max"]
            assert ratios == ([{"cluster": "main"}] if e is owners[0] else []), ratios
        wait_for("every plain target polled", lambda: sum(e.value("redis_memory_exporter_targets") or 0
                                                          for e in shards) == 6 + len(plain))
        counts = [int(e.value("redis_memory_exporter_targets")) - (6 if e is owners[0] else 0) for e in shards]
        assert sum(counts) == len(plain) and sum(1 for c in counts if c > 0) >= 2, counts
    finally:
        for e in shards:
            e.stop()
        cluster.stop()
        lone.stop()
        shutil.rmtree(d, ignore_errors=True)


class Monitor:
    """MONITOR on one node, collecting the commands it sees (as raw lines) in a thread."""

    def __init__(self, node):
        import socket
        import threading
        self.lines = []
        self.sock = socket.create_connection(("127.0.0.1", node.port))
        self.sock.sendall(b"MONITOR\r\n")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            *done, pending = pending.split(b"\r\n")
            self.lines.extend(done)

    def saw(self, command):
        """Lines whose command (the first quoted word, as sent) is `command`: 'SCAN' or
        'MEMORY" "USAGE'."""
        return [x for x in self.lines if f'] "{command}"'.encode() in x]

    def close(self):
        self.sock.close()


def test_sampler_only_on_replicas_and_the_role_within_a_poll():
    """sampler: {roles: [replica]} on a Cluster seed (issue 25): key sampling reaches every
    replica and no primary (MONITOR on each node); with --labels.role every series says
    the role, and after a primary is killed the promoted replica says role="master" within
    a poll or two of the promotion."""
    from redis.cluster import RedisCluster
    cluster = Cluster()
    d = tempfile.mkdtemp(prefix="rme-cluster-")
    path = os.path.join(d, "targets.yml")
    seed = cluster.nodes[0]
    rc = RedisCluster(host="127.0.0.1", port=seed.port)
    for i in range(600):
        rc.set(f"k:{i}", b"v" * 100)
    with open(path, "w") as f:
        f.write(f"targets:\n  - addr: {seed.addr}\n    discover: cluster\n"
                f"    sampler: {{keys_per_second: 500, roles: [replica]}}\n")
    monitors = {x.addr: Monitor(x) for x in cluster.nodes}
    exporter = Exporter([], f"--targets.file={path}", "--labels.role", "--poll.max-backoff=1s")
    try:
        def roles():
            return {l["addr"]: l.get("role") for n, l, v in exporter.metrics() if n == "redis_up" and v == 1}
        wait_for("six nodes up with their role",
                 lambda: len(roles()) == 6 and all(roles()[x.addr] == x.role() for x in cluster.nodes), timeout=30)
        # every series carries it, and redis_instance_info has no second role label
        for n, l, v in exporter.metrics():
            if l.get("addr") in roles() and n.startswith("redis_") and not n.startswith("redis_memory_exporter"):
                assert l.get("role") in ("master", "slave"), (n, l)
        replicas = [x for x in cluster.nodes if x.role() == "slave"]
        primaries = [x for x in cluster.nodes if x.role() == "master"]
        wait_for("every replica sampled", lambda: all(monitors[x.addr].saw("SCAN") for x in replicas), timeout=30)
        time.sleep(2)
        for x in primaries:
            for word in ("SCAN", 'MEMORY" "USAGE', "PTTL", "TYPE"):
                assert not monitors[x.addr].saw(word), (x.addr, word, monitors[x.addr].saw(word)[:3])
        assert all(monitors[x.addr].saw("INFO") for x in primaries)   # polled, just not sampled

        victim = next(p for p in primaries if p is not seed)
        shard = next(l["shard"] for n, l, v in exporter.metrics() if n == "redis_up" and l["addr"] == victim.addr)
        replica = next(x for x in replicas if next(l["shard"] for n, l, v in exporter.metrics()
                                                   if n == "redis_up" and l["addr"] == x.addr) == shard)
        victim.kill()
        wait_for("the replica promoted", lambda: replica.role() == "master", timeout=30, step=0.05)
        promoted = time.monotonic()
        wait_for('role="master" on the promoted replica',
                 lambda: roles().get(replica.addr) == "master", timeout=10, step=0.05)
        took = time.monotonic() - promoted
        print(f"role followed {took:.2f} s after the promotion (poll interval 1 s)")
        assert took < 2.5, took
        # once a primary it is no longer sampled (a step in flight may still finish)
        time.sleep(1)
        seen = len(monitors[replica.addr].saw("SCAN"))
        time.sleep(2)
        assert len(monitors[replica.addr].saw("SCAN")) == seen
    finally:
        for m in monitors.values():
            m.close()
        exporter.stop()
        cluster.stop()
        shutil.rmtree(d, ignore_errors=True)
