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


def shipped_demo(tmp):
    """The daemon on configs/demo/tsunagu.yaml exactly as `make run` ships it (its var/ inside tmp)."""
    import shutil
    for part in ("configs", "pathways"):
        shutil.copytree(os.path.join(ROOT, part), os.path.join(tmp, part))
    os.makedirs(os.path.join(tmp, "var"))
    os.makedirs(os.path.join(tmp, "daemon"))
    d = Daemon(tmp=os.path.join(tmp, "daemon"))
    d.config = os.path.join(tmp, "configs", "demo", "tsunagu.yaml")
    d.db = os.path.join(tmp, "var", "tsunagu.db")
    return d


def ids_file(d, tmp, state):
    path = os.path.join(tmp, "ids-" + state)
    rows = d.db_rows("SELECT id FROM cases WHERE state = ? ORDER BY opened_at", (state,))
    open(path, "w").write("\n".join(r[0] for r in rows) + "\n")
    return path, len(rows)


def run_ids(d, mode, token, ids=None, writer=None, delay_ms=0, seconds=None):
    env = {"TSUNAGU_MODE": mode, "TSUNAGU_TOKEN": token, "TSUNAGU_DELAY_MS": str(delay_ms)}
    if ids:
        env["TSUNAGU_IDS"] = ids
    if writer:
        env["TSUNAGU_WRITER_TOKEN"] = writer
    global SECONDS
    saved = SECONDS
    if seconds:
        SECONDS = seconds
    try:
        return wrk("http://127.0.0.1:%d/" % d.port, os.path.join(HERE, "ids.lua"), env)
    finally:
        SECONDS = saved


def fixed_server():
    proc = subprocess.Popen(pin(0, [os.path.join(BUILD, "fixed_reply"), "18099"]), stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return proc


def main():
    results = {}
    fixed = fixed_server()
    try:
        results["fixed"] = wrk("http://127.0.0.1:18099/")
    finally:
        fixed.terminate()
        fixed.wait()
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(pin(0, [os.path.join(BUILD, "sqlite_rows"), tmp, str(CONNECTIONS)]),
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        sqlite = {k: float(v) for k, v in (line.split() for line in out.splitlines())}
    with tempfile.TemporaryDirectory() as tmp:
        d = shipped_demo(tmp)
        try:
            d.start()
            # the daemon on core 0, like the fixed-reply server
            if cores() > 1:
                subprocess.run(["taskset", "-pc", "0", str(d.proc.pid)], stdout=subprocess.DEVNULL)
            results["open"] = wrk("http://127.0.0.1:%d/v1/cases" % d.port, os.path.join(HERE, "open_case.lua"),
                                  {"TSUNAGU_TOKEN": d.tokens["pharmacist"]})
            referred, n_referred = ids_file(d, tmp, "referred")
            results["accept"] = run_ids(d, "accept", d.tokens["nurse"], referred, seconds=min(SECONDS, 5))
            results["read"] = run_ids(d, "read", d.tokens["nurse"], referred)
            results["inbox"] = run_ids(d, "inbox", d.tokens["nurse"])
            results["mix"] = run_ids(d, "mix", d.tokens["nurse"], referred, writer=d.tokens["pharmacist"])
            half = results["mix"][0] / 2
            delay = max(1, int(round(CONNECTIONS / half * 1000)))
            results["mix_half"] = run_ids(d, "mix", d.tokens["nurse"], referred, writer=d.tokens["pharmacist"],
                                          delay_ms=delay)
            cases = d.db_rows("SELECT count(*) FROM cases")[0][0]
            turns = re.search(r"served (\d+) requests in (\d+) group commits", d.stderr() or "")
        finally:
            d.cleanup()
            log = d.stderr()
    fixed = fixed_server()
    try:
        results["fixed_half"] = wrk("http://127.0.0.1:18099/", os.path.join(HERE, "ids.lua"),
                                    {"TSUNAGU_MODE": "fixed", "TSUNAGU_DELAY_MS": str(delay)})
    finally:
        fixed.terminate()
        fixed.wait()
    fixed_rate = results["fixed"][0]
    open_rate, open_p99, _, _ = results["open"]
    non2xx = sum(results[k][2] for k in ("open", "read", "inbox", "mix", "mix_half"))
    print("benchmark: the API beside a fixed-reply evhttp server and raw SQLite (%d connections, %ds each, 2 cores;"
          " the daemon on the demo config as make run ships it)" % (CONNECTIONS, SECONDS))
    print("  fixed-reply evhttp server      %9.0f req/s   p99 %6.2f ms" % (fixed_rate, results["fixed"][1]))
    print("  raw SQLite, 1 referral/commit  %9.0f /s      ratio to fixed %.3f" % (
        sqlite["sqlite_one_per_commit"], sqlite["sqlite_one_per_commit"] / fixed_rate))
    print("  raw SQLite, %2d per commit      %9.0f /s      ratio to fixed %.3f" % (
        CONNECTIONS, sqlite["sqlite_group_commit"], sqlite["sqlite_group_commit"] / fixed_rate))
    print("  raw SQLite, a read (the case, its access-log row), %d per commit: %9.0f /s   ratio to fixed %.3f" % (
        CONNECTIONS, sqlite["sqlite_reads"], sqlite["sqlite_reads"] / fixed_rate))
    print("  raw SQLite, an inbox page (20 cases, their subjects and access-log rows), %d per commit: %7.0f /s"
          "   ratio to fixed %.3f" % (CONNECTIONS, sqlite["sqlite_inbox_pages"],
                                     sqlite["sqlite_inbox_pages"] / fixed_rate))
    rows = [("POST /v1/cases (open a referral)", "open", 0.30),
            ("POST /v1/cases/{id}/actions/accept", "accept", 0.30),
            ("GET /v1/cases/{id} (access-logged)", "read", 0.40),
            ("GET /v1/cases?inbox=org (logged)", "inbox", 0.40),
            ("mix: 70% reads, 30% openings", "mix", 0.35)]
    for title, key, aim in rows:
        rate, p99, bad, _ = results[key]
        print("  %-38s %9.0f req/s   p99 %6.2f ms   ratio to fixed %.3f (aim >= %.2f)%s" % (
            title, rate, p99, rate / fixed_rate, aim, "   %d non-2xx" % bad if bad else ""))
    print("  tsunagu POST /v1/cases ÷ raw group commit of the same rows: %.3f" % (
        open_rate / sqlite["sqlite_group_commit"]))
    print("  tsunagu GET /v1/cases/{id} ÷ raw reads of the same rows: %.3f; GET /v1/cases?inbox=org ÷ raw pages: %.3f"
          % (results["read"][0] / sqlite["sqlite_reads"], results["inbox"][0] / sqlite["sqlite_inbox_pages"]))
    mix_p99, fixed_p99 = results["mix_half"][1], results["fixed_half"][1]
    print("  p99 of the mix at half its peak (%.0f req/s): %.2f ms; fixed reply at the same pacing: %.2f ms;"
          " ratio %.1f (aim <= 5)" % (results["mix_half"][0], mix_p99, fixed_p99, mix_p99 / fixed_p99))
    m = re.search(r"served (\d+) requests in (\d+) group commits", log)
    if m:
        print("  %s requests in %s group commits (%.1f a commit); %d cases written, %d referred ones accepted"
              % (m.group(1), m.group(2), int(m.group(1)) / max(1, int(m.group(2))), cases, n_referred))
    if non2xx:
        print("bench: the API answered errors under load (%d non-2xx)" % non2xx, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
