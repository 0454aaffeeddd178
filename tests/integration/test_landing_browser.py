# SPDX-License-Identifier: Apache-2.0
"""The landing page as a person sees it: loaded in headless Chromium (Debian's chromium)
against a real Redis in trouble. The DOM the browser built must carry the bar, the chart
with the limit, the numbers and each fix command in its own element; the screenshot must
show the chart's line and the limit's colour."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, wait_for  # noqa: E402

CHROMIUM = shutil.which("chromium")


class Dom(HTMLParser):
    """The elements the test looks at, with their attributes and text."""

    def __init__(self):
        super().__init__()
        self.elements, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        e = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(e)
        if tag not in ("br", "line", "polyline", "meta", "img", "input"):
            self.stack.append(e)

    def handle_endtag(self, tag):
        if not any(e["tag"] == tag for e in self.stack):
            return
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for e in self.stack:
            e["text"] += data

    def find(self, tag, cls=None):
        return [e for e in self.elements if e["tag"] == tag and (cls is None or cls in e["attrs"].get("class", "").split())]


def browser(url, *args):
    profile = tempfile.mkdtemp(prefix="rme-chromium-")
    try:
        return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               f"--user-data-dir={profile}", "--window-size=1200,1800", *args, url],
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_landing_page_in_a_browser():
    assert CHROMIUM, "chromium is needed (bash deploy/install-deps.sh test installs it)"
    server = RedisServer("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    exporter = Exporter(server.addr, "--sampler.keys-per-second=5000", interval="300ms")
    try:
        rejected = 0
        # Fill to the limit over about 15 s: the chart keeps a point every ~5 s (its window is
        # the forecast's five minutes), so its line has several.
        for i in range(100000):
            try:
                server.client.set(f"k:{i}", b"v" * 200)
            except redis.exceptions.ResponseError:
                rejected += 1
                if rejected > 20:
                    break
            if i % 1500 == 0:
                time.sleep(1.5)
        wait_for("the findings", lambda: ("noeviction_at_limit", "critical") in exporter.findings(), timeout=20)
        time.sleep(5)
        url = f"http://127.0.0.1:{exporter.port}/"
        out = browser(url, "--dump-dom")
        assert out.returncode == 0, out.stderr[-2000:]
        dom = Dom()
        dom.feed(out.stdout)

        # The chart: a line of several points under the limit's dashed line.
        lines = dom.find("polyline", "used")
        assert len(lines) == 1
        points = [tuple(map(float, p.split(","))) for p in lines[0]["attrs"]["points"].split()]
        assert len(points) >= 3
        assert points[-1][1] < points[0][1], "used memory grew: the line must rise"
        assert dom.find("line", "limit"), "the limit is drawn"
        assert "maxmemory 4.0 MiB" in out.stdout

        # The bar: the data part is there and wide; the 80 % mark is drawn.
        data_part = [e for e in dom.elements if e["attrs"].get("class") == "part-data"]
        assert data_part and float(data_part[0]["attrs"]["style"].split("width:")[1].split("%")[0]) > 30

        # The numbers, as text a person reads.
        card = [e for e in dom.find("div", "card")][0]["text"]
        for words in ("used memory", "maxmemory", "4.0 MiB", "noeviction", "OOM rejections", "evictions",
                      "time to full", "as of", "UTC"):
            assert words in card, (words, card)
        oom = exporter.value("redis_errors_total", err="OOM")
        assert oom and oom >= 20 and f"OOM rejections{oom:.0f} since start" in card.replace("\n", ""), card
        assert "large-key check is off" not in out.stdout   # the sampler is on here

        # Each command of a fix in its own element, whole.
        commands = [e["text"] for e in dom.find("code", "cmd")]
        assert any(c.startswith("CONFIG SET maxmemory ") for c in commands), commands
        assert "CONFIG SET maxmemory-policy allkeys-lru" in commands
        assert not any("`" in c for c in commands)

        # What a person sees: the screenshot has the chart's blue line and the limit's red.
        shot = tempfile.mktemp(suffix=".png")
        out = browser(url, f"--screenshot={shot}")
        assert out.returncode == 0 and os.path.getsize(shot) > 10000
        from PIL import Image
        img = Image.open(shot).convert("RGB")
        colours = {c for _, c in img.getcolors(maxcolors=1 << 20)}
        near = lambda want: any(sum(abs(a - b) for a, b in zip(c, want)) < 40 for c in colours)  # noqa: E731
        assert near((0x3b, 0x7d, 0xd8)), "the chart's line (and the data part) are not on screen"
        assert near((0xaa, 0x00, 0x00)), "the limit line is not on screen"
        os.unlink(shot)
    finally:
        exporter.stop()
        server.stop()
