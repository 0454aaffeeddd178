# SPDX-License-Identifier: Apache-2.0
"""Errors that say what to do, and a password given after start that is used whole
(issue 24, items 1 and 3), against real redis-servers on loopback."""
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import certs  # noqa: E402
from harness import EXPORTER, Exporter, RedisServer, wait_for  # noqa: E402

SECRET = "oncall-S3cret-pw"


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def test_password_given_after_start_is_used_whole():
    """Started with an empty password file against a Redis that needs one: NOAUTH, with a
    hint. Given the password and SIGHUP: up, and the CONFIG and MEMORY STATS series
    come too (the NOAUTH replies were once remembered as refusals)."""
    server = RedisServer("--requirepass", SECRET, "--maxmemory", "64mb")
    d = tempfile.mkdtemp(prefix="rme-late-pw-")
    pwfile = os.path.join(d, "pw")
    write(pwfile, "")
    exporter = Exporter(server.addr, f"--redis.password-file={pwfile}", "--poll.max-backoff=300ms", interval="200ms")
    try:
        wait_for("NOAUTH seen", lambda: (exporter.value("redis_memory_exporter_poll_errors_total", reason="auth")
                                         or 0) >= 1)
        assert "this Redis needs a password" in exporter.landing()
        assert "--redis.password-file" in exporter.log()
        write(pwfile, SECRET + "\n")
        exporter.proc.send_signal(signal.SIGHUP)
        wait_for("up", lambda: exporter.value("redis_up") == 1)
        wait_for("CONFIG GET answered", lambda: exporter.value("redis_config_maxmemory") == 64 * 1048576)
        wait_for("MEMORY STATS answered", lambda: exporter.value("redis_memory_stats_dataset_ratio") is not None)
        assert exporter.value("redis_active_defrag_enabled") is not None
        assert "asked once only" not in exporter.log()
    finally:
        exporter.stop()
        server.stop()


def test_acl_user_without_info_is_noperm_with_the_grant():
    """An ACL user that may not run INFO is authenticated: not an auth failure, and the
    error names the ACL rule to add."""
    server = RedisServer("--requirepass", "admin-pw")
    server.client.execute_command("ACL", "SETUSER", "watcher", "on", ">" + SECRET, "-@all", "+client|setname")
    exporter = Exporter(f"redis://watcher@{server.addr}", env={"REDIS_PASSWORD": SECRET}, interval="200ms")
    try:
        wait_for("noperm counted", lambda: (exporter.value("redis_memory_exporter_poll_errors_total",
                                                           reason="noperm") or 0) >= 1)
        assert (exporter.value("redis_memory_exporter_poll_errors_total", reason="auth") or 0) == 0
        assert "ACL SETUSER &lt;user&gt; +info" in exporter.landing()
        # the grant, as the page prints it: the target comes up
        server.client.execute_command("ACL", "SETUSER", "watcher", "+info", "+config|get", "+memory|stats")
        wait_for("up after the grant", lambda: exporter.value("redis_up") == 1)
    finally:
        exporter.stop()
        server.stop()


def test_plain_client_on_a_tls_port_is_told_to_use_rediss():
    d = tempfile.mkdtemp(prefix="rme-tlsport-")
    ca = certs.make_ca(d, "ca")
    key, crt = certs.make_cert(d, "server", ca)
    server = RedisServer(tls={"cert": crt, "key": key, "ca": ca[1]})
    exporter = Exporter(f"redis://{server.label}", interval="300ms")   # redis://, not rediss://
    try:
        wait_for("the hint", lambda: "use rediss://" in exporter.landing())
        assert exporter.value("redis_up") == 0
    finally:
        exporter.stop()
        server.stop()


def test_password_file_holding_a_json_map_is_refused_with_the_right_flag():
    """redis_exporter's --redis.password-file is a JSON map; ours is one password. Sent
    as a password it could only ever be refused: the start says which flag takes it."""
    d = tempfile.mkdtemp(prefix="rme-jsonpw-")
    path = os.path.join(d, "passwords.json")
    with open(path, "w") as f:
        json.dump({"redis://127.0.0.1:6379": "pw"}, f, indent=2)
    run = subprocess.run([EXPORTER, f"--redis.password-file={path}"], capture_output=True, text=True, timeout=10)
    assert run.returncode == 2, run
    assert "--redis.password-map-file" in run.stderr and "--redis.password-file" in run.stderr
    assert "\"pw\"" not in run.stderr


def test_no_tls_hint_on_a_unix_socket():
    """A unix socket is never TLS: a server that closes it before any reply is not told
    to use rediss://."""
    import socket
    import threading
    d = tempfile.mkdtemp(prefix="rme-unix-")
    path = os.path.join(d, "closing.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(16)
    stop = threading.Event()

    def close_each():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conn.close()
            except OSError:
                pass
    t = threading.Thread(target=close_each, daemon=True)
    t.start()
    exporter = Exporter(f"unix://{path}", interval="300ms")
    try:
        wait_for("the close seen", lambda: "closed" in exporter.landing() or "protocol" in exporter.landing())
        assert "rediss://" not in exporter.landing()
    finally:
        exporter.stop()
        stop.set()
        t.join()
        srv.close()


def test_noauth_hint_for_a_target_whose_password_file_is_empty():
    """An empty password_file in the targets file means no AUTH: the NOAUTH reply then
    says how to give a password (an empty string once counted as "a password given")."""
    server = RedisServer("--requirepass", SECRET)
    d = tempfile.mkdtemp(prefix="rme-empty-pw-")
    write(os.path.join(d, "pw"), "")
    write(os.path.join(d, "targets.yml"), f"targets:\n  - addr: {server.addr}\n    password_file: pw\n")
    exporter = Exporter([], f"--targets.file={d}/targets.yml", interval="300ms")
    try:
        wait_for("the hint", lambda: "this Redis needs a password" in exporter.landing())
    finally:
        exporter.stop()
        server.stop()


def test_sampler_refused_by_an_acl_names_the_grant_not_the_flag():
    """The sampler on, an ACL without SCAN: the page once said to start the exporter with
    --sampler.keys-per-second=100, which it was. It now says what Redis refused and the
    grant; followed as printed (and the exporter restarted), keys are sampled."""
    server = RedisServer("--requirepass", "admin-pw")
    server.client.execute_command("ACL", "SETUSER", "watcher", "on", ">" + SECRET, "-@all", "+info", "+config|get",
                                  "+memory|stats", "+client|setname", "+select")
    server.client.set("a", "x" * 1000)
    addr, env = f"redis://watcher@{server.addr}", {"REDIS_PASSWORD": SECRET}
    exporter = Exporter(addr, "--sampler.keys-per-second=100", env=env)
    try:
        wait_for("the refusal", lambda: "large-key check was switched off" in exporter.landing())
        page = exporter.landing()
        assert "NOPERM" in page and "--sampler.keys-per-second=100" not in page
        grant = page.split('+select +scan')[0].rsplit('<code class="cmd">', 1)[1] + "+select +scan" + \
            page.split('+select +scan', 1)[1].split("</code>", 1)[0]
        assert grant == "+select +scan +type +pttl +memory|usage %R~*", grant
    finally:
        exporter.stop()
    server.client.execute_command("ACL", "SETUSER", "watcher", *grant.split())
    exporter = Exporter(addr, "--sampler.keys-per-second=100", env=env)
    try:
        wait_for("a key sampled", lambda: exporter.value("redis_key_sample_largest_bytes") is not None)
        assert "switched off" not in exporter.landing()
    finally:
        exporter.stop()
        server.stop()
