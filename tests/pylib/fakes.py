# SPDX-License-Identifier: Apache-2.0
"""Deliberately misbehaving servers on loopback, for fault and attack cases only: everything that a
real redis-server can do is tested against a real redis-server."""
import socket
import threading
import time


def read_command(conn, buf):
    """Reads one RESP array command; returns (args, rest of buffer) or (None, buf) at EOF."""
    while True:
        if buf.startswith(b"*") and b"\r\n" in buf:
            n = int(buf[1:buf.index(b"\r\n")])
            pos = buf.index(b"\r\n") + 2
            args = []
            ok = True
            for _ in range(n):
                if b"\r\n" not in buf[pos:]:
                    ok = False
                    break
                end = buf.index(b"\r\n", pos)
                ln = int(buf[pos + 1:end])
                if len(buf) < end + 2 + ln + 2:
                    ok = False
                    break
                args.append(buf[end + 2:end + 2 + ln])
                pos = end + 2 + ln + 2
            if ok:
                return args, buf[pos:]
        chunk = conn.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk


def bulk(text):
    data = text.encode() if isinstance(text, str) else text
    return b"$%d\r\n%s\r\n" % (len(data), data)


class FakeServer:
    """Accepts connections and hands each to `behaviour(conn, server)` on a thread."""

    def __init__(self, behaviour, host="127.0.0.1"):
        """host: another loopback address (127.0.0.2, 127.0.0.3) stands for another host."""
        self.behaviour = behaviour
        self.host = host
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.commands = []          # every command received, as lists of str
        self.connections = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def addr(self):
        return f"{self.host}:{self.port}"

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            self.behaviour(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def serve_commands(self, conn, answer):
        """Loop: read a command, record it, send answer(args) (bytes or None to stay silent)."""
        buf = b""
        while True:
            args, buf = read_command(conn, buf)
            if args is None:
                return
            cmd = [a.decode(errors="replace") for a in args]
            self.commands.append(cmd)
            reply = answer(cmd)
            if reply:
                conn.sendall(reply)

    def close(self):
        self.closed = True
        self.sock.close()


def garbage(conn, server):
    conn.recv(65536)
    conn.sendall(b"\x00\xff not RESP at all \r\n" * 20)
    time.sleep(5)


def silent(conn, server):
    while conn.recv(65536):
        pass


def huge_info(conn, server):
    conn.recv(65536)
    body = b"used_memory:1\r\n" + b"x" * (6 * 1024 * 1024)
    conn.sendall(b"$%d\r\n" % len(body) + body + b"\r\n")
    time.sleep(5)


def close_at_once(conn, server):
    conn.close()


def old_redis(info_text, multi_section_ok=False):
    """A server that answers INFO <one section> from a fixture, like Redis < 7, and
    refuses multi-section INFO with the error Redis 6 gives."""
    sections = {}
    name = None
    for line in info_text.replace("\r\n", "\n").split("\n"):
        if line.startswith("# "):
            name = line[2:].strip().lower()
            sections[name] = [line]
        elif name:
            sections[name].append(line)

    def answer(cmd):
        verb = cmd[0].upper()
        if verb == "INFO":
            if len(cmd) > 2 and not multi_section_ok:
                return b"-ERR syntax error\r\n"
            wanted = [c.lower() for c in cmd[1:]] or list(sections)
            return bulk("\r\n".join("\r\n".join(sections.get(w, [])) for w in wanted) + "\r\n")
        if verb == "CLIENT":
            return b"+OK\r\n"
        if verb == "CONFIG":
            return b"*2\r\n" + bulk("activedefrag") + bulk("no")
        return b"-ERR unknown command\r\n"

    def behaviour(conn, server):
        server.serve_commands(conn, answer)
    return behaviour


def huge_array(conn, server):
    """Answers every poll with a 13-byte header announcing a billion elements, then waits:
    a reader that allocates as announced needs 8 GB."""
    while conn.recv(65536):
        conn.sendall(b"*1000000000\r\n")


def endless_bulk(conn, server):
    """Announces a 1 GB bulk string and then sends one byte a tenth of a second."""
    conn.recv(65536)
    conn.sendall(b"$1000000000\r\n")
    while True:
        conn.sendall(b"x")
        time.sleep(0.1)


def huge_reply(size):
    """Answers the first INFO with a bulk string of `size` bytes, sent as fast as it goes."""
    def behaviour(conn, server):
        conn.recv(65536)
        conn.sendall(b"$%d\r\n" % size)
        chunk = b"used_memory:1\r\n" + b"x" * (1 << 20)
        sent = 0
        while sent < size:
            conn.sendall(chunk[:min(len(chunk), size - sent)])
            sent += len(chunk)
        time.sleep(5)
    return behaviour
