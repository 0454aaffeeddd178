# SPDX-License-Identifier: Apache-2.0
"""The field corpus (tests/fixtures/incidents/): every INFO pasted into a public incident
thread goes through the doctor, as a text report and as JSON, and again with CRLF line
endings; each must give what its thread established (CASES: written before the doctor was
run on it) and no fix may print a command the server's version lacks or, where the memory
at hand is not data, offer eviction, TTLs, deletions or a higher limit."""
import json
import os
import re
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import EXPORTER, ROOT

CORPUS = os.path.join(ROOT, "tests", "fixtures", "incidents")
EXIT = {"ok": 0, "warning": 1, "critical": 2}
STATUS = {"ok": "healthy", "warning": "warning", "critical": "critical"}   # the JSON's words


def load_cases():
    """CASES as a list of dicts, one per block."""
    cases, cur = [], {}
    with open(os.path.join(CORPUS, "CASES"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if cur:
                    cases.append(cur)
                cur = {}
                continue
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
    if cur:
        cases.append(cur)
    return cases


CASES = load_cases()

# Commands and the version that brought them: a fix for an older server must not print them.
SINCE = [
    (r"MEMORY PURGE", (4, 0)), (r"activedefrag", (4, 0)), (r"active-defrag", (4, 0)),
    (r"UNLINK", (4, 0)), (r"MEMORY USAGE", (4, 0)), (r"maxmemory-clients", (7, 0)),
    (r"CLIENT NO-EVICT", (7, 0)), (r"CONFIG REWRITE", (2, 8)), (r"FUNCTION LOAD", (7, 0)),
    (r"CLIENT LIST TYPE", (5, 0)), (r"client-query-buffer-limit", (4, 0)),
]
# Advice that frees data: wrong when what holds the memory is not data.
FREEING = re.compile(r"maxmemory-policy (allkeys|volatile)|EXPIRE |EX seconds|UNLINK|`DEL |"
                     r"CONFIG SET maxmemory [0-9<]")


def version_of(case, report):
    text = report.get("redis_version") or case["version"]
    m = re.search(r"(\d+)\.(\d+)", text) or re.search(r"(\d+)", text)
    assert m, f"no version for {case['case']}"
    return (int(m.group(1)), int(m.group(2)) if m.lastindex > 1 else 0)


def run_doctor(path, *flags):
    p = subprocess.run([EXPORTER, "doctor", f"--doctor.from-file={path}", *flags],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout


def expected_ids(field):
    """'a b=info' -> {'a': None, 'b': 'info'}"""
    out = {}
    for word in field.split():
        fid, _, sev = word.partition("=")
        out[fid] = sev or None
    return out


@pytest.fixture(scope="module")
def crlf_dir():
    with tempfile.TemporaryDirectory() as d:
        yield d


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_incident(case, crlf_dir):
    path = os.path.join(CORPUS, case["case"] + ".info")
    with open(path, "rb") as f:
        raw = f.read()
    crlf = os.path.join(crlf_dir, case["case"] + ".info")
    with open(crlf, "wb") as f:
        f.write(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

    status, out = run_doctor(path, "--output=json")
    report = json.loads(out)   # every path prints JSON, "could not check" too
    status_text, text = run_doctor(path)
    status_crlf, out_crlf = run_doctor(crlf, "--output=json")
    assert status_text == status == status_crlf
    report_crlf = json.loads(out_crlf)

    kind = case["kind"]
    if kind == "unreadable":
        assert status == 3, text
        assert report.get("reason"), out
        return
    assert status in (0, 1, 2), text
    found = {f["id"]: f["severity"] for f in report["findings"]}
    assert found == {f["id"]: f["severity"] for f in report_crlf["findings"]}, "CRLF changed the findings"
    # The text report names the same findings, in the same order.
    assert re.findall(r"^  \[[A-Z]+\] (\w+)$", text, re.M) == [f["id"] for f in report["findings"]], text

    # What the paste lacks is unknown, never 0: no Keyspace section, no key count; and a
    # limit that only a pasted CONFIG GET gives says where it came from.
    if b"db0:" not in raw and b"# Keyspace" not in raw:
        assert report["keys"] is None and report["keys_with_ttl"] is None
    if b"maxmemory:" not in raw and report["maxmemory"] is not None:
        assert report["sources"]["maxmemory"] == "config" and "CONFIG GET" in text

    version = version_of(case, report)
    fixes = " ".join(f["fix"] for f in report["findings"])
    for cmd, since in SINCE:
        if version < since:
            assert not re.search(cmd, fixes), f"{cmd} is printed for Redis {version}: {fixes}"
    # A new limit is lost at the next restart unless the fix says how to keep it.
    for f in report["findings"]:
        if re.search(r"CONFIG SET maxmemory [0-9<]", f["fix"]):
            assert "CONFIG REWRITE" in f["fix"] or "redis.conf" in f["fix"], f"{f['id']}: {f['fix']}"

    if kind == "parse-only":
        return
    assert kind == "diagnosis"
    for fid, sev in expected_ids(case.get("must", "")).items():
        assert fid in found, f"{fid} missing; found {found}\n{text}"
        if sev:
            assert found[fid] == sev, f"{fid} is {found[fid]}, expected {sev}\n{text}"
    for fid in expected_ids(case.get("must_not", "")):
        assert fid not in found, f"{fid} must not be there\n{text}"
    assert report["status"] == STATUS[case["severity"]], text
    assert status == EXIT[case["severity"]]
    if case.get("no_freeing_advice") == "yes":
        m = FREEING.search(fixes)
        assert not m, f"advice that frees data ({m.group(0)}) for memory that is not data:\n{text}"
