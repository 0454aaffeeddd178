# SPDX-License-Identifier: Apache-2.0
"""Discovery cannot be turned against the exporter (issue 21): hostile Cluster nodes and
sentinels on other loopback addresses (127.0.0.2, 127.0.0.3 stand for other hosts) name
addresses of their choosing. Outside the seed's allow: (or its own scope without one) no
connection is made and the refusal is counted; a node naming a socket path gets none
either; and a discovered node only ever receives the credentials of the item that found
it: never the one global password, never another map entry, never a sentinel's own."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from fakes import FakeServer, bulk  # noqa: E402
from harness import EXPORTER, Exporter, free_port, wait_for  # noqa: E402

INFO = ("# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n# Memory\r\nused_memory:1048576\r\n"
        "maxmemory:0\r\nmaxmemory_policy:noeviction\r\n# Replication\r\nrole:master\r\n")


def redis_like(extra):
    """A fake that answers AUTH, INFO and PING like a server, extra(cmd) for the rest
    (bytes, or None for an error reply)."""
    def answer(cmd):
        name = cmd[0].upper()
        if name in ("AUTH", "SELECT", "CLIENT"):
            return b"+OK\r\n"
        if name == "PING":
            return b"+PONG\r\n"
        if name == "INFO":
            return bulk(INFO)
        reply = extra(cmd)
        return reply if reply is not None else b"-ERR unknown command\r\n"
    return lambda conn, server: server.serve_commands(conn, answer)


def auths(server):
    return [c[1:] for c in server.commands if c and c[0].upper() == "AUTH"]


class UnixListener:
    """A unix socket that records whether anything connected (a node may name its path)."""

    def __init__(self, path):
        self.path, self.connections = path, 0
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def cluster_nodes(seed, stranger, sock_path):
    """CLUSTER NODES text: the seed, a replica at a stranger's address, a node at a path."""
    lines = [f"{'a' * 40} {seed.host}:{seed.port}@{seed.port + 10000} myself,master - 0 0 1 connected 0-16383",
             f"{'b' * 40} {stranger.host}:{stranger.port}@1 slave {'a' * 40} 0 0 1 connected",
             f"{'c' * 40} {sock_path}:7@17 slave {'a' * 40} 0 0 1 connected"]
    return "\n".join(lines) + "\n"


def run_cluster(tmp, allow):
    sock_path = os.path.join(tmp, "node.sock")
    unix = UnixListener(sock_path)
    stranger = FakeServer(redis_like(lambda cmd: None), host="127.0.0.3")
    holder = {}
    seed = FakeServer(redis_like(lambda cmd: bulk(holder["nodes"]) if cmd[:2] == ["CLUSTER", "NODES"] else None))
    holder["nodes"] = cluster_nodes(seed, stranger, sock_path)
    with open(os.path.join(tmp, "global.pw"), "w") as f:
        f.write("global-secret\n")
    with open(os.path.join(tmp, "map.json"), "w") as f:
        json.dump({f"redis://127.0.0.1:{seed.port}": "seed-secret", "redis://127.0.0.9:6379": "other-secret"}, f)
    item = f"targets:\n  - addr: 127.0.0.1:{seed.port}\n    discover: cluster\n"
    if allow:
        item += "    allow: [" + ", ".join(allow) + "]\n"
    with open(os.path.join(tmp, "targets.yml"), "w") as f:
        f.write(item)
    exporter = Exporter([], f"--targets.file={tmp}/targets.yml", f"--redis.password-file={tmp}/global.pw",
                        f"--redis.password-map-file={tmp}/map.json")
    return exporter, seed, stranger, unix


def refused(exporter):
    return exporter.value("redis_memory_exporter_discovery_refused_total") or 0


def test_cluster_node_outside_allow_gets_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        exporter, seed, stranger, unix = run_cluster(tmp, ["127.0.0.1/32"])
        try:
            wait_for("the seed discovered and polled", lambda: exporter.value("redis_up", addr=seed.addr) == 1)
            wait_for("the refusals counted", lambda: refused(exporter) >= 2)
            time.sleep(1.5)   # several polls and a refresh
            assert stranger.connections == 0, stranger.commands
            assert unix.connections == 0
            assert exporter.value("redis_up", addr=stranger.addr) is None
            assert auths(seed) and all(a == ["seed-secret"] for a in auths(seed)), auths(seed)
            log = exporter.log()
            assert "outside allow:" in log and stranger.addr in log and "not a host name" in log
            assert log.count(f"address={stranger.addr}") == 1   # logged once, not every refresh
            assert "secret" not in log
        finally:
            exporter.stop()
            seed.close()
            stranger.close()
            unix.close()


def test_cluster_node_in_scope_gets_only_the_seeds_password():
    """Without allow: the seed's scope (loopback) lets 127.0.0.3 in; the node there gets the
    seed's password from the map, not the global password its own address would fall to."""
    with tempfile.TemporaryDirectory() as tmp:
        exporter, seed, stranger, unix = run_cluster(tmp, None)
        try:
            wait_for("the stranger polled", lambda: exporter.value("redis_up", addr=stranger.addr) == 1)
            assert auths(stranger) and all(a == ["seed-secret"] for a in auths(stranger)), auths(stranger)
            assert unix.connections == 0   # a socket path is never an address, whatever the scope
            wait_for("the path refused", lambda: refused(exporter) >= 1)
        finally:
            exporter.stop()
            seed.close()
            stranger.close()
            unix.close()


def test_sentinel_cannot_send_its_password_or_others_anywhere():
    """A sentinel with its own password names a master on 127.0.0.3: the master gets the
    masters' password (the item's password_file), never the sentinel's and never the
    global one; with allow: naming only the sentinel's host, no connection at all."""
    for allow in (None, ["127.0.0.2/32"]):
        with tempfile.TemporaryDirectory() as tmp:
            master = FakeServer(redis_like(lambda cmd: None), host="127.0.0.3")

            def sentinel_answer(cmd):
                sub = [c.upper() for c in cmd[:2]]
                if sub == ["SENTINEL", "GET-MASTER-ADDR-BY-NAME"]:
                    return b"*2\r\n" + bulk(master.host) + bulk(str(master.port))
                if sub[0] == "SENTINEL":
                    return b"*0\r\n"
                return None
            sentinel = FakeServer(redis_like(sentinel_answer), host="127.0.0.2")
            for name, text in (("global.pw", "global-secret"), ("sentinel.pw", "sentinel-secret"),
                               ("masters.pw", "masters-secret")):
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(text + "\n")
            item = (f"targets:\n  - addr: {sentinel.addr}\n    discover: sentinel\n    master: mymaster\n"
                    f"    password_file: masters.pw\n    sentinel_password_file: sentinel.pw\n")
            if allow:
                item += "    allow: [" + ", ".join(allow) + "]\n"
            with open(os.path.join(tmp, "targets.yml"), "w") as f:
                f.write(item)
            exporter = Exporter([], f"--targets.file={tmp}/targets.yml", f"--redis.password-file={tmp}/global.pw")
            try:
                wait_for("the sentinel asked", lambda: any(c[0].upper() == "SENTINEL" for c in sentinel.commands))
                assert all(a == ["sentinel-secret"] for a in auths(sentinel)), auths(sentinel)
                if allow:
                    wait_for("the refusal counted", lambda: refused(exporter) >= 1)
                    time.sleep(1.5)
                    assert master.connections == 0
                else:
                    wait_for("the master polled", lambda: exporter.value("redis_up", addr=master.addr) == 1)
                    assert auths(master) and all(a == ["masters-secret"] for a in auths(master)), auths(master)
            finally:
                exporter.stop()
                sentinel.close()
                master.close()


def test_allow_is_checked_when_the_file_is_read():
    with tempfile.TemporaryDirectory() as tmp:
        bad = {"allow: [10.0.0.0/33]": "prefix length", "allow: [/tmp/x]": "not a network", "allow: [a*b]": "neither a network",
               "allow: []": "empty", "allow: 10.0.0.0/8": "expected a list"}
        for text, words in bad.items():
            path = os.path.join(tmp, "t.yml")
            with open(path, "w") as f:
                f.write(f"targets:\n  - addr: 127.0.0.1:7000\n    discover: cluster\n    {text}\n")
            p = subprocess.run([EXPORTER, f"--targets.file={path}", f"--web.listen-address=127.0.0.1:{free_port()}"],
                               capture_output=True, text=True, timeout=10)
            assert p.returncode == 2 and "allow:" in p.stderr and words in p.stderr, (text, p.stderr)
        with open(path, "w") as f:
            f.write("targets:\n  - addr: 127.0.0.1:7000\n    allow: [10.0.0.0/8]\n")
        p = subprocess.run([EXPORTER, f"--targets.file={path}", f"--web.listen-address=127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and "only with discover" in p.stderr, p.stderr


def test_an_oversized_topology_is_reported_as_such():
    """A seed answering CLUSTER NODES with 9 MB: refused with its own words (it was logged
    as "connection lost"); the exporter keeps serving."""
    with tempfile.TemporaryDirectory() as tmp:
        big = b"$%d\r\n%s\r\n" % (9 << 20, b"x" * (9 << 20))
        seed = FakeServer(redis_like(lambda cmd: big if cmd[:2] == ["CLUSTER", "NODES"] else None))
        with open(os.path.join(tmp, "targets.yml"), "w") as f:
            f.write(f"targets:\n  - addr: {seed.addr}\n    discover: cluster\n")
        exporter = Exporter([], f"--targets.file={tmp}/targets.yml")
        try:
            wait_for("the refusal logged", lambda: "reply too large" in exporter.log(), timeout=20)
            assert exporter._get("/healthz") == "ok\n"
        finally:
            exporter.stop()
            seed.close()
