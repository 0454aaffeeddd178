#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Soak: the exporter for SECONDS (default 600) with a healthy Redis, a Redis behind a
fault proxy that cycles through faults (latency, cut replies, one byte a second, dropped
connections, healthy again), a lying server (a billion-element header), scrapes every
100 ms and bursts of idle and slowloris connections. Prints RSS and open descriptors at
the start, the end and the highest seen, and the scrapes that failed. Figures only.

    /usr/bin/python3 tests/bench/soak.py [SECONDS]"""
import os
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import abuse  # noqa: E402
import fakes  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from harness import Exporter, RedisServer, wait_for  # noqa: E402


def figures(pid):
    rss = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 600
    healthy, behind = RedisServer(), RedisServer()
    proxy = FaultProxy(behind.port)
    liar = fakes.FakeServer(fakes.huge_array)
    exporter = Exporter([healthy.addr, proxy.addr, liar.addr], "--poll.timeout=500ms", "--poll.max-backoff=2s",
                        "--sampler.keys-per-second=200", interval="250ms")
    modes = [("latency", {"latency": 0.8}), ("cut", {"cut_after": 100}), ("trickle", {}), ("drop", {}), ("pass", {})]
    try:
        wait_for("healthy up", lambda: exporter.value("redis_up", addr=healthy.addr) == 1)
        pipe = healthy.client.pipeline(transaction=False)
        for i in range(5000):
            pipe.set(f"soak:{i}", "v" * 100)
        pipe.execute()
        time.sleep(2)
        start = figures(exporter.proc.pid)
        peak_rss, peak_fd = start
        scrapes = failures = 0
        t0 = time.monotonic()
        next_mode = next_burst = t0
        burst_end = 0.0
        i = 0
        bad = None
        while time.monotonic() - t0 < seconds:
            now = time.monotonic()
            if now >= next_mode:
                mode, kw = modes[i % len(modes)]
                proxy.set(mode, **kw)
                i += 1
                next_mode = now + 10
            if now >= next_burst:
                bad = abuse.Abusers(exporter.port, idle=100, slow=100)
                burst_end, next_burst = now + 6, now + 30
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{exporter.port}/metrics", timeout=5) as r:
                    r.read()
                scrapes += 1
            except OSError:
                failures += 1
            rss, fds = figures(exporter.proc.pid)
            peak_rss, peak_fd = max(peak_rss, rss), max(peak_fd, fds)
            time.sleep(0.1)
            if bad and time.monotonic() >= burst_end:
                bad.close()
                bad = None
        if bad:
            bad.close()
        proxy.set("pass")
        time.sleep(5)
        end = figures(exporter.proc.pid)
        print(f"soak {seconds:.0f} s: {scrapes} scrapes, {failures} failed")
        print("| | RSS KiB | open fds |")
        print("|---|---:|---:|")
        print(f"| start | {start[0]} | {start[1]} |")
        print(f"| end | {end[0]} | {end[1]} |")
        print(f"| highest | {peak_rss} | {peak_fd} |")
        print(f"healthy target: redis_up {exporter.value('redis_up', addr=healthy.addr)}, "
              f"faulty target after the faults: redis_up {exporter.value('redis_up', addr=proxy.addr)}")
    finally:
        exporter.stop()
        proxy.close()
        liar.close()
        healthy.stop()
        behind.stop()


if __name__ == "__main__":
    main()
