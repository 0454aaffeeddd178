#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""/metrics latency for a normal client while 500 idle and 500 slowloris connections are
held (issue goal: p99 <= 100 ms), beside the same client with no abuse, in one run.
Prints figures; never fails on a missed goal. Only 127.0.0.1 (and 127.0.x.y as sources).

    /usr/bin/python3 tests/bench/abuse.py [SECONDS]"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import abuse  # noqa: E402
from harness import Exporter, RedisServer, wait_for  # noqa: E402


def row(name, lat, failures):
    ms = lambda q: f"{1e3 * abuse.quantile(lat, q):.1f} ms" if lat else "n/a"  # noqa: E731
    print(f"| {name} | {len(lat)} | {failures} | {ms(0.5)} | {ms(0.99)} | {ms(1.0)} |")


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20
    server = RedisServer()
    exporter = Exporter(server.addr)
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        print("| client | answered | failed | p50 | p99 | max |")
        print("|---|---:|---:|---:|---:|---:|")
        row("alone", *abuse.timed_scrapes(exporter.port, seconds / 2, every=0.05))
        bad = abuse.Abusers(exporter.port, idle=500, slow=500)
        try:
            row("beside 500 idle + 500 slowloris", *abuse.timed_scrapes(exporter.port, seconds, every=0.05))
            print(f"\nslowloris connections cut by the server: {bad.closed_by_server(bad.slow)} of {len(bad.slow)}; "
                  f"idle: {bad.closed_by_server(bad.idle)} of {len(bad.idle)}")
        finally:
            bad.close()
    finally:
        exporter.stop()
        server.stop()


if __name__ == "__main__":
    main()
