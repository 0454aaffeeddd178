# SPDX-License-Identifier: Apache-2.0
"""Misbehaving HTTP clients, for the connection-abuse test and benchmark: many idle
connections and slowloris clients (a header line every few seconds), each group spread
over loopback source addresses 127.0.x.y so that the per-client limit does not stop
them by itself. Only ever aimed at 127.0.0.1."""
import resource
import socket
import threading
import time
import urllib.request


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Abusers:
    def __init__(self, port, idle=500, slow=500, per_source=10, header_every=2.0):
        raise_fd_limit()
        self.port = port
        self.idle = []
        self.slow = []
        self.stop = threading.Event()
        for i in range(idle):
            s = self._connect(f"127.0.1.{1 + i // per_source}")
            if s:
                self.idle.append(s)
        for i in range(slow):
            s = self._connect(f"127.0.2.{1 + i // per_source}")
            if s:
                try:
                    s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                except OSError:
                    pass
                self.slow.append(s)
        self.thread = threading.Thread(target=self._trickle, args=(header_every,), daemon=True)
        self.thread.start()

    def _connect(self, source):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind((source, 0))
            s.connect_ex(("127.0.0.1", self.port))
        except OSError:
            s.close()
            return None
        return s

    def _trickle(self, every):
        n = 0
        while not self.stop.wait(every):
            n += 1
            for s in self.slow:
                try:
                    s.send(b"X-Slow-%d: x\r\n" % n)
                except OSError:
                    pass

    def closed_by_server(self, group):
        """How many sockets of a group the server has closed (EOF or reset)."""
        closed = 0
        for s in group:
            try:
                if s.recv(65536) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return closed

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for s in self.idle + self.slow:
            s.close()


def timed_scrapes(port, seconds, every=0.1, path="/metrics"):
    """Scrapes with a new connection each time, as a Prometheus whose keep-alive was cut
    would; returns (latencies in seconds of the answered ones, failures)."""
    lat, failures = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                r.read()
                if r.status == 200:
                    lat.append(time.monotonic() - t0)
                else:
                    failures += 1
        except OSError:
            failures += 1
        time.sleep(every)
    return lat, failures


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None
