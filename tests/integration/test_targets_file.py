# SPDX-License-Identifier: Apache-2.0
"""--targets.file against real servers: labels on every series, targets added, removed and
relabelled while the others keep their connections, a broken file kept out (and said so
in redis_memory_exporter_config_last_reload_successful), SIGHUP, per-target credentials."""
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import EXPORTER, Exporter, RedisServer, wait_for  # noqa: E402


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def conns(server):
    return server.client.info("stats")["total_connections_received"]


def targets_yaml(items, defaults="  labels: {team: cache}\n"):
    out = "defaults:\n" + defaults + "targets:\n"
    for addr, extra in items:
        out += f"  - addr: {addr}\n" + "".join(f"    {line}\n" for line in extra)
    return out


def series(exporter, name):
    return [(labels, v) for n, labels, v in exporter.metrics() if n == name]


def test_targets_file_lifecycle():
    a, b, c = RedisServer(), RedisServer(), RedisServer()
    d = tempfile.mkdtemp(prefix="rme-targets-")
    path = os.path.join(d, "targets.yml")
    write(path, targets_yaml([(a.addr, ["labels: {env: prod}"]), (b.addr, [])]))
    exporter = Exporter([], f"--targets.file={path}")
    try:
        wait_for("a and b up", lambda: exporter.value("redis_up", addr=a.label) == 1 and
                 exporter.value("redis_up", addr=b.label) == 1)
        up = series(exporter, "redis_up")
        assert len(up) == 2, up   # no localhost:6379 default beside a file
        la = next(l for l, _ in up if l["addr"] == a.label)
        assert la == {"addr": a.label, "team": "cache", "env": "prod"}, la
        used = [l for l, _ in series(exporter, "redis_memory_used_bytes") if l["addr"] == b.label]
        assert used == [{"addr": b.label, "team": "cache"}]
        assert exporter.value("redis_memory_exporter_config_last_reload_successful") == 1
        assert exporter.value("redis_memory_exporter_targets") == 2
        steady = {s.label: conns(s) for s in (a, b)}

        # Add c, relabel a, keep b: nobody reconnects.
        write(path, targets_yaml([(a.addr, ["labels: {env: staging}"]), (b.addr, []), (c.addr, [])]))
        wait_for("c up", lambda: exporter.value("redis_up", addr=c.label) == 1, timeout=10)
        wait_for("a relabelled", lambda: exporter.value("redis_up", addr=a.label, env="staging") == 1)
        assert exporter.value("redis_up", addr=a.label, env="prod") is None
        assert {s.label: conns(s) for s in (a, b)} == steady, "a change elsewhere dropped a connection"

        # Remove b: its series go.
        write(path, targets_yaml([(a.addr, ["labels: {env: staging}"]), (c.addr, [])]))
        wait_for("b gone", lambda: exporter.value("redis_up", addr=b.label) is None, timeout=10)
        wait_for("b's connection closed", lambda: not [x for x in b.client.client_list()
                                                         if x.get("name") == "redis_memory_exporter"])
        assert exporter.value("redis_memory_exporter_targets") == 2

        # A broken file is kept out: the running set stays, the metric and the log say so.
        write(path, "targets:\n  - addr: a:1\n    colour: red\n")
        wait_for("reload refused", lambda: exporter.value("redis_memory_exporter_config_last_reload_successful") == 0,
                 timeout=10)
        assert "targets[0]: unknown key 'colour'" in exporter.log()
        assert exporter.value("redis_up", addr=a.label) == 1 and exporter.value("redis_up", addr=c.label) == 1

        # Fixed, and read on SIGHUP as well.
        write(path, targets_yaml([(a.addr, [])]))
        exporter.proc.send_signal(signal.SIGHUP)
        wait_for("reload accepted", lambda: exporter.value("redis_memory_exporter_config_last_reload_successful") == 1,
                 timeout=10)
        wait_for("c gone", lambda: exporter.value("redis_up", addr=c.label) is None, timeout=10)
        assert exporter.proc.poll() is None
    finally:
        exporter.stop()
        for s in (a, b, c):
            s.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_per_target_user_and_password_file():
    a = RedisServer("--requirepass", "admin-pw")
    a.client.execute_command("ACL", "SETUSER", "watcher", "on", ">watcher-Pa55", "-@all", "+info")
    b = RedisServer("--requirepass", "b-Pa55")
    d = tempfile.mkdtemp(prefix="rme-targets-")
    with open(os.path.join(d, "a.pw"), "w") as f:
        f.write("watcher-Pa55\n")
    with open(os.path.join(d, "b.pw"), "w") as f:
        f.write("b-Pa55\n")
    path = os.path.join(d, "targets.yml")
    write(path, "targets:\n"
                f"  - addr: {a.addr}\n    user: watcher\n    password_file: a.pw\n"
                f"  - addr: {b.addr}\n    password_file: {d}/b.pw\n")
    exporter = Exporter([], f"--targets.file={path}")
    try:
        wait_for("both up", lambda: exporter.value("redis_up", addr=a.label) == 1 and
                 exporter.value("redis_up", addr=b.label) == 1)
        # (watcher may not CLIENT SETNAME: its connection is known by its user.)
        assert [x for x in a.client.client_list() if x.get("user") == "watcher"], a.client.client_list()
        # b's password rotated on the server and in its file: a rejected AUTH re-reads b's
        # own file only (not every target's, nor the shared ones), and b is back.
        b.client.execute_command("CONFIG", "SET", "requirepass", "b-Rotated-Pa55")
        b.client.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        wait_for("b refused", lambda: exporter.value("redis_up", addr=b.label) == 0)
        with open(os.path.join(d, "b.pw"), "w") as f:
            f.write("b-Rotated-Pa55\n")
        wait_for("b back with the new password", lambda: exporter.value("redis_up", addr=b.label) == 1, timeout=15)
        assert exporter.value("redis_up", addr=a.label) == 1
        assert "credentials re-read" not in exporter.log()
        for text in (exporter.text(), exporter.landing(), exporter.log()):
            assert "Pa55" not in text
    finally:
        exporter.stop()
        a.stop()
        b.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_bad_targets_file_at_start_is_an_error():
    import subprocess
    d = tempfile.mkdtemp(prefix="rme-targets-")
    path = os.path.join(d, "targets.yml")
    write(path, "targets:\n  - addr: 127.0.0.1:1\n    labels: {addr: x}\n")
    try:
        p = subprocess.run([EXPORTER, f"--targets.file={path}", "--web.listen-address=127.0.0.1:1"],
                           capture_output=True, text=True, timeout=10)
        # a configuration error like a bad flag (2), and no talk of targets that would stay
        assert p.returncode == 2 and "targets[0]: labels: 'addr'" in p.stderr, p.stderr
        assert "running targets stay" not in p.stderr and "start again" in p.stderr, p.stderr
        p = subprocess.run([EXPORTER, "--targets.file=/nonexistent/t.yml"], capture_output=True, text=True,
                           timeout=10)
        assert p.returncode == 2 and "--targets.file" in p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_broken_reload_shows_on_the_landing_page():
    """A reload that is not used keeps the running targets, and says so where people look."""
    server = RedisServer()
    d = tempfile.mkdtemp(prefix="rme-targets-")
    path = os.path.join(d, "targets.yml")
    write(path, f"targets:\n  - addr: {server.addr}\n")
    exporter = Exporter([], f"--targets.file={path}")
    try:
        wait_for("up", lambda: exporter.value("redis_up", addr=server.label) == 1)
        assert "targets file was not used" not in exporter.landing()
        write(path, "targets:\n  - addr: [\n")
        exporter.proc.send_signal(signal.SIGHUP)
        wait_for("the page says so", lambda: "targets file was not used" in exporter.landing())
        assert exporter.value("redis_memory_exporter_config_last_reload_successful") == 0
        assert exporter.value("redis_up", addr=server.label) == 1
        write(path, f"targets:\n  - addr: {server.addr}\n")
        exporter.proc.send_signal(signal.SIGHUP)
        wait_for("fixed", lambda: "targets file was not used" not in exporter.landing())
    finally:
        exporter.stop()
        server.stop()
        shutil.rmtree(d, ignore_errors=True)
