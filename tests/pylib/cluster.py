# SPDX-License-Identifier: Apache-2.0
"""A real Redis Cluster on loopback: N redis-server processes with cluster-enabled, joined
by redis-cli --cluster create, with a short node timeout so that a failover takes about
a second. Only 127.0.0.1."""
import shutil
import signal
import subprocess
import tempfile

import random
import socket

import redis

from harness import answers, stop_process, wait_for


def cluster_port():
    """A free port whose cluster bus port (+10000) is free and valid too."""
    for _ in range(200):
        port = random.randint(20000, 50000)
        ok = True
        for p in (port, port + 10000):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no free port pair for a cluster node")


class ClusterNode:
    def __init__(self, port=None):
        self.port = port or cluster_port()
        self.dir = tempfile.mkdtemp(prefix="rme-cluster-")
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir,
             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
             "--cluster-replica-validity-factor", "0",
             "--save", "", "--appendonly", "no", "--maxmemory", "64mb"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        wait_for("cluster node to answer", lambda: answers(self.client))

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def node_id(self):
        return self.client.execute_command("CLUSTER", "MYID").decode()

    def role(self):
        return self.client.info("replication")["role"]

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class Cluster:
    """Six nodes: three primaries, a replica each."""

    def __init__(self, n=6, replicas=1):
        self.nodes = [ClusterNode() for _ in range(n)]
        subprocess.run(["redis-cli", "--cluster", "create", *[x.addr for x in self.nodes],
                        "--cluster-replicas", str(replicas), "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        wait_for("the cluster to be ok", self._ok, timeout=30)
        # cluster_state:ok can come before every replica is known as one everywhere.
        want = n * replicas // (replicas + 1)
        def replicas_seen(x):
            lines = x.client.execute_command("CLUSTER", "NODES").decode().splitlines()
            return sum(1 for line in lines if "slave" in line.split()[2].split(","))
        wait_for("every replica known", lambda: all(replicas_seen(x) == want for x in self.nodes), timeout=30)

    def _ok(self):
        try:
            return all(b"cluster_state:ok" in x.client.execute_command("CLUSTER", "INFO")
                       for x in self.nodes if x.proc.poll() is None)
        except redis.exceptions.ConnectionError:
            return False

    def primaries(self):
        return [x for x in self.live() if x.role() == "master"]

    def live(self):
        return [x for x in self.nodes if x.proc.poll() is None]

    def add_node(self):
        """A new empty primary, introduced with CLUSTER MEET (redis-cli --cluster add-node
        refuses while a node of the cluster is down, as after a failover test)."""
        node = ClusterNode()
        seed = self.live()[0]
        node.client.execute_command("CLUSTER", "MEET", "127.0.0.1", str(seed.port))
        node_id = node.node_id()
        wait_for("the new node known", lambda: node_id in seed.client.execute_command("CLUSTER", "NODES").decode())
        self.nodes.append(node)
        return node

    def remove_node(self, node):
        """Stops an empty node and has every other node forget it (what redis-cli --cluster
        del-node does, without its refusal while another node is down)."""
        node_id = node.node_id()
        self.nodes.remove(node)
        node.stop()
        for x in self.live():
            try:
                x.client.execute_command("CLUSTER", "FORGET", node_id)
            except redis.exceptions.ResponseError:
                pass
        seed = self.live()[0]
        wait_for("the node forgotten", lambda: node_id not in seed.client.execute_command("CLUSTER", "NODES").decode())

    def stop(self):
        for x in self.nodes:
            x.stop()
