# SPDX-License-Identifier: Apache-2.0
"""HTTP clients that misbehave on purpose cannot keep Prometheus from its scrape: idle
floods and slowloris clients are cut by deadlines and by the reserved capacity. How fast
the scraper is answered meanwhile is a benchmark figure (tests/bench/abuse.py)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import abuse  # noqa: E402
from harness import Exporter, RedisServer, wait_for  # noqa: E402


def test_scraper_answered_while_idle_and_slowloris_clients_hold_connections():
    server = RedisServer()
    exporter = Exporter(server.addr)
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        bad = abuse.Abusers(exporter.port, idle=500, slow=500)
        try:
            lat, failures = abuse.timed_scrapes(exporter.port, seconds=8)
            assert failures == 0, f"{failures} scrapes failed ({len(lat)} answered)"
            assert len(lat) >= 40
            # Past the 5 s header deadline every slowloris client of the first wave is cut,
            # however regularly it trickles; and idle ones past 10 s or crowding the reserve.
            slow_cut = bad.closed_by_server(bad.slow)
            assert slow_cut >= 0.9 * len(bad.slow), (slow_cut, len(bad.slow))
            assert bad.closed_by_server(bad.idle) > 0
        finally:
            bad.close()
        assert exporter.value("redis_up") == 1
    finally:
        exporter.stop()
        server.stop()


def test_one_client_is_held_to_its_share():
    server = RedisServer()
    exporter = Exporter(server.addr, "--web.max-connections-per-client=4")
    try:
        bad = abuse.Abusers(exporter.port, idle=20, slow=0, per_source=20)   # all from 127.0.1.1
        try:
            time.sleep(1)
            # 4 held, the other 16 closed at once by the server.
            assert bad.closed_by_server(bad.idle) >= 16
            lat, failures = abuse.timed_scrapes(exporter.port, seconds=1)
            assert failures == 0 and lat
        finally:
            bad.close()
    finally:
        exporter.stop()
        server.stop()


def test_abusers_on_the_scrapers_own_address_do_not_keep_it_out():
    """500 idle and slowloris connections from 127.0.0.1, the scraper's own address (NAT, a
    proxy, the same host): at its per-client limit each new connection of that address
    cuts its oldest one without a complete request instead of being refused, so every
    scrape is answered (before: 14 of 24)."""
    import socket
    server = RedisServer()
    exporter = Exporter(server.addr)
    held = []
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        abuse.raise_fd_limit()
        for i in range(500):
            s = socket.create_connection(("127.0.0.1", exporter.port), timeout=5)
            if i % 2:
                s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")   # a request that never ends
            held.append(s)
        lat, failures = abuse.timed_scrapes(exporter.port, seconds=5)
        assert failures == 0, f"{failures} scrapes failed ({len(lat)} answered)"
        assert len(lat) >= 20
    finally:
        for s in held:
            s.close()
        exporter.stop()
        server.stop()


def test_a_get_with_a_body_is_answered():
    """A GET with a body, chunked or with a length: the body is dropped, the request is
    answered (issue 21: it got no answer at all)."""
    import socket
    server = RedisServer()
    exporter = Exporter(server.addr)
    try:
        for body in (b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", b"Content-Length: 5\r\n\r\nhello"):
            s = socket.create_connection(("127.0.0.1", exporter.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + body)
            assert s.recv(200).startswith(b"HTTP/1.1 200 "), body
            s.close()
    finally:
        exporter.stop()
        server.stop()
