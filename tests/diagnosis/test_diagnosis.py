# SPDX-License-Identifier: Apache-2.0
"""Each way Redis runs out of memory, reproduced on a real redis-server as it happens in
production; the expected findings (and no others) must show in /metrics, on the landing
page and in the doctor's report."""
import hashlib
import hmac
import json
import re
import random
import tempfile
import threading

import os
import sys

import pytest
import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, doctor, fill, wait_for


def fill_until_oom(client, ttl=None, prefix="k"):
    """Writes 200-byte values until Redis answers OOM; returns how many were rejected."""
    rejected = 0
    for i in range(200000):
        try:
            client.set(f"{prefix}:{i}", b"v" * 200, ex=ttl)
        except redis.exceptions.ResponseError as e:
            assert "OOM" in str(e)
            rejected += 1
            if rejected >= 50:
                return rejected
    raise AssertionError("maxmemory was never reached")


class KeepWriting:
    """Goes on sending writes (which Redis rejects) so OOM rejections are happening *now*."""

    def __init__(self, client):
        self.client, self.stop_flag = client, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        i = 0
        while not self.stop_flag.wait(0.02):
            try:
                self.client.set(f"more:{i}", b"v" * 200)
            except redis.exceptions.ResponseError:
                pass
            i += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join()


def setup_healthy(r):
    for i in range(500):
        r.client.set(f"plain:{i}", "x")
        r.client.set(f"temp:{i}", "y", ex=3600)


def setup_noeviction_oom(r):
    fill_until_oom(r.client)


def setup_volatile_no_ttl(r):
    fill_until_oom(r.client)


def setup_large_key(r):
    p = r.client.pipeline(transaction=False)
    for i in range(2000):
        p.set(f"small:{i}", b"s" * 50)
    p.execute()
    r.client.set("big:blob", b"B" * (3 * 1024 * 1024))


def setup_fragmentation(r):
    rnd = random.Random(7)
    p = r.client.pipeline(transaction=False)
    for i in range(80000):
        p.set(f"f:{i}", b"x" * rnd.choice([40, 90, 200, 500, 1200, 3000]))
        if i % 5000 == 4999:
            p.execute()
    p.execute()
    doomed = [f"f:{i}" for i in range(80000) if rnd.random() < 0.85]
    for i in range(0, len(doomed), 5000):
        r.client.delete(*doomed[i:i + 5000])


def setup_near_limit(r):
    p = r.client.pipeline(transaction=False)
    for i in range(20000):
        p.set(f"n:{i}", b"n" * 200)
    p.execute()
    used = r.client.info("memory")["used_memory"]
    r.client.config_set("maxmemory", int(used / 0.85))


# name, redis-server args, exporter/doctor flags, setup, expected {id: severity}, keep writing
SCENARIOS = [
    ("healthy", [], [], setup_healthy, {}, False),
    ("noeviction_oom", ["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"], [], setup_noeviction_oom,
     {"memory_near_limit": "critical", "noeviction_at_limit": "critical", "oom_rejections": "critical"}, True),
    ("volatile_without_ttl", ["--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru"], [], setup_volatile_no_ttl,
     {"memory_near_limit": "critical", "volatile_without_ttl_keys": "critical", "oom_rejections": "critical"}, True),
    ("large_key", [], ["--sampler.keys-per-second=5000"], setup_large_key, {"large_keys": "warning"}, False),
    ("fragmentation", [], ["--diagnose.fragmentation-min-bytes=8mb"], setup_fragmentation,
     {"fragmentation_high": "warning"}, False),
    ("near_limit_85", ["--maxmemory-policy", "allkeys-lru"], [], setup_near_limit,
     {"memory_near_limit": "warning"}, False),
]


@pytest.mark.parametrize("name,redis_args,flags,setup,expected,keep_writing", SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_scenario(name, redis_args, flags, setup, expected, keep_writing):
    server = RedisServer(*redis_args)
    exporter = None
    try:
        setup(server)
        want = {(k, v) for k, v in expected.items()}
        exporter = Exporter(server.addr, *flags)
        if keep_writing:
            with KeepWriting(server.client):
                wait_for(f"findings {sorted(want)}", lambda: exporter.findings() == want, timeout=20)
                got = exporter.findings()
        else:
            wait_for(f"findings {sorted(want)}", lambda: exporter.findings() == want, timeout=20)
            got = exporter.findings()
        assert got == want
        page = exporter.landing()
        for finding_id in expected:
            assert finding_id in page, f"{finding_id} missing from the landing page"
        if not expected:
            assert "No finding" in page

        status, out = doctor(server.addr, "--output=json", *flags)
        report = json.loads(out)
        got_doctor = {(f["id"], f["severity"]) for f in report["findings"]}
        assert got_doctor == want, report
        worst = max([{"warning": 1, "critical": 2}[s] for s in expected.values()], default=0)
        assert status == worst == report["exit_code"]
        for f in report["findings"]:
            assert f["fix"] and f["why"] and f["summary"]

        status_text, text = doctor(server.addr, *flags)
        assert status_text == status
        for finding_id in expected:
            assert finding_id in text
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_doctor_cannot_check_exits_3():
    from harness import refused_port
    held, port = refused_port()
    try:
        status, out = doctor(f"127.0.0.1:{port}", "--poll.timeout=500ms")
    finally:
        held.close()
    assert status == 3
    assert "Could not check" in out


def test_doctor_is_read_only():
    server = RedisServer("--maxmemory", "64mb", "--maxmemory-policy", "noeviction")
    try:
        setup_large_key(server)
        before_keys = server.client.dbsize()
        before_cfg = server.client.config_get("maxmemory*")
        server.client.config_resetstat()
        doctor(server.addr)
        stats = server.client.info("commandstats")
        allowed = {"cmdstat_info", "cmdstat_client|setname", "cmdstat_config|get", "cmdstat_select",
                   "cmdstat_scan", "cmdstat_memory|usage", "cmdstat_type", "cmdstat_pttl", "cmdstat_memory|stats",
                   "cmdstat_config|resetstat"}
        assert set(stats) <= allowed, set(stats) - allowed
        assert "cmdstat_scan" in stats and "cmdstat_memory|usage" in stats
        assert server.client.dbsize() == before_keys
        assert server.client.config_get("maxmemory*") == before_cfg
    finally:
        server.stop()


def test_sampler_hashes_key_names_on_request():
    server = RedisServer()
    exporter = None
    try:
        setup_large_key(server)
        exporter = Exporter(server.addr, "--sampler.keys-per-second=5000", "--sampler.hash-keys")
        wait_for("the large key in the sampler's list",
                 lambda: any(n == "redis_key_sample_largest_bytes" and v > 3e6 for n, l, v in exporter.metrics()))
        keys = [l["key"] for n, l, v in exporter.metrics() if n == "redis_key_sample_largest_bytes"]
        assert keys and all(k.startswith("hash:") for k in keys)
        assert not any("big:blob" in k for k in keys)
        # Without a secret file the key is random per process: an unkeyed hash of the name
        # (which anyone could compute from a guess) is not what is shown.
        assert "hash:" + hmac.new(b"", b"big:blob", hashlib.sha256).hexdigest()[:16] not in keys
        assert "big:blob" not in exporter.text() and "big:blob" not in exporter.log()
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_hashed_key_names_are_hmac_with_the_secret_file():
    server = RedisServer()
    exporter = None
    secret = os.urandom(32)
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(secret)
    try:
        setup_large_key(server)
        exporter = Exporter(server.addr, "--sampler.keys-per-second=5000", "--sampler.hash-keys",
                            f"--sampler.hash-keys-secret-file={f.name}")
        want = "hash:" + hmac.new(secret, b"big:blob", hashlib.sha256).hexdigest()[:16]
        wait_for(f"{want} among the largest keys",
                 lambda: any(n == "redis_key_sample_largest_bytes" and l.get("key") == want
                             for n, l, v in exporter.metrics()))
    finally:
        if exporter:
            exporter.stop()
        server.stop()
        os.unlink(f.name)


def test_doctor_whole_cycle_samples_every_key():
    """SCAN returns more keys than COUNT on a real Redis; a whole cycle must sample each
    key once (before, 2,979 of 3,000 were sampled and a large key could be missed)."""
    server = RedisServer()
    try:
        p = server.client.pipeline(transaction=False)
        for i in range(8000):
            p.set(f"k:{i}", b"v" * 20)
        p.execute()
        server.client.set("k:big", b"B" * (3 * 1024 * 1024))
        for _ in range(3):
            status, out = doctor(server.addr, "--doctor.max-keys=0", "--output=json")
            report = json.loads(out)
            assert report["keys_sampled"] == 8001, report["keys_sampled"]
            assert report["largest_keys"][0]["key"] == "k:big"
            assert "large_keys" in {f["id"] for f in report["findings"]}
    finally:
        server.stop()


def test_subscriber_that_never_reads_and_its_fix():
    """Client output buffers (issues 13 and 25): a subscriber that never reads fills a
    noeviction instance until writes fail. The diagnosis names the buffers, offers no
    evicting policy (it would delete keys and free nothing), names the client from CLIENT
    LIST (its id and name) and prints the exact `CLIENT KILL ID`; run as printed, it
    clears the findings with every key kept."""
    import socket
    server = RedisServer("--maxmemory", "24mb", "--maxmemory-policy", "noeviction",
                         "--client-output-buffer-limit", "pubsub 0 0 0")
    exporter = None
    sub = socket.socket()
    try:
        fill(server.client, 8000, size=1000)
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.connect(("127.0.0.1", server.port))
        sub.sendall(b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$13\r\nslow-consumer\r\n"
                    b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n")   # and never reads again
        wait_for("the subscriber named", lambda: any(c["name"] == "slow-consumer" for c in server.client.client_list()))
        culprit_id = next(c["id"] for c in server.client.client_list() if c["name"] == "slow-consumer")
        exporter = Exporter(server.addr)
        message = b"m" * 65536
        rejected = 0
        for _ in range(2000):
            server.client.publish("news", message)
            try:
                server.client.set("probe", b"p")
            except redis.exceptions.ResponseError as e:
                assert "OOM" in str(e)
                rejected += 1
                if rejected >= 20:
                    break
        assert rejected >= 20, "the buffers never filled memory"
        want = {("client_output_buffers", "critical"), ("noeviction_at_limit", "critical")}
        wait_for("the client buffer finding", lambda: want <= exporter.findings())
        status, out = doctor(server.addr, "--output=json")
        report = json.loads(out)
        found = {f["id"]: f for f in report["findings"]}
        assert not any("maxmemory-policy allkeys" in f["fix"] for f in found.values()), found
        fix, summary = found["client_output_buffers"]["fix"], found["client_output_buffers"]["summary"]
        assert f"client id {culprit_id} named slow-consumer" in summary, summary
        assert "name slow-consumer, last command subscribe" in fix, fix
        # the daemon names it too, on its page, within a poll of the finding
        wait_for("the culprit on the landing page", lambda: f"CLIENT KILL ID {culprit_id}" in exporter.landing())
        # Follow the fix as printed.
        printed = re.search(r"`(CLIENT KILL ID \d+)`", fix).group(1)
        assert printed == f"CLIENT KILL ID {culprit_id}"
        assert server.client.execute_command(*printed.split()) == 1   # one client killed
        assert not any(c["name"] == "slow-consumer" for c in server.client.client_list())
        wait_for("the findings cleared", lambda: not ({f for f, s in exporter.findings()}
                                                      & {"client_output_buffers", "noeviction_at_limit",
                                                         "memory_near_limit"}), timeout=20)
        assert server.client.dbsize() == 8000 + (1 if server.client.exists("probe") else 0)
        server.client.set("after", b"writes work again")
    finally:
        sub.close()
        if exporter:
            exporter.stop()
        server.stop()


def test_allkeys_cache_at_its_limit_is_not_critical():
    """An allkeys-lru cache at 99 % that evicts is working as designed (issue 13): a warning
    at most, never critical, and the doctor exits 1, not 2."""
    server = RedisServer("--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru")
    exporter = Exporter(server.addr)
    try:
        p = server.client.pipeline(transaction=False)
        for i in range(40000):
            p.set(f"c:{i}", b"x" * 200)
        p.execute()
        assert server.client.info("stats")["evicted_keys"] > 0
        wait_for("memory_near_limit", lambda: ("memory_near_limit", "warning") in exporter.findings())
        assert not any(sev == "critical" for _, sev in exporter.findings()), exporter.findings()
        status, out = doctor(server.addr, "--output=json")
        report = json.loads(out)
        assert status == 1 and report["status"] == "warning", report
        assert "by design" in {f["id"]: f["fix"] for f in report["findings"]}["memory_near_limit"]
    finally:
        exporter.stop()
        server.stop()


def test_doctor_from_a_saved_info_matches_the_live_check():
    """What people paste into tickets: `redis-cli INFO everything` and `redis-cli CONFIG GET
    maxmemory*`, saved to a file. The doctor reads it offline and finds what it finds on
    the live server (the large-key check aside, which needs the server)."""
    import subprocess
    server = RedisServer("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    try:
        fill_until_oom(server.client)
        cli = ["redis-cli", "-p", str(server.port)]
        saved = subprocess.run(cli + ["INFO", "everything"], capture_output=True, text=True, check=True).stdout
        saved += subprocess.run(cli + ["CONFIG", "GET", "maxmemory*"], capture_output=True, text=True,
                                check=True).stdout
        saved += subprocess.run(cli + ["CONFIG", "GET", "save"], capture_output=True, text=True, check=True).stdout
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(saved)
        status_live, live = doctor(server.addr, "--output=json")
        status_file, offline = doctor(server.addr, "--output=json", f"--doctor.from-file={f.name}")
        live, offline = json.loads(live), json.loads(offline)
        assert status_file == status_live == 2
        assert offline["target"] == f.name
        assert {(x["id"], x["severity"]) for x in offline["findings"]} == \
            {(x["id"], x["severity"]) for x in live["findings"]}
        assert offline["breakdown"]["data"] > 0 and offline["maxmemory"] == 4 * 1024 * 1024
        # Not an INFO: a clear error, exit 3, and JSON that says what failed.
        with open(f.name, "w") as g:
            g.write("hello\nworld\n")
        status, out = doctor(server.addr, "--output=json", f"--doctor.from-file={f.name}")
        err = json.loads(out)
        assert status == 3 and err["reason"] == "file" and "used_memory" in err["error"]
        os.unlink(f.name)
        # A file that is not there, or not a file: the same "could not check" (issue 20:
        # a missing file was a flag error, exit 2, with no JSON).
        for path, words in ((f.name, "cannot read"), (os.path.dirname(f.name), "not a regular file")):
            status, out = doctor(server.addr, "--output=json", f"--doctor.from-file={path}")
            err = json.loads(out)
            assert status == 3 and err["exit_code"] == 3 and err["reason"] == "file" and words in err["error"], out
        # A flag the doctor cannot take: exit 3, and JSON when JSON was asked for.
        status, out = doctor(server.addr, "--output=json", "--doctor.max-keys=lots")
        err = json.loads(out)
        assert status == 3 and err["reason"] == "flags" and "--doctor.max-keys" in err["error"], out
    finally:
        server.stop()


def test_doctor_refuses_a_second_address():
    import subprocess
    from harness import EXPORTER
    p = subprocess.run([EXPORTER, "doctor", "--redis.addr=127.0.0.1:1", "--redis.addr=127.0.0.1:2"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 3   # the doctor's "could not check", as for every flag it cannot take
    assert "--redis.addr" in p.stderr and "one address" in p.stderr and p.stdout == ""


def test_following_the_near_limit_and_fragmentation_fixes():
    """The printed fixes that are safe to run, run as printed. A cache near its limit gets
    the suggested maxmemory: memory_near_limit clears, nothing evicted or lost. A
    fragmented heap: `CONFIG SET activedefrag yes` is tried as printed - Debian's
    redis-server (system jemalloc) refuses it, which the fix says - and `MEMORY PURGE`
    gives back part of the waste with every key kept. What clears fragmentation for good
    (a fresh replica, a restart) is not run here."""
    import re
    server = RedisServer("--maxmemory-policy", "allkeys-lru")
    exporter = None
    try:
        setup_near_limit(server)
        exporter = Exporter(server.addr)
        wait_for("memory_near_limit", lambda: exporter.findings() == {("memory_near_limit", "warning")})
        status, out = doctor(server.addr, "--output=json")
        fix = {f["id"]: f["fix"] for f in json.loads(out)["findings"]}["memory_near_limit"]
        cmd = re.search(r"`(CONFIG SET maxmemory \d+mb)`", fix).group(1)
        keys = server.client.dbsize()
        server.client.execute_command(*cmd.split())
        wait_for("the finding cleared", lambda: exporter.findings() == set())
        assert server.client.dbsize() == keys and server.client.info("stats")["evicted_keys"] == 0
        exporter.stop()
        server.stop()

        flags = ("--diagnose.fragmentation-min-bytes=8mb",)
        server = RedisServer()
        setup_fragmentation(server)
        exporter = Exporter(server.addr, *flags)
        wait_for("fragmentation_high", lambda: exporter.findings() == {("fragmentation_high", "warning")}, timeout=20)
        status, out = doctor(server.addr, "--output=json", *flags)
        fix = {f["id"]: f["fix"] for f in json.loads(out)["findings"]}["fragmentation_high"]
        keys = server.client.dbsize()
        try:
            server.client.execute_command("CONFIG", "SET", "activedefrag", "yes")
            refused = False
        except redis.exceptions.ResponseError as e:
            refused = "cannot be enabled" in str(e)
            assert refused, e
        if refused:
            assert "refuse it" in fix, fix   # the fix says so
        before = server.client.info("memory")["mem_fragmentation_bytes"]
        assert "`MEMORY PURGE`" in fix
        server.client.execute_command("MEMORY", "PURGE")
        wait_for("less waste after MEMORY PURGE",
                 lambda: server.client.info("memory")["mem_fragmentation_bytes"] < 0.9 * before, timeout=10)
        assert server.client.dbsize() == keys
    finally:
        if exporter:
            exporter.stop()
        server.stop()
