#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How long reading a large targets file takes, start-up and SIGHUP reload (issue 21: the
"listed twice" check compared every pair, 190 s at 100,000 targets, on the event loop).

    /usr/bin/python3 tests/bench/reload.py [TARGETS]   (default 100000)

The file lists TARGETS addresses on 127.0.0.1 ports nothing listens on; --targets.shard
keeps one in a thousand of them polled here, so what is timed is reading, guarding,
parsing and checking the file, and applying it. Prints the figures; never fails on them."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORTER = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, "build", "redis_memory_exporter"))
STAMP = re.compile(r'time=(\S+) level=info msg="targets file read"')


def wait_line(path, count, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            if len(STAMP.findall(f.read())) >= count:
                return time.monotonic()
        time.sleep(0.01)
    with open(path) as f:
        sys.stderr.write(f.read()[-2000:])
    raise SystemExit("the exporter never logged the file as read")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "targets.yml")
        with open(path, "w") as f:
            f.write("targets:\n")
            for i in range(n):
                f.write(f"  - addr: redis://127.0.0.1:{1 + i % 60000}/{i // 60000}\n    labels: {{n: v{i:06d}}}\n")
        size = os.path.getsize(path)
        log = os.path.join(d, "log")
        t0 = time.monotonic()
        with open(log, "w") as err:
            p = subprocess.Popen([EXPORTER, f"--targets.file={path}", "--web.listen-address=127.0.0.1:39199",
                                  "--targets.shard=0/1000", "--poll.interval=10s"], stdout=subprocess.DEVNULL,
                                 stderr=err)
        try:
            start = wait_line(log, 1) - t0
            # SIGHUP before the handler is in place would end the process: wait for it
            deadline = time.monotonic() + 60
            while "serving metrics" not in open(log).read() and time.monotonic() < deadline:
                time.sleep(0.01)
            with open(path, "r+") as f:   # one label changed in place: the whole file is read again
                f.seek(0, 2)
                f.seek(f.tell() - 3)
                f.write("x}\n")
            t1 = time.monotonic()
            p.send_signal(signal.SIGHUP)
            reload = wait_line(log, 2) - t1
        finally:
            p.terminate()
            p.wait(10)
    print(f"targets file: {n} targets, {size / 1e6:.1f} MB")
    print(f"start-up to 'targets file read': {start:.2f} s")
    print(f"SIGHUP reload of the same file with one label changed: {reload:.2f} s")


if __name__ == "__main__":
    main()
