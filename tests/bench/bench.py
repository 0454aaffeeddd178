#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Side-by-side benchmark: redis_memory_exporter, redis_exporter (Go) and nginx.

Run it through tests/bench/run.sh, which installs the Debian packages, builds the exporter and
cleans up. Every process this script starts is recorded in $BENCH_WORKDIR/pids and stopped in
stop_all(). Everything listens on 127.0.0.1 (plus unix sockets under the work dir), and every
phase is bounded in time. See README.md beside this file for what each figure means.
"""

import datetime
import glob
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def env_float(name, default):
    v = os.environ.get(name)
    return float(v) if v else default


def env_list(name, default):
    v = os.environ.get(name)
    if v is None:
        return default
    return [int(x) for x in v.split(",") if x.strip()]


WORK = os.environ.get("BENCH_WORKDIR") or tempfile.mkdtemp(prefix="rme-bench.")
EXPORTER_BIN = os.environ.get("EXPORTER_BIN", os.path.join(REPO, "build", "redis_memory_exporter"))
CORE_BIN = os.environ.get("BENCH_CORE_BIN", os.path.join(REPO, "build", "rme_bench_core"))
ORIG_EXPORTER_BIN, ORIG_CORE_BIN = EXPORTER_BIN, CORE_BIN
GO_BIN = os.environ.get("GO_EXPORTER_BIN") or shutil.which("prometheus-redis-exporter") or ""
NGINX_BIN = shutil.which("nginx") or "/usr/sbin/nginx"
OUT = os.environ.get("BENCH_OUT", os.path.join(HERE, "results", "latest.md"))

WRK_SECONDS = env_float("BENCH_WRK_SECONDS", 5)
CONNS = env_list("BENCH_CONNS", [1, 10, 100])
GZIP_CONNS = env_list("BENCH_GZIP_CONNS", [10])
KEYS = int(env_float("BENCH_KEYS", 120000))
SCRAPES = int(env_float("BENCH_SCRAPES", 1000))
IDLE_SECONDS = env_float("BENCH_IDLE_SECONDS", 15)
ATTRIBUTION_SECONDS = env_float("BENCH_ATTRIBUTION_SECONDS", 10)
SCALE = env_list("BENCH_SCALE", [100, 1000])
SCALE_TCP = env_list("BENCH_SCALE_TCP", [100])   # also run N targets as N redis-server processes
SCALE_SECONDS = env_float("BENCH_SCALE_SECONDS", 20)
SCALE_SERVERS = int(env_float("BENCH_SCALE_SERVERS", 4))
LATENESS_SECONDS = env_float("BENCH_LATENESS_SECONDS", 10)
PHASES = set((os.environ.get("BENCH_PHASES") or
              "load,scrape,wrk,perf,slow,scale,callgrind").split(","))
NPROC = os.cpu_count() or 1
PIN = os.environ.get("BENCH_PIN", "1" if NPROC >= 2 else "0") == "1"
SERVER_CPU = "0"          # exporters and nginx under test
CLIENT_CPU = "1"          # wrk
POLL_INTERVAL = 1.0
POLL_TIMEOUT = 1.0
MAXMEMORY = "256mb"
POLICY = "allkeys-lru"
CLK_TCK = os.sysconf("SC_CLK_TCK")
FIXTURE_DIRS = [os.environ.get("BENCH_FIXTURES", ""),
                os.path.join(REPO, "tests", "fixtures", "info"),
                os.path.join(os.path.dirname(REPO), "shared", "fixtures", "info")]

R = {"phases": {}}        # every figure, also written as JSON beside the markdown
PROCS = []                # (name, Popen) in start order


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# processes

def start(name, argv, cpu=None, env=None):
    if cpu is not None and PIN:
        argv = ["taskset", "-c", cpu] + argv          # taskset execs: same pid
    logf = open(os.path.join(WORK, name + ".log"), "ab")
    p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, env=env)
    logf.close()
    with open(os.path.join(WORK, "pids"), "a") as f:
        f.write(f"{p.pid}\n")
    PROCS.append((name, p))
    return p


def stop(p, timeout=5.0):
    if p is None or p.poll() is not None:
        return
    try:
        os.kill(p.pid, signal.SIGCONT)
        os.kill(p.pid, signal.SIGTERM)
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(5)
    except ProcessLookupError:
        pass


def stop_all():
    for _, p in reversed(PROCS):
        stop(p)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn, timeout, step=0.05):
    end = time.monotonic() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:
            pass
        if time.monotonic() > end:
            return None
        time.sleep(step)


def log_tail(name, n=5):
    try:
        with open(os.path.join(WORK, name + ".log"), errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-n:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------------------------
# /proc

def proc_status(pid):
    d = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            d[k] = v.strip()
    out = {"rss_kib": int(d["VmRSS"].split()[0]), "threads": int(d["Threads"]),
           "rss_anon_kib": int(d.get("RssAnon", "0 kB").split()[0])}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["pss_kib"] = int(line.split()[1])
    except OSError:
        pass
    return out


def rss_by_mapping(pid):
    """[(mapping name, resident KiB)], largest first."""
    acc = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
            elif line.startswith("Rss:"):
                acc[name] = acc.get(name, 0) + int(line.split()[1])
    return sorted(acc.items(), key=lambda kv: -kv[1])


def children(pid):
    out = []
    for t in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(t) as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def cpu_sample(pid, with_children=False):
    """CPU seconds of a process: utime+stime (ticks, includes exited threads) and the sum of
    the live threads' schedstat run time (nanoseconds)."""
    pids = [pid] + (children(pid) if with_children else [])
    ticks = 0.0
    sched = 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            ticks += (int(rest[11]) + int(rest[12])) / CLK_TCK
            for t in glob.glob(f"/proc/{p}/task/*/schedstat"):
                with open(t) as f:
                    sched += int(f.read().split()[0]) / 1e9
        except (OSError, IndexError):
            pass
    return (ticks, sched)


def cpu_delta(a, b):
    """Seconds of CPU between two samples. schedstat is precise but forgets threads that
    exited; ticks are 10 ms coarse. Use schedstat unless the ticks say threads went away."""
    dt_ticks = b[0] - a[0]
    dt_sched = b[1] - a[1]
    if dt_ticks - dt_sched > 0.03:
        return dt_ticks
    return max(dt_sched, 0.0)


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v), idle)


# ----------------------------------------------------------------------------------------------
# HTTP and metrics

def http_get(port, path="/metrics", headers=None, timeout=30.0, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.perf_counter()
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if conn is None:
        c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body, dt


SAMPLE_RE = re.compile(rb'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^\n]*\})?[ \t]+(\S+)', re.M)
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(body, name=None):
    out = []
    for m in SAMPLE_RE.finditer(body):
        n = m.group(1).decode()
        if name is not None and n != name:
            continue
        labels = dict(LABEL_RE.findall(m.group(2).decode())) if m.group(2) else {}
        try:
            out.append((n, labels, float(m.group(3))))
        except ValueError:
            pass
    return out


def series_count(body):
    return sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))


def redis_up(port):
    try:
        st, _, body, dt = http_get(port, timeout=5)
    except Exception:
        return None
    v = [s[2] for s in samples(body, "redis_up")]
    return v[0] if len(v) == 1 else (v if v else None)


def curl(port, path="/metrics", max_time=30):
    out = os.path.join(WORK, f"curl-{port}.out")
    p = subprocess.run(["curl", "-s", "-m", str(max_time), "-o", out, "-w",
                        "%{http_code} %{time_total}", f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True, timeout=max_time + 10)
    code, _, tt = p.stdout.partition(" ")
    body = b""
    if os.path.exists(out):
        with open(out, "rb") as f:
            body = f.read()
        os.unlink(out)
    up = [s[2] for s in samples(body, "redis_up")]
    return {"code": int(code or 0), "time_s": float(tt or "nan"),
            "redis_up": up[0] if up else None, "curl_rc": p.returncode}


# ----------------------------------------------------------------------------------------------
# Redis

def redis_server(name, port, extra=()):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "redis.sock")
    p = start(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                     "--protected-mode", "yes", "--save", "", "--appendonly", "no",
                     "--dir", d, "--unixsocket", sock, "--unixsocketperm", "700",
                     "--daemonize", "no", "--logfile", ""] + list(extra))
    ok = wait_until(lambda: redis.Redis(host="127.0.0.1", port=port,
                                        socket_timeout=1).ping(), 10)
    if not ok:
        raise RuntimeError(f"{name} did not start: {log_tail(name)}")
    return p, sock


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def load_dataset(port, n):
    """n keys of several types, about a third with a TTL; deterministic."""
    import random
    rnd = random.Random(42)
    buf = []
    n_hash, n_list, n_zset = n // 10, n // 20, n // 20
    n_str = n - n_hash - n_list - n_zset
    for i in range(n_str):
        v = b"x" * rnd.randint(32, 480)
        if i % 3 == 0:
            buf.append(resp("SET", f"session:{i}", v, "EX", rnd.randint(3600, 86400)))
        else:
            buf.append(resp("SET", f"cache:{i}", v))
    for i in range(n_hash):
        args = ["HSET", f"user:{i}"]
        for k in range(10):
            args += [f"field{k}", "v" * rnd.randint(4, 40)]
        buf.append(resp(*args))
    for i in range(n_list):
        buf.append(resp("RPUSH", f"queue:{i}", *[f"job-{i}-{k}" for k in range(20)]))
    for i in range(n_zset):
        args = ["ZADD", f"rank:{i}"]
        for k in range(10):
            args += [k * 1.5, f"member{k}"]
        buf.append(resp(*args))
    data = b"".join(buf)
    p = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "--pipe"],
                       input=data, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("redis-cli --pipe failed: " + p.stdout.decode()[-300:])


def commandstats(r):
    out = {}
    for k, v in r.info("commandstats").items():
        name = k[len("cmdstat_"):] if k.startswith("cmdstat_") else k
        if name.startswith("config|resetstat"):
            continue              # the benchmark's own CONFIG RESETSTAT
        out[name] = {"calls": int(v["calls"]), "usec": int(v["usec"])}
    return out


def cost_summary(stats, units):
    calls = sum(v["calls"] for v in stats.values())
    usec = sum(v["usec"] for v in stats.values())
    top = sorted(stats.items(), key=lambda kv: -kv[1]["usec"])
    return {"units": units, "calls": calls, "usec": usec,
            "calls_per_unit": calls / units if units else None,
            "usec_per_unit": usec / units if units else None,
            "by_command": {k: {"calls_per_unit": v["calls"] / units,
                               "usec_per_unit": v["usec"] / units} for k, v in top}}


# ----------------------------------------------------------------------------------------------
# wrk

def to_us(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    if not m:
        return None
    f = {"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6}[m.group(2)]
    return float(m.group(1)) * f


def wrk(port, conns, seconds, headers=(), path="/metrics"):
    threads = 1 if PIN else min(conns, 2)
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds:g}s", "--latency",
            "--timeout", "10s"]
    for h in headers:
        argv += ["-H", h]
    argv.append(f"http://127.0.0.1:{port}{path}")
    if PIN:
        argv = ["taskset", "-c", CLIENT_CPU] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    out = p.stdout
    res = {"conns": conns, "threads": threads, "raw": out.strip()}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    for q in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        res[f"p{q}_us"] = to_us(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    if p.returncode != 0 or res["rps"] is None:
        res["error"] = (p.stderr or out).strip()[-300:]
    return res


# ----------------------------------------------------------------------------------------------
# nginx

def nginx_start(port, body):
    root = os.path.join(WORK, "nginx")
    www = os.path.join(root, "www")
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    os.makedirs(www, exist_ok=True)
    for d in (root, www):
        os.chmod(d, 0o755)
    with open(os.path.join(www, "metrics"), "wb") as f:
        f.write(body)
    with open(os.path.join(www, "metrics.gz"), "wb") as f:
        f.write(gzip.compress(body, 6))
    for fn in ("metrics", "metrics.gz"):
        os.chmod(os.path.join(www, fn), 0o644)
    conf = os.path.join(root, "nginx.conf")
    t = os.path.join(root, "tmp")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 60s; keepalive_requests 100000000;
  types {{ }}
  default_type "text/plain; version=0.0.4; charset=utf-8";
  client_body_temp_path {t}/body; proxy_temp_path {t}/proxy; fastcgi_temp_path {t}/fastcgi;
  uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {www};
    location = /metrics {{ gzip_static on; }}
  }}
}}
""")
    p = start("nginx", [NGINX_BIN, "-p", root, "-c", conf, "-e", f"{root}/error.log"],
              cpu=SERVER_CPU)
    ok = wait_until(lambda: http_get(port, timeout=2)[0] == 200, 10)
    if not ok:
        raise RuntimeError("nginx did not start: " + log_tail("nginx"))
    return p


# ----------------------------------------------------------------------------------------------
# exporters

def ours_argv(addrs, port, extra=()):
    return ([EXPORTER_BIN] + [f"--redis.addr={a}" for a in addrs] +
            [f"--web.listen-address=127.0.0.1:{port}", f"--poll.interval={POLL_INTERVAL:g}s",
             f"--poll.timeout={POLL_TIMEOUT:g}s", "--log.level=warn"] + list(extra))


def start_ours(name, addrs, port, extra=(), wait_up=True, timeout=15.0):
    p = start(name, ours_argv(addrs, port, extra), cpu=SERVER_CPU)
    if not wait_up:
        return p

    def ready():
        if p.poll() is not None:
            raise RuntimeError(f"{name} exited {p.returncode}: {log_tail(name)}")
        st, _, body, _ = http_get(port, timeout=2)
        ups = [s for s in samples(body, "redis_up") if s[2] == 1]
        return st == 200 and len(ups) >= len(set(addrs))

    try:
        ok = wait_until(ready, timeout)
    except RuntimeError:
        raise
    if not ok and p.poll() is not None:
        raise RuntimeError(f"{name} exited {p.returncode}: {log_tail(name)}")
    if not ok:
        raise RuntimeError(f"{name}: not all targets up after {timeout:g}s: {log_tail(name)}")
    return p


def start_go(port, redis_port):
    p = start("redis_exporter", [GO_BIN, f"--redis.addr=redis://127.0.0.1:{redis_port}",
                                 f"--web.listen-address=127.0.0.1:{port}"], cpu=SERVER_CPU)

    def ready():
        st, _, body, _ = http_get(port, timeout=5)
        return st == 200 and b"\nredis_up 1" in body

    if not wait_until(ready, 20, step=0.2):
        raise RuntimeError("redis_exporter did not come up: " + log_tail("redis_exporter"))
    return p


def version_of(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        line = (p.stdout + p.stderr).strip().splitlines()[0]
        m = re.search(r'msg="([^"]*)"', line)          # redis_exporter logs its version
        return md(re.sub(r"\s+", " ", m.group(1) if m else line))
    except Exception as e:
        return f"? ({e})"


# ----------------------------------------------------------------------------------------------
# phases

def keepalive_probe(port):
    """Two GETs on one HTTP/1.1 connection: does the server keep it open?"""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        st, h, _, _ = http_get(port, conn=c)
        first = h.get("connection", "")
        sock_before = c.sock
        http_get(port, conn=c)
        reused = c.sock is not None and c.sock is sock_before
        return {"connection_header": first or "(none)", "kept_alive": reused and
                first.lower() != "close"}
    except Exception as e:
        return {"error": str(e)[:100]}
    finally:
        c.close()


def scrape_loop(port, n, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    bad = 0
    for _ in range(n):
        st, _, _, dt = http_get(port, headers=headers, conn=c)
        times.append(dt)
        bad += st != 200
    c.close()
    times.sort()
    return {"n": n, "non200": bad, "mean_ms": 1e3 * sum(times) / n,
            "p50_ms": 1e3 * times[n // 2], "p99_ms": 1e3 * times[min(n - 1, int(n * 0.99))]}


def phase_idle(ctx):
    """Idle window: our exporter polls, nobody scrapes. CPU per poll, Redis cost per poll,
    connections opened."""
    r = ctx["ctl"]
    res = {}
    ours, go = ctx.get("ours"), ctx.get("go")
    r.config_resetstat()
    t0 = time.monotonic()
    a_ours = cpu_sample(ours.pid) if ours else None
    a_go = cpu_sample(go.pid) if go else None
    time.sleep(IDLE_SECONDS)
    el = time.monotonic() - t0
    if ours:
        d = cpu_delta(a_ours, cpu_sample(ours.pid))
        polls = el / POLL_INTERVAL
        res["ours"] = {"seconds": el, "polls": polls, "cpu_s": d,
                       "cpu_per_poll_us": 1e6 * d / polls, "cpu_pct": 100 * d / el}
    if go:
        d = cpu_delta(a_go, cpu_sample(go.pid))
        res["go"] = {"seconds": el, "cpu_s": d, "cpu_pct": 100 * d / el}
    stats = commandstats(r)
    conns = int(r.info("stats")["total_connections_received"])
    if ours:
        # One multi-section INFO per poll on Redis >= 7: count polls on Redis' side.
        polls = stats.get("info", {}).get("calls") or el / POLL_INTERVAL
        res["ours"]["polls"] = polls
        res["ours"]["cpu_per_poll_us"] = 1e6 * res["ours"]["cpu_s"] / polls
        res["ours"]["redis"] = cost_summary(stats, polls)
        res["ours"]["connections_opened"] = conns
    R["phases"]["idle"] = res
    return res


GO_SLOW_SCRAPES = int(env_float("BENCH_GO_SLOW_SCRAPES", 10))
FAST_POLL_SECONDS = env_float("BENCH_FAST_POLL_SECONDS", 3)


def phase_redis_cadence(ctx):
    """Redis-side cost depends on cadence: one command a second finds cold caches, a tight
    loop warm ones. Measure both exporters both ways: redis_exporter scraped once a second
    (cold, like our polls) and our exporter polling every 10 ms (warm, like redis_exporter's
    sequential scrapes). The other exporter is stopped (SIGSTOP) during each window."""
    r = ctx["ctl"]
    res = {}
    ours, go = ctx.get("ours"), ctx.get("go")
    if go:
        if ours:
            os.kill(ours.pid, signal.SIGSTOP)
        try:
            r.config_resetstat()
            c = http.client.HTTPConnection("127.0.0.1", ctx["go_port"], timeout=30)
            for i in range(GO_SLOW_SCRAPES):
                t0 = time.monotonic()
                http_get(ctx["go_port"], conn=c)
                time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
            c.close()
            res["go_1s"] = cost_summary(commandstats(r), GO_SLOW_SCRAPES)
        finally:
            if ours:
                os.kill(ours.pid, signal.SIGCONT)
    if ours:
        port = free_port()
        if ours:
            os.kill(ours.pid, signal.SIGSTOP)
        p = None
        try:
            p = start_ours("ours-10ms", [f"127.0.0.1:{ctx['redis_port']}"], port,
                           ["--poll.interval=10ms", "--poll.timeout=100ms"])
            time.sleep(0.5)
            r.config_resetstat()
            time.sleep(FAST_POLL_SECONDS)
            stats = commandstats(r)
            polls = stats.get("info", {}).get("calls", 0)
            res["ours_10ms"] = cost_summary(stats, polls) if polls else None
        except Exception as e:
            res["ours_10ms_error"] = str(e)[:200]
        finally:
            stop(p)
            os.kill(ours.pid, signal.SIGCONT)
    R["phases"]["cadence"] = res
    return res


# Which commands are whose: the poll's, the key sampler's, the watched keys'.
POLL_CMDS = ("info", "config|get", "memory|stats", "client|setname")
SAMPLER_CMDS = ("select", "scan", "memory|usage", "type", "pttl")
WATCH_CMDS = ("select", "type", "llen", "xlen", "scard", "zcard", "hlen", "strlen", "memory|usage")


def per_second(stats, names, seconds):
    calls = sum(stats.get(n, {}).get("calls", 0) for n in names)
    usec = sum(stats.get(n, {}).get("usec", 0) for n in names)
    return {"calls_per_s": calls / seconds, "usec_per_s": usec / seconds}


def phase_attribution(ctx):
    """Issue 25: what the key sampler and the watched keys cost Redis each second, beside the
    poll's, with their default budgets: a second exporter with the sampler alone (100 keys a
    second), then one watching 1,000 keys (100 keys a second), each over its own window with
    the main exporter stopped."""
    r, ours = ctx["ctl"], ctx.get("ours")
    if not ours:
        return None
    res = {}
    watch = ",".join(f"db0=queue:{i}" for i in range(1000))
    windows = (("sampler", ["--sampler.keys-per-second=100"], SAMPLER_CMDS),
               ("watch", [f"--keys.watch={watch}"], WATCH_CMDS))
    os.kill(ours.pid, signal.SIGSTOP)
    try:
        for name, flags, cmds in windows:
            p = None
            try:
                port = free_port()
                p = start_ours(f"ours-{name}", [f"127.0.0.1:{ctx['redis_port']}"], port, flags)
                time.sleep(3)
                if name == "watch":   # the first round asks TYPE too: measure the steady state
                    wait_until(lambda: http_get(port)[2].count(b"\nredis_key_size{") >= 1000, 60, step=0.5)
                r.config_resetstat()
                t0 = time.monotonic()
                time.sleep(ATTRIBUTION_SECONDS)
                stats, took = commandstats(r), time.monotonic() - t0
                res[name] = {"poll": per_second(stats, POLL_CMDS, took), name: per_second(stats, cmds, took)}
            except Exception as e:
                res[name + "_error"] = str(e)[:200]
            finally:
                stop(p)
    finally:
        os.kill(ours.pid, signal.SIGCONT)
    R["phases"]["attribution"] = res
    return res


def phase_scrapes(ctx):
    """SCRAPES sequential keep-alive scrapes of each exporter: exporter CPU, Redis commands and
    Redis time, connections opened. Our exporter is SIGSTOPped while redis_exporter is measured,
    so that Redis' counters hold only redis_exporter's work."""
    r = ctx["ctl"]
    res = {}
    ours, go = ctx.get("ours"), ctx.get("go")
    idle = R["phases"].get("idle", {}).get("ours", {})
    if ours:
        r.config_resetstat()
        t0 = time.monotonic()
        a = cpu_sample(ours.pid)
        lat = scrape_loop(ctx["ours_port"], SCRAPES)
        d = cpu_delta(a, cpu_sample(ours.pid))
        el = time.monotonic() - t0
        stats = commandstats(r)
        conns = int(r.info("stats")["total_connections_received"])
        net = d - idle.get("cpu_pct", 0) / 100 * el
        res["ours"] = {"seconds": el, "cpu_s": d, "cpu_per_1000_ms": 1e6 * d / SCRAPES,
                       "cpu_per_1000_net_ms": 1e6 * max(net, 0) / SCRAPES,
                       "latency": lat, "redis": cost_summary(stats, SCRAPES),
                       "connections_opened": conns,
                       "connections_per_100": 100 * conns / SCRAPES}
    if go:
        if ours:
            os.kill(ours.pid, signal.SIGSTOP)
        try:
            r.config_resetstat()
            t0 = time.monotonic()
            a = cpu_sample(go.pid)
            lat = scrape_loop(ctx["go_port"], SCRAPES)
            d = cpu_delta(a, cpu_sample(go.pid))
            el = time.monotonic() - t0
            stats = commandstats(r)
            conns = int(r.info("stats")["total_connections_received"])
        finally:
            if ours:
                os.kill(ours.pid, signal.SIGCONT)
        res["go"] = {"seconds": el, "cpu_s": d, "cpu_per_1000_ms": 1e6 * d / SCRAPES,
                     "latency": lat, "redis": cost_summary(stats, SCRAPES),
                     "connections_opened": conns, "connections_per_100": 100 * conns / SCRAPES}
    R["phases"]["scrapes"] = res
    return res


def phase_wrk(ctx):
    rows = []
    targets = []
    if ctx.get("ours"):
        targets.append(("redis_memory_exporter", ctx["ours_port"], ctx["ours"].pid, False))
    if ctx.get("go"):
        targets.append(("redis_exporter", ctx["go_port"], ctx["go"].pid, False))
    targets.append(("nginx (static copy)", ctx["nginx_port"], ctx["nginx"].pid, True))
    R["env"]["keepalive"] = {name: keepalive_probe(port) for name, port, _, _ in targets}
    plan = [(c, ()) for c in CONNS] + [(c, ("Accept-Encoding: gzip",)) for c in GZIP_CONNS]
    redis_pid = ctx["redis"].pid
    for conns, headers in plan:
        for name, port, pid, kids in targets:
            a = cpu_sample(pid, kids)
            ra = cpu_sample(redis_pid)
            m0 = machine_busy()
            t0 = time.monotonic()
            w = wrk(port, conns, WRK_SECONDS, headers)
            el = time.monotonic() - t0
            m1 = machine_busy()
            w["server_cpu_pct"] = 100 * cpu_delta(a, cpu_sample(pid, kids)) / el
            w["redis_cpu_pct"] = 100 * cpu_delta(ra, cpu_sample(redis_pid)) / el
            tot, idl = m1[0] - m0[0], m1[1] - m0[1]
            w["machine_busy_cores"] = NPROC * (tot - idl) / tot if tot else None
            w["target"] = name
            w["gzip"] = bool(headers)
            rows.append(w)
            log(f"wrk {name:24s} c={conns:<3d} gzip={int(bool(headers))} "
                f"{(w['rps'] or 0):10.0f} req/s p50={w['p50_us']} p99={w['p99_us']} "
                f"err={w['socket_errors']}/{w['non2xx']}")
            time.sleep(0.5)
    R["phases"]["wrk"] = rows
    return rows


def perf_reports(perf, data):
    """From a perf.data: the top symbols (dso, symbol) and the share per shared object."""
    p = subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                        "--sort", "dso,symbol", "--percent-limit", "0.5"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return None, None, p.stderr[-300:]
    d = subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                        "--sort", "dso", "--percent-limit", "1"],
                       capture_output=True, text=True, timeout=120)
    by_dso = [re.sub(r"\s+", " ", l.strip()) for l in d.stdout.splitlines()
              if l.strip() and not l.startswith("#")][:8]
    return p.stdout, by_dso, None


def poll_profile(pid, seconds=5):
    """Where the exporter's time goes while it only polls (no scrapes): perf by shared
    object and the top symbols, for the scale rows beside the floor client."""
    perf = shutil.which("perf")
    if not perf:
        return {"error": "perf not installed"}
    data = os.path.join(WORK, f"perf-poll-{pid}.data")
    p = subprocess.run([perf, "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-o", data,
                        "-p", str(pid), "--", "sleep", f"{seconds:g}"],
                       capture_output=True, text=True, timeout=seconds + 60)
    text, by_dso, err = perf_reports(perf, data)
    if err or p.returncode != 0:
        return {"error": (err or p.stderr)[-300:]}
    top = [re.sub(r"\s+", " ", l.strip()) for l in text.splitlines()
           if l.strip() and not l.startswith("#")][:10]
    return {"by_dso": by_dso, "top": top}


def phase_perf(ctx):
    """perf profile of our exporter while wrk scrapes it with 10 connections (evidence for
    where the serving time goes). Written to results/perf-metrics-c10.txt."""
    res = {}
    R["phases"]["perf"] = res
    perf = shutil.which("perf")
    if not ctx.get("ours") or not perf:
        res["error"] = "no exporter binary" if not ctx.get("ours") else "perf not installed"
        return res
    data = os.path.join(WORK, "perf.data")
    rec = subprocess.Popen([perf, "record", "-q", "-e", "cpu-clock", "-F", "1999", "-g",
                            "-o", data, "-p", str(ctx["ours"].pid), "--",
                            "sleep", f"{WRK_SECONDS:g}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.2)
    w = wrk(ctx["ours_port"], 10, WRK_SECONDS)
    try:
        _, err = rec.communicate(timeout=WRK_SECONDS + 30)
    except subprocess.TimeoutExpired:
        rec.kill()
        _, err = rec.communicate()
    out = os.path.join(os.path.dirname(OUT), "perf-metrics-c10.txt")
    text, by_dso, rep_err = perf_reports(perf, data)
    if rep_err:
        res["error"] = (err.decode(errors="replace") + rep_err)[-300:]
        return res
    with open(out, "w") as f:
        f.write(f"# perf record -e cpu-clock -F 1999 -g -p <redis_memory_exporter> during\n"
                f"# wrk -c10 -d{WRK_SECONDS:g}s /metrics ({fmt_n(w.get('rps'))} req/s under perf)\n")
        f.write("\n".join(l for l in text.splitlines() if l.strip()) + "\n")
    res["file"] = out
    res["top"] = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")][:12]
    res["by_dso"] = by_dso
    with open(out, "a") as f:
        f.write("\n# by shared object\n" + "\n".join(res["by_dso"]) + "\n")
    strace = shutil.which("strace")
    if strace:
        so = os.path.join(WORK, "strace.txt")
        tr = subprocess.Popen([strace, "-c", "-f", "-o", so, "-p", str(ctx["ours"].pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        w = wrk(ctx["ours_port"], 10, 3)
        time.sleep(0.2)
        tr.send_signal(signal.SIGINT)
        try:
            tr.wait(15)
        except subprocess.TimeoutExpired:
            tr.kill()
            tr.wait()
        calls = {}
        if os.path.exists(so):
            for line in open(so):
                f = line.split()
                if len(f) >= 5 and f[0][0].isdigit() and f[-1] not in ("total",):
                    try:
                        calls[f[-1]] = int(f[3])
                    except ValueError:
                        pass
        n = w.get("requests") or 0
        if n and calls:
            res["syscalls_per_request"] = {k: v / n for k, v in
                                           sorted(calls.items(), key=lambda kv: -kv[1])
                                           if v / n >= 0.05}
            with open(out, "a") as f:
                f.write(f"\n# strace -c -f during wrk -c10 -d3s ({n} requests): "
                        "system calls per request\n" +
                        "\n".join(f"{k} {v:.2f}" for k, v in
                                  res["syscalls_per_request"].items()) + "\n")
    return res


def phase_slow(ctx):
    """Redis SIGSTOPped: how long each exporter takes to answer, and what redis_up says."""
    redis_p = ctx["redis"]
    res = {"ours": None, "go": None}
    go_res = {}

    def go_scrape():
        go_res.update(curl(ctx["go_port"], max_time=30))

    os.kill(redis_p.pid, signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        th = None
        if ctx.get("go"):
            th = threading.Thread(target=go_scrape)
            th.start()
        if ctx.get("ours"):
            seq = []
            first_down = None
            end = t_stop + POLL_INTERVAL + POLL_TIMEOUT + 8
            while time.monotonic() < end:
                c = curl(ctx["ours_port"], max_time=30)
                c["t"] = time.monotonic() - t_stop
                seq.append(c)
                if c["redis_up"] == 0 and first_down is None:
                    first_down = c["t"]
                if first_down is not None and c["t"] > first_down + 1.0:
                    break
                time.sleep(0.1)
            times = sorted(x["time_s"] for x in seq)
            res["ours"] = {"scrapes": len(seq), "max_ms": 1e3 * times[-1],
                           "median_ms": 1e3 * times[len(times) // 2],
                           "first_ms": 1e3 * seq[0]["time_s"],
                           "first_redis_up": seq[0]["redis_up"],
                           "redis_up_0_after_s": first_down,
                           "codes": sorted(set(x["code"] for x in seq))}
        if th:
            th.join(40)
            res["go"] = {"time_s": go_res.get("time_s"), "code": go_res.get("code"),
                         "redis_up": go_res.get("redis_up"), "curl_rc": go_res.get("curl_rc")}
    finally:
        os.kill(redis_p.pid, signal.SIGCONT)
    t_cont = time.monotonic()
    if ctx.get("ours"):
        ok = wait_until(lambda: redis_up(ctx["ours_port"]) == 1, 15, step=0.1)
        res["ours"]["recovered_after_s"] = (time.monotonic() - t_cont) if ok else None
    R["phases"]["slow"] = res
    return res


CG_ROUNDS = int(env_float("BENCH_CG_ROUNDS", 100))


def phase_callgrind(ctx):
    """Instructions per round of parse + derive + render for each INFO fixture:
    (Ir of `rme_bench_core -n 1+ROUNDS F` − Ir of `rme_bench_core -n 1 F`) / ROUNDS, which
    leaves out process start, reading the file and the first round's allocations."""
    fixdir = next((d for d in FIXTURE_DIRS if d and os.path.isdir(d)), None)
    res = {"fixtures_dir": fixdir, "rows": [], "driver": CORE_BIN, "rounds": CG_ROUNDS}
    R["phases"]["callgrind"] = res
    if not fixdir:
        res["error"] = "no fixtures dir"
        return res
    if not os.access(CORE_BIN, os.X_OK):
        res["error"] = f"{CORE_BIN} not built"
        return res
    cg = os.path.join(WORK, "callgrind")
    os.makedirs(cg, exist_ok=True)

    def ir(rounds, path, tag):
        out = os.path.join(cg, tag + ".out")
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            CORE_BIN, "-n", str(rounds), path],
                           capture_output=True, text=True, timeout=300)
        m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
        if p.returncode != 0 or not m:
            raise RuntimeError(f"callgrind {tag}: rc={p.returncode} {p.stderr[-300:]}")
        body = re.search(r"body_bytes=(\d+)", p.stdout)
        return int(m.group(1)), int(body.group(1)) if body else None, out

    files = sorted(glob.glob(os.path.join(fixdir, "*.txt")))
    for path in files:
        name = os.path.basename(path)
        try:
            one, body, _ = ir(1, path, name + ".1")
            many, _, out = ir(1 + CG_ROUNDS, path, name + ".n")
            res["rows"].append({"fixture": name, "bytes": os.path.getsize(path),
                                "body_bytes": body, "ir_run": one,
                                "ir_per_round": (many - one) / CG_ROUNDS,
                                "ir_per_input_byte": (many - one) / CG_ROUNDS /
                                max(os.path.getsize(path), 1)})
        except Exception as e:
            res["rows"].append({"fixture": name, "error": str(e)[:200]})
    # Where the instructions go, for one representative fixture.
    pick = os.environ.get("BENCH_CG_FIXTURE", "redis-7.4.4-master.txt")
    pick = os.path.join(fixdir, pick)
    if not os.path.exists(pick) and files:
        pick = max(files, key=os.path.getsize)
    out = os.path.join(cg, os.path.basename(pick) + ".n.out")
    if os.path.exists(out) and shutil.which("callgrind_annotate"):
        p = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=98", out],
                           capture_output=True, text=True, timeout=60)
        dest = os.path.join(os.path.dirname(OUT), "callgrind-top.txt")
        with open(dest, "w") as f:
            f.write(f"# valgrind --tool=callgrind {os.path.relpath(CORE_BIN, REPO)} -n "
                    f"{1 + CG_ROUNDS} {os.path.basename(pick)}; callgrind_annotate "
                    "--inclusive=no (self cost)\n")
            f.write(p.stdout)
        res["annotate_file"] = dest
        res["annotate_top"] = [l.rstrip() for l in p.stdout.splitlines()
                               if re.match(r"^\s*[\d,]+ \(", l)][:15]
    return res


def phase_scale(ctx):
    res = {"servers": SCALE_SERVERS, "rows": []}
    R["phases"]["scale"] = res
    if not ctx.get("ours"):
        res["error"] = "exporter binary missing"
        return res
    servers = []
    for k in range(SCALE_SERVERS):
        port = free_port()
        p, sock = redis_server(f"redis-scale-{k}", port, ["--maxclients", "10000"])
        servers.append((port, sock, p))

    # Duplicates: the same addr twice.
    port = free_port()
    a = f"127.0.0.1:{servers[0][0]}"
    p = start("dupcheck", ours_argv([a, a], port), cpu=SERVER_CPU)
    time.sleep(1.5 + POLL_INTERVAL)
    if p.poll() is not None:
        dup = "rejected"
        res["duplicates"] = f"rejected at start (exit {p.returncode}: {log_tail('dupcheck', 1)})"
    else:
        ups = [s for s in samples(http_get(port, timeout=5)[2], "redis_up")]
        dup = "separate" if len(ups) >= 2 else "merged"
        res["duplicates"] = {"separate": "accepted as separate targets",
                             "merged": "accepted, merged into one target"}[dup] + \
            f" ({len(ups)} redis_up series)"
    stop(p)
    log(f"scale: duplicate --redis.addr: {res['duplicates']}")

    def addrs_for(n, mode):
        if mode == "tcp-dup":
            return [f"127.0.0.1:{servers[i % len(servers)][0]}" for i in range(n)]
        # unix: n distinct paths (symlinks), each pointing at one of the servers' sockets.
        d = os.path.join(WORK, f"links-{n}")
        os.makedirs(d, exist_ok=True)
        out = []
        for i in range(n):
            link = os.path.join(d, f"t{i}.sock")
            if not os.path.lexists(link):
                os.symlink(servers[i % len(servers)][1], link)
            out.append(f"unix://{link}")
        return out

    plan = []
    for n in SCALE:
        plan.append((n, "tcp-dup" if dup == "separate" else "unix-symlinks"))
    for n in SCALE_TCP:
        if dup != "separate":
            plan.append((n, "tcp-processes"))
    for n, mode in plan:
        extra_procs = []
        try:
            if mode == "tcp-processes":
                addrs = []
                for i in range(n):
                    port_i = free_port()
                    p_i, _ = redis_server(f"redis-tcp-{n}-{i}", port_i, ["--hz", "1"])
                    extra_procs.append(p_i)
                    addrs.append(f"127.0.0.1:{port_i}")
            else:
                addrs = addrs_for(n, mode)
            row = scale_one(n, mode, addrs)
        except Exception as e:
            row = {"targets": n, "mode": mode, "error": str(e)[:300]}
        finally:
            for p_i in extra_procs:
                stop(p_i)
        res["rows"].append(row)
        log(f"scale: {row}")
    for _, _, p in servers:
        stop(p)
    return res


TS_RE = re.compile(rb'^redis_memory_exporter_last_poll_success_timestamp_seconds\{([^}]*)\}'
                   rb'[ \t]+(\S+)', re.M)


def scale_one(n, mode, addrs):
    port = free_port()
    t0 = time.monotonic()
    p = start_ours(f"ours-scale-{n}-{mode}", addrs, port,
                   ["--web.max-connections=64"], timeout=30 + n / 50)
    row = {"targets": n, "mode": mode, "all_up_after_s": time.monotonic() - t0}
    try:
        time.sleep(2)
        h0 = lateness_hist(http_get(port)[2])
        row["rss_start_kib"] = proc_status(p.pid)["rss_kib"]
        a = cpu_sample(p.pid)
        t1 = time.monotonic()
        row["scrapes"] = window_scrapes(port, t1 + SCALE_SECONDS)
        el = time.monotonic() - t1
        d = cpu_delta(a, cpu_sample(p.pid))
        st = proc_status(p.pid)
        row.update({"seconds": el, "cpu_pct": 100 * d / el,
                    "cpu_per_poll_us": 1e6 * d / (el / POLL_INTERVAL * n),
                    "rss_kib": st["rss_kib"], "threads": st["threads"]})
        rest_scrapes(port, row["scrapes"], REST_SCRAPES)
        status, _, body, dt = http_get(port)
        row["body_bytes"] = len(body)
        row["scrape_ms"] = 1e3 * dt
        ups = [s for s in samples(body, "redis_up")]
        row["up"] = sum(1 for s in ups if s[2] == 1)
        # The exporter's own poll-lateness histogram over the CPU window.
        row["lateness"] = hist_delta(h0, lateness_hist(body))
        # Derived: consecutive last_poll_success timestamps of every target, sampled at 10 Hz.
        seen = {}
        t_end = time.monotonic() + LATENESS_SECONDS
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < t_end:
            _, _, body, _ = http_get(port, conn=conn)
            for m in TS_RE.finditer(body):
                seen.setdefault(m.group(1), []).append(float(m.group(2)))
            time.sleep(0.1)
        conn.close()
        gaps = []
        for vals in seen.values():
            uniq = sorted(set(vals))
            gaps += [b - a for a, b in zip(uniq, uniq[1:])]
        gaps.sort()
        if gaps:
            over = [g - POLL_INTERVAL for g in gaps]
            row["poll_gap"] = {"n": len(gaps),
                               "p50_ms": 1e3 * over[len(over) // 2],
                               "p99_ms": 1e3 * over[min(len(over) - 1, int(len(over) * 0.99))],
                               "max_ms": 1e3 * over[-1]}
        if mode == "unix-symlinks":
            row["profile"] = poll_profile(p.pid)
    finally:
        stop(p)
    if mode == "unix-symlinks":
        row["floor"] = floor_run(addrs)
    return row


SCRAPE_EVERY = env_float("BENCH_SCRAPE_EVERY", 15)
REST_SCRAPES = int(env_float("BENCH_REST_SCRAPES", 4))


def window_scrapes(port, end):
    """Prometheus's share of the CPU window: one /metrics scrape every SCRAPE_EVERY
    seconds (the first 2.5 s in), each the first of its snapshot. Returns their times in
    ms: {"first": [...]}; rest_scrapes() times the others."""
    out = {"first": [], "window": 0}
    at = time.monotonic() + 2.5
    while at < end:
        time.sleep(max(0.0, at - time.monotonic()))
        # a connection per scrape: the exporter closes one idle for 10 s
        out["first"].append(1e3 * http_get(port)[3])
        at += SCRAPE_EVERY
    out["window"] = len(out["first"])
    out["next"] = at
    time.sleep(max(0.0, end - time.monotonic()))
    return out


def rest_scrapes(port, scrapes, n=5):
    """After the window, the same schedule going on: each first scrape followed at once
    by another of the same snapshot (the rest)."""
    scrapes["rest"] = []
    at = scrapes.pop("next")
    for _ in range(n):
        time.sleep(max(0.0, at - time.monotonic()))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        scrapes["first"].append(1e3 * http_get(port, conn=conn)[3])
        scrapes["rest"].append(1e3 * http_get(port, conn=conn)[3])
        conn.close()
        at += SCRAPE_EVERY


def floor_run(addrs):
    """The machine's floor for the same polls: tests/bench/floor_client.c (one INFO round
    trip per target per interval on kept unix-socket connections, each reply read whole and
    scanned for line ends, nothing else) over the same targets, right after the exporter."""
    exe = os.path.join(WORK, "floor_client")
    if not os.path.exists(exe):
        subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "floor_client.c")], check=True)
    paths = [a[len("unix://"):] for a in addrs]
    p = subprocess.run(["taskset", "-c", str(SERVER_CPU), exe, str(SCALE_SECONDS), str(POLL_INTERVAL), *paths]
                       if PIN else [exe, str(SCALE_SECONDS), str(POLL_INTERVAL), *paths],
                       capture_output=True, text=True, timeout=SCALE_SECONDS + 60)
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout)[-200:]}
    return json.loads(p.stdout)


LATE = "redis_memory_exporter_poll_lateness_seconds"


def lateness_hist(body):
    """The exporter's poll-lateness histogram: ({le: cumulative count}, count, sum) or None."""
    b = {}
    cnt = tot = None
    for name, labels, v in samples(body):
        if name == LATE + "_bucket":
            le = labels.get("le")
            b[float("inf") if le == "+Inf" else float(le)] = v
        elif name == LATE + "_count":
            cnt = v
        elif name == LATE + "_sum":
            tot = v
    return (b, cnt, tot) if b else None


def hist_delta(h0, h1):
    """Polls and quantiles between two scrapes of the lateness histogram."""
    if not h0 or not h1:
        return None
    les = sorted(h1[0])
    cum = [h1[0][le] - h0[0].get(le, 0) for le in les]
    n = cum[-1]
    if n <= 0:
        return {"polls": 0}

    def q(p):
        # histogram_quantile(): linear inside the bucket; the +Inf bucket gives its lower bound.
        rank = p * n
        prev_le, prev_c = 0.0, 0.0
        for le, c in zip(les, cum):
            if c >= rank:
                if le == float("inf"):
                    return prev_le
                if c == prev_c:
                    return le
                return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
            prev_le, prev_c = le, c
        return prev_le

    le99 = next(le for le, c in zip(les, cum) if c >= 0.99 * n)
    return {"polls": n, "mean_ms": 1e3 * (h1[2] - h0[2]) / n if h1[2] is not None else None,
            "p50_ms": 1e3 * q(0.5), "p99_ms": 1e3 * q(0.99), "p99_le_ms": 1e3 * le99,
            "buckets": {("+Inf" if le == float("inf") else f"{le:g}"): c
                        for le, c in zip(les, cum)}}


# ----------------------------------------------------------------------------------------------
# report

def fmt_us(us):
    if us is None:
        return "n/a"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 1e6:
        return f"{us / 1e3:.2f} ms"
    return f"{us / 1e6:.2f} s"


def fmt_n(x, d=0):
    if x is None:
        return "n/a"
    return f"{x:,.{d}f}"


def mib(kib):
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def ratio(a, b, d=1):
    if not a or not b:
        return "n/a"
    r = a / b
    if r < 0.1:
        return f"{r:.3f}×"
    return f"{r:.{d}f}×"


def md(s):
    """Escape a table cell (Redis 7 command names contain '|')."""
    return str(s).replace("|", "\\|")


def report(ctx):
    L = []
    P = R["phases"]
    env = R["env"]
    L.append("# redis_memory_exporter benchmark")
    L.append("")
    L.append(f"Run {env['started']} → {env['finished']} ({env['seconds']:.0f} s) on "
             f"{env['cpu']}, {NPROC} CPUs, kernel {env['kernel']}. "
             f"Load average before/after: {env['load_before']} / {env['load_after']}.")
    L.append("")
    L.append("This machine is shared: other engineers build and test on the same 2 cores during "
             "the run, so absolute figures carry noise; the ratios within one run are the point.")
    if PIN:
        L.append(f"Servers under test (both exporters, nginx) are pinned to CPU {SERVER_CPU}, "
                 f"wrk to CPU {CLIENT_CPU} (`taskset`); redis-server is not pinned. nginx runs "
                 "one worker, so every server gets the same one core.")
    L.append("")
    L.append("| component | version |")
    L.append("|---|---|")
    for k, v in env["versions"].items():
        L.append(f"| {k} | {v} |")
    L.append("")
    ds = env.get("dataset", {})
    L.append(f"Redis under test: {ds.get('keys', 'n/a')} keys, used_memory "
             f"{ds.get('used_memory_human', 'n/a')}, maxmemory {MAXMEMORY}, policy {POLICY}. "
             f"Our exporter polls every {POLL_INTERVAL:g}s (timeout {POLL_TIMEOUT:g}s); "
             "redis_exporter runs with its defaults (it queries Redis on every scrape).")
    bodies = env.get("bodies", {})
    if bodies:
        L.append("")
        L.append("| /metrics body | bytes | gzip bytes | series |")
        L.append("|---|---:|---:|---:|")
        for k, v in bodies.items():
            L.append(f"| {k} | {fmt_n(v.get('bytes'))} | {fmt_n(v.get('gzip_bytes'))} | "
                     f"{fmt_n(v.get('series'))} |")
    if env.get("nginx_body_note"):
        L.append("")
        L.append(env["nginx_body_note"])

    # throughput
    rows = P.get("wrk") or []
    if rows:
        L.append("")
        L.append(f"## /metrics throughput and latency (wrk, {WRK_SECONDS:g} s per row)")
        L.append("")
        L.append("| server | conns | gzip | req/s | p50 | p99 | errors | server CPU | Redis CPU "
                 "| vs nginx | vs redis_exporter |")
        L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        idx = {(w["target"], w["conns"], w["gzip"]): w for w in rows}
        for w in rows:
            ng = idx.get(("nginx (static copy)", w["conns"], w["gzip"]))
            go = idx.get(("redis_exporter", w["conns"], w["gzip"]))
            err = w["socket_errors"] + w["non2xx"]
            L.append(f"| {w['target']} | {w['conns']} | {'yes' if w['gzip'] else 'no'} | "
                     f"{fmt_n(w['rps'])} | {fmt_us(w['p50_us'])} | {fmt_us(w['p99_us'])} | "
                     f"{err}{' ' + w['error'][:60] if w.get('error') else ''} | "
                     f"{w['server_cpu_pct']:.0f} % | {w['redis_cpu_pct']:.0f} % | "
                     f"{ratio(w['rps'], ng and ng['rps'], 2) if w['target'] != 'nginx (static copy)' else '1'} | "
                     f"{ratio(w['rps'], go and go['rps']) if w['target'] == 'redis_memory_exporter' else ''} |")
        L.append("")
        ka = R["env"].get("keepalive")
        if ka:
            L.append("HTTP keep-alive (two GETs on one connection): " + "; ".join(
                f"{k}: {'kept' if v.get('kept_alive') else 'closed after each response'} "
                f"(Connection: {v.get('connection_header', v.get('error'))})"
                for k, v in ka.items()) + ".")
            L.append("")
        L.append("errors = wrk socket errors + non-2xx responses. server CPU = CPU time of the "
                 "server process(es) / wall time (100 % = one core). Redis CPU = the same for "
                 "redis-server during the row.")

    # footprint
    fp = env.get("footprint", {})
    if fp:
        L.append("")
        L.append("## Footprint")
        L.append("")
        L.append("| exporter | binary | RSS idle | RSS after load | anon idle / after | "
                 "PSS idle / after | threads idle / after |")
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        for k, v in fp.items():
            i, a = v.get("idle", {}), v.get("after", {})
            L.append(f"| {k} | {v.get('binary', 'n/a')} | {mib(i.get('rss_kib'))} | "
                     f"{mib(a.get('rss_kib'))} | {mib(i.get('rss_anon_kib'))} / "
                     f"{mib(a.get('rss_anon_kib'))} | {mib(i.get('pss_kib'))} / "
                     f"{mib(a.get('pss_kib'))} | {i.get('threads', 'n/a')} / "
                     f"{a.get('threads', 'n/a')} |")
        L.append("")
        L.append("RSS = VmRSS from /proc/PID/status, one target (the goal's figure); anon = "
                 "RssAnon (the process' own heap and stacks); PSS = proportional set size from "
                 "smaps_rollup (shared library pages divided among the processes mapping them). "
                 "\"after load\" is after the sequential scrapes and the wrk rows.")
        if fp.get("redis_memory_exporter", {}).get("libs"):
            L.append("")
            L.append("Our exporter's largest resident mappings, idle: " +
                     ", ".join(f"{n} {kb} KiB" for n, kb in fp["redis_memory_exporter"]["libs"]) + ".")

    # CPU
    sc = P.get("scrapes", {})
    idle = P.get("idle", {})
    if sc or idle:
        L.append("")
        L.append("## Exporter CPU")
        L.append("")
        L.append(f"| exporter | CPU per 1000 scrapes | CPU per poll | idle CPU | "
                 f"scrape latency (sequential, mean / p99) |")
        L.append("|---|---:|---:|---:|---:|")
        o, g = sc.get("ours"), sc.get("go")
        if o:
            L.append(f"| redis_memory_exporter | {o['cpu_per_1000_ms']:.1f} ms "
                     f"({o['cpu_per_1000_net_ms']:.1f} ms net of polls) | "
                     f"{fmt_us(idle.get('ours', {}).get('cpu_per_poll_us'))} | "
                     f"{idle.get('ours', {}).get('cpu_pct', 0):.2f} % | "
                     f"{o['latency']['mean_ms']:.2f} / {o['latency']['p99_ms']:.2f} ms |")
        if g:
            L.append(f"| redis_exporter | {g['cpu_per_1000_ms']:.1f} ms | (polls = scrapes) | "
                     f"{idle.get('go', {}).get('cpu_pct', 0):.2f} % | "
                     f"{g['latency']['mean_ms']:.2f} / {g['latency']['p99_ms']:.2f} ms |")
        L.append("")
        L.append(f"{SCRAPES} sequential scrapes over one keep-alive connection; CPU = utime+stime "
                 "of the process (per-thread schedstat where no thread exited). CPU per poll = "
                 f"our exporter's CPU over {IDLE_SECONDS:g} s without scrapes / polls.")

    # Redis cost
    if sc or idle:
        L.append("")
        L.append("## Cost to Redis")
        L.append("")
        L.append("| exporter | per | commands | Redis time | connections opened per 100 scrapes "
                 "| commands (calls per unit, µs per unit) |")
        L.append("|---|---|---:|---:|---:|---|")
        io = idle.get("ours")
        if io:
            c = io["redis"]
            L.append(f"| redis_memory_exporter | poll, one a second (cold) | {c['calls_per_unit']:.2f} | "
                     f"{c['usec_per_unit']:.1f} µs | "
                     f"{fmt_n(sc.get('ours', {}).get('connections_per_100'), 1)} "
                     f"({io['connections_opened']} opened in {io['seconds']:.0f} s idle) | "
                     f"{cmd_breakdown(c)} |")
        if sc.get("ours"):
            c = sc["ours"]["redis"]
            L.append(f"| redis_memory_exporter | scrape | {c['calls_per_unit']:.3f} | "
                     f"{c['usec_per_unit']:.2f} µs | | (polls that ran during the scrapes) |")
        cad = P.get("cadence", {})
        if cad.get("ours_10ms"):
            c = cad["ours_10ms"]
            L.append(f"| redis_memory_exporter | poll, every 10 ms (warm) | "
                     f"{c['calls_per_unit']:.2f} | {c['usec_per_unit']:.1f} µs | | "
                     f"{cmd_breakdown(c)} |")
        if cad.get("go_1s"):
            c = cad["go_1s"]
            L.append(f"| redis_exporter | scrape, one a second (cold) | {c['calls_per_unit']:.2f} | "
                     f"{c['usec_per_unit']:.1f} µs | | {cmd_breakdown(c)} |")
        if sc.get("go"):
            c = sc["go"]["redis"]
            L.append(f"| redis_exporter | scrape, back to back (warm) | {c['calls_per_unit']:.2f} | "
                     f"{c['usec_per_unit']:.1f} µs | {sc['go']['connections_per_100']:.1f} | "
                     f"{cmd_breakdown(c)} |")
        L.append("")
        L.append("From INFO commandstats (CONFIG RESETSTAT before each window) and "
                 "total_connections_received; polls are counted as Redis' INFO calls (one "
                 "multi-section INFO per poll on Redis 7). The other exporter is stopped "
                 "(SIGSTOP) while one is measured. Redis' time per command depends on cadence: "
                 "a command once a second meets cold caches, so each exporter is measured at "
                 "both cadences and the goal compares like with like (cold with cold).")

    at = P.get("attribution")
    if at:
        L.append("")
        L.append("## What the key sampler and the watched keys cost Redis")
        L.append("")
        L.append("| exporter running | commands | calls a second | Redis time a second |")
        L.append("|---|---|---:|---:|")
        for name, words in (("sampler", "--sampler.keys-per-second=100"),
                            ("watch", "--keys.watch with 1,000 lists (100 keys a second)")):
            w = at.get(name)
            if not w:
                continue
            for part in ("poll", name):
                c = w[part]
                L.append(f"| {words} | {part} | {c['calls_per_s']:.1f} | {c['usec_per_s']:.0f} µs |")
        L.append("")
        L.append(f"Each over {ATTRIBUTION_SECONDS:.0f} s with the main exporter stopped, from INFO "
                 "commandstats; the poll's row is the same exporter's INFO, CONFIG GET and MEMORY "
                 "STATS in that window, for scale.")

    # slow
    sl = P.get("slow")
    if sl:
        L.append("")
        L.append("## Redis paused (SIGSTOP)")
        L.append("")
        L.append("| exporter | scrape time while paused | redis_up | notes |")
        L.append("|---|---:|---|---|")
        o = sl.get("ours")
        if o:
            L.append(f"| redis_memory_exporter | max {o['max_ms']:.1f} ms, median "
                     f"{o['median_ms']:.1f} ms ({o['scrapes']} scrapes) | first scrape "
                     f"{fmt_up(o['first_redis_up'])}, 0 after {fmt_s(o['redis_up_0_after_s'])} | "
                     f"HTTP {o['codes']}; redis_up 1 again {fmt_s(o.get('recovered_after_s'))} "
                     f"after SIGCONT |")
        g = sl.get("go")
        if g:
            L.append(f"| redis_exporter | {fmt_s(g['time_s'])} | {fmt_up(g['redis_up'])} | "
                     f"HTTP {g['code']}, curl rc {g['curl_rc']} (curl -m 30) |")

    sd = P.get("shutdown")
    if sd:
        ms = sd["sigterm_exit_ms"]
        took = "did not exit within 10 s" if ms is None else f"{ms:.1f} ms"
        L.append("")
        L.append(f"SIGTERM to exit (our exporter, one target): {took}, exit status {sd['rc']}.")

    # scale
    scl = P.get("scale")
    if scl:
        L.append("")
        L.append(f"## Scale (poll interval {POLL_INTERVAL:g} s)")
        L.append("")
        if scl.get("error"):
            L.append(f"Not run: {scl['error']}")
        else:
            L.append(f"Duplicate `--redis.addr`: {scl.get('duplicates')}.")
            L.append("")
            L.append("| targets | how | all up after | CPU (% of one core) | CPU per poll | "
                     "RSS start → end of window | "
                     "threads | /metrics bytes | scrape | poll lateness p50 / p99 (histogram) "
                     "| poll gap − interval p50 / p99 / max |")
            L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
            for r in scl["rows"]:
                if r.get("error"):
                    L.append(f"| {r['targets']} | {r['mode']} | error: {r['error'][:150]} "
                             "| | | | | | | | |")
                    continue
                pg = r.get("poll_gap")
                pgs = (f"{pg['p50_ms']:.1f} / {pg['p99_ms']:.1f} / {pg['max_ms']:.1f} ms"
                       if pg else "n/a")
                lt = r.get("lateness")
                owns = (f"{lt['p50_ms']:.2f} / {lt['p99_ms']:.2f} ms (p99 ≤ {lt['p99_le_ms']:g} ms; "
                        f"{lt['polls']:,.0f} polls)" if lt and lt.get("polls") else "not exposed")
                L.append(f"| {r['targets']} | {r['mode']} | {r['all_up_after_s']:.1f} s | "
                         f"{r['cpu_pct']:.1f} % | {fmt_us(r['cpu_per_poll_us'])} | "
                         f"{mib(r.get('rss_start_kib'))} → {mib(r['rss_kib'])} | {r['threads']} | "
                         f"{fmt_n(r['body_bytes'])} | "
                         f"{r['scrape_ms']:.1f} ms | {owns} | {pgs} |")
            timed = [r for r in scl["rows"] if (r.get("scrapes") or {}).get("first")]
            if timed:
                L.append("")
                L.append("| targets | first scrape of a snapshot (each, in order; a regular scraper is "
                         "foreseen from the fourth) | the rest (each) |")
                L.append("|---:|---|---|")
                for r in timed:
                    sc = r["scrapes"]
                    L.append(f"| {r['targets']} | {', '.join(f'{x:.1f}' for x in sc['first'])} ms | "
                             f"{', '.join(f'{x:.1f}' for x in sc.get('rest', []))} ms |")
            floors = [r for r in scl["rows"] if (r.get("floor") or {}).get("us_per_poll")]
            if floors:
                L.append("")
                L.append("| targets | exporter CPU per poll | floor client CPU per poll | ratio |")
                L.append("|---:|---:|---:|---:|")
                for r in floors:
                    f = r["floor"]["us_per_poll"]
                    L.append(f"| {r['targets']} | {fmt_us(r['cpu_per_poll_us'])} | {fmt_us(f)} | "
                             f"{r['cpu_per_poll_us'] / f:.2f} x |")
                L.append("")
                L.append("The floor: tests/bench/floor_client.c, the same targets' INFO round trips and "
                         "nothing else, on the same CPU, measured right after the exporter.")
                for r in floors:
                    prof = r.get("profile") or {}
                    if prof.get("by_dso"):
                        L.append("")
                        L.append(f"Where the exporter's time goes at {r['targets']} targets, polling only "
                                 "(perf, cpu-clock, 5 s): by shared object, then the top symbols.")
                        L.append("")
                        L.append("```")
                        L += prof["by_dso"] + [""] + prof.get("top", [])
                        L.append("```")
            L.append("")
            L.append(f"{SCALE_SERVERS} redis-servers serve the targets (unix-symlinks: N distinct "
                     "socket paths, symlinks to those servers' sockets; tcp-processes: N "
                     "redis-server processes on N loopback ports). CPU over "
                     f"{SCALE_SECONDS:g} s with a /metrics scrape every {SCRAPE_EVERY:g} s "
                     f"(2.5 s in; then {REST_SCRAPES} more on the same schedule, each followed at "
                     "once by another of the same snapshot: first and rest, timed below). Poll lateness: the exporter's "
                     f"{LATE} histogram, difference over that window, quantiles interpolated "
                     "inside buckets as histogram_quantile() does. Poll gap = difference of consecutive "
                     "redis_memory_exporter_last_poll_success_timestamp_seconds of each target, "
                     f"sampled at 10 Hz for {LATENESS_SECONDS:g} s (includes the scrape load of "
                     "that sampling); gap − interval approximates poll lateness.")

    # callgrind
    cg = P.get("callgrind")
    if cg:
        L.append("")
        L.append("## Instructions: parse + derive + render (callgrind)")
        L.append("")
        if cg.get("error"):
            L.append(f"Not run: {cg['error']}.")
        else:
            L.append(f"`valgrind --tool=callgrind {os.path.relpath(ORIG_CORE_BIN, REPO)} -n N FILE`"
                     f"; Ir per round = (Ir at N = {1 + cg['rounds']} − Ir at N = 1) / "
                     f"{cg['rounds']}: one parse + derive + render of the 0.0.4 text, without "
                     "process start and file reading. Deterministic: the figure to guard "
                     "against regressions.")
            L.append("")
            L.append("| fixture | INFO bytes | /metrics bytes | Ir per round | Ir per INFO byte "
                     "| Ir whole run (N = 1) |")
            L.append("|---|---:|---:|---:|---:|---:|")
            for r in cg["rows"]:
                if r.get("error"):
                    L.append(f"| {r['fixture']} | | | error: {md(r['error'][:80])} | | |")
                else:
                    L.append(f"| {r['fixture']} | {fmt_n(r['bytes'])} | {fmt_n(r['body_bytes'])} "
                             f"| {fmt_n(r['ir_per_round'])} | {r['ir_per_input_byte']:.1f} | "
                             f"{fmt_n(r['ir_run'])} |")
            if cg.get("annotate_top"):
                L.append("")
                L.append(f"Self cost by function ({os.path.relpath(cg['annotate_file'], REPO)}):")
                L.append("")
                L.append("```")
                L += cg["annotate_top"]
                L.append("```")

    pf = P.get("perf")
    if pf and not pf.get("error"):
        L.append("")
        L.append("## Where our exporter spends /metrics time (perf, wrk -c10)")
        L.append("")
        L.append(f"Full report: `{os.path.relpath(pf['file'], REPO)}`. Top entries:")
        L.append("")
        L.append("```")
        L += pf["top"]
        L.append("```")
        if pf.get("by_dso"):
            L.append("")
            L.append("By shared object: " + "; ".join(pf["by_dso"]) + ".")
        if pf.get("syscalls_per_request"):
            L.append("")
            L.append("System calls per request (strace -c -f during wrk -c10): " + ", ".join(
                f"{k} {v:.2f}" for k, v in pf["syscalls_per_request"].items()) + ".")

    # goals
    L.append("")
    L.append("## Goals")
    L.append("")
    L.append("| goal | measured | result |")
    L.append("|---|---|---|")
    for g in goals():
        L.append(f"| {g[0]} | {g[1]} | {g[2]} |")
    L.append("")
    return "\n".join(L)


def fmt_up(v):
    return "absent" if v is None else f"{v:g}"


def fmt_s(s):
    return "n/a" if s is None else f"{s:.2f} s"


def cmd_breakdown(c):
    return ", ".join(f"{md(k)} {v['calls_per_unit']:.2f}× {v['usec_per_unit']:.1f} µs"
                     for k, v in list(c["by_command"].items())[:8])


def goals():
    P = R["phases"]
    out = []

    def verdict(ok):
        return "n/a" if ok is None else ("PASS" if ok else "MISS")

    rows = P.get("wrk") or []
    idx = {(w["target"], w["conns"], w["gzip"]): w for w in rows}
    o10 = idx.get(("redis_memory_exporter", 10, False))
    n10 = idx.get(("nginx (static copy)", 10, False))
    if o10 and n10 and o10["rps"] and n10["rps"]:
        out.append(("/metrics at 10 conns ≥ 0.5 × nginx req/s",
                    f"{o10['rps']:,.0f} vs {n10['rps']:,.0f} ({o10['rps'] / n10['rps']:.2f}×)",
                    verdict(o10["rps"] >= 0.5 * n10["rps"])))
    else:
        out.append(("/metrics at 10 conns ≥ 0.5 × nginx req/s", "not measured", "n/a"))
    if o10 and o10.get("p99_us") is not None:
        out.append(("p99 ≤ 1 ms at 10 conns", fmt_us(o10["p99_us"]),
                    verdict(o10["p99_us"] <= 1000)))
    else:
        out.append(("p99 ≤ 1 ms at 10 conns", "not measured", "n/a"))
    fp = R["env"].get("footprint", {}).get("redis_memory_exporter", {})
    rss = fp.get("idle", {}).get("rss_kib")
    out.append(("RSS ≤ 2 MiB idle, one target", mib(rss),
                verdict(None if rss is None else rss <= 2048)))
    srows = [r for r in (P.get("scale") or {}).get("rows", [])
             if r.get("targets") == 1000 and not r.get("error")]
    s1000 = srows[0] if srows else None
    out.append(("RSS ≤ 64 MiB with 1000 targets", mib(s1000["rss_kib"]) if s1000 else "not measured",
                verdict(None if not s1000 else s1000["rss_kib"] <= 64 * 1024)))
    io = P.get("idle", {}).get("ours")
    go = P.get("scrapes", {}).get("go")
    cad = P.get("cadence", {})
    if io and cad.get("go_1s"):
        a, b = io["redis"]["usec_per_unit"], cad["go_1s"]["usec_per_unit"]
        warm = ""
        if cad.get("ours_10ms") and go:
            wa, wb = cad["ours_10ms"]["usec_per_unit"], go["redis"]["usec_per_unit"]
            warm = f"; warm: {wa:.1f} µs vs {wb:.1f} µs ({wa / wb:.3f}×)"
        out.append(("Redis time per poll ≤ 1/5 of redis_exporter's per scrape",
                    f"once a second (cold): {a:.1f} µs vs {b:.1f} µs ({a / b:.3f}×){warm}",
                    verdict(b > 0 and a <= b / 5)))
    elif io and go:
        a, b = io["redis"]["usec_per_unit"], go["redis"]["usec_per_unit"]
        out.append(("Redis time per poll ≤ 1/5 of redis_exporter's per scrape",
                    f"{a:.1f} µs vs {b:.1f} µs ({a / b:.3f}×)" if b else f"{a:.1f} µs",
                    verdict(b > 0 and a <= b / 5)))
    else:
        out.append(("Redis time per poll ≤ 1/5 of redis_exporter's per scrape", "not measured",
                    "n/a"))
    so = P.get("scrapes", {}).get("ours")
    if io and so:
        opened = io["connections_opened"] + so["connections_opened"]
        out.append(("one Redis connection kept (none opened while polling and serving "
                    f"{SCRAPES} scrapes)", f"{opened} opened", verdict(opened == 0)))
    else:
        out.append(("one Redis connection kept", "not measured", "n/a"))
    sl = (P.get("slow") or {}).get("ours")
    if sl:
        lim = POLL_INTERVAL + POLL_TIMEOUT + 0.5
        ok = sl["max_ms"] < 10 and sl["redis_up_0_after_s"] is not None and \
            sl["redis_up_0_after_s"] <= lim
        out.append(("Redis paused: scrape < 10 ms, redis_up 0 after the poll timeout",
                    f"max {sl['max_ms']:.1f} ms; redis_up 0 after "
                    f"{fmt_s(sl['redis_up_0_after_s'])} (limit {lim:g} s)", verdict(ok)))
    else:
        out.append(("Redis paused: scrape < 10 ms, redis_up 0", "not measured", "n/a"))
    if s1000:
        lt = s1000.get("lateness")
        pg = s1000.get("poll_gap")
        if lt and lt.get("polls"):
            late_ms, how = lt["p99_ms"], "exporter's histogram"
        elif pg:
            late_ms, how = pg["p99_ms"], "poll gaps; no histogram"
        else:
            late_ms, how = None, "not measured"
        ok = s1000["cpu_pct"] < 25 and (late_ms is not None and late_ms < 50)
        out.append(("1000 targets at 1 s: < 25 % of one core, p99 poll lateness < 50 ms",
                    f"{s1000['cpu_pct']:.1f} %; p99 lateness "
                    f"{'n/a' if late_ms is None else f'{late_ms:.1f} ms'} ({how})",
                    verdict(None if late_ms is None else ok)))
    else:
        out.append(("1000 targets at 1 s: < 25 % CPU, p99 lateness < 50 ms", "not measured",
                    "n/a"))
    return out


# ----------------------------------------------------------------------------------------------

def snapshot_binaries():
    """Run copies of the binaries: a rebuild of build/ during the run must not swap the
    program under test halfway."""
    global EXPORTER_BIN, CORE_BIN
    d = os.path.join(WORK, "bin")
    os.makedirs(d, exist_ok=True)
    R["env"]["binaries"] = {}
    for var in ("EXPORTER_BIN", "CORE_BIN"):
        src = globals()[var]
        if os.access(src, os.X_OK):
            dst = os.path.join(d, os.path.basename(src))
            shutil.copy2(src, dst)
            R["env"]["binaries"][os.path.relpath(src, REPO)] = \
                datetime.datetime.fromtimestamp(os.path.getmtime(src)).strftime("%H:%M:%S")
            globals()[var] = dst


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t_start = time.time()
    R["env"] = env = {
        "started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "kernel": os.uname().release,
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                     if l.startswith("model name")), "?"),
        "load_before": open("/proc/loadavg").read().split()[:3],
        "versions": {},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    snapshot_binaries()
    have_ours = os.access(EXPORTER_BIN, os.X_OK)
    have_go = bool(GO_BIN) and os.access(GO_BIN, os.X_OK)
    env["versions"] = {
        "redis_memory_exporter": (version_of([EXPORTER_BIN, "--version"]) if have_ours
                                  else f"missing ({EXPORTER_BIN})"),
        "redis_exporter (Debian prometheus-redis-exporter)":
            version_of([GO_BIN, "--version"]) if have_go else "missing",
        "redis-server": version_of(["redis-server", "--version"]),
        "nginx": version_of([NGINX_BIN, "-v"]),
        "wrk": version_of(["wrk", "-v"]),
    }
    if have_ours:
        cache = os.path.join(os.path.dirname(ORIG_EXPORTER_BIN), "CMakeCache.txt")
        if os.path.exists(cache):
            m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", open(cache).read(), re.M)
            bt = (m.group(1) if m else "") or "RelWithDebInfo, the CMakeLists.txt default"
            env["versions"]["redis_memory_exporter"] += f", build type {bt}"
        try:
            rev = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %cd",
                                  "--date=format:%H:%M"], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
            env["versions"]["redis_memory_exporter"] += f"; repo HEAD {rev}"
        except Exception:
            pass
        env["versions"]["redis_memory_exporter"] += \
            "; binary built " + ", ".join(f"{k} {v}" for k, v in env["binaries"].items())
    ctx = {}
    try:
        # Redis with a dataset
        rport = free_port()
        ctx["redis"], ctx["redis_sock"] = redis_server(
            "redis-main", rport, ["--maxmemory", MAXMEMORY, "--maxmemory-policy", POLICY])
        ctx["redis_port"] = rport
        ctl = redis.Redis(host="127.0.0.1", port=rport, socket_timeout=60)
        ctx["ctl"] = ctl
        log(f"loading {KEYS} keys into redis on :{rport}")
        load_dataset(rport, KEYS)
        mem = ctl.info("memory")
        env["dataset"] = {"keys": ctl.dbsize(), "used_memory_human": mem["used_memory_human"]}

        # exporters
        fp = env["footprint"] = {}
        if have_ours:
            ctx["ours_port"] = free_port()
            ctx["ours"] = start_ours("ours", [f"127.0.0.1:{rport}"], ctx["ours_port"],
                                     ["--web.max-connections=256"])
            fp["redis_memory_exporter"] = {"binary": f"{os.path.getsize(EXPORTER_BIN) / 1024:.0f} KiB"
                                           " (dynamically linked)"}
        if have_go:
            ctx["go_port"] = free_port()
            ctx["go"] = start_go(ctx["go_port"], rport)
            fp["redis_exporter"] = {"binary": f"{os.path.getsize(GO_BIN) / 1024:.0f} KiB "
                                    "(static)"}
        time.sleep(3)
        bodies = env["bodies"] = {}
        for key, name in (("ours", "redis_memory_exporter"), ("go", "redis_exporter")):
            if ctx.get(key):
                fp[name]["idle"] = proc_status(ctx[key].pid)
                _, _, body, _ = http_get(ctx[key + "_port"])
                _, h, gz, _ = http_get(ctx[key + "_port"], headers={"Accept-Encoding": "gzip"})
                bodies[name] = {"bytes": len(body), "series": series_count(body),
                                "gzip_bytes": len(gz) if h.get("content-encoding") == "gzip"
                                else None}
                ctx[key + "_body"] = body
        if ctx.get("ours"):
            fp["redis_memory_exporter"]["libs"] = rss_by_mapping(ctx["ours"].pid)[:8]
        static = ctx.get("ours_body")
        if static is None:
            static = ctx.get("go_body", b"# no exporter body\n")
            env["nginx_body_note"] = ("Our exporter's binary was missing: nginx serves a copy "
                                      "of redis_exporter's body instead.")
        ctx["nginx_port"] = free_port()
        ctx["nginx"] = nginx_start(ctx["nginx_port"], static)

        if "scrape" in PHASES:
            log("idle window")
            phase_idle(ctx)
            log("sequential scrapes")
            phase_scrapes(ctx)
            log("redis cost at both cadences")
            phase_redis_cadence(ctx)
            log("redis cost of the key sampler and the watched keys")
            phase_attribution(ctx)
        if "wrk" in PHASES:
            phase_wrk(ctx)
        for key, name in (("ours", "redis_memory_exporter"), ("go", "redis_exporter")):
            if ctx.get(key):
                fp[name]["after"] = proc_status(ctx[key].pid)
        stop(ctx.get("nginx"))
        if "perf" in PHASES:
            log("perf profile of /metrics")
            phase_perf(ctx)
        if "slow" in PHASES:
            log("redis paused")
            phase_slow(ctx)
        stop(ctx.get("go"))
        if ctx.get("ours") and ctx["ours"].poll() is None:
            # How long a clean shutdown takes (the integration tests only check that it
            # exits 0; the time is a figure, not an assertion).
            t0 = time.monotonic()
            ctx["ours"].send_signal(signal.SIGTERM)
            try:
                ctx["ours"].wait(10)
                R["phases"]["shutdown"] = {"sigterm_exit_ms": 1e3 * (time.monotonic() - t0),
                                           "rc": ctx["ours"].returncode}
            except subprocess.TimeoutExpired:
                R["phases"]["shutdown"] = {"sigterm_exit_ms": None, "rc": None}
        stop(ctx.get("ours"))
        if "scale" in PHASES:
            phase_scale(ctx)
        if "callgrind" in PHASES:
            log("callgrind")
            phase_callgrind(ctx)
    finally:
        stop_all()
        env["finished"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        env["seconds"] = time.time() - t_start
        env["load_after"] = open("/proc/loadavg").read().split()[:3]
        text = report(ctx)
        print(text)
        os.makedirs(os.path.dirname(OUT), exist_ok=True)
        with open(OUT, "w") as f:
            f.write(text + "\n")
        with open(os.path.splitext(OUT)[0] + ".json", "w") as f:
            json.dump(R, f, indent=1, default=str)
        log(f"written {OUT}")


if __name__ == "__main__":
    main()
