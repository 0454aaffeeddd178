# SPDX-License-Identifier: Apache-2.0
"""One incident, one page: Debian's Prometheus evaluates the shipped alerts on the
exporter's series and sends them to Debian's Alertmanager running the shipped
configuration (deploy/alertmanager/alertmanager.yml, its inhibit_rules), whose receivers
are a webhook on loopback here. A noeviction Redis rejecting writes with OOM pages once;
an allkeys-lru cache at its limit pages never and sends nothing critical.

Only the waits are shortened: every `for:` is divided by 60 (so their order stays), the
rules are evaluated every second, and the first notification of a group waits 10 s."""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import redis
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, Prometheus, RedisServer, free_port, http_ready, stop_process, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "deploy", "prometheus")
AM_CONFIG = os.path.join(ROOT, "deploy", "alertmanager", "alertmanager.yml")


class Hook(http.server.BaseHTTPRequestHandler):
    received = []   # (path, payload)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hook.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def scaled_rules(tmp):
    """The shipped rule files with every `for:` divided by 60 and a 1 s evaluation."""
    def scale(m):
        n, unit = int(m.group(1)), m.group(2)
        seconds = n * (60 if unit == "m" else 1)
        return f"for: {max(1, seconds // 60)}s"
    for name in ("redis_memory_rules.yml", "redis_memory_alerts.yml"):
        with open(os.path.join(RULES, name)) as f:
            text = f.read()
        text = re.sub(r'for: "?(\d+)([ms])"?', scale, text)
        text = re.sub(r'interval: "?\d+s"?', "interval: 1s", text)
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)


def alertmanager_config(tmp, hook_port):
    """The shipped configuration with the receivers' URLs on this test's webhook and a
    shorter group_wait; routes and inhibit_rules as shipped."""
    with open(AM_CONFIG) as f:
        cfg = yaml.safe_load(f)
    for r in cfg["receivers"]:
        for w in r.get("webhook_configs", []):
            w["url"] = re.sub(r"http://127\.0\.0\.1:\d+", f"http://127.0.0.1:{hook_port}", w["url"])
    cfg["route"]["group_wait"] = "10s"
    cfg["route"]["group_interval"] = "5s"
    path = os.path.join(tmp, "alertmanager.yml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return path


def fill(client, limit_hit):
    """Writes 1 KB values until the server refuses one (noeviction) or, for a cache, until
    it has evicted for a while."""
    i = 0
    while True:
        p = client.pipeline(transaction=False)
        for _ in range(200):
            p.set(f"k:{i}", b"v" * 1024)
            i += 1
        try:
            p.execute()
        except redis.exceptions.ResponseError:
            return
        if limit_hit(client):
            return


def pages_for(addr, path):
    """Notifications sent to `path` that carry a firing alert of addr."""
    out = []
    for p, payload in Hook.received:
        if p != path:
            continue
        alerts = [a for a in payload["alerts"] if a["labels"].get("addr") == addr and a["status"] == "firing"]
        if alerts:
            out.append(alerts)
    return out


def test_one_page_for_an_oom_and_none_for_a_cache_at_its_limit():
    check = subprocess.run(["amtool", "check-config", AM_CONFIG], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    tmp = tempfile.mkdtemp(prefix="rme-am-")
    oom = RedisServer("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    cache = RedisServer("--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru")
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    Hook.received = []
    exporter = Exporter([oom.addr, cache.addr], interval="500ms")
    am = prom = None
    try:
        fill(oom.client, lambda c: False)
        fill(cache.client, lambda c: c.info("stats")["evicted_keys"] > 2000)
        scaled_rules(tmp)
        am_port = free_port()
        am = subprocess.Popen(
            ["prometheus-alertmanager", f"--config.file={alertmanager_config(tmp, hook.server_address[1])}",
             f"--storage.path={tmp}/am", f"--web.listen-address=127.0.0.1:{am_port}",
             "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("Alertmanager ready", lambda: http_ready(am_port), timeout=60, step=0.5)
        prom = Prometheus(tmp, exporter.port, am_port)
        # Keep the OOM going: a write refused every half second, as a real client would.
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                try:
                    oom.client.set(f"more:{time.monotonic()}", b"v" * 1024)
                except redis.exceptions.ResponseError:
                    pass
                time.sleep(0.5)
        t = threading.Thread(target=writer, daemon=True)
        t.start()
        wait_for("the OOM page", lambda: pages_for(oom.label, "/page"), timeout=90, step=0.5)
        # Everything the incident sets off has had time to fire (the longest `for:` is
        # 15 s here) and to be sent (group_interval 5 s): watch a while longer.
        time.sleep(30)
        stop.set()

        def firing(addr):
            return {(a["labels"]["alertname"], a["labels"]["severity"]) for a in prom.api("alerts")["alerts"]
                    if a["state"] == "firing" and a["labels"].get("addr") == addr}
        oom_firing = firing(oom.label)
        cache_firing = firing(cache.label)
        print("firing for the OOM:", sorted(oom_firing))
        print("firing for the cache:", sorted(cache_firing))
        # The incident set off several alerts in Prometheus ...
        assert ("RedisOOMRejections", "critical") in oom_firing
        assert len({n for n, _ in oom_firing}) >= 3, oom_firing
        # ... and one page reached a person, naming the cause the exporter found.
        pages = pages_for(oom.label, "/page")
        assert len(pages) == 1, json.dumps(pages, indent=1)[:3000]
        names = [a["labels"]["alertname"] for a in pages[0]]
        assert names == ["RedisOOMRejections"], names
        assert "noeviction_at_limit" in pages[0][0]["annotations"]["description"]
        assert pages[0][0]["annotations"]["runbook_url"].endswith("#redisoomrejections")
        assert oom.label in pages[0][0]["annotations"]["summary"]
        assert not pages_for(oom.label, "/ticket"), "the incident's warnings were sent as tickets"
        # The cache at its limit: its 80 % alert is there, as info, and nothing pages.
        assert ("RedisMemoryHigh", "info") in cache_firing, cache_firing
        assert not any(sev == "critical" for _, sev in cache_firing), cache_firing
        assert not pages_for(cache.label, "/page")
        for path, payload in Hook.received:
            for a in payload["alerts"]:
                if a["labels"].get("addr") == cache.label:
                    assert a["labels"]["severity"] != "critical", a
    finally:
        if prom:
            prom.stop()
        if am:
            stop_process(am, timeout=30)
        hook.shutdown()
        exporter.stop()
        oom.stop()
        cache.stop()
        shutil.rmtree(tmp, ignore_errors=True)
