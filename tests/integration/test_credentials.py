# SPDX-License-Identifier: Apache-2.0
"""Per-target credentials from a password map in redis_exporter's JSON format: three real
servers with three passwords (one an ACL user named only in the map); one password
rotated on the server and in the file is picked up without a restart, while the other
targets never blink; a map that does not parse keeps the previous one; no secret shows."""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, doctor, wait_for  # noqa: E402

PW = {"a": "alpha-S3CRET-1", "b": "bravo-S3CRET-2", "c": "charlie-S3CRET-3", "b2": "bravo-S3CRET-rotated"}
ADMIN = "admin-S3CRET-0"


def write_map(path, entries):
    """Written beside and moved into place, as a secret volume or a config tool does."""
    with open(path + ".new", "w") as f:
        json.dump(entries, f)
    os.replace(path + ".new", path)


def connections(server):
    return server.client.info("stats")["total_connections_received"]


def test_password_map_three_servers_and_a_rotation():
    a = RedisServer("--requirepass", PW["a"])
    b = RedisServer("--requirepass", PW["b"])
    c = RedisServer("--requirepass", ADMIN)   # the default user is the admin's; the exporter has its own
    c.client.execute_command("ACL", "SETUSER", "exporter", "on", ">" + PW["c"], "-@all", "+info",
                             "+client|setname", "+config|get")
    d = tempfile.mkdtemp(prefix="rme-map-")
    path = os.path.join(d, "passwords.json")
    entries = {f"redis://{a.addr}": PW["a"], f"redis://{b.addr}": PW["b"], f"redis://exporter@{c.addr}": PW["c"]}
    write_map(path, entries)
    exporter = Exporter([a.addr, b.addr, c.addr], f"--redis.password-map-file={path}", "--log.level=debug",
                        "--poll.max-backoff=500ms")
    try:
        def up(server):
            return exporter.value("redis_up", addr=server.label)
        wait_for("all three up", lambda: all(up(s) == 1 for s in (a, b, c)))
        assert "targets_matched=3" in exporter.log()
        steady = {s.label: connections(s) for s in (a, c)}

        # Rotate b: the server first (open connections stay), then the connection drops
        # (a restart, a failover); AUTH fails until the file has the new password.
        b.client.config_set("requirepass", PW["b2"])
        b.client = type(b.client)(host="127.0.0.1", port=b.port, password=PW["b2"])
        for cl in b.client.client_list():
            if cl.get("name") == "redis_memory_exporter":
                b.client.client_kill_filter(_id=cl["id"])
        wait_for("b refused", lambda: (exporter.value("redis_memory_exporter_poll_errors_total", addr=b.label,
                                                      reason="auth") or 0) >= 1)
        seen_down = []
        write_map(path, {**entries, f"redis://{b.addr}": PW["b2"]})   # no signal: the failure re-reads
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and up(b) != 1:
            seen_down += [s.label for s in (a, c) if up(s) != 1]
            time.sleep(0.05)
        assert up(b) == 1, exporter.log()[-2000:]
        for _ in range(10):   # and a little longer
            seen_down += [s.label for s in (a, c) if up(s) != 1]
            time.sleep(0.05)
        assert not seen_down, f"targets that were not rotated blinked: {seen_down}"
        assert {s.label: connections(s) for s in (a, c)} == steady, "healthy connections were dropped"
        assert exporter.proc.poll() is None

        # A map that does not parse: the previous one stays, the error is logged without values.
        with open(path, "w") as f:
            f.write('{"redis://%s": "%s",' % (a.addr, PW["a"]))
        exporter.proc.send_signal(signal.SIGHUP)
        wait_for("the failed reload logged", lambda: "password map not read" in exporter.log())
        time.sleep(0.5)
        assert all(up(s) == 1 for s in (a, b, c))

        outputs = [("/metrics", exporter.text()), ("/", exporter.landing()), ("log", exporter.log())]
        for name in ("cmdline", "environ"):
            with open(f"/proc/{exporter.proc.pid}/{name}", "rb") as f:
                outputs.append((name, f.read().decode(errors="replace")))
        for where, text in outputs:
            for secret in (*PW.values(), ADMIN):
                assert secret not in text, f"a password leaked into {where}"
    finally:
        exporter.stop()
        for s in (a, b, c):
            s.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_doctor_reads_the_map_and_wins_over_the_one_password():
    server = RedisServer("--requirepass", PW["a"])
    d = tempfile.mkdtemp(prefix="rme-map-")
    path = os.path.join(d, "passwords.json")
    write_map(path, {f"redis://{server.addr}": PW["a"], "redis://127.0.0.1:1": "unused"})
    try:
        os.environ["REDIS_PASSWORD"] = "wrong-one"
        status, out = doctor(server.addr, f"--redis.password-map-file={path}")
        assert status in (0, 1, 2), out
        assert "Redis 7" in out and PW["a"] not in out
        status, out = doctor(server.addr, "--output=json")   # the one password alone is wrong
        assert status == 3 and "auth" in out and "wrong-one" not in out, out
    finally:
        del os.environ["REDIS_PASSWORD"]
        server.stop()
        shutil.rmtree(d, ignore_errors=True)
