# SPDX-License-Identifier: Apache-2.0
"""How /metrics is made and served: the targets' series are rendered only for readers
(a scrape that finds the last snapshot behind waits for a fresh one, a regular scraper
finds one made ahead), and a fleet's exposition is written out from the pieces as it is
sent, equal to the gzip'd and OpenMetrics forms of the same snapshot."""
import gzip
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, parse_metrics, wait_for  # noqa: E402

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics  # noqa: E402

STAMP = re.compile(r'^redis_memory_exporter_last_poll_success_timestamp_seconds\{[^}]*\} (\S+)$', re.M)


def snapshots(text, reason):
    for n, l, v in parse_metrics(text):
        if n == "redis_memory_exporter_snapshots_total" and l.get("reason") == reason:
            return v
    raise AssertionError(f"no snapshots_total{{reason={reason}}} in the exposition")


def test_each_read_gets_fresh_data_and_regular_scrapes_find_it_made_ahead():
    server = RedisServer()
    exporter = Exporter(server.addr, interval="1s")
    try:
        wait_for("the target up", lambda: exporter.value("redis_up") == 1)
        # Nothing reads for 3 s: the next read waits for a snapshot of the newest poll.
        time.sleep(3)
        t0 = time.time()
        _, _, body = exporter.request("/metrics")
        text = body.decode()
        stamp = float(STAMP.search(text).group(1))
        assert t0 - stamp < 1.2, (t0, stamp)  # the last poll (1 s apart), not one from 3 s ago
        asked0, ahead0 = snapshots(text, "asked"), snapshots(text, "ahead")
        # A scraper on a fixed schedule, as Prometheus is: after three scrapes the next is
        # foreseen and its snapshot is made just before it comes.
        every, n = 2.0, 7
        start = time.monotonic() + every
        texts = []
        for k in range(n):
            time.sleep(max(0.0, start + k * every - time.monotonic()))
            t = time.time()
            _, _, body = exporter.request("/metrics")
            texts.append((t, body.decode()))
        for t, text in texts:
            stamp = float(STAMP.search(text).group(1))
            assert t - stamp < 1.2, (t, stamp)  # made ahead or asked for: never older than a poll
        last = texts[-1][1]
        ahead = snapshots(last, "ahead") - ahead0
        asked = snapshots(last, "asked") - asked0
        # The first three cannot be foreseen; of the four after, most are made ahead (a late
        # or early scrape on a loaded machine asks for its own).
        assert ahead >= 2, (ahead, asked, exporter.log()[-2000:])
        assert asked + ahead <= n + 1, (asked, ahead)  # one snapshot per scrape at most
    finally:
        exporter.stop()
        server.stop()


def test_a_fleet_exposition_is_streamed_equal_in_every_form():
    server = RedisServer("--unixsocket", os.path.join(tempfile.mkdtemp(prefix="rme-sock-"), "r.sock"),
                         "--unixsocketperm", "700")
    d = tempfile.mkdtemp(prefix="rme-links-")
    sock = server.client.config_get("unixsocket")["unixsocket"]
    addrs = []
    for i in range(60):  # 60 targets make an exposition of over 256 KiB: streamed
        link = os.path.join(d, f"t{i}.sock")
        os.symlink(sock, link)
        addrs.append(f"unix://{link}")
    # Polls every 10 s: requests within a second of each other read the same snapshot.
    exporter = Exporter(addrs, interval="10s")
    try:
        wait_for("every target up",
                 lambda: sum(1 for n, l, v in exporter.metrics() if n == "redis_up" and v == 1) == 60, timeout=30)
        status, headers, plain = exporter.request("/metrics")
        _, zheaders, zipped = exporter.request("/metrics", headers={"Accept-Encoding": "gzip"})
        assert status == 200 and len(plain) > 256 * 1024
        assert int(headers["Content-Length"]) == len(plain)
        assert zheaders["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped) == plain
        assert len(zipped) < len(plain) / 5
        text = plain.decode()
        assert text.count("# TYPE redis_up gauge") == 1  # each family once, all targets under it
        ups = [l["addr"] for n, l, v in parse_metrics(text) if n == "redis_up" and v == 1]
        assert sorted(ups) == sorted(a[len("unix://"):] for a in addrs)
        _, oheaders, om = exporter.request("/metrics", headers={"Accept": "application/openmetrics-text"})
        assert oheaders["Content-Type"].startswith("application/openmetrics-text")
        assert int(oheaders["Content-Length"]) == len(om) and om.endswith(b"# EOF\n")
        families = {f.name for f in parse_openmetrics(om.decode())}
        assert "redis_up" in families and "redis_memory_used_bytes" in families
        # The same samples in both formats (only the HELP/TYPE lines and the end differ).
        strip = lambda b: [x for x in b.decode().splitlines() if x and not x.startswith("#")]  # noqa: E731
        assert strip(om) == strip(plain)
    finally:
        exporter.stop()
        server.stop()
