# SPDX-License-Identifier: Apache-2.0
"""The fixes that raise maxmemory end with CONFIG REWRITE (issue 24): followed as the
doctor's JSON `commands` give them, on a redis-server started from a config file, they
clear the finding, lose no key, and the new limit is in the file, so a restart keeps it.
(The other diagnosis tests start servers without a file, where CONFIG REWRITE can only
fail, and run the CONFIG SET alone.)"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, answers, doctor, free_port, stop_process, wait_for  # noqa: E402


def server_from_file(policy):
    d = tempfile.mkdtemp(prefix="rme-conf-")
    port = free_port()
    conf = os.path.join(d, "redis.conf")
    with open(conf, "w") as f:
        f.write(f"bind 127.0.0.1\nport {port}\ndir {d}\nsave \"\"\nappendonly no\n"
                f"maxmemory 8mb\nmaxmemory-policy {policy}\n")
    proc = subprocess.Popen(["redis-server", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    wait_for("redis-server", lambda: answers(client))
    return d, conf, proc, client, f"127.0.0.1:{port}"


def fill_to(client, share):
    i = 0
    while client.info("memory")["used_memory"] < share * 8 * 1048576:
        p = client.pipeline(transaction=False)
        for _ in range(200):
            p.set(f"k:{i}", b"v" * 200)
            i += 1
        p.execute()


def commands_of(addr, finding_id):
    status, out = doctor(addr, "--output=json")
    findings = {f["id"]: f for f in json.loads(out)["findings"]}
    assert finding_id in findings, out
    return findings[finding_id]["commands"]


def test_noeviction_every_key_stays_fix_is_kept_by_config_rewrite():
    d, conf, proc, client, addr = server_from_file("noeviction")
    exporter = Exporter(addr)
    try:
        fill_to(client, 0.9)
        wait_for("noeviction_at_limit", lambda: "noeviction_at_limit" in {i for i, _ in exporter.findings()})
        cmds = commands_of(addr, "noeviction_at_limit")
        # "If every key must stay": the higher limit, then its keeping; not the policy change
        chosen = [c for c in cmds if re.fullmatch(r"CONFIG SET maxmemory \d+mb", c) or c == "CONFIG REWRITE"]
        assert len(chosen) == 2 and chosen[1] == "CONFIG REWRITE", cmds
        keys = client.dbsize()
        for c in chosen:
            client.execute_command(*c.split())
        wait_for("the finding cleared", lambda: "noeviction_at_limit" not in {i for i, _ in exporter.findings()})
        assert client.dbsize() == keys and client.info("stats")["evicted_keys"] == 0
        want = int(chosen[0].split()[-1][:-2]) * 1048576
        with open(conf) as f:
            assert re.search(rf"^maxmemory {chosen[0].split()[-1]}$|^maxmemory {want}$", f.read(), re.M | re.I)
    finally:
        exporter.stop()
        stop_process(proc)
        shutil.rmtree(d, ignore_errors=True)


def test_cache_at_its_limit_higher_limit_fix_is_kept_by_config_rewrite():
    d, conf, proc, client, addr = server_from_file("allkeys-lru")
    exporter = Exporter(addr)
    try:
        fill_to(client, 0.9)
        wait_for("memory_near_limit", lambda: "memory_near_limit" in {i for i, _ in exporter.findings()})
        cmds = commands_of(addr, "memory_near_limit")
        assert len(cmds) == 2 and re.fullmatch(r"CONFIG SET maxmemory \d+mb", cmds[0]) and cmds[1] == "CONFIG REWRITE", cmds
        keys, evicted = client.dbsize(), client.info("stats")["evicted_keys"]
        for c in cmds:
            client.execute_command(*c.split())
        wait_for("the finding cleared", lambda: "memory_near_limit" not in {i for i, _ in exporter.findings()})
        assert client.dbsize() == keys and client.info("stats")["evicted_keys"] == evicted
        with open(conf) as f:
            text = f.read()
        assert re.search(rf"^maxmemory {cmds[0].split()[-1]}$", text, re.M | re.I) or \
            re.search(rf"^maxmemory {int(cmds[0].split()[-1][:-2]) * 1048576}$", text, re.M), text
    finally:
        exporter.stop()
        stop_process(proc)
        shutil.rmtree(d, ignore_errors=True)
