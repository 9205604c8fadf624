#!/usr/bin/env python3
"""`make bench`, notifications: deliveries/s to a local receiver (the fixed-reply
evhttp server) with 64 in flight, beside a bare libcurl-multi sender in the same
run; and the API's latency (p50/p99) while one webhook target stalls, beside the
same load with no notification channel at all."""
import os
import re
import socket
import subprocess
import sys
import threading
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

N = int(os.environ.get("BENCH_NOTIFICATIONS", "20000"))
SECRET = "whsec_dHN1bmFndS1iZW5jaC1zZWNyZXQtMDEyMzQ1Njc4OWFi"
DUE_US = 1780272000 * 1000000


def with_channel(d, url):
    text = open(d.config, encoding="utf-8").read()
    start = text.index("  channels:\n")
    end = text.index("  retry:", start)
    block = "  channels:\n    hook: { adapter: webhook, url: '%s', secret: %s, timeout_seconds: 5 }\n" \
            "  routes:\n    - { default: true, channels: [hook] }\n" % (url, SECRET) if url else \
            "  channels: {}\n  routes: []\n"
    open(d.config, "w", encoding="utf-8").write(text[:start] + block + text[end:])


def stalling_server():
    """Accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    held = []

    def run():
        while True:
            try:
                c, _ = s.accept()
                held.append(c)
            except OSError:
                return
    threading.Thread(target=run, daemon=True).start()
    return s


def wrk_latency(d, seconds=8):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c16", "-d%ds" % seconds, "--latency", "-s",
                          os.path.join(HERE, "open_case.lua"), "http://127.0.0.1:%d/v1/cases" % d.port],
                         stdout=subprocess.PIPE, text=True, env=dict(os.environ, TSUNAGU_TOKEN=d.tokens["pharmacist"])).stdout

    def pct(p):
        m = re.search(r"%s%%\s+([\d.]+)(us|ms|s)" % p, out)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    return pct(50), pct(99), float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    fixed = subprocess.Popen(["taskset", "-c", "1", os.path.join(BUILD, "fixed_reply"), "18098"],
                             stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    try:
        base = subprocess.run(["taskset", "-c", "0", os.path.join(BUILD, "curl_sender"), "http://127.0.0.1:18098/", str(N)],
                              stdout=subprocess.PIPE, text=True, check=True).stdout
        curl_rate = float(base.split()[1])
        d = Daemon("\nallow_test_clock: true\n")
        try:
            with_channel(d, "http://127.0.0.1:18098/hook")
            subprocess.run([TIMERS_GEN, d.db, "0", str(N), str(DUE_US), "--outbox"], check=True)
            d.start(test_clock="2026-06-01T09:00:00+09:00")
            subprocess.run(["taskset", "-pc", "0", str(d.proc.pid)], stdout=subprocess.DEVNULL)
            # from the moment it listens (its start — tokens, the directory's seed — is not the dispatcher's)
            t0 = time.monotonic()
            first = d.db_rows("SELECT count(*) FROM outbox WHERE status = 'delivered'")[0][0]
            while d.db_rows("SELECT count(*) FROM outbox WHERE status = 'delivered'")[0][0] < N:
                time.sleep(0.05)
            rate = (N - first) / (time.monotonic() - t0)
        finally:
            d.cleanup()
    finally:
        fixed.terminate()
        fixed.wait()
    print("benchmark: notifications (%d webhooks to a local receiver, 64 in flight)" % N)
    print("  bare libcurl multi sender   %8.0f /s" % curl_rate)
    print("  tsunagu dispatcher          %8.0f /s   ratio %.2f (signed, rendered, recorded in SQLite)" % (
        rate, rate / curl_rate))

    stall = stalling_server()
    results = {}
    for label, url in (("no notifications", None),
                       ("webhook target stalls", "http://127.0.0.1:%d/hook" % stall.getsockname()[1])):
        d = Daemon()
        try:
            with_channel(d, url)
            d.start()
            subprocess.run(["taskset", "-pc", "0", str(d.proc.pid)], stdout=subprocess.DEVNULL)
            results[label] = wrk_latency(d)
        finally:
            d.cleanup()
    stall.close()
    print("benchmark: API latency opening referrals (16 connections)")
    for label, (p50, p99, rps) in results.items():
        print("  %-22s p50 %6.2f ms   p99 %6.2f ms   %6.0f req/s" % (label, p50, p99, rps))
    a, b = results["no notifications"], results["webhook target stalls"]
    print("  ratio stalled/none: p50 %.2f, p99 %.2f" % (b[0] / a[0], b[1] / a[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
