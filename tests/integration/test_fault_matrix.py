# SPDX-License-Identifier: Apache-2.0
"""The fault matrix: each fault on one target while a healthy target beside it is watched.
For every case: the exporter does not crash, reports the right reason, recovers within a
few polls once the fault ends, and the healthy target is polled all the while."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import fakes  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from harness import Exporter, RedisServer, free_port, wait_for  # noqa: E402

INTERVAL = 0.25


def errors(exporter, addr, reason):
    return exporter.value("redis_memory_exporter_poll_errors_total", addr=addr, reason=reason) or 0


class Watch:
    """Counts the healthy target's successful polls while a fault is on."""

    def __init__(self, exporter, addr):
        self.exporter, self.addr = exporter, addr
        self.seen = set()

    def sample(self):
        assert self.exporter.proc.poll() is None, "the exporter died"
        assert self.exporter.value("redis_up", addr=self.addr) == 1, "the healthy target went down"
        self.seen.add(self.exporter.value("redis_memory_exporter_last_poll_success_timestamp_seconds", addr=self.addr))

    def hold(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.sample()
            time.sleep(0.05)


def run_case(fault_target, start_fault, reason, stop_fault, extra_flags=()):
    healthy = RedisServer()
    exporter = Exporter([healthy.addr, fault_target], "--poll.timeout=500ms", *extra_flags, interval=f"{INTERVAL}s")
    watch = Watch(exporter, healthy.addr)
    try:
        wait_for("both up", lambda: exporter.value("redis_up", addr=fault_target) == 1
                 and exporter.value("redis_up", addr=healthy.addr) == 1)
        before = errors(exporter, fault_target, reason)
        start_fault()
        wait_for(f"reason {reason}", lambda: (watch.sample(), errors(exporter, fault_target, reason) > before)[1],
                 timeout=20)
        assert exporter.value("redis_up", addr=fault_target) == 0
        polls_before = len(watch.seen)
        watch.hold(2)
        # The healthy one kept its cadence: 2 s at 250 ms is 8 polls (allow for the edges).
        assert len(watch.seen) - polls_before >= 6, (len(watch.seen), polls_before)
        stop_fault()
        # Recovery within a few polls (backoff is capped at --poll.max-backoff=1s here).
        wait_for("recovered", lambda: (watch.sample(), exporter.value("redis_up", addr=fault_target) == 1)[1],
                 timeout=10)
        assert exporter.rss_kib() < 60 * 1024
        return exporter.log()
    finally:
        exporter.stop()
        healthy.stop()


def test_sigstop_then_sigcont():
    r = RedisServer()
    try:
        run_case(r.addr, lambda: os.kill(r.proc.pid, signal.SIGSTOP), "timeout",
                 lambda: os.kill(r.proc.pid, signal.SIGCONT), ("--poll.max-backoff=1s",))
    finally:
        os.kill(r.proc.pid, signal.SIGCONT)
        r.stop()


def test_kill_9_then_restart():
    r = RedisServer()
    try:
        def kill():
            r.proc.kill()
            r.proc.wait()
        run_case(r.addr, kill, "connect", lambda: r.__init__(port=r.port), ("--poll.max-backoff=1s",))
    finally:
        r.stop()


@pytest.mark.parametrize("mode,reason,kw", [
    ("cut", "closed", {"cut_after": 100}),        # the connection dies in the middle of a reply
    ("trickle", "timeout", {}),                   # one byte a second
    ("latency", "timeout", {"latency": 0.8}),     # slower than the poll timeout
    ("drop", "closed", {}),                       # accepted, then closed at once
])
def test_proxy_faults(mode, reason, kw):
    r = RedisServer()
    proxy = FaultProxy(r.port)
    try:
        run_case(proxy.addr, lambda: proxy.set(mode, **kw), reason, lambda: proxy.set("pass"),
                 ("--poll.max-backoff=1s",))
    finally:
        proxy.close()
        r.stop()


def test_dataset_loading():
    """A real LOADING: a dump loaded with key-load-delay, so it takes a few seconds."""
    d = tempfile.mkdtemp(prefix="rme-loading-")
    port = free_port()
    args = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", d, "--save", "",
            "--appendonly", "no"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = redis.Redis(port=port)
    wait_for("redis", lambda: _ping(c))
    pipe = c.pipeline(transaction=False)
    for i in range(20000):
        pipe.set(f"k:{i}", "v" * 20)
    pipe.execute()
    c.save()
    holder = {"p": p}

    def restart_slow():
        holder["p"].terminate()
        holder["p"].wait()
        # Events are served every 1 KiB of the dump (default 2 MiB: this one would load without a
        # single answer), and each key waits 150 µs: loading takes a few seconds.
        holder["p"] = subprocess.Popen(args + ["--key-load-delay", "150", "--loading-process-events-interval-bytes",
                                               "1024"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
    try:
        log = run_case(f"127.0.0.1:{port}", restart_slow, "loading", lambda: None, ("--poll.max-backoff=1s",))
        assert "reason=loading" in log
        assert redis.Redis(port=port).dbsize() == 20000
    finally:
        holder["p"].terminate()
        holder["p"].wait()
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def _ping(c):
    try:
        return c.ping()
    except redis.exceptions.ConnectionError:
        return False


def test_fifty_megabyte_reply():
    fake = fakes.FakeServer(fakes.huge_reply(50 * 1024 * 1024))
    healthy = RedisServer()
    exporter = Exporter([healthy.addr, fake.addr], "--poll.timeout=2s", interval="500ms")
    try:
        wait_for("too_large", lambda: errors(exporter, fake.addr, "too_large") >= 2, timeout=30)
        assert exporter.value("redis_up", addr=healthy.addr) == 1
        assert exporter.rss_kib() < 60 * 1024, "a 50 MB reply must not be held"
    finally:
        exporter.stop()
        fake.close()
        healthy.stop()


def test_acl_user_with_only_info():
    """The least a server can allow: INFO alone. CONFIG and CLIENT are refused once and
    never asked again; the poll itself never fails."""
    r = RedisServer()
    try:
        r.client.execute_command("ACL", "SETUSER", "watcher", "on", ">watch-pw", "-@all", "+info")
        exporter = Exporter(r.addr, "--redis.user=watcher", env={"REDIS_PASSWORD": "watch-pw"})
        try:
            wait_for("redis_up 1 as an INFO-only user", lambda: exporter.value("redis_up") == 1)
            time.sleep(1.5)
            for reason in ("auth", "redis_error", "protocol"):
                assert (exporter.value("redis_memory_exporter_poll_errors_total", reason=reason) or 0) == 0
            assert exporter.value("redis_memory_used_bytes") > 0
            assert exporter.value("redis_active_defrag_enabled") is None   # CONFIG not allowed: absent
            log = exporter.log()
            assert log.count("CONFIG GET is not allowed") == 1
        finally:
            exporter.stop()
    finally:
        r.stop()
