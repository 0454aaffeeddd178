# SPDX-License-Identifier: Apache-2.0
"""Secrets out of reach of a same-user process (issue 21): the exporter marks itself not
dumpable before it reads a password, so its /proc files belong to root and a process of
its own user can read neither its environment nor its memory; no core file is written."""
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import EXPORTER, RedisServer, free_port, wait_for  # noqa: E402


def as_nobody(*argv, **kw):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]


def test_not_dumpable_as_a_plain_user():
    server = RedisServer("--requirepass", "s3cret-pw")
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        pw = os.path.join(d, "pw")
        with open(pw, "w") as f:
            f.write("s3cret-pw\n")
        os.chmod(pw, 0o644)
        port = free_port()
        proc = subprocess.Popen(as_nobody(EXPORTER, f"--redis.addr={server.addr}", f"--redis.password-file={pw}",
                                          f"--web.listen-address=127.0.0.1:{port}"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def up():
            try:
                return b"redis_up{" in urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
            except OSError:
                return False
        try:
            wait_for("the exporter up", up)
            status = open(f"/proc/{proc.pid}/status").read()
            uid = int([l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1])
            assert uid != 0   # it runs as nobody ...
            for name in ("environ", "mem", "maps", "status"):
                assert os.stat(f"/proc/{proc.pid}/{name}").st_uid == 0, name   # ... and its /proc is root's
            for name in ("environ", "mem"):
                r = subprocess.run(as_nobody("cat", f"/proc/{proc.pid}/{name}"), capture_output=True, timeout=10)
                assert r.returncode != 0 and b"s3cret" not in r.stdout, (name, r.stderr)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            server.stop()
    unit = open(os.path.join(os.path.dirname(EXPORTER), "..", "deploy", "systemd", "redis_memory_exporter.service")).read()
    assert "\nLimitCORE=0\n" in unit
