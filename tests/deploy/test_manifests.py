# SPDX-License-Identifier: Apache-2.0
"""Structural checks of the deployment files: Kubernetes manifests, docker-compose, the
systemd unit and the Grafana provisioning. No cluster is available here, so these check
what can go wrong in the files themselves (mismatched ports and selectors, missing
hardening, files that are referenced but absent)."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = sorted(glob.glob(os.path.join(ROOT, "deploy", "kubernetes", "*.yaml")))


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


@pytest.mark.parametrize("path", K8S, ids=[os.path.basename(p) for p in K8S])
def test_kubernetes_manifest(path):
    objects = docs(path)
    kinds = {o["kind"] for o in objects}
    assert kinds & {"Deployment", "StatefulSet"} and "Service" in kinds
    assert kinds & {"ServiceMonitor", "PodMonitor", "ScrapeConfig"}
    deployments = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    services = [o for o in objects if o["kind"] == "Service"]
    for d in deployments:
        spec = d["spec"]
        pod_labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
        pod_sc = spec["template"]["spec"].get("securityContext", {})
        assert pod_sc.get("runAsNonRoot") is True
        exporter = [c for c in spec["template"]["spec"]["containers"] if c["name"] == "exporter"]
        assert len(exporter) == 1
        c = exporter[0]
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"]
        assert {"name": "metrics", "containerPort": 39121} in c["ports"]
        assert any(a.startswith("--web.listen-address=:39121") for a in c.get("args", []))
        for probe in ("readinessProbe", "livenessProbe"):
            assert c[probe]["httpGet"]["path"] == "/healthz"
        env = {e["name"]: e for e in c.get("env", [])}
        assert "REDIS_PASSWORD" not in json.dumps(c.get("args", [])), "no password on the command line"
        for e in env.values():
            assert "value" not in e or "PASSWORD" not in e["name"] or e["name"].endswith("_FILE"), \
                "a password must come from a Secret, not a literal"
        for s in services:
            if s["spec"]["selector"].items() <= pod_labels.items():
                ports = {p["name"]: p for p in s["spec"]["ports"]}
                assert ports["metrics"]["port"] == 39121
    for m in objects:
        if m["kind"] == "ServiceMonitor":
            target = [s for s in services if m["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()]
            assert target, "the ServiceMonitor selects no Service"
            names = {p["name"] for p in target[0]["spec"]["ports"]}
            assert all(e["port"] in names and e["path"] == "/metrics" for e in m["spec"]["endpoints"])
        if m["kind"] == "ScrapeConfig":
            # Every replica's /discovery, by its stable name under the headless Service.
            (sts,) = [d for d in deployments if d["kind"] == "StatefulSet"]
            svc = sts["spec"]["serviceName"]
            assert any(s["metadata"]["name"] == svc and s["spec"].get("clusterIP") == "None" for s in services)
            replicas = [f"{sts['metadata']['name']}-{i}.{svc}:39121" for i in range(sts["spec"]["replicas"])]
            if "httpSDConfigs" in m["spec"]:
                urls = [c["url"] for c in m["spec"]["httpSDConfigs"]]
                assert urls == [f"http://{r}/discovery" for r in replicas], urls
            else:
                # The replicas' own series: every replica, from the page without targets.
                assert m["spec"]["metricsPath"] == "/exporter-metrics"
                assert [t for c in m["spec"]["staticConfigs"] for t in c["targets"]] == replicas
            args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
            assert f"--targets.shard=$(SHARD)/{sts['spec']['replicas']}" in args, "the shard count must match replicas"
        if m["kind"] == "PodMonitor":
            pods = [d for d in deployments if m["spec"]["selector"]["matchLabels"].items()
                    <= d["spec"]["template"]["metadata"]["labels"].items()]
            assert pods, "the PodMonitor selects no pod"
            ports = {p["name"] for c in pods[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
            assert all(e["port"] in ports for e in m["spec"]["podMetricsEndpoints"])


def test_compose_references_existing_files():
    compose_dir = os.path.join(ROOT, "deploy")
    (c,) = docs(os.path.join(compose_dir, "docker-compose.yml"))
    assert set(c["services"]) == {"redis", "exporter", "prometheus", "grafana"}
    for svc in c["services"].values():
        for v in svc.get("volumes", []):
            src = v.split(":")[0]
            assert os.path.exists(os.path.join(compose_dir, src)), src
    build = c["services"]["exporter"]["build"]
    assert os.path.exists(os.path.join(compose_dir, build["context"], build["dockerfile"]))


def test_grafana_provisioning_and_dashboard():
    (ds,) = [d for d in docs(os.path.join(ROOT, "grafana", "provisioning", "datasources", "prometheus.yml"))]
    assert ds["datasources"][0]["type"] == "prometheus"
    (prov,) = docs(os.path.join(ROOT, "grafana", "provisioning", "dashboards", "redis_memory.yml"))
    assert prov["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    with open(os.path.join(ROOT, "grafana", "dashboards", "redis_memory.json")) as f:
        dash = json.load(f)
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "instance"} <= names
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    exprs = " ".join(t["expr"] for p in dash["panels"] for t in p["targets"])
    for needed in ("redis_memory_used_bytes", "redis_memory_max_bytes", "redis_evicted_keys_total",
                   "redis_errors_total", "redis_db_keys_expiring", "redis_memory_finding",
                   "redis_instance_info", "redis_memory_time_to_full_seconds", "redis_mem_fragmentation_ratio"):
        assert needed in exprs, needed
    gauge = [p for p in dash["panels"] if p["type"] == "gauge"][0]
    steps = [s["value"] for s in gauge["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, 0.8, 0.95]
    assert "> 0" in gauge["targets"][0]["expr"], "the ratio must not divide by a zero maxmemory"


def test_dockerfile_uses_the_dependency_script_and_a_non_root_user():
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        text = f.read()
    assert text.count("FROM debian:bookworm-slim") == 2
    assert "install-deps.sh build" in text and "install-deps.sh runtime" in text
    assert re.search(r"^USER 65532", text, re.M) and "EXPOSE 39121" in text and "HEALTHCHECK" in text


def test_image_and_unit_run_malloc_alike():
    """The huge-page malloc setting that the fleet benchmark measures (it reads the unit's)
    is the one the image runs with too."""
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        image = re.findall(r"^ENV GLIBC_TUNABLES=(\S+)$", f.read(), re.M)
    with open(os.path.join(ROOT, "deploy", "systemd", "redis_memory_exporter.service")) as f:
        unit = re.findall(r"^Environment=GLIBC_TUNABLES=(\S+)$", f.read(), re.M)
    assert image == unit == ["glibc.malloc.hugetlb=1"], (image, unit)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_unit_verifies():
    exporter = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, "build", "redis_memory_exporter"))
    with open(os.path.join(ROOT, "deploy", "systemd", "redis_memory_exporter.service")) as f:
        unit = f.read()
    for setting in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                    "LoadCredential=redis-password:"):
        assert setting in unit, setting
    tmp = tempfile.mkdtemp()
    try:
        path = os.path.join(tmp, "redis_memory_exporter.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/bin/redis_memory_exporter", os.path.abspath(exporter)))
        p = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
        problems = [l for l in (p.stdout + p.stderr).splitlines() if "redis_memory_exporter" in l]
        assert p.returncode == 0 and not problems, p.stdout + p.stderr
    finally:
        shutil.rmtree(tmp)


def read_as(path, uid, gid, groups):
    """cat the file as uid:gid with these supplementary groups (what the kubelet gives a
    pod's process: runAsUser, runAsGroup, fsGroup)."""
    cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}"]
    cmd += [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
    return subprocess.run(cmd + ["cat", path], capture_output=True, text=True)


def secret_file(mode, group):
    """A Secret's file as the kubelet lays it out: owned by root and the fsGroup (if any),
    with the volume's defaultMode."""
    d = tempfile.mkdtemp()
    os.chmod(d, 0o755)
    path = os.path.join(d, "password")
    with open(path, "w") as f:
        f.write("s3cret\n")
    os.chown(path, 0, group if group is not None else 0)
    os.chmod(path, mode)
    return d, path


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
@pytest.mark.parametrize("path", K8S, ids=[os.path.basename(p) for p in K8S])
def test_mounted_secrets_are_readable_by_the_non_root_user(path):
    """issue 12: standalone.yaml crash-looped on "Permission denied": its Secret was mode
    0400 for root while the container ran as 65532 with no fsGroup. Every Secret the
    exporter mounts must be readable by the user it runs as; a Secret read into the
    environment for a password that may not exist must be optional."""
    checked = 0
    for d in [o for o in docs(path) if o["kind"] in ("Deployment", "StatefulSet")]:
        pod = d["spec"]["template"]["spec"]
        pod_sc = pod.get("securityContext", {})
        (c,) = [c for c in pod["containers"] if c["name"] == "exporter"]
        uid = c.get("securityContext", {}).get("runAsUser", pod_sc.get("runAsUser"))
        gid = c.get("securityContext", {}).get("runAsGroup", pod_sc.get("runAsGroup", uid))
        fs_group = pod_sc.get("fsGroup")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for m in c.get("volumeMounts", []):
            secret = volumes[m["name"]].get("secret")
            if not secret:
                continue
            tmp, f = secret_file(secret.get("defaultMode", 0o644), fs_group)
            try:
                r = read_as(f, uid, gid, [fs_group] if fs_group is not None else [])
                assert r.returncode == 0 and r.stdout == "s3cret\n", (m["name"], r.stderr)
            finally:
                shutil.rmtree(tmp)
            checked += 1
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and "PASSWORD" in e["name"]:
                assert ref.get("optional") is True, f"{e['name']}: the Secret must be optional (Redis may have no password)"
                checked += 1
    assert checked, "no Secret in this manifest: nothing was checked"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_the_permission_check_can_fail():
    """The check above on the layout that crash-looped: 0400, no fsGroup, uid 65532."""
    tmp, f = secret_file(0o400, None)
    try:
        r = read_as(f, 65532, 65532, [])
        assert r.returncode != 0 and "Permission denied" in r.stderr
    finally:
        shutil.rmtree(tmp)


def test_systemd_unit_works_with_and_without_a_password():
    """issue 12: the unit needed a password even for a Redis without one. Every credential
    it loads has an empty SetCredential= default (systemd.exec: then a missing file is not
    an error), and the unit's command line, run as systemd would run it (%d the credentials
    directory holding what systemd puts there), reaches a Redis without a password when the
    file is absent, and one with a password when it is there."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))
    from harness import RedisServer, free_port, wait_for  # noqa: E402
    import urllib.request
    exporter = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, "build", "redis_memory_exporter"))
    with open(os.path.join(ROOT, "deploy", "systemd", "redis_memory_exporter.service")) as f:
        unit = f.read()
    loads = re.findall(r"^LoadCredential=([^:\n]+):", unit, re.M)
    assert loads
    for cred in loads:
        # an empty default: systemd 252 refuses an empty value, so one empty line ("\n")
        assert re.search(rf"^SetCredential={re.escape(cred)}:\\n$", unit, re.M), f"{cred} has no empty default"
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1).split()
    defaults = dict(re.findall(r"^Environment=([A-Z_]+)=(.*)$", unit, re.M))

    def run(server, password):
        creds = tempfile.mkdtemp()
        # LoadCredential copies the file; without it, SetCredential's "\n" is used
        with open(os.path.join(creds, "redis-password"), "w") as f:
            f.write(password or "\n")
        port = free_port()
        argv = [exporter if a.endswith("/redis_memory_exporter") else a.replace("%d", creds) for a in exec_start]
        argv = [a for a in argv if a != "$EXPORTER_FLAGS"] + [f"--web.listen-address=127.0.0.1:{port}"]
        assert "REDIS_ADDR" in defaults
        # the unit's environment (GLIBC_TUNABLES too), with the test's Redis
        env = {"PATH": os.environ["PATH"], **defaults, "REDIS_ADDR": server.addr}
        p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def up():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    return "redis_up 1" in r.read().decode()
            except OSError:
                return False
        try:
            wait_for("redis_up 1 through the unit's command line", up, timeout=20)
        finally:
            p.terminate()
            p.wait(10)
            shutil.rmtree(creds)

    open_redis = RedisServer()
    locked = RedisServer("--requirepass", "unit-test-pw")
    try:
        run(open_redis, None)
        run(locked, "unit-test-pw\n")
    finally:
        open_redis.stop()
        locked.stop()


def _alerts(path=os.path.join(ROOT, "deploy", "prometheus", "redis_memory_alerts.yml")):
    with open(path) as f:
        return [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]


def test_every_alert_has_a_runbook_section_and_names_its_redis():
    """Issue 24: a runbook_url to an anchor of docs/runbooks.md for every alert; a summary
    that names the Redis (addr), not the exporter's address as if it were Redis's; the
    package's unit name; rates in plain units."""
    with open(os.path.join(ROOT, "docs", "runbooks.md")) as f:
        anchors = {"#" + re.sub(r"[^a-z0-9-]", "", line[3:].strip().lower().replace(" ", "-"))
                   for line in f if line.startswith("## ")}
    exporter_level = {"RedisMemoryExporterDown", "RedisMemoryExporterAbsent", "RedisClusterShardNearLimitAlone"}
    for rule in _alerts():
        a = rule["annotations"]
        assert "#" + a["runbook_url"].split("#", 1)[1] in anchors, rule["alert"]
        text = a["summary"] + " " + a["description"]
        assert "systemctl status redis_memory_exporter" not in text and "restart redis_memory_exporter" not in text
        assert "humanize }}/s" not in text, rule["alert"]
        if rule["alert"] not in exporter_level:
            assert "$labels.addr" in a["summary"], rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info")


def test_mixin_thresholds_reach_expressions_texts_and_dashboard():
    """Overriding a threshold in _config changes the expression, the words and the
    dashboard alike (the words once said 80 % whatever the expression said)."""
    expr = "((import 'mixin/mixin.libsonnet') + {_config+:: {memoryWarning: 0.7, memoryCritical: 0.9}})"
    alerts = json.loads(subprocess.run(["jsonnet", "-J", ROOT, "-e", expr + ".prometheusAlerts"], cwd=ROOT,
                                       capture_output=True, text=True, check=True).stdout)
    rules = {(r["alert"], r["labels"]["severity"]): r for g in alerts["groups"] for r in g["rules"]}
    high = rules[("RedisMemoryHigh", "warning")]
    assert ">= 0.7\n" in high["expr"] and "70 %" in high["annotations"]["description"]
    assert "80 %" not in json.dumps(alerts)
    crit = rules[("RedisMemoryCritical", "critical")]
    assert ">= 0.9\n" in crit["expr"] and "90 %" in crit["annotations"]["description"]
    dash = subprocess.run(["jsonnet", "-J", ROOT, "-e", expr + ".grafanaDashboards['redis_memory.json']"],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout
    d = json.loads(dash)
    exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
    assert any(e.startswith("0.7 * ") for e in exprs) and any(e.startswith("0.9 * ") for e in exprs)
    assert not any(e.startswith(("0.8 *", "0.95 *")) for e in exprs)
    steps = [st["value"] for p in d["panels"] for st in
             p.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])]
    assert any(abs((v or 0) - 0.7) < 1e-9 for v in steps) and not any(v == 0.8 for v in steps)


def test_dashboard_panels_do_not_mix_units_on_one_axis():
    """A panel whose series have different units gives the others an override (their own
    unit, the right axis)."""
    with open(os.path.join(ROOT, "grafana", "dashboards", "redis_memory.json")) as f:
        d = json.load(f)
    mixed = {"Fragmentation": "wasted", "Exporter health": "errors"}
    for p in d["panels"]:
        if p["title"] in mixed:
            over = p["fieldConfig"]["overrides"]
            assert over and any(pr["id"] == "custom.axisPlacement" for o in over for pr in o["properties"]), p["title"]
            assert not any("/ 1048576" in t["expr"] for t in p["targets"])


def test_alertmanager_config_is_valid():
    run = subprocess.run(["amtool", "check-config", os.path.join(ROOT, "deploy", "alertmanager", "alertmanager.yml")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_licence_is_stated_everywhere():
    """Apache-2.0: the text, an SPDX line in every source file, and debian/copyright in
    DEP-5 form naming it (without a licence no one may redistribute the project)."""
    with open(os.path.join(ROOT, "LICENSE")) as f:
        assert "Apache License" in f.read(200)
    files = subprocess.run(["git", "ls-files", "src", "include", "tests/unit", "tests/fuzz/*.c", "*.py", "*.sh"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    missing = []
    for name in files:
        if name.endswith((".c", ".h", ".py", ".sh")):
            with open(os.path.join(ROOT, name)) as f:
                if "SPDX-License-Identifier: Apache-2.0" not in f.read(300):
                    missing.append(name)
    assert not missing, missing
    with open(os.path.join(ROOT, "debian", "copyright")) as f:
        text = f.read()
    assert text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    assert "License: Apache-2.0" in text and "unspecified" not in text


def test_web_config_example_passes_promtool_as_its_comment_says():
    """The example names tls/server.crt and tls/server.key beside itself: with them
    there, promtool check web-config passes (it failed on the example as shipped)."""
    d = tempfile.mkdtemp(prefix="rme-webcfg-")
    try:
        shutil.copy(os.path.join(ROOT, "deploy", "web-config.example.yml"), os.path.join(d, "web-config.yml"))
        os.mkdir(os.path.join(d, "tls"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(d, "tls", "server.key"), "-out", os.path.join(d, "tls", "server.crt")],
                       check=True, capture_output=True)
        run = subprocess.run(["promtool", "check", "web-config", os.path.join(d, "web-config.yml")],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        with open(os.path.join(ROOT, "deploy", "web-config.example.yml")) as f:
            assert "promtool check web-config web-config.yml" in f.read()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_man_page_has_every_section_and_every_flag():
    """docs/man.sh: scdoc with the binary's own flags; every section the on-call needs."""
    exe = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, "build", "redis_memory_exporter"))
    page = subprocess.run(["bash", os.path.join(ROOT, "docs", "man.sh"), exe], capture_output=True, text=True, check=True).stdout
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "THE DOCTOR", "EXIT STATUS", "ENVIRONMENT", "FILES",
                    "SIGNALS", "SEE ALSO"):
        assert f'.SH {section}\n' in page or f'.SH "{section}"\n' in page, section
    flags = re.findall(r"^  (--[a-z0-9.-]+)", subprocess.run([exe, "--help"], capture_output=True, text=True).stdout, re.M)
    assert len(flags) > 30
    for flag in flags:
        assert "\\fB" + flag.replace(".", ".\\&") + "\\fR" in page, flag   # scdoc writes "." as ".\&"
    rendered = subprocess.run(["man", "-l", "-"], input=page, capture_output=True, text=True,
                              env={**os.environ, "MANWIDTH": "80"}).stdout
    assert "EXIT STATUS" in rendered and "--redis.addr=ADDR" in rendered.replace("‐", "-")


def test_unit_serves_on_loopback_and_is_sized_for_fleets():
    with open(os.path.join(ROOT, "deploy", "systemd", "redis_memory_exporter.service")) as f:
        unit = f.read()
    assert "Environment=EXPORTER_FLAGS=--web.listen-address=127.0.0.1:39121" in unit
    assert not re.search(r"listen-address=:39121(?! serves)", unit.split("[Service]")[1])
    assert "LimitCORE=0" in unit
    m = re.search(r"^MemoryMax=(\d+)M$", unit, re.M)
    assert m and int(m.group(1)) >= 200, "a 10,000-target fleet (about 150 MiB) must fit"
    with open(os.path.join(ROOT, "debian", "redis-memory-exporter.docs")) as f:
        docs = f.read().split()
    assert "README.md" in docs and "deploy/README.md" not in docs   # two README.md: the second won


def test_docs_agree_with_help_and_the_findings_table():
    """docs/flags.md names every flag --help lists and no other; docs/findings.md every
    finding id of the table (include/diagnose.h); the README stays a front door."""
    exe = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, "build", "redis_memory_exporter"))
    helptext = subprocess.run([exe, "--help"], capture_output=True, text=True).stdout
    flags = set(re.findall(r"^  --([a-z0-9.-]+)", helptext, re.M))
    with open(os.path.join(ROOT, "docs", "flags.md")) as f:
        documented = set(re.findall(r"^\| `--([a-z0-9.-]+)", f.read(), re.M))
    assert flags - documented == set(), f"flags without a row in docs/flags.md: {sorted(flags - documented)}"
    assert documented - flags == set(), f"rows for flags that do not exist: {sorted(documented - flags)}"
    with open(os.path.join(ROOT, "include", "diagnose.h")) as f:
        ids = set(re.findall(r'X\([A-Z_]+, "([a-z_]+)",', f.read())) - {"id"}   # (the macro's own parameter)
    assert len(ids) > 10
    with open(os.path.join(ROOT, "docs", "findings.md")) as f:
        findings = f.read()
    assert not [i for i in ids if f"`{i}`" not in findings], [i for i in ids if f"`{i}`" not in findings]
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert len(readme.splitlines()) <= 250
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert os.path.exists(os.path.join(ROOT, link)), link
