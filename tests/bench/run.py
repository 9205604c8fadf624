#!/usr/bin/env python3
"""`make bench`: durable API actions/s beside the same evhttp answering a fixed
reply and beside raw SQLite commits of the same rows, measured in one run on one
machine, printed as ratios. wrk runs on the second core, servers on the first."""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("BENCH_BUILD", os.path.join(ROOT, "build", "release"))
os.environ["TSUNAGU_BIN"] = os.path.join(ROOT, "build", "tsunagu")
os.environ["TSUNAGU_SOURCE"] = ROOT
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from daemon import Daemon  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


def cores():
    return os.cpu_count() or 1


def pin(core, args):
    return (["taskset", "-c", str(core)] if cores() > 1 else []) + args


def wrk(url, script=None, env=None):
    args = pin(1, ["wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ds" % SECONDS, "--latency", url])
    if script:
        args[-1:-1] = ["-s", script]
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=dict(os.environ, **(env or {}))).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else float("nan")
    bad = re.search(r"non2xx (\d+)", out)
    non2xx = int(bad.group(1)) if bad else 0
    return rate, p99_ms, non2xx, out


def main():
    results = {}
    fixed = subprocess.Popen(pin(0, [os.path.join(BUILD, "fixed_reply"), "18099"]), stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    try:
        results["fixed"] = wrk("http://127.0.0.1:18099/")
    finally:
        fixed.terminate()
        fixed.wait()
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(pin(0, [os.path.join(BUILD, "sqlite_rows"), tmp, str(CONNECTIONS)]),
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        sqlite = {k: float(v) for k, v in (line.split() for line in out.splitlines())}
    d = Daemon()
    try:
        d.start()
        # the daemon on core 0, like the fixed-reply server
        if cores() > 1:
            subprocess.run(["taskset", "-pc", "0", str(d.proc.pid)], stdout=subprocess.DEVNULL)
        results["open"] = wrk("http://127.0.0.1:%d/v1/cases" % d.port, os.path.join(HERE, "open_case.lua"),
                              {"TSUNAGU_TOKEN": d.tokens["pharmacist"]})
        cases = d.db_rows("SELECT count(*) FROM cases")[0][0]
    finally:
        d.cleanup()
    fixed_rate = results["fixed"][0]
    open_rate, open_p99, non2xx, _ = results["open"]
    print("benchmark: durable referrals through the API (%d connections, %ds each, 2 cores)" % (CONNECTIONS, SECONDS))
    print("  fixed-reply evhttp server      %9.0f req/s   p99 %6.2f ms" % (fixed_rate, results["fixed"][1]))
    print("  raw SQLite, 1 referral/commit  %9.0f /s      ratio to fixed %.3f" % (
        sqlite["sqlite_one_per_commit"], sqlite["sqlite_one_per_commit"] / fixed_rate))
    print("  raw SQLite, %2d per commit      %9.0f /s      ratio to fixed %.3f" % (
        CONNECTIONS, sqlite["sqlite_group_commit"], sqlite["sqlite_group_commit"] / fixed_rate))
    print("  tsunagu POST /v1/cases         %9.0f req/s   p99 %6.2f ms   ratio to fixed %.3f   "
          "ratio to raw group commit %.3f" % (open_rate, open_p99, open_rate / fixed_rate,
                                               open_rate / sqlite["sqlite_group_commit"]))
    print("  (%d cases written; %d non-2xx answers)" % (cases, non2xx))
    if non2xx:
        print("bench: the API answered errors under load", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
