#!/usr/bin/env python3
"""`make bench`, timers at scale: a database with 1,000,000 open cases and
1,000,000 pending timers (BENCH_TIMER_CASES), plus 10,000 timers due at one
instant. Measures the time from `tsunagu serve` to ready, resident memory beside
the same daemon on an empty database, and the time to fire the 10,000 beside the
raw SQLite rate for the same rows (tests/bench/timers_gen.c --raw)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build", "release")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import TIMERS_GEN  # noqa: E402
os.environ["TSUNAGU_BIN"] = os.path.join(ROOT, "build", "tsunagu")
os.environ["TSUNAGU_SOURCE"] = ROOT
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from daemon import Daemon  # noqa: E402

N_FAR = int(os.environ.get("BENCH_TIMER_CASES", "1000000"))
N_DUE = int(os.environ.get("BENCH_TIMERS_DUE", "10000"))
DUE = "2026-06-01T09:00:00+09:00"
DUE_US = 1780272000 * 1000000  # 2026-06-01T00:00:00Z = 09:00 JST


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start(d):
    t0 = time.monotonic()
    d.start(test_clock="2026-05-31T09:00:00+09:00")
    return time.monotonic() - t0


def main():
    tmp = tempfile.mkdtemp(prefix="tsunagu-bench-")
    try:
        os.makedirs(os.path.join(tmp, "empty"))
        empty = Daemon("\nallow_test_clock: true\n", tmp=os.path.join(tmp, "empty"))
        ready_empty = start(empty)
        rss_empty = rss_kib(empty.proc.pid)
        empty.stop()

        big_dir = os.path.join(tmp, "big")
        os.makedirs(big_dir)
        db = os.path.join(big_dir, "tsunagu.db")
        t0 = time.monotonic()
        subprocess.run([TIMERS_GEN, db, str(N_FAR), str(N_DUE), str(DUE_US)], check=True)
        gen = time.monotonic() - t0
        raw_db = os.path.join(tmp, "raw.db")
        shutil.copy(db, raw_db)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                shutil.copy(db + suffix, raw_db + suffix)

        d = Daemon("\nallow_test_clock: true\n", db=db, tmp=big_dir)
        ready = start(d)
        rss = rss_kib(d.proc.pid)
        t0 = time.monotonic()
        d.post("/v1/test/clock", {"now": DUE}, who="coordinator", check_contract=False)
        while d.db_rows("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL")[0][0] < N_DUE:
            stale = d.db_rows("SELECT count(*) FROM timers WHERE cancelled_at IS NOT NULL")[0][0]
            if stale or time.monotonic() - t0 > 120:
                raise SystemExit("bench: the due timers did not fire (%d found stale)" % stale)
            time.sleep(0.01)
        fire = time.monotonic() - t0
        rss_after = rss_kib(d.proc.pid)
        d.stop()

        out = subprocess.run([TIMERS_GEN, raw_db, "0", str(N_DUE), str(DUE_US), "--raw"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        raw = dict(line.split() for line in out.splitlines())
        raw_s = float(raw["raw_fire_seconds"])
        print("benchmark: timers with %d open cases and %d pending timers (generated in %.0f s)" % (
            N_FAR + N_DUE, N_FAR + N_DUE, gen))
        print("  serve to ready: %.2f s (empty database: %.2f s)" % (ready, ready_empty))
        print("  resident memory: %.1f MiB after start, %.1f MiB after firing (empty database: %.1f MiB)" % (
            rss / 1024, rss_after / 1024, rss_empty / 1024))
        print("  fire %d timers due together: %.2f s = %.0f /s; raw SQLite, same rows: %.2f s = %.0f /s; ratio %.2f" % (
            N_DUE, fire, N_DUE / fire, raw_s, N_DUE / raw_s, raw_s / fire))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
