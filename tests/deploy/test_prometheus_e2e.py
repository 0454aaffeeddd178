# SPDX-License-Identifier: Apache-2.0
"""End to end with real parts: Debian's Prometheus scrapes the exporter, which polls a real
redis-server. Filling Redis past 80 % of maxmemory makes the memory alert go pending, then
firing; every PromQL expression of the dashboard and the rules returns data."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, Prometheus, RedisServer, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "deploy", "prometheus")
DASHBOARD = os.path.join(ROOT, "grafana", "dashboards", "redis_memory.json")

# Series that can be legitimately empty in this scenario, and why. Printed, never hidden.
MAY_BE_EMPTY = {
    "redis_memory_time_to_full_seconds": "the forecast needs 100 s of steady growth; this test fills in seconds",
    "redis_cluster_finding": "needs a discovered Cluster with one full shard; tests/integration/test_cluster.py "
                             "makes one and checks the series",
}


def rule_expressions():
    import yaml
    out = []
    for name in ("redis_memory_rules.yml", "redis_memory_alerts.yml"):
        with open(os.path.join(RULES, name)) as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    out.append((rule.get("alert") or rule.get("record"), rule["expr"]))
    return out


def dashboard_expressions():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    out = []
    for panel in dash["panels"]:
        for t in panel["targets"]:
            expr = (t["expr"].replace("$instance", ".*").replace("$addr", ".*")
                    .replace("$__rate_interval", "1m"))
            out.append((panel["title"], expr))
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            m = re.match(r"label_values\((.*),\s*\w+\)$", var["definition"])
            out.append((f"variable {var['name']}", m.group(1).replace("$instance", ".*")))
    return out


SELECTOR = re.compile(r'\b((?:redis|up|process)[a-zA-Z0-9_:]*)\b(\{[^}]*\})?')


def selectors(expr):
    found = []
    for name, labels in SELECTOR.findall(expr):
        if name in ("redis_up" ,) or name.startswith(("redis_", "redis:", "process_")) or name == "up":
            found.append(name + (labels or ""))
    return found


def fast_rules(tmp):
    """Copies of the rule files with short `for:` and evaluation intervals for the test."""
    for name in ("redis_memory_rules.yml", "redis_memory_alerts.yml"):
        with open(os.path.join(RULES, name)) as f:
            text = f.read()
        # (the generated YAML quotes its values: for: "5m")
        text = re.sub(r'for: "?\d+m"?', "for: 3s", text)
        text = re.sub(r'interval: "?\d+s"?', "interval: 1s", text)
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)


def test_prometheus_scrapes_alerts_and_every_expression_has_data():
    tmp = tempfile.mkdtemp(prefix="rme-prom-")
    server = RedisServer("--maxmemory", "8mb", "--maxmemory-policy", "noeviction")
    # the namespace, TTL and growth panels' data (two whole sampler cycles), and a watched key
    exporter = Exporter(server.addr, "--sampler.keys-per-second=20000", "--keys.watch=db0=fill:1,db0=jobs")
    prom = None
    try:
        fast_rules(tmp)
        prom = Prometheus(tmp, exporter.port)
        check = subprocess.run(["promtool", "check", "config", prom.config], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        wait_for("Prometheus to scrape the exporter",
                 lambda: any(r["value"][1] == "1" for r in prom.query('up{job="redis_memory"}')), timeout=60, step=0.5)
        # Write well past 80 % of maxmemory without reaching it.
        i = 0
        while server.client.info("memory")["used_memory"] < 0.87 * 8 * 1024 * 1024:
            p = server.client.pipeline(transaction=False)
            for _ in range(200):
                p.set(f"fill:{i}", b"x" * 200)
                i += 1
            p.execute()
        server.client.rpush("jobs", "a", "b")

        def state():
            alerts = prom.api("alerts")["alerts"]
            return {a["state"] for a in alerts if a["labels"]["alertname"] == "RedisMemoryHigh"}
        wait_for("RedisMemoryHigh pending", lambda: "pending" in state() or "firing" in state(), timeout=60, step=0.2)
        wait_for("RedisMemoryHigh firing", lambda: "firing" in state(), timeout=60, step=0.5)
        firing = [a for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]
        names = {a["labels"]["alertname"] for a in firing}
        assert "RedisMemoryCritical" not in names and "RedisDown" not in names, names

        time.sleep(3)   # a few more scrapes, so that rate() has two points everywhere
        skipped, failures = [], []
        for origin, expr in rule_expressions() + dashboard_expressions():
            is_alert_expr = origin and origin[0].isupper() and origin in {n for n, _ in rule_expressions()}
            if not is_alert_expr:
                if not prom.query(expr):
                    if any(m in expr for m in MAY_BE_EMPTY):
                        skipped.append((origin, expr))
                    else:
                        failures.append(f"{origin}: no data for {expr}")
            for sel in selectors(expr):
                if prom.query(sel):
                    continue
                if any(sel.startswith(m) for m in MAY_BE_EMPTY):
                    skipped.append((origin, sel))
                    continue
                # A matcher on a value this scenario does not have (policy volatile-*,
                # severity critical): the name and every label name must still exist.
                name = sel.split("{")[0]
                series = prom.query(name)
                label_names = re.findall(r'(\w+)\s*[=!]~?', sel.split("{", 1)[1]) if "{" in sel else []
                if not series:
                    failures.append(f"{origin}: no data for {name}")
                for ln in label_names:
                    if not any(ln in r["metric"] for r in series):
                        failures.append(f"{origin}: {name} has no label {ln}")
        for origin, what in skipped:
            print(f"skipped (allowed empty: {MAY_BE_EMPTY.get(what.split('{')[0], 'see MAY_BE_EMPTY')}): {origin}: {what}")
        assert not failures, "\n".join(failures)

        live = exporter.text()
        lint = subprocess.run(["promtool", "check", "metrics"], input=live, capture_output=True, text=True)
        assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), lint
    finally:
        if prom:
            prom.stop()
        exporter.stop()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

