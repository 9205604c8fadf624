#!/usr/bin/env python3
"""`make bench`, reports: each report over 100,000 cases, 1,000,000 events and
200,000 links to resources (BENCH_REPORT_CASES), beside a plain SELECT count(*)
over the same tables, as the command line runs them."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build", "release")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import TIMERS_GEN  # noqa: E402
BIN = os.path.join(ROOT, "build", "tsunagu")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from helpers import demo_config_text  # noqa: E402

N = int(os.environ.get("BENCH_REPORT_CASES", "100000"))
START_US = 1775001600 * 1000000  # 2026-04-01T09:00:00+09:00


def timed(args):
    t0 = time.monotonic()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "tsunagu.db")
        config = os.path.join(tmp, "tsunagu.yaml")
        open(config, "w", encoding="utf-8").write(demo_config_text(tmp, db))
        t0 = time.monotonic()
        subprocess.run([TIMERS_GEN, db, "0", str(N), str(START_US), "--history"], check=True)
        gen = time.monotonic() - t0
        conn = sqlite3.connect(db)
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        t0 = time.monotonic()
        for table in ("cases", "events", "links"):
            conn.execute("SELECT count(*) FROM %s" % table).fetchone()
        count_s = time.monotonic() - t0
        conn.close()
        # the daemon's first start summarises the generated cases from their events, as after an upgrade
        t0 = time.monotonic()
        daemon = subprocess.Popen([BIN, "serve", "--config", config, "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        log = ""
        for line in daemon.stderr:
            log += line
            if "listening on" in line:
                break
        summarised = time.monotonic() - t0
        daemon.terminate()
        daemon.communicate(timeout=60)
        if daemon.returncode != 0:
            raise SystemExit("bench: the daemon did not start on the generated database: " + log)
        subprocess.run([BIN, "audit", "verify", "--db", db], stdout=subprocess.DEVNULL)
        subprocess.run([BIN, "resources", "import", "--config", config, os.path.join(ROOT, "configs", "demo",
                                                                                    "resources.json")],
                       stdout=subprocess.DEVNULL, check=True)
        print("benchmark: reports over %d cases and %d events (generated in %.0f s; the daemon's first start "
              "summarised them in %.1f s)" % (N, events, gen, summarised))
        print("  SELECT count(*) over cases, events and links: %.3f s" % count_s)
        for report, group in (("funnel", "pathway"), ("funnel", "fiscal_year"), ("durations", "pathway"),
                              ("durations", "area"), ("resources", "pathway"), ("resources", "fiscal_year")):
            s = timed([BIN, "report", report, "--config", config, "--group-by", group])
            print("  report %-9s by %-11s %6.2f s   ratio to count(*) %.0f" % (report, group, s, s / count_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
