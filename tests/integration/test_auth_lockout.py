# SPDX-License-Identifier: Apache-2.0
"""A password guesser cannot keep a right password out (issue 21): an attacker on
127.0.0.3 sends wrong basic-auth passwords back to back, as fast as it can, while a new
scraper with the right password on 127.0.0.1 asks ten times: at least nine answers are
200 (before: 401 44 times of 44). The attacker gets 429 once its address's budget of
bcrypt checks is spent. The same after a web-config reload (SIGHUP): the verified pair is
remembered across it."""
import base64
import http.client
import os
import signal
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from harness import Exporter, RedisServer, wait_for  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt


def get(port, user, password, source):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        c.request("GET", "/metrics", headers={"Authorization": f"Basic {token}"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def test_a_guesser_cannot_lock_out_the_scraper():
    server = RedisServer()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "web.yml")
        pw_hash = crypt.crypt("right-pw", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
        with open(cfg, "w") as f:
            f.write(f"basic_auth_users:\n  prometheus: '{pw_hash}'\n")
        exporter = Exporter(server.addr, f"--web.config.file={cfg}")
        stop = threading.Event()
        answers = {}

        def guess():
            i = 0
            while not stop.is_set():
                status = get(exporter.port, "prometheus", f"guess-{i}", "127.0.0.3")
                answers[status] = answers.get(status, 0) + 1
                i += 1
        try:
            attacker = threading.Thread(target=guess, daemon=True)
            attacker.start()
            time.sleep(1)
            for phase in ("first", "after a reload"):
                ok = sum(get(exporter.port, "prometheus", "right-pw", "127.0.0.1") == 200 for _ in range(10))
                assert ok >= 9, f"{phase}: {ok} of 10 answered 200 beside the guesser ({answers})"
                if phase == "first":
                    exporter.proc.send_signal(signal.SIGHUP)
                    wait_for("the reload", lambda: "web config reloaded" in exporter.log())
            stop.set()
            attacker.join()
            assert answers.get(429, 0) > answers.get(401, 0), answers   # most guesses never reach bcrypt
            assert answers.get(200, 0) == 0
        finally:
            stop.set()
            exporter.stop()
            server.stop()
