#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fleet scale: one exporter with N targets (default 10,000) from a targets file, polled
every second, for SECONDS (default 20) without scrapes, then /scrape?target= for random
targets. The targets are N distinct unix socket paths (symlinks to the sockets of 4
redis-servers), so N connections are real. Prints CPU (% of one core), RSS and RSS per
target beyond a one-target baseline (taken before /metrics is first asked for), poll
lateness p50/p99 (the exporter's own histogram over the window), /scrape latency p50/p99 over
2,000 keep-alive requests from Python and, when wrk is installed, over 10 s of wrk on one
connection paced at about 900 requests a second (a C client: the Python figure carries the
client's own jitter), and the goals
beside them. Figures only.

    ulimit -n 65536; /usr/bin/python3 tests/bench/fleet.py [N] [SECONDS]"""
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
from harness import Exporter, free_port, parse_metrics, proc_cpu_seconds as cpu, proc_rss_kib as rss_kib, wait_for  # noqa: E402

SERVERS = 4
UNIT = os.path.join(HERE, "..", "..", "deploy", "systemd", "redis_memory_exporter.service")


def deployed_env():
    """The exporter runs with the environment its systemd unit (and the Dockerfile) give
    it: glibc's malloc on transparent huge pages. RME_FLEET_MALLOC=plain runs it without."""
    if os.environ.get("RME_FLEET_MALLOC") == "plain":
        return {}, "glibc malloc as it comes"
    with open(UNIT) as f:
        m = re.search(r"^Environment=GLIBC_TUNABLES=(\S+)$", f.read(), re.M)
    if not m:
        sys.exit(f"fleet: no Environment=GLIBC_TUNABLES= in {UNIT} (RME_FLEET_MALLOC=plain runs without)")
    value = m.group(1)
    return {"GLIBC_TUNABLES": value}, f"GLIBC_TUNABLES={value}, as deployed"


def lateness(exporter):
    """From /exporter-metrics (a few KiB): /metrics is 82 MiB at 10,000 targets, and
    putting it together, sending it and parsing it in Python loaded both cores inside the
    window that the histogram's difference covers (earlier figures carry that)."""
    _, _, body = exporter.request("/exporter-metrics")
    return {l["le"]: v for n, l, v in parse_metrics(body.decode())
            if n == "redis_memory_exporter_poll_lateness_seconds_bucket"}


def quantile(q, before, after):
    """histogram_quantile over the difference of two bucket snapshots."""
    les = sorted(after, key=lambda k: float("inf") if k == "+Inf" else float(k))
    counts = [after[k] - before.get(k, 0) for k in les]
    total = counts[-1]
    if total <= 0:
        return float("nan")
    rank, prev_le, prev_c = q * total, 0.0, 0.0
    for le, c in zip(les, counts):
        upper = float("inf") if le == "+Inf" else float(le)
        if c >= rank:
            if upper == float("inf"):
                return prev_le
            return prev_le + (upper - prev_le) * (rank - prev_c) / max(c - prev_c, 1e-9)
        prev_le, prev_c = upper, c
    return prev_le


def nginx_serving(d, body, each, some):
    """The references: nginx under the same load (the exporter polling the fleet, the Redis
    servers answering), on two ports: the first serves a copy of one /scrape body for any
    target (one small file, always hot), the second a copy of each target's own body from
    the folder `each` (the target's path below it: a file per target, as many bytes to find
    and read per request as the exporter has; `some` is one of the targets). Returns
    (process, port of the one copy, port of the copies per target)."""
    root = os.path.join(d, "nginx")
    www = os.path.join(root, "www")
    os.makedirs(www)
    with open(os.path.join(www, "scrape"), "wb") as f:
        f.write(body)
    for path, mode in ((d, 0o755), (root, 0o755), (www, 0o755), (os.path.join(www, "scrape"), 0o644)):
        os.chmod(path, mode)   # nginx's worker drops root
    for top, dirs, files in os.walk(each):
        os.chmod(top, 0o755)
        for name in files:
            os.chmod(os.path.join(top, name), 0o644)
    port, port_each = free_port(), free_port()
    with open(os.path.join(root, "nginx.conf"), "w") as f:
        f.write(f"daemon off; worker_processes 1; pid {root}/pid; error_log {root}/error.log warn;\n"
                "events { worker_connections 64; }\n"
                f"http {{ access_log off; tcp_nodelay on; keepalive_requests 100000000; default_type text/plain;\n"
                f"  client_body_temp_path {root}/t1; proxy_temp_path {root}/t2; fastcgi_temp_path {root}/t3;\n"
                f"  uwsgi_temp_path {root}/t4; scgi_temp_path {root}/t5;\n"
                f"  server {{ listen 127.0.0.1:{port}; root {www}; location = /scrape {{ }} }}\n"
                f"  server {{ listen 127.0.0.1:{port_each}; root {each};\n"
                "    location = /scrape { try_files $arg_target =404; } } }\n")
    proc = subprocess.Popen([shutil.which("nginx"), "-p", root, "-c", os.path.join(root, "nginx.conf"),
                             "-e", os.path.join(root, "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(each, some.lstrip("/")), "rb") as f:
        some_body = f.read()
    def up():
        try:
            for p, target in ((port, "x"), (port_each, some)):
                conn = http.client.HTTPConnection("127.0.0.1", p, timeout=1)
                conn.request("GET", f"/scrape?target={target}")
                r = conn.getresponse()
                if r.status != 200 or r.read() != (body if p == port else some_body):
                    return False
            return True
        except OSError:
            return False
    wait_for("nginx", up)
    return proc, port, port_each


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    d = tempfile.mkdtemp(prefix="rme-fleet-bench-")
    servers = []
    ex = nginx = None
    env, malloc = deployed_env()
    try:
        for i in range(SERVERS):
            sock = os.path.join(d, f"r{i}.sock")
            servers.append(subprocess.Popen(
                ["redis-server", "--port", "0", "--unixsocket", sock, "--maxclients", str(n // SERVERS + 100),
                 "--save", "", "--appendonly", "no", "--dir", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for i in range(SERVERS):
            wait_for("redis socket", lambda i=i: os.path.exists(os.path.join(d, f"r{i}.sock")))
        links = []
        for i in range(n):
            link = os.path.join(d, f"t{i}.sock")
            os.symlink(os.path.join(d, f"r{i % SERVERS}.sock"), link)
            links.append(link)
        path = os.path.join(d, "targets.yml")
        with open(path, "w") as f:
            f.write("targets:\n" + "".join(f"  - addr: unix://{x}\n" for x in links))
        one = Exporter([f"unix://{links[0]}"], interval="1s", env=env)
        time.sleep(3)
        base_rss = rss_kib(one.proc.pid)
        one.stop()
        t_start = time.monotonic()
        ex = Exporter([], f"--targets.file={path}", interval="1s", env=env)
        # Ready when /discovery lists every target and a sample of them answers up. /metrics
        # is not asked for until the figures are taken: it is put together (and kept with
        # its snapshot) only when asked for, and a fleet is scraped through /scrape.
        def ready():
            conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=10)
            conn.request("GET", "/discovery")
            listed = len(json.loads(conn.getresponse().read()))
            ups = 0
            for link in links[:: max(1, n // 50)]:
                conn.request("GET", f"/scrape?target={link}")
                ups += b"} 1\n" in conn.getresponse().read().split(b"\nredis_up{", 1)[-1][:300]
            conn.close()
            return listed == n and ups == len(links[:: max(1, n // 50)])
        wait_for("every target listed, a sample up", ready, timeout=120, step=1)
        warm = time.monotonic() - t_start
        time.sleep(2)
        rss = rss_kib(ex.proc.pid)
        b0, c0, t0 = lateness(ex), cpu(ex.proc.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1, b1 = cpu(ex.proc.pid), time.monotonic(), lateness(ex)
        up = sum(1 for name, _, v in ex.metrics() if name == "redis_up" and v == 1)
        conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=5)
        times = []
        for _ in range(2000):
            target = random.choice(links)
            s = time.perf_counter()
            conn.request("GET", f"/scrape?target={target}")
            body = conn.getresponse().read()
            times.append(time.perf_counter() - s)
            assert body.startswith(b"# HELP")
        conn.request("GET", "/metrics")
        metrics_bytes = len(conn.getresponse().read())
        conn.close()
        wrk_lines = []

        def wrk(what, port=ex.port, server="the exporter", prefix=()):
            out = subprocess.run([*prefix, "wrk", "-t1", "-c1", "-d10s", "-s", os.path.join(HERE, "fleet_scrape.lua"),
                                  f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=60,
                                 env=dict(os.environ, FLEET_DIR=d, FLEET_N=str(n))).stdout
            fields = dict(kv.split("=") for line in out.splitlines() if line.startswith("FLEET_SCRAPE")
                          for kv in line.split()[1:])
            if fields and int(fields["errors"]) == 0:
                wrk_lines.append(f"| /scrape?target= p50 / p99 from {server} (wrk, one connection, paced, {what}, "
                                 f"{int(fields['requests'])} requests) | {int(fields['p50_us']) / 1000:.2f} / "
                                 f"{int(fields['p99_us']) / 1000:.2f} ms | p99 <= 1 ms |")
            else:
                wrk_lines.append(f"| /scrape?target= from {server} (wrk, {what}) | failed: {out.strip()[-200:]!r} | |")
        cpus = sorted(os.sched_getaffinity(0))
        if shutil.which("wrk") and shutil.which("nginx"):
            # Each target's answer, written where nginx's second server finds it.
            conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=5)
            each = os.path.join(d, "nginx-each")
            for link in links:
                conn.request("GET", f"/scrape?target={link}")
                path = os.path.join(each, link.lstrip("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(conn.getresponse().read())
            conn.close()
            with open(os.path.join(each, links[0].lstrip("/")), "rb") as f:
                nginx = nginx_serving(d, f.read(), each, links[0])
        if shutil.which("wrk"):
            wrk("every process on every core")
            if nginx:
                # The same requests to nginx serving a copy of one answer, under the same
                # load: what this machine allows any server.
                wrk("every process on every core", nginx[1], "nginx (a static copy, the reference)")
                wrk("every process on every core", nginx[2], "nginx (a copy per target, the reference)")
            # The same with the HTTP threads (and wrk) on a core of their own, the polling
            # loop and the Redis servers on the others: what is left of the figure above
            # is the scheduler sharing two cores between them.
            if len(cpus) >= 2 and shutil.which("taskset"):
                last, rest = {cpus[-1]}, set(cpus[:-1])
                for tid in os.listdir(f"/proc/{ex.proc.pid}/task"):
                    with open(f"/proc/{ex.proc.pid}/task/{tid}/comm") as f:
                        on_http = f.read().strip() == "MHD-worker"
                    os.sched_setaffinity(int(tid), last if on_http else rest)
                for srv in servers:
                    os.sched_setaffinity(srv.pid, rest)
                wrk("HTTP threads on a core of their own", prefix=("taskset", "-c", str(cpus[-1])))
                if nginx:
                    with open(f"/proc/{nginx[0].pid}/task/{nginx[0].pid}/children") as f:
                        for pid in [nginx[0].pid, *map(int, f.read().split())]:
                            os.sched_setaffinity(pid, last)
                    wrk("nginx on a core of its own", nginx[1], "nginx (a static copy, the reference)",
                        ("taskset", "-c", str(cpus[-1])))
                    wrk("nginx on a core of its own", nginx[2], "nginx (a copy per target, the reference)",
                        ("taskset", "-c", str(cpus[-1])))
        times.sort()
        cpu_pct = (c1 - c0) / (t1 - t0) * 100
        per_target = (rss - base_rss) / n
        print(f"| figure ({n} targets, 1 s interval, {seconds:.0f} s; {malloc}) | measured | goal |")
        print("|---|---|---|")
        print(f"| exporter CPU | {cpu_pct:.1f} % of one core | <= 50 % |")
        print(f"| RSS | {rss / 1024:.1f} MiB (one target: {base_rss / 1024:.1f} MiB) | |")
        print(f"| memory per target beyond the base | {per_target:.1f} KiB | <= 16 KiB |")
        print(f"| poll lateness p50 / p99 (the window) | {quantile(0.5, b0, b1) * 1000:.1f} / "
              f"{quantile(0.99, b0, b1) * 1000:.1f} ms | p99 <= 50 ms |")
        print(f"| targets up at the end | {up} of {n} | |")
        print(f"| /scrape?target= p50 / p99 (Python keep-alive client) | {times[1000] * 1000:.2f} / "
              f"{times[1979] * 1000:.2f} ms | p99 <= 1 ms |")
        for line in wrk_lines:
            print(line)
        print(f"| /metrics body | {metrics_bytes / 1048576:.1f} MiB | |")
        print(f"| start to every target up | {warm:.1f} s | |")
    finally:
        if nginx:
            nginx[0].terminate()
            nginx[0].wait()
        if ex:
            ex.stop()
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
