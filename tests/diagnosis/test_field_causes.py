# SPDX-License-Identifier: Apache-2.0
"""Causes the field corpus showed (issue 20), each reproduced on a real redis-server: a
client sending a large command that has not arrived whole, script engine memory with no
limit at all, and memory kept after a peak. Each test asserts the finding, its severity and
that no other finding appears, in /metrics and in the doctor; then it follows the printed
fix (CLIENT KILL, SCRIPT FLUSH, MEMORY PURGE: each safe) and checks that the finding clears
and that no key was lost."""
import os
import re
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, wait_for  # noqa: E402
from test_causes import doctor_report, fill, fix_of, run_printed  # noqa: E402

FREEING = re.compile(r"maxmemory-policy (allkeys|volatile)|EXPIRE |UNLINK|CONFIG SET maxmemory \d")


def findings_of(report):
    return {(f["id"], f["severity"]) for f in report["findings"]}


def largest_query_buffer(client):
    """(id, qbuf) of the client whose query buffer is largest, from CLIENT LIST."""
    best = (None, -1)
    for line in client.execute_command("CLIENT", "LIST").decode().splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if int(fields["qbuf"]) > best[1]:
            best = (fields["id"], int(fields["qbuf"]))
    return best


def test_query_buffers_and_their_fix():
    """A client announces a 60 MB SET and sends 40 MB of it: its query buffer holds the
    memory under a noeviction limit. The finding names the buffers (never eviction, TTLs,
    deletions or a higher limit); CLIENT KILL ID as printed frees it, and every key stays."""
    server = RedisServer("--maxmemory-policy", "noeviction")
    exporter, sender = None, None
    try:
        fill(server.client, 2000)
        sender = socket.create_connection(("127.0.0.1", server.port))
        sender.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nbulk\r\n$60000000\r\n")
        sender.sendall(b"x" * (40 * 1024 * 1024))
        wait_for("the query buffer in INFO",
                 lambda: server.client.info("clients")["client_recent_max_input_buffer"] > 50 * 1024 * 1024)
        used = server.client.info("memory")["used_memory"]
        server.client.config_set("maxmemory", int(used / 0.88))
        want = {("client_query_buffers", "warning"), ("memory_near_limit", "warning"),
                ("noeviction_at_limit", "warning")}
        exporter = Exporter(server.addr)
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        report = doctor_report(server.addr)
        assert findings_of(report) == want, report
        assert report["findings"][0]["id"] == "client_query_buffers"   # the cause first
        fixes = " ".join(f["fix"] for f in report["findings"])
        assert not FREEING.search(fixes), fixes
        fix = fix_of(report, "client_query_buffers")
        client_id, qbuf = largest_query_buffer(server.client)
        assert qbuf > 30 * 1024 * 1024
        # the exporter's own CLIENT LIST names the client: the exact command, run as printed
        assert f"`CLIENT KILL ID {client_id}`" in fix, fix
        run_printed(server.client, fix, r"CLIENT KILL ID \d+")
        wait_for("the findings cleared", lambda: exporter.findings() == set(), timeout=30)
        assert server.client.dbsize() == 2000
        assert server.client.exists("bulk") == 0   # the unfinished SET never ran
    finally:
        if sender:
            sender.close()
        if exporter:
            exporter.stop()
        server.stop()


def test_script_engine_without_a_limit_and_its_fix():
    """60,000 generated EVAL scripts: the Lua engine (used_memory_vm_eval, outside
    used_memory) holds most of RSS on a server with no maxmemory. That is script_cache, not
    fragmentation; SCRIPT FLUSH as printed frees it and touches no key."""
    server = RedisServer()
    exporter = None
    try:
        fill(server.client, 2000)
        p = server.client.pipeline(transaction=False)
        for i in range(60000):
            p.eval("local t = {" + ",".join(str(i * 100 + j) for j in range(60)) + "} return #t", 0)
            if i % 2000 == 1999:
                p.execute()
        p.execute()
        info = server.client.info("memory")
        assert info["maxmemory"] == 0
        assert info["used_memory_vm_eval"] > 0.5 * info["used_memory_rss"], info
        want = {("script_cache", "warning")}
        exporter = Exporter(server.addr)
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        report = doctor_report(server.addr)
        assert findings_of(report) == want, report
        summary = report["findings"][0]["summary"]
        assert "used_memory_vm_eval" in summary and "not fragmentation" in summary, summary
        run_printed(server.client, fix_of(report, "script_cache"), r"SCRIPT FLUSH")
        # The engine's pages go back to jemalloc at once and to the OS within its decay
        # time: the finding clears, and none other stays.
        wait_for("the findings cleared", lambda: exporter.findings() == set(), timeout=60)
        assert server.client.dbsize() == 2000
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_memory_kept_after_a_peak_and_its_fix():
    """300 MB written, nine keys in ten deleted: used memory falls, RSS stays at the peak
    (jemalloc's decay is off here, as on builds that keep freed pages). A note, not an
    alarm (info: the doctor exits 0); MEMORY PURGE as printed gives the pages back, and the
    keys kept are all there."""
    server = RedisServer(env={"MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"})
    exporter = None
    try:
        p = server.client.pipeline(transaction=False)
        for i in range(3000):
            p.set(f"big:{i}", b"x" * 100000)
            if i % 500 == 499:
                p.execute()
        p.execute()
        p = server.client.pipeline(transaction=False)
        for i in range(3000):
            if i % 10:
                p.delete(f"big:{i}")
        p.execute()
        info = server.client.info("memory")
        assert info["used_memory_rss"] > 5 * info["used_memory"], info
        want = {("memory_kept_after_peak", "info")}
        exporter = Exporter(server.addr)
        wait_for(f"findings {want}", lambda: exporter.findings() == want, timeout=30)
        report = doctor_report(server.addr)
        assert findings_of(report) == want, report
        assert report["exit_code"] == 0 and report["status"] == "healthy"
        run_printed(server.client, fix_of(report, "memory_kept_after_peak"), r"MEMORY PURGE")
        wait_for("the finding cleared", lambda: exporter.findings() == set(), timeout=30)
        assert server.client.info("memory")["used_memory_rss"] < 2 * info["used_memory"] + 64 * 1024 * 1024
        assert server.client.dbsize() == 300
    finally:
        if exporter:
            exporter.stop()
        server.stop()


def test_rss_below_used_is_judged_by_vmswap():
    """A client announces a 300 MB argument and sends 1 MB of it: Redis allocates the
    buffer, the kernel maps no page for what was never written, and RSS falls 300 MB below
    used memory. INFO alone cannot tell that from swap: the doctor on the saved INFO says so
    as a note (info). The exporter, polling this server on this host, reads the process's
    VmSwap (0 here) and knows better: no finding at all."""
    server = RedisServer()
    exporter, sender = None, None
    try:
        sender = socket.create_connection(("127.0.0.1", server.port))
        sender.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nbulk\r\n$300000000\r\n" + b"x" * (1024 * 1024))
        wait_for("RSS far below used memory", lambda: server.client.info("memory")["used_memory"]
                 - server.client.info("memory")["used_memory_rss"] > 200 * 1024 * 1024)
        pid = server.client.info("server")["process_id"]
        with open(f"/proc/{pid}/status") as f:
            swap_kb = int(re.search(r"^VmSwap:\s+(\d+) kB", f.read(), re.M).group(1))
        assert swap_kb < 1024, f"this host swapped redis-server out ({swap_kb} kB): the test needs it in RAM"
        saved = "\n".join(f"{k}:{v}" for k, v in server.client.info("everything").items()
                          if not isinstance(v, dict)) + "\n"
        with tempfile.NamedTemporaryFile("w", suffix=".info", delete=False) as f:
            f.write(saved)
        offline = doctor_report(server.addr, f"--doctor.from-file={f.name}")
        os.unlink(f.name)
        assert findings_of(offline) == {("rss_below_used", "info")}, offline
        assert offline["exit_code"] == 0
        exporter = Exporter(server.addr)
        wait_for("the first poll", lambda: exporter.value("redis_up", addr=server.label) == 1)
        time.sleep(2)   # several polls: the VmSwap read comes with the first
        assert exporter.findings() == set()
        assert findings_of(doctor_report(server.addr)) == set()
    finally:
        if sender:
            sender.close()
        if exporter:
            exporter.stop()
        server.stop()
