# SPDX-License-Identifier: Apache-2.0
"""Real processes for the Python test suites: a redis-server and the exporter, each on a
free loopback port, stopped at the end. Only 127.0.0.1 is ever used."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORTER = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, "build", "redis_memory_exporter"))


_HANDED_OUT = set()


def free_port():
    """A loopback port nothing listens on, never the same one twice in a process: the
    kernel may hand a just-closed port out again, and a target address equal to the
    exporter's own listening port would make the exporter talk HTTP to itself."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def refused_port():
    """(socket, port): a loopback port that refuses connections for as long as the caller
    keeps the socket open. It is bound and not listening, so no other process, and not the
    kernel choosing a client's source port, can take it meanwhile."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def wait_for(what, check, timeout=20.0, step=0.1):
    """Polls check() until it returns a truthy value; fails with `what` after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def fill(client, n, prefix="data", size=100):
    """Writes n keys prefix:0.. of size bytes each in one pipeline."""
    p = client.pipeline(transaction=False)
    for i in range(n):
        p.set(f"{prefix}:{i}", b"d" * size)
    p.execute()


def answers(client):
    """True once a redis client's PING is answered (for wait_for)."""
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL after timeout seconds; reaps it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def proc_cpu_seconds(pid):
    """utime + stime of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RedisServer:
    """A redis-server on a free loopback port. With tls = {"cert", "key", "ca"} (paths,
    and "client" = (key, crt) when it asks for client certificates, "unverified" = True
    when the test's own client must not check its certificate) it listens on TLS only, as
    managed services do, and self.client speaks TLS."""

    def __init__(self, *args, port=None, tls=None, env=None):
        self.port = port or free_port()
        self.args = args
        self.tls = tls
        self.env = env
        self.dir = tempfile.mkdtemp(prefix="rme-redis-")
        listen = ["--port", str(self.port)]
        if tls:
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", tls["cert"],
                      "--tls-key-file", tls["key"], "--tls-ca-cert-file", tls["ca"],
                      "--tls-auth-clients", "yes" if tls.get("client") else "no"]
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", *listen, "--dir", self.dir,
             "--save", "", "--appendonly", "no", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env} if env else None)
        password = args[args.index("--requirepass") + 1] if "--requirepass" in args else None
        ssl = {}
        if tls:
            ssl = {"ssl": True, "ssl_ca_certs": tls["ca"]}
            if tls.get("client"):
                ssl.update(ssl_keyfile=tls["client"][0], ssl_certfile=tls["client"][1])
            if tls.get("unverified"):   # the test's own client, for a server with a bad certificate
                ssl.update(ssl_cert_reqs="none", ssl_check_hostname=False)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, password=password, **ssl)
        wait_for("redis-server to answer", lambda: answers(self.client))

    def restart(self):
        """Stops and starts again on the same port (a new run_id, counters from 0)."""
        self.stop()
        self.__init__(*self.args, port=self.port, tls=self.tls, env=self.env)

    @property
    def addr(self):
        return f"{'rediss://' if self.tls else ''}127.0.0.1:{self.port}"

    @property
    def label(self):
        """The addr label the exporter gives it."""
        return f"127.0.0.1:{self.port}"

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Text format 0.0.4 -> list of (name, labels dict, value)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"unparsable sample line: {line!r}"
        labels = dict(LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


class Exporter:
    """The built exporter; redis_addr may be a list. stderr goes to a file (a pipe that
    nobody reads could block the exporter)."""

    def __init__(self, redis_addr, *flags, env=None, interval="200ms", port=None, client_ports=None):
        """client_ports: an iterator of local ports for this object's own requests, for a
        network namespace whose ephemeral range is too narrow to lend one."""
        self.port = port or free_port()
        self.client_ports = client_ports
        addrs = redis_addr if isinstance(redis_addr, (list, tuple)) else [redis_addr]
        self.errfile = tempfile.NamedTemporaryFile(prefix="rme-exporter-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [EXPORTER, *[f"--redis.addr={a}" for a in addrs], f"--web.listen-address=127.0.0.1:{self.port}",
             f"--poll.interval={interval}", "--poll.timeout=1s", *flags],
            stdout=subprocess.DEVNULL, stderr=self.errfile, env={**os.environ, **(env or {})})
        wait_for("the exporter to serve", lambda: self._get("/healthz") == "ok\n")

    def request(self, path, method="GET", headers=None):
        """Returns (status, headers, body bytes)."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def _get(self, path):
        if self.client_ports:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2,
                                               source_address=("127.0.0.1", next(self.client_ports)))
                try:
                    c.request("GET", path)
                    return c.getresponse().read().decode()
                finally:
                    c.close()
            except OSError:
                return None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return r.read().decode()
        except OSError:
            return None

    def text(self):
        return self._get("/metrics") or ""

    def log(self):
        with open(self.errfile.name, errors="replace") as f:
            return f.read()

    def rss_kib(self):
        return proc_rss_kib(self.proc.pid)

    def metrics(self):
        return parse_metrics(self._get("/metrics") or "")

    def landing(self):
        return self._get("/") or ""

    def findings(self):
        return {(l["id"], l["severity"]) for n, l, v in self.metrics() if n == "redis_memory_finding" and v == 1}

    def value(self, name, **labels):
        for n, l, v in self.metrics():
            if n == name and all(l.get(k) == val for k, val in labels.items()):
                return v
        return None

    def stop(self):
        """Stops the exporter with SIGTERM; it must exit 0 without a sanitizer report."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the exporter did not stop within 10 s of SIGTERM")
        text = self.log()
        os.unlink(self.errfile.name)
        assert "Sanitizer" not in text and "runtime error" not in text, text[-4000:]
        assert self.proc.returncode == 0, (self.proc.returncode, text[-2000:])
        return text


def doctor(redis_addr, *flags):
    """Runs the doctor; returns (exit status, stdout)."""
    p = subprocess.run([EXPORTER, "doctor", f"--redis.addr={redis_addr}", *flags],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout


def write_prometheus_config(path, exporter_port, alertmanager_port=None):
    """A Prometheus configuration at path for the deploy tests: a 1 s scrape of the
    exporter and evaluation of the rule files beside it, and alerts sent to an
    Alertmanager when its port is given."""
    alerting = (f'alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:{alertmanager_port}"]\n'
                if alertmanager_port else "")
    with open(path, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files: [redis_memory_rules.yml, redis_memory_alerts.yml]\n" + alerting +
                "scrape_configs:\n  - job_name: redis_memory\n    static_configs:\n"
                f'      - targets: ["127.0.0.1:{exporter_port}"]\n')


def http_ready(port, path="/-/ready"):
    """True once a loopback server answers path with 200 (Prometheus, Alertmanager)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


class Prometheus:
    """Debian's Prometheus on a free loopback port, scraping one exporter every second
    with the rule files found in config_dir (redis_memory_rules.yml and
    redis_memory_alerts.yml, which the caller writes there), and sending alerts to an
    Alertmanager when its port is given. Ready when constructed; stop() ends it."""

    def __init__(self, config_dir, exporter_port, alertmanager_port=None):
        self.port = free_port()
        self.config = os.path.join(config_dir, "prometheus.yml")
        write_prometheus_config(self.config, exporter_port, alertmanager_port)
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={self.config}", f"--storage.tsdb.path={config_dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("Prometheus ready", lambda: http_ready(self.port), timeout=60, step=0.5)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def stop(self):
        stop_process(self.proc, timeout=30)
