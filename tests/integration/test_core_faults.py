# SPDX-License-Identifier: Apache-2.0
"""Bad input loses nothing: wrong flags, passwords, unreachable, garbage, silent, huge,
closing and old servers. The exporter never crashes or stalls, answers /metrics quickly,
keeps memory bounded and never shows a secret."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import fakes  # noqa: E402
from harness import EXPORTER, Exporter, RedisServer, free_port, refused_port, wait_for  # noqa: E402

SECRET = "s3cr3t-Pa55word"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "info")


def assert_no_secret(exporter, extra=()):
    for where, text in [("/metrics", exporter.text()), ("/", exporter.landing()), ("log", exporter.log()), *extra]:
        assert SECRET not in text, f"the password leaked into {where}"


@pytest.mark.parametrize("how", ["env", "file"])
def test_password_from_env_or_file(how):
    server = RedisServer("--requirepass", SECRET)
    env, flags = {}, []
    pwfile = None
    if how == "env":
        env = {"REDIS_PASSWORD": SECRET}
    else:
        pwfile = tempfile.NamedTemporaryFile("w", delete=False)
        pwfile.write(SECRET + "\n")
        pwfile.close()
        flags = [f"--redis.password-file={pwfile.name}"]
    exporter = Exporter(server.addr, *flags, "--log.level=debug", env=env)
    try:
        wait_for("redis_up 1 with the password", lambda: exporter.value("redis_up") == 1)
        assert_no_secret(exporter)
    finally:
        exporter.stop()
        server.stop()
        if pwfile:
            os.unlink(pwfile.name)


def test_wrong_password():
    server = RedisServer("--requirepass", "the-right-one")
    exporter = Exporter(server.addr, "--log.level=debug", env={"REDIS_PASSWORD": SECRET})
    try:
        wait_for("auth errors counted",
                 lambda: (exporter.value("redis_memory_exporter_poll_errors_total", reason="auth") or 0) >= 2)
        assert exporter.value("redis_up") == 0
        assert "reason=auth" in exporter.log()
        # Each change of state is logged once: two or more failed polls, one warning.
        assert exporter.log().count('msg="poll failed"') == 1, exporter.log()
        assert_no_secret(exporter)
    finally:
        exporter.stop()
        server.stop()


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_sighup_rereads_the_password_and_keeps_connections():
    server = RedisServer("--requirepass", "first-" + SECRET)
    pwfile = tempfile.NamedTemporaryFile("w", delete=False)
    pwfile.close()
    write_file(pwfile.name, "first-" + SECRET + "\n")
    exporter = Exporter(server.addr, f"--redis.password-file={pwfile.name}")
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        # Rotate: the server first (its open connections stay authenticated), then the file.
        server.client.config_set("requirepass", "second-" + SECRET)
        server.client = redis.Redis(host="127.0.0.1", port=server.port, password="second-" + SECRET)
        before = server.client.info("stats")["total_connections_received"]
        write_file(pwfile.name, "second-" + SECRET + "\n")
        exporter.proc.send_signal(signal.SIGHUP)
        wait_for("the reload logged", lambda: "reload: credentials re-read" in exporter.log())
        assert "targets_changed=1" in exporter.log()
        time.sleep(1)
        assert exporter.proc.poll() is None, "SIGHUP must not stop the exporter"
        assert exporter.value("redis_up") == 1
        # No reconnect for the reload (this test's client was already connected for `before`).
        assert server.client.info("stats")["total_connections_received"] == before
        # When the connection does drop, the new password is used at once.
        for c in server.client.client_list():
            if c.get("name") == "redis_memory_exporter":
                server.client.client_kill_filter(_id=c["id"])
        wait_for("a new connection", lambda: server.client.info("stats")["total_connections_received"] > before)
        wait_for("redis_up 1 again", lambda: exporter.value("redis_up") == 1)
        assert (exporter.value("redis_memory_exporter_poll_errors_total", reason="auth") or 0) == 0
        assert_no_secret(exporter)
        assert "second-" + SECRET not in exporter.log()
    finally:
        exporter.stop()
        server.stop()
        os.unlink(pwfile.name)


def test_rotated_password_file_is_read_again_after_auth_fails():
    server = RedisServer("--requirepass", "new-" + SECRET)
    pwfile = tempfile.NamedTemporaryFile("w", delete=False)
    pwfile.close()
    write_file(pwfile.name, "old-" + SECRET + "\n")
    exporter = Exporter(server.addr, f"--redis.password-file={pwfile.name}", interval="300ms")
    try:
        wait_for("auth errors", lambda: (exporter.value("redis_memory_exporter_poll_errors_total", reason="auth") or 0) >= 1)
        write_file(pwfile.name, "new-" + SECRET + "\n")     # no signal: the failure itself re-reads
        wait_for("redis_up 1 with the rotated password", lambda: exporter.value("redis_up") == 1, timeout=30)
        assert_no_secret(exporter)
    finally:
        exporter.stop()
        server.stop()
        os.unlink(pwfile.name)


def test_password_gone_from_the_process_environment():
    server = RedisServer("--requirepass", SECRET)
    exporter = Exporter(server.addr, env={"REDIS_PASSWORD": SECRET})
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        for name in ("environ", "cmdline"):
            with open(f"/proc/{exporter.proc.pid}/{name}", "rb") as f:
                assert SECRET.encode() not in f.read(), f"the password is in /proc/PID/{name}"
    finally:
        exporter.stop()
        server.stop()


FAULTS = [
    ("garbage", fakes.garbage, "protocol"),
    ("silent", fakes.silent, "timeout"),
    ("huge_info", fakes.huge_info, "too_large"),
    ("close_at_once", fakes.close_at_once, "closed"),
    ("huge_array", fakes.huge_array, "too_large"),
    ("endless_bulk", fakes.endless_bulk, "timeout"),
]


@pytest.mark.parametrize("name,behaviour,reason", FAULTS, ids=[f[0] for f in FAULTS])
def test_misbehaving_server(name, behaviour, reason):
    fake = fakes.FakeServer(behaviour)
    exporter = Exporter(fake.addr, "--poll.timeout=300ms", interval="400ms")
    try:
        wait_for(f"poll errors with reason {reason}",
                 lambda: (exporter.value("redis_memory_exporter_poll_errors_total", reason=reason) or 0) >= 2)
        assert exporter.value("redis_up") == 0
        assert f"reason={reason}" in exporter.log()
        # Scrapes are answered from the last snapshot while the server misbehaves (how
        # fast is a benchmark figure: tests/bench, "Redis paused").
        for _ in range(20):
            status, _, body = exporter.request("/metrics")
            assert status == 200
            assert b'redis_up{addr="' + fake.addr.encode() + b'"} 0' in body
        assert exporter.rss_kib() < 50 * 1024, "memory grew with the bad server"
        assert exporter.proc.poll() is None
    finally:
        exporter.stop()
        fake.close()


def test_lying_server_never_delays_a_healthy_one():
    """13 bytes announcing a billion elements: refused before anything is allocated, while
    a real Redis beside it keeps being polled every interval."""
    server = RedisServer()
    fake = fakes.FakeServer(fakes.huge_array)
    exporter = Exporter([server.addr, fake.addr], "--poll.timeout=500ms", interval="250ms")
    try:
        wait_for("the lie refused several times",
                 lambda: (exporter.value("redis_memory_exporter_poll_errors_total", addr=fake.addr,
                                         reason="too_large") or 0) >= 3)
        assert "more than 262144 elements" in exporter.log()
        seen = set()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert exporter.value("redis_up", addr=server.addr) == 1
            seen.add(exporter.value("redis_memory_exporter_last_poll_success_timestamp_seconds", addr=server.addr))
            time.sleep(0.05)
        # 3 s at 250 ms is 12 polls; every one of them must have happened (allow for the edges).
        assert len(seen) >= 10, sorted(seen)
        assert exporter.value("redis_up", addr=fake.addr) == 0
        assert exporter.rss_kib() < 50 * 1024, "memory grew with the lying server"
    finally:
        exporter.stop()   # SIGTERM: exits 0 within 10 s, no sanitizer report
        fake.close()
        server.stop()


def test_unreachable_port():
    held, port = refused_port()
    exporter = Exporter(f"127.0.0.1:{port}")
    try:
        wait_for("connect errors",
                 lambda: (exporter.value("redis_memory_exporter_poll_errors_total", reason="connect") or 0) >= 1)
        assert exporter.value("redis_up") == 0
    finally:
        exporter.stop()
        held.close()


def _self_connect_inside_namespace():
    """Runs in a network namespace of its own (see the test below): only the loopback, and
    a one-port ephemeral range, so that connecting to that port while nothing listens makes
    the kernel pick it as the source port too: the socket connects to itself."""
    import fcntl
    import struct
    with socket.socket() as s:   # bring lo up: SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, 0x8913, req))[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", flags | 1))
    listen, port = free_port(), free_port()
    range_file = "/proc/sys/net/ipv4/ip_local_port_range"
    with open(range_file) as f:
        usual_range = f.read()
    with open(range_file, "w") as f:
        f.write(f"{port} {port}")
    with socket.socket() as probe:   # the namespace does what this test is about
        probe.connect(("127.0.0.1", port))
        assert probe.getsockname() == probe.getpeername()
        # closed with a reset: no TIME_WAIT to keep the port from the exporter
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The test's own requests come from ports of their own, outside the one-port range
    # (nothing else in the namespace uses them).
    client_ports = iter(range(20000, 30000))

    def refused_not_misread(exporter, wrong):
        wait_for("connect errors", lambda: (exporter.value("redis_memory_exporter_poll_errors_total",
                                                           reason="connect") or 0) >= 2)
        assert exporter.value("redis_memory_exporter_poll_errors_total", reason=wrong) == 0, exporter.log()
        assert "connected to itself" in exporter.log(), exporter.log()

    # Over TLS the handshake meets its own ClientHello: a refused connect too, not a TLS error.
    exporter = Exporter(f"rediss://127.0.0.1:{port}", port=listen, client_ports=client_ports)
    try:
        refused_not_misread(exporter, "tls")
    finally:
        exporter.stop()
    exporter = Exporter(f"127.0.0.1:{port}", port=listen, client_ports=client_ports)
    server = None
    try:
        # A self-connection is a refused connect, not a server that speaks bad RESP.
        refused_not_misread(exporter, "protocol")
        # And the port is not kept: the Redis that belongs there starts and is polled
        # (with the usual range back, or no client could connect to it).
        with open(range_file, "w") as f:
            f.write(usual_range)
        server = RedisServer(port=port)
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
    finally:
        exporter.stop()
        if server:
            server.stop()


def test_self_connection_is_a_refused_connect():
    if os.geteuid() != 0:
        pytest.skip("needs root for a network namespace of its own (unshare --net)")
    here = os.path.dirname(os.path.abspath(__file__))
    code = (f"import sys; sys.path.insert(0, {here!r}); "
            "import test_core_faults as t; t._self_connect_inside_namespace()")
    r = subprocess.run(["unshare", "--net", "/usr/bin/python3", "-c", code],
                       capture_output=True, text=True, timeout=60, env=os.environ)
    assert r.returncode == 0, r.stdout + r.stderr


def read_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", errors="replace") as f:
        return f.read()


def test_old_server_gets_pipelined_single_section_info():
    fake = fakes.FakeServer(fakes.old_redis(read_fixture("redis-6.0.9.txt")))
    exporter = Exporter(fake.addr)
    try:
        wait_for("redis_up 1 from a 6.0 server", lambda: exporter.value("redis_up") == 1)
        time.sleep(0.6)
        infos = [c for c in fake.commands if c[0].upper() == "INFO"]
        assert infos and all(len(c) == 2 for c in infos), "Redis 6 must get one section per INFO"
        assert fake.connections == 1
        assert exporter.value("redis_memory_used_bytes") is not None
        assert exporter.value("redis_errors_total", err="OOM") is None   # 6.0 has no errorstats
    finally:
        exporter.stop()
        fake.close()


def test_seven_that_refuses_multi_section_falls_back_once():
    fake = fakes.FakeServer(fakes.old_redis(read_fixture("redis-7.0.13-standalone.txt")))
    exporter = Exporter(fake.addr)
    try:
        wait_for("up after the fallback", lambda: exporter.value("redis_up") == 1 and len(fake.commands) > 30)
        multi = [c for c in fake.commands if c[0].upper() == "INFO" and len(c) > 2]
        assert len(multi) == 1, "a refused command is never sent again"
    finally:
        exporter.stop()
        fake.close()


BAD_FLAGS = [
    (["--bogus"], "--bogus"),
    (["--poll.interval=soon"], "--poll.interval"),
    (["--poll.timeout", "-1s"], "--poll.timeout"),
    (["--redis.addr=redis+tls://h:1"], "--redis.addr"),
    (["--tls.ca-file=/nonexistent/ca.pem"], "--tls.ca-file"),
    (["--tls.min-version=1.0"], "--tls.min-version"),
    (["--redis.password-map-file=/nonexistent/map.json"], "--redis.password-map-file"),
    (["--redis.addr=host:99999"], "--redis.addr"),
    (["--web.listen-address=nonsense"], "--web.listen-address"),
    (["--log.level=loud"], "--log.level"),
    ([f"--redis.password={SECRET}"], "--redis.password"),
    ([f"--redis.addr=redis://user:{SECRET}@127.0.0.1:6379"], "--redis.addr"),
    (["--redis.password-file=/nonexistent/pw"], "--redis.password-file"),
    (["--sampler.top-n=0"], "--sampler.top-n"),
    (["--poll.interval=nan"], "--poll.interval"),
    (["--poll.interval=inf"], "--poll.interval"),
    (["--diagnose.large-key-bytes=nan"], "--diagnose.large-key-bytes"),
    (["--diagnose.memory-warning=-1"], "--diagnose.memory-warning"),
    (["--web.max-connections=99999999999999999999999"], "--web.max-connections"),
    (["--sampler.keys-per-second=1e400"], "--sampler.keys-per-second"),
    (["--web.config.file=/nonexistent/web.yml"], "--web.config.file"),
]


@pytest.mark.parametrize("args,flag", BAD_FLAGS, ids=[f[1] + str(i) for i, f in enumerate(BAD_FLAGS)])
def test_bad_flag_names_it_and_exits_2(args, flag):
    p = subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], p.stderr
    assert SECRET not in p.stderr + p.stdout


def test_help_and_version():
    h = subprocess.run([EXPORTER, "--help"], capture_output=True, text=True, timeout=10)
    assert h.returncode == 0 and "--redis.addr" in h.stdout and "--poll.interval" in h.stdout
    v = subprocess.run([EXPORTER, "--version"], capture_output=True, text=True, timeout=10)
    assert v.returncode == 0 and v.stdout.startswith("redis_memory_exporter ")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(sig):
    server = RedisServer()
    exporter = Exporter(server.addr)
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        exporter.proc.send_signal(sig)
        assert exporter.proc.wait(timeout=5) == 0   # how fast: tests/bench (SIGTERM to exit)
        assert "shutting down" in exporter.log()
    finally:
        if exporter.proc.poll() is None:
            exporter.stop()
        server.stop()


def test_second_exporter_on_the_same_address_is_refused():
    server = RedisServer()
    first = Exporter(server.addr)
    try:
        p = subprocess.run([EXPORTER, f"--redis.addr={server.addr}", f"--web.listen-address=127.0.0.1:{first.port}"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode != 0 and "cannot listen" in p.stderr, p
        assert "address in use" in p.stderr
        # The first one still answers every scrape itself.
        for _ in range(10):
            assert first.value("redis_up") == 1
    finally:
        first.stop()
        server.stop()


def test_port_in_use_is_a_clear_error():
    server = RedisServer()
    try:
        p = subprocess.run([EXPORTER, f"--redis.addr={server.addr}", f"--web.listen-address=127.0.0.1:{server.port}"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode != 0 and "cannot listen" in p.stderr
    finally:
        server.stop()
