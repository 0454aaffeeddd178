# SPDX-License-Identifier: Apache-2.0
"""A loopback TCP proxy between the exporter and a real redis-server that misbehaves on
request: added latency, replies cut short, one byte a second, connections dropped. For
fault tests only; it listens on 127.0.0.1 and forwards to 127.0.0.1."""
import socket
import threading
import time


class FaultProxy:
    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode = "pass"          # pass | latency | cut | trickle | drop
        self.latency = 0.0          # seconds added to every chunk, both ways (latency)
        self.cut_after = 100        # bytes of the reply that pass before the cut (cut)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def set(self, mode, **kw):
        self.mode = mode
        for k, v in kw.items():
            setattr(self, k, v)
        if mode in ("cut", "drop", "trickle"):
            self.drop_all()   # the next connection meets the fault from its first reply

    def drop_all(self):
        for c in list(self.conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conns.clear()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "drop":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            self.conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src, dst, is_reply):
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                mode = self.mode
                if mode == "latency":
                    time.sleep(self.latency)
                if is_reply and mode == "cut":
                    room = max(self.cut_after - sent, 0)
                    dst.sendall(data[:room])
                    break
                if is_reply and mode == "trickle":
                    for i in range(len(data)):
                        dst.sendall(data[i:i + 1])
                        time.sleep(1.0)
                    continue
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.closed = True
        self.sock.close()
        self.drop_all()
