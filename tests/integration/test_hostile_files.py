# SPDX-License-Identifier: Apache-2.0
"""Files that cannot stall the exporter (issue 21): a 100 KB YAML depth bomb, a FIFO and a
file rewritten in place, as the targets file and as the web config, while a real
redis-server is polled every 500 ms. Its polls never stop, /healthz stays ok, scrapes are
answered, SIGTERM works, and a refused file is read again only when it changes."""
import os
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import EXPORTER, Exporter, RedisServer, free_port, wait_for  # noqa: E402

BOMB = "targets: " + "[" * 50000 + "]" * 50000 + "\n"   # 100 KB, 50,000 levels


def swap_in(path, make):
    """Replaces path by what make(tmp_path) creates, with one rename (as deploy tools do)."""
    tmp = path + ".new"
    make(tmp)
    os.replace(tmp, path)


def write(text):
    def make(p):
        with open(p, "w") as f:
            f.write(text)
    return make


def polls_go_on(exporter, server, seconds):
    """The target's last successful poll keeps moving for `seconds`, and /healthz says ok."""
    name = "redis_memory_exporter_last_poll_success_timestamp_seconds"
    last = exporter.value(name, addr=server.label)
    deadline = time.monotonic() + seconds
    seen = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        assert exporter._get("/healthz") == "ok\n"
        now = exporter.value(name, addr=server.label)
        if now and last and now > last:
            seen += 1
        last = now
    assert seen >= seconds, f"polls advanced {seen} times in {seconds} s"


def test_targets_file_bomb_and_fifo_do_not_stop_polling():
    server = RedisServer()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "targets.yml")
        write(f"targets:\n  - addr: {server.addr}\n")(path)
        exporter = Exporter([], f"--targets.file={path}", interval="500ms")
        try:
            wait_for("the target polled", lambda: exporter.value("redis_up", addr=server.label) == 1)
            swap_in(path, write(BOMB))
            wait_for("the bomb refused", lambda: "nested deeper than" in exporter.log(), timeout=10)
            polls_go_on(exporter, server, 6)
            assert exporter.value("redis_memory_exporter_config_last_reload_successful") == 0
            # refused once, not at every 2 s check
            assert exporter.log().count("nested deeper than") == 1
            swap_in(path, os.mkfifo)
            wait_for("the FIFO refused", lambda: "not a regular file" in exporter.log(), timeout=10)
            polls_go_on(exporter, server, 6)
            assert exporter.log().count("not a regular file") == 1
            swap_in(path, write(f"targets:\n  - addr: {server.addr}\n    labels: {{team: back}}\n"))
            wait_for("a good file applied again",
                     lambda: exporter.value("redis_memory_exporter_config_last_reload_successful") == 1, timeout=10)
        finally:
            exporter.stop()   # SIGTERM works: exits 0 within 10 s
            server.stop()


def test_a_bomb_at_start_is_refused_at_once():
    import subprocess
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "targets.yml")
        write(BOMB)(path)
        t0 = time.monotonic()
        p = subprocess.run([EXPORTER, f"--targets.file={path}", f"--web.listen-address=127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and "nested deeper than 32 levels" in p.stderr, p.stderr
        assert time.monotonic() - t0 < 5
        os.unlink(path)
        os.mkfifo(path)
        p = subprocess.run([EXPORTER, f"--targets.file={path}", f"--web.listen-address=127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and "--targets.file" in p.stderr and "not a regular file" in p.stderr, p.stderr


def test_web_config_bomb_and_fifo_keep_serving():
    server = RedisServer()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "web.yml")
        write("http_server_config:\n  headers:\n    X-Frame-Options: deny\n")(path)
        exporter = Exporter(server.addr, f"--web.config.file={path}", interval="500ms")
        try:
            wait_for("the target polled", lambda: exporter.value("redis_up", addr=server.label) == 1)
            swap_in(path, write("http_server_config: " + "[" * 50000 + "]" * 50000 + "\n"))
            wait_for("the bomb refused", lambda: "nested deeper than" in exporter.log(), timeout=10)
            polls_go_on(exporter, server, 4)
            status, headers, _ = exporter.request("/metrics")
            assert status == 200 and headers.get("X-Frame-Options") == "deny"   # the running settings stay
            swap_in(path, os.mkfifo)
            wait_for("the FIFO refused", lambda: "not a regular file" in exporter.log(), timeout=10)
            polls_go_on(exporter, server, 4)
            assert exporter.request("/metrics")[0] == 200
        finally:
            exporter.stop()
            server.stop()


def test_a_file_rewritten_in_place_is_never_applied_half_written():
    """A writer rewrites the 60-target file in place (truncate, then three writes with
    pauses): the exporter reads it only once it has settled, so the running set never
    loses a target (before: 4 reads of 17 dropped 50 targets and added them back)."""
    server = RedisServer()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "targets.yml")
        items = [f"  - addr: redis://{server.addr}/{i}\n" for i in range(60)]
        text = "targets:\n" + "".join(items)
        write(text)(path)
        exporter = Exporter([], f"--targets.file={path}", interval="500ms")
        stop = threading.Event()

        def rewrite():
            n = 0
            while not stop.is_set():
                with open(path, "r+") as f:
                    f.truncate(0)
                    for k in range(3):
                        f.write(text[k * len(text) // 3:(k + 1) * len(text) // 3])
                        f.flush()
                        time.sleep(0.05)
                n += 1
                time.sleep(0.9 + 0.6 * (n % 3))
        try:
            wait_for("60 targets", lambda: exporter.value("redis_memory_exporter_targets") == 60)
            writer = threading.Thread(target=rewrite, daemon=True)
            writer.start()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                assert exporter.value("redis_memory_exporter_targets") == 60
                time.sleep(0.1)
            stop.set()
            writer.join()
        finally:
            stop.set()
            exporter.stop()
            server.stop()
