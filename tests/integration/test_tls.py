# SPDX-License-Identifier: Apache-2.0
"""TLS to Redis against a real TLS-only redis-server with certificates made here by
openssl: verified, mutual, refused for each reason with a log line that says why,
certificates rotated on disk and picked up without a restart, the doctor over TLS, and
no secret anywhere."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import certs  # noqa: E402
from harness import EXPORTER, Exporter, RedisServer, doctor, free_port, wait_for  # noqa: E402

SECRET = "tls-s3cr3t-Pa55word"


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="rme-tls-")
    ca = certs.make_ca(d, "ca")
    other_ca = certs.make_ca(d, "other-ca")
    p = {
        "dir": d, "ca": ca, "other_ca": other_ca,
        "server": certs.make_cert(d, "server", ca),
        "client": certs.make_cert(d, "client", ca, server=False),
        "stranger": certs.make_cert(d, "stranger", other_ca, server=False),
        "expired": certs.make_expired_cert(d, "expired", ca),
    }
    yield p
    shutil.rmtree(d, ignore_errors=True)


def tls_server(pki, *args, server="server", mutual=False):
    key, crt = pki[server]
    tls = {"cert": crt, "key": key, "ca": pki["ca"][1], "unverified": server == "expired"}
    if mutual:
        tls["client"] = pki["client"]
    return RedisServer(*args, tls=tls)


def tls_errors(exporter):
    return exporter.value("redis_memory_exporter_poll_errors_total", reason="tls") or 0


def test_verified_tls_reads_memory(pki):
    server = tls_server(pki)
    exporter = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}")
    try:
        wait_for("redis_up 1 over TLS", lambda: exporter.value("redis_up") == 1)
        assert exporter.value("redis_memory_used_bytes", addr=server.label) > 0
        assert tls_errors(exporter) == 0
    finally:
        exporter.stop()
        server.stop()


def test_mutual_tls(pki):
    server = tls_server(pki, mutual=True)
    key, crt = pki["client"]
    good = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}", f"--tls.cert-file={crt}", f"--tls.key-file={key}")
    bare = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}")
    skey, scrt = pki["stranger"]
    stranger = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}", f"--tls.cert-file={scrt}",
                        f"--tls.key-file={skey}")
    try:
        wait_for("redis_up 1 with a client certificate", lambda: good.value("redis_up") == 1)
        wait_for("tls errors without one", lambda: tls_errors(bare) >= 1)
        wait_for("tls errors with a stranger's", lambda: tls_errors(stranger) >= 1)
        assert bare.value("redis_up") == 0 and stranger.value("redis_up") == 0
        assert "requires a client certificate" in bare.log() or "require a client certificate" in bare.log(), bare.log()
        assert ("rejected the client certificate" in stranger.log() or
                "closed the connection right after the TLS handshake" in stranger.log()), stranger.log()
    finally:
        for e in (good, bare, stranger):
            e.stop()
        server.stop()


@pytest.mark.parametrize("case,words", [
    ("wrong_ca", "unknown CA"),
    ("wrong_name", "name mismatch"),
    ("expired", "expired"),
    ("plain_port", "is it a TLS port?"),
])
def test_refused_with_a_reason(pki, case, words):
    flags = [f"--tls.ca-file={pki['ca'][1]}"]
    if case == "plain_port":
        server = RedisServer()
        addr = "rediss://" + server.addr
        reason = "timeout"   # a plain Redis waits for a line the TLS hello never ends
    else:
        server = tls_server(pki, server="expired" if case == "expired" else "server")
        addr = server.addr
        reason = "tls"
        if case == "wrong_ca":
            flags = [f"--tls.ca-file={pki['other_ca'][1]}"]
        if case == "wrong_name":
            flags.append("--tls.server-name=redis.example.com")
    exporter = Exporter(addr, *flags)
    try:
        wait_for(f"{reason} errors", lambda: (exporter.value("redis_memory_exporter_poll_errors_total",
                                                             reason=reason) or 0) >= 1)
        assert exporter.value("redis_up") == 0
        log = exporter.log()
        assert f"reason={reason}" in log and words in log, log
        assert f"{reason}: " in exporter.landing() and words in exporter.landing()   # the page says why too
    finally:
        exporter.stop()
        server.stop()


def test_system_store_is_the_default(pki):
    """Without --tls.ca-file the system's CA store verifies: OpenSSL reads it from
    SSL_CERT_FILE when set, so the test's CA stands in for the system's."""
    server = tls_server(pki)
    trusted = Exporter(server.addr, env={"SSL_CERT_FILE": pki["ca"][1]})
    untrusted = Exporter(server.addr, env={"SSL_CERT_FILE": pki["other_ca"][1]})
    try:
        wait_for("redis_up 1 through the system store", lambda: trusted.value("redis_up") == 1)
        wait_for("unknown CA without it", lambda: "unknown CA" in untrusted.log())
    finally:
        trusted.stop()
        untrusted.stop()
        server.stop()


def test_min_version_above_the_server(pki):
    server = tls_server(pki, "--tls-protocols", "TLSv1.2")
    exporter = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}", "--tls.min-version=1.3")
    relaxed = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}")
    try:
        wait_for("no version in common", lambda: "no TLS version in common" in exporter.log())
        assert exporter.value("redis_up") == 0
        wait_for("TLS 1.2 accepted by default", lambda: relaxed.value("redis_up") == 1)
    finally:
        exporter.stop()
        relaxed.stop()
        server.stop()


def test_insecure_skip_verify_connects_and_warns(pki):
    server = tls_server(pki, server="expired")
    exporter = Exporter(server.addr, env={"REDIS_EXPORTER_SKIP_TLS_VERIFICATION": "true"})
    try:
        wait_for("redis_up 1 without verification", lambda: exporter.value("redis_up") == 1)
        assert "without verifying the server" in exporter.log()
    finally:
        exporter.stop()
        server.stop()


def test_rotated_files_are_picked_up_without_a_restart(pki):
    """A client certificate the server does not trust, then the right one written over
    it; and a CA file that does not sign the server, then one that does. Same process."""
    server = tls_server(pki, mutual=True)
    d = tempfile.mkdtemp(prefix="rme-rot-")
    ca_path, crt_path, key_path = (os.path.join(d, n) for n in ("ca.pem", "client.pem", "client.key"))
    shutil.copy(pki["other_ca"][1], ca_path)
    shutil.copy(pki["stranger"][1], crt_path)
    shutil.copy(pki["stranger"][0], key_path)
    exporter = Exporter(server.addr, f"--tls.ca-file={ca_path}", f"--tls.cert-file={crt_path}",
                        f"--tls.key-file={key_path}", "--poll.max-backoff=1s")
    pid = exporter.proc.pid
    try:
        wait_for("unknown CA", lambda: "unknown CA" in exporter.log())
        # Rotation as a secret volume does it: new files moved into place.
        for src, dst in ((pki["ca"][1], ca_path),):
            shutil.copy(src, dst + ".new")
            os.replace(dst + ".new", dst)
        wait_for("the client certificate refused", lambda: "rejected the client certificate" in exporter.log() or
                 "closed the connection right after the TLS handshake" in exporter.log())
        for src, dst in ((pki["client"][0], key_path), (pki["client"][1], crt_path)):
            shutil.copy(src, dst + ".new")
            os.replace(dst + ".new", dst)
        wait_for("redis_up 1 after the rotation", lambda: exporter.value("redis_up") == 1, timeout=30)
        assert exporter.proc.pid == pid and exporter.proc.poll() is None
        assert "TLS files changed" in exporter.log()
    finally:
        exporter.stop()
        server.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_doctor_over_tls(pki):
    server = tls_server(pki, "--maxmemory", "64mb", mutual=True)
    key, crt = pki["client"]
    try:
        server.client.set("k", "v" * 1000)
        status, out = doctor(server.addr, f"--tls.ca-file={pki['ca'][1]}", f"--tls.cert-file={crt}",
                             f"--tls.key-file={key}")
        assert status in (0, 1, 2), out
        assert "Redis 7" in out and "64.0 MiB" in out, out
        status, out = doctor(server.addr, f"--tls.ca-file={pki['other_ca'][1]}", f"--tls.cert-file={crt}",
                             f"--tls.key-file={key}", "--output=json")
        assert status == 3, out
        assert "unknown CA" in out, out
    finally:
        server.stop()


def test_password_over_tls_leaks_nowhere(pki):
    server = tls_server(pki, "--requirepass", SECRET)
    d = tempfile.mkdtemp(prefix="rme-pw-")
    pwfile = os.path.join(d, "pw")
    with open(pwfile, "w") as f:
        f.write(SECRET + "\n")
    exporter = Exporter(server.addr, f"--tls.ca-file={pki['ca'][1]}", "--log.level=debug",
                        env={"REDIS_PASSWORD": SECRET})
    try:
        wait_for("redis_up 1 with AUTH over TLS", lambda: exporter.value("redis_up") == 1)
        pid = exporter.proc.pid
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
        with open(f"/proc/{pid}/environ", "rb") as f:
            environ = f.read()
        for where, text in [("/metrics", exporter.text()), ("/", exporter.landing()), ("log", exporter.log()),
                            ("cmdline", cmdline.decode(errors="replace")),
                            ("environ", environ.decode(errors="replace"))]:
            assert SECRET not in text, f"the password leaked into {where}"
    finally:
        exporter.stop()
        server.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_bad_tls_files_fail_at_start_naming_the_flag(pki):
    port = free_port()
    key, crt = pki["client"]
    cases = [
        ([f"--tls.cert-file={crt}"], "--tls.key-file"),
        ([f"--tls.cert-file={crt}", f"--tls.key-file={pki['stranger'][0]}"], "--tls.key-file"),
        ([f"--tls.ca-file={key}"], "--tls.ca-file"),
    ]
    for flags, named in cases:
        p = subprocess.run([EXPORTER, "--redis.addr=rediss://127.0.0.1:1", f"--web.listen-address=127.0.0.1:{port}",
                            *flags], capture_output=True, text=True, timeout=10)
        assert p.returncode != 0, flags
        assert named in p.stderr, (flags, p.stderr)
        assert "PRIVATE KEY" not in p.stderr


def test_per_target_tls_in_the_targets_file_survives_relabelling(pki):
    """Two TLS targets with their own tls: settings (the same, so one context), relabelled
    in place, then made to reconnect: the context is still there (its settings are not
    the spec's, which a relabel replaces)."""
    a, b = tls_server(pki), tls_server(pki)
    d = tempfile.mkdtemp(prefix="rme-tls-targets-")
    path = os.path.join(d, "targets.yml")

    def write(env):
        with open(path + ".new", "w") as f:
            f.write("defaults:\n  tls: {ca_file: %s, server_name: localhost}\n  labels: {env: %s}\n"
                    "targets:\n  - addr: %s\n  - addr: %s\n" % (pki["ca"][1], env, a.addr, b.addr))
        os.replace(path + ".new", path)
    write("one")
    exporter = Exporter([], f"--targets.file={path}")
    try:
        wait_for("both up", lambda: exporter.value("redis_up", addr=a.label, env="one") == 1 and
                 exporter.value("redis_up", addr=b.label, env="one") == 1)
        write("two")
        wait_for("relabelled", lambda: exporter.value("redis_up", addr=a.label, env="two") == 1, timeout=10)
        before = a.client.info("stats")["total_connections_received"]
        for c in a.client.client_list():
            if c.get("name") == "redis_memory_exporter":
                a.client.client_kill_filter(_id=c["id"])
        wait_for("reconnected over TLS", lambda: a.client.info("stats")["total_connections_received"] > before)
        wait_for("up again", lambda: exporter.value("redis_up", addr=a.label, env="two") == 1)
        assert exporter.proc.poll() is None
    finally:
        exporter.stop()
        a.stop()
        b.stop()
        shutil.rmtree(d, ignore_errors=True)
