# SPDX-License-Identifier: Apache-2.0
"""A cap on connects in flight (issue 11): a fleet coming back at once must not stampede.
Sixteen TLS targets on a server that accepts TCP and never answers the TLS handshake:
each connect holds its slot until the poll timeout. With --poll.max-concurrent-connects=3
the server never sees more than three handshakes at once (one more for the instant in
which a timed-out socket's close and the next connect cross), the waits are counted, and
every target is still tried; without the cap it sees all sixteen."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import fakes  # noqa: E402
from harness import Exporter, wait_for  # noqa: E402


class Counting:
    def __init__(self):
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def behaviour(self, conn, server):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            fakes.silent(conn, server)
        finally:
            with self.lock:
                self.now -= 1


def run(cap):
    count = Counting()
    server = fakes.FakeServer(count.behaviour)
    addrs = [f"rediss://127.0.0.1:{server.port}/{db}" for db in range(16)]
    exporter = Exporter(addrs, "--tls.insecure-skip-verify", "--poll.timeout=1s",
                        f"--poll.max-concurrent-connects={cap}", "--poll.max-backoff=1s", interval="500ms")
    try:
        wait_for("every target tried", lambda: server.connections >= 16, timeout=30)
        time.sleep(2)
        return count.peak, exporter.value("redis_memory_exporter_connect_waits_total")
    finally:
        exporter.stop()
        server.close()


def test_connects_in_flight_are_capped():
    peak, waits = run(3)
    assert peak <= 4, peak
    assert waits > 0
    peak, waits = run(0)   # no cap: the control
    assert peak >= 12, peak
    assert waits == 0
