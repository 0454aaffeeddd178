#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""TLS cost, measured: the exporter watching N targets (default 200) of one TLS-only
redis-server and then of a plain one (the targets are its databases /0 .. /N-1, distinct
addresses) for SECONDS each at a 1 s interval: exporter CPU (% of one core) and RSS.
Then what one target costs Redis over TLS: our persistent connection (one handshake,
then polls) against redis_exporter (Debian's prometheus-redis-exporter), which dials,
handshakes and authenticates on every scrape: Redis CPU (used_cpu_sys + used_cpu_user,
less what the idle server burns in the same time) per poll and per scrape, both every
250 ms, and connections accepted. Figures only, never a verdict.

    /usr/bin/python3 tests/bench/tls.py [N] [SECONDS]"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import certs  # noqa: E402
from harness import Exporter, RedisServer, free_port, proc_cpu_seconds as cpu_seconds, proc_rss_kib, wait_for  # noqa: E402


def rss_mib(pid):
    return proc_rss_kib(pid) / 1024


def redis_cpu(server):
    info = server.client.info("cpu")
    return info["used_cpu_sys"] + info["used_cpu_user"]


def many_targets(server, n, flags, seconds):
    base = server.addr
    addrs = [f"{base if base.startswith('rediss://') else 'redis://' + base}/{i}" for i in range(n)]
    exporter = Exporter(addrs, *flags, interval="1s")
    try:
        wait_for("every target up", lambda: sum(1 for name, _, v in exporter.metrics()
                                                if name == "redis_up" and v == 1) == n, timeout=60)
        time.sleep(2)
        c0, t0 = cpu_seconds(exporter.proc.pid), time.monotonic()
        time.sleep(seconds)
        cpu = (cpu_seconds(exporter.proc.pid) - c0) / (time.monotonic() - t0) * 100
        return cpu, rss_mib(exporter.proc.pid)
    finally:
        exporter.stop()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    d = tempfile.mkdtemp(prefix="rme-bench-tls-")
    ca = certs.make_ca(d, "ca")
    key, crt = certs.make_cert(d, "server", ca)
    tls = {"cert": crt, "key": key, "ca": ca[1]}
    db = ("--databases", str(max(n, 16)))
    secure, plain = RedisServer(*db, tls=tls), RedisServer(*db)
    rows = []
    try:
        tls_cpu, tls_rss = many_targets(secure, n, [f"--tls.ca-file={ca[1]}"], seconds)
        plain_cpu, plain_rss = many_targets(plain, n, [], seconds)
        rows.append(f"| {n} targets, 1 s interval, TLS | {tls_cpu:.1f} % | {tls_rss:.1f} MiB |")
        rows.append(f"| {n} targets, 1 s interval, plain TCP | {plain_cpu:.1f} % | {plain_rss:.1f} MiB |")
        print("| exporter | CPU (one core) | RSS |\n|---|---|---|\n" + "\n".join(rows))
        print(f"\nTLS / plain: CPU x{tls_cpu / max(plain_cpu, 0.01):.2f}, RSS x{tls_rss / plain_rss:.2f}\n")

        # One target, cost to Redis: 60 polls at 250 ms, then 60 scrapes of redis_exporter.
        polls = 60
        idle0, t_idle = redis_cpu(secure), time.monotonic()
        time.sleep(5)
        idle_rate = (redis_cpu(secure) - idle0) / (time.monotonic() - t_idle)   # serverCron and the like
        exporter = Exporter(secure.addr, f"--tls.ca-file={ca[1]}", interval="250ms")
        try:
            wait_for("up", lambda: exporter.value("redis_up") == 1)
            conns0, cpu0, t0 = secure.client.info("stats")["total_connections_received"], redis_cpu(secure), time.monotonic()
            time.sleep(polls * 0.25)
            ours_cpu = (redis_cpu(secure) - cpu0 - idle_rate * (time.monotonic() - t0)) / polls * 1e6
            ours_conns = secure.client.info("stats")["total_connections_received"] - conns0
        finally:
            exporter.stop()
        port = free_port()
        peer = subprocess.Popen(["prometheus-redis-exporter", f"-redis.addr={secure.addr}",
                                 f"-web.listen-address=127.0.0.1:{port}", f"-tls-ca-cert-file={ca[1]}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/metrics"
            wait_for("redis_exporter", lambda: b"redis_up 1" in urllib.request.urlopen(url, timeout=5).read()
                     if _listening(port) else False)
            conns0, cpu0, t0 = secure.client.info("stats")["total_connections_received"], redis_cpu(secure), time.monotonic()
            for _ in range(polls):
                urllib.request.urlopen(url, timeout=10).read()
                time.sleep(0.25)
            peer_cpu = (redis_cpu(secure) - cpu0 - idle_rate * (time.monotonic() - t0)) / polls * 1e6
            peer_conns = secure.client.info("stats")["total_connections_received"] - conns0
        finally:
            peer.terminate()
            peer.wait()
        print("| one TLS target, cost to Redis | Redis CPU per poll / scrape | connections per 60 |\n|---|---|---|")
        print(f"| redis_memory_exporter (persistent connection) | {ours_cpu:.0f} µs | {ours_conns} |")
        print(f"| redis_exporter 1.45 (dial + handshake per scrape) | {peer_cpu:.0f} µs | {peer_conns} |")
        print(f"\nredis_exporter / ours, Redis CPU: x{peer_cpu / max(ours_cpu, 0.01):.1f}")
    finally:
        secure.stop()
        plain.stop()
        shutil.rmtree(d, ignore_errors=True)


def _listening(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    main()
