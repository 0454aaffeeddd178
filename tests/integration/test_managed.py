# SPDX-License-Identifier: Apache-2.0
"""What managed services impose, reproduced on a real redis-server: the minimal ACL user
the README documents (its ACL SETUSER lines are read from the README and run as
written), CONFIG renamed away, MEMORY or CLIENT forbidden. The exporter stays up in each,
does every thing the profile allows, says once what it cannot, and the doctor's fixes
point to the service's settings when CONFIG is not there."""
import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import ROOT, Exporter, RedisServer, doctor, wait_for  # noqa: E402

PASSWORD = "acl-Pa55-managed"


def readme_acl_lines():
    """The ACL SETUSER lines of docs/tls-and-managed.md's minimal-ACL block, in order."""
    with open(os.path.join(ROOT, "docs", "tls-and-managed.md")) as f:
        text = f.read()
    lines = re.findall(r"^(ACL SETUSER exporter .*)$", text, re.M)
    assert len(lines) >= 2, "docs/tls-and-managed.md must document the minimal ACL (with and without the key sampler)"
    return lines


def apply_acl(server, line):
    server.client.execute_command(*line.replace("CHANGE-ME", PASSWORD).split())


def errors(exporter, reason):
    return exporter.value("redis_memory_exporter_poll_errors_total", reason=reason) or 0


def fill(server, n=300, size=2000):
    pipe = server.client.pipeline()
    for i in range(n):
        pipe.set(f"item:{i}", "x" * size)
    pipe.set("big", "y" * 300_000)
    pipe.execute()


def test_minimal_acl_user_runs_every_feature():
    server = RedisServer("--maxmemory", "64mb")
    full = readme_acl_lines()[0]
    assert "%R~*" in full and "+memory|usage" in full
    apply_acl(server, full)
    fill(server)
    exporter = Exporter(server.addr, "--redis.user=exporter", "--sampler.keys-per-second=500",
                        env={"REDIS_PASSWORD": PASSWORD})
    try:
        wait_for("redis_up 1 as the minimal user", lambda: exporter.value("redis_up") == 1)
        wait_for("the sampler's largest key", lambda: exporter.value("redis_key_sample_largest_bytes", key="big"))
        assert exporter.value("redis_active_defrag_enabled") is not None   # CONFIG GET allowed
        for reason in ("auth", "redis_error", "protocol"):
            assert errors(exporter, reason) == 0, reason
        log = exporter.log()
        assert "not allowed" not in log and "switched off" not in log, log
        names = [c.get("name") for c in server.client.client_list() if c.get("user") == "exporter"]
        assert "redis_memory_exporter" in names   # CLIENT SETNAME allowed
        # Nothing beyond: the user cannot write or read values.
        status, out = doctor(server.addr, "--redis.user=exporter", "--output=json")
    finally:
        exporter.stop()
    try:
        assert status in (0, 1, 2), out
        report = json.loads(out)
        assert report["config_allowed"] is True
        assert any(k["key"] == "big" for k in report["largest_keys"]), report
    finally:
        server.stop()


def test_minimal_acl_without_the_sampler():
    server = RedisServer()
    bare = readme_acl_lines()[1]
    assert "+memory|usage" not in bare and "+scan" not in bare and "~" not in bare.replace("resetkeys", "")
    apply_acl(server, bare)
    exporter = Exporter(server.addr, "--redis.user=exporter", env={"REDIS_PASSWORD": PASSWORD})
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        assert exporter.value("redis_memory_used_bytes") > 0
        assert errors(exporter, "auth") == 0 and errors(exporter, "redis_error") == 0
        # +memory|stats: MEMORY STATS is read (its key-count figures need no key access)
        assert exporter.value("redis_memory_stats_bytes_per_key") is not None
    finally:
        exporter.stop()
        server.stop()


def test_config_renamed_away_fixes_point_to_the_service_settings():
    """As on ElastiCache, Azure or Memorystore: CONFIG does not exist. Near the limit under
    noeviction, the doctor's fixes say where to change the setting instead."""
    server = RedisServer("--maxmemory", "4mb", "--maxmemory-policy", "noeviction", "--rename-command", "CONFIG", "")
    try:
        pipe = server.client.pipeline()
        for i in range(60):
            pipe.set(f"k:{i}", "z" * 40_000)
        try:
            pipe.execute()
        except Exception:
            pass   # writes past the limit are refused: that is the situation
        exporter = Exporter(server.addr)
        try:
            wait_for("redis_up 1 without CONFIG", lambda: exporter.value("redis_up") == 1)
            assert exporter.value("redis_active_defrag_enabled") is None
            assert exporter.value("redis_memory_used_ratio") > 0.8
            assert exporter.log().count("CONFIG GET is not allowed") == 1
            assert errors(exporter, "redis_error") == 0
        finally:
            exporter.stop()
        status, text = doctor(server.addr)
        assert status in (1, 2), text
        assert "Note: CONFIG is not allowed here" in text and "parameter groups" in text, text
        status, out = doctor(server.addr, "--output=json")
        assert json.loads(out)["config_allowed"] is False
    finally:
        server.stop()


@pytest.mark.parametrize("forbid,words", [("-memory", "key sampler switched off"), ("-client", None)])
def test_memory_or_client_forbidden(forbid, words):
    server = RedisServer()
    server.client.execute_command("ACL", "SETUSER", "exporter", "on", ">" + PASSWORD, "~*", "+@all", forbid)
    fill(server, n=20)
    exporter = Exporter(server.addr, "--redis.user=exporter", "--sampler.keys-per-second=500",
                        env={"REDIS_PASSWORD": PASSWORD})
    try:
        wait_for("redis_up 1", lambda: exporter.value("redis_up") == 1)
        if words:
            wait_for(words, lambda: words in exporter.log())
            assert exporter.log().count(words) == 1
            assert exporter.value("redis_key_sample_largest_bytes", key="big") is None
            # MEMORY STATS refused too: tolerated, asked once, nothing made up
            assert exporter.value("redis_memory_stats_bytes_per_key") is None
            assert server.client.info("commandstats").get("cmdstat_memory|stats", {}).get("calls", 0) <= 1
        else:
            wait_for("the sampler still works", lambda: exporter.value("redis_key_sample_largest_bytes", key="big"))
        assert errors(exporter, "auth") == 0 and errors(exporter, "redis_error") == 0
        assert exporter.value("redis_up") == 1
    finally:
        exporter.stop()
        server.stop()
