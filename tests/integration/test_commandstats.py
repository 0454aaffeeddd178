# SPDX-License-Identifier: Apache-2.0
"""redis_exporter's commandstats families and network counters from a real redis-server
(issue 24): the values INFO commandstats gives, rejected and failed calls where 7.0 counts
them, on by default for one Redis and off for a fleet unless asked."""
import os
import sys

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, wait_for  # noqa: E402


def cmdstat(server, name):
    return server.client.info("commandstats").get(f"cmdstat_{name}")


def test_commands_match_info_commandstats():
    server = RedisServer("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
    exporter = Exporter(server.addr)
    try:
        for i in range(10):
            server.client.set(f"k{i}", "v")
        for i in range(5):
            server.client.get(f"k{i}")
        server.client.set("word", "abc")
        for _ in range(3):   # runs and fails: not an integer (redis-py sends INCRBY)
            try:
                server.client.incr("word")
            except redis.exceptions.ResponseError:
                pass
        rejected = 0
        while rejected < 4:   # refused before running: OOM under noeviction
            try:
                server.client.set(f"fill:{rejected}:{os.urandom(4).hex()}", b"x" * 100000)
            except redis.exceptions.ResponseError:
                rejected += 1
        want = cmdstat(server, "get")
        wait_for("get counted", lambda: exporter.value("redis_commands_total", cmd="get") == want["calls"])
        assert abs(exporter.value("redis_commands_duration_seconds_total", cmd="get") - want["usec"] / 1e6) < 1e-9
        incr = cmdstat(server, "incrby")
        wait_for("incr failures", lambda: exporter.value("redis_commands_failed_calls_total", cmd="incrby")
                 == incr["failed_calls"] == 3)
        sets = cmdstat(server, "set")
        wait_for("set rejections", lambda: exporter.value("redis_commands_rejected_calls_total", cmd="set")
                 == sets["rejected_calls"] >= 4)
        # the exporter's own commands are there too, subcommands by their 7.0 names
        assert exporter.value("redis_commands_total", cmd="info") > 0
        assert exporter.value("redis_commands_total", cmd="client|setname") >= 1
        # network counters, from INFO stats
        first = exporter.value("redis_net_input_bytes_total")
        assert first and first > 0 and exporter.value("redis_net_output_bytes_total") > 0
        server.client.get("k1")
        wait_for("input grows", lambda: exporter.value("redis_net_input_bytes_total") > first)
    finally:
        exporter.stop()
        server.stop()


def test_fleet_default_off_and_asked_on():
    a, b = RedisServer(), RedisServer()
    fleet = Exporter([a.addr, b.addr])
    asked = Exporter([a.addr, b.addr], "--collect.commandstats=true")
    try:
        wait_for("asked: both", lambda: all(asked.value("redis_commands_total", addr=s.label, cmd="info")
                                            for s in (a, b)))
        wait_for("fleet up", lambda: all(fleet.value("redis_up", addr=s.label) == 1 for s in (a, b)))
        assert not any(n.startswith("redis_commands_") and n != "redis_commands_processed_total"
                       for n, _, _ in fleet.metrics())
        assert fleet.value("redis_net_input_bytes_total", addr=a.label) > 0   # not behind the flag
    finally:
        fleet.stop()
        asked.stop()
        a.stop()
        b.stop()
