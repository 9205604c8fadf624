"""GET /metrics as Prometheus reads it: the text passes `promtool check metrics`
while the daemon is under load, each counter moves as its events happen, no
label names a case, user or person, and who may read it (metrics_listen, a
direct client on this machine, a token with the monitor role)."""
import http.client
import re
import subprocess
import threading
import time

from daemon import Daemon, pharmacy_referral
from helpers import expect, tsunagu


def metrics_port(d):
    deadline = time.time() + 10
    while time.time() < deadline:
        m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", d.stderr())
        if m:
            return int(m.group(1))
        time.sleep(0.02)
    raise AssertionError("no metrics listener: " + d.stderr())


def scrape(port, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics", headers=headers or {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def samples(text):
    """{(name, labels text): value} of every sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        expect(m, "a sample line: " + line)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def value(s, name, **labels):
    want = "{" + ",".join('%s="%s"' % kv for kv in labels.items()) + "}" if labels else ""
    return s.get((name, want), 0.0)


def promtool(text):
    proc = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    # promtool exits non-zero for problems (and lint findings); its output names them
    expect(proc.returncode == 0, "promtool check metrics: " + proc.stdout + proc.stderr)


def test_metrics_pass_promtool_under_load_and_each_counter_moves():
    d = Daemon("\nallow_test_clock: true\nmetrics_listen: 127.0.0.1:0\n")
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        port = metrics_port(d)
        status, ctype, before_text = scrape(port)
        expect(status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype))
        promtool(before_text)
        before = samples(before_text)
        expect(value(before, "tsunagu_build_info", version=re.search(r'version="([^"]+)"', before_text).group(1),
                     schema=str(d.db_rows("PRAGMA user_version")[0][0]), store="sqlite") == 1, "build info")

        # load: referrals and reads from four clients while Prometheus scrapes
        stop = threading.Event()
        made, errors = [], []

        def client():
            while not stop.is_set():
                r = d.post("/v1/cases", pharmacy_referral(), who="pharmacist", check_contract=False)
                if r.status != 201:
                    errors.append(r)
                    return
                made.append(r.json["id"])
                d.get("/v1/cases?inbox=org", who="nurse", check_contract=False)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for _ in range(5):
                time.sleep(0.2)
                status, _, text = scrape(port)
                expect(status == 200, status)
                promtool(text)
        finally:
            stop.set()
            for t in threads:
                t.join()
        expect(not errors and made, errors)
        n = len(made)
        after = samples(scrape(port)[2])
        created = value(after, "tsunagu_http_requests_total", route="/v1/cases", method="POST", status="201")
        expect(created - value(before, "tsunagu_http_requests_total", route="/v1/cases", method="POST",
                               status="201") == n, (created, n))
        expect(value(after, "tsunagu_http_request_duration_seconds_count", route="/v1/cases", method="POST") >= n,
               "the duration histogram counts each request")
        commits = value(after, "tsunagu_commits_total") - value(before, "tsunagu_commits_total")
        expect(0 < commits <= 2 * n, "group commits: %s for %d openings" % (commits, n))
        expect(value(after, "tsunagu_commit_actions_count") >= commits, "actions per commit observed per commit")
        # each referral notified the receiver through the jsonl channel: attempts counted by channel and result
        deadline = time.time() + 10
        while value(after, "tsunagu_delivery_attempts_total", channel="log", result="delivered") < n:
            expect(time.time() < deadline, "deliveries counted: %s" % value(
                after, "tsunagu_delivery_attempts_total", channel="log", result="delivered"))
            time.sleep(0.1)
            after = samples(scrape(port)[2])
        expect(value(after, "tsunagu_outbox_pending", channel="log") == 0, "nothing waits")
        expect(value(after, "tsunagu_delivery_duration_seconds_count", channel="log") >= n, "delivery durations")
        expect(value(after, "tsunagu_connections_accepted_total") >= 4, "connections counted")
        pending = value(after, "tsunagu_timers_pending")
        expect(pending >= n, "each open referral has its timers pending: %s" % pending)
        # three business days later every referral's reminder has fired: counted by pathway, no longer pending
        d.post("/v1/test/clock", {"advance_seconds": 4 * 86400}, who="coordinator", check_contract=False)
        deadline = time.time() + 20
        while value(after, "tsunagu_timers_fired_total", pathway="pharmacy") < n:
            expect(time.time() < deadline, "timers fired: %s" % value(after, "tsunagu_timers_fired_total",
                                                                      pathway="pharmacy"))
            time.sleep(0.1)
            after = samples(scrape(port)[2])
        expect(value(after, "tsunagu_timers_pending") < pending, "fired timers no longer pending")
        expect(value(after, "tsunagu_timer_lateness_seconds_count") >= n, "lateness observed per fired timer")
        # the scheduled walk of the chain, a few seconds after the start
        deadline = time.time() + 15
        while not value(after, "tsunagu_audit_verify_last_success_timestamp_seconds"):
            expect(time.time() < deadline, "the scheduled chain check")
            time.sleep(0.2)
            after = samples(scrape(port)[2])
        expect(value(after, "tsunagu_audit_chain_ok") == 1, "the chain is whole")
        expect(value(after, "tsunagu_database_size_bytes") > 0 and value(after, "tsunagu_process_open_fds") > 0,
               "database and process")
        # never a case, a user or a person in a label: ids in paths become the route's pattern, an unknown
        # path or method one label of its own
        for cid in made[:3]:
            d.get("/v1/cases/" + cid, who="nurse", check_contract=False)
        d.get("/no/such/path/%s" % made[0], check_contract=False)
        d.request("BREW", "/v1/cases/" + made[0], who="nurse", check_contract=False)
        text = scrape(port)[2]
        expect('route="/v1/cases/{id}",method="GET",status="200"' in text, "the pattern, not the id")
        expect('method="other"' in text and "BREW" not in text and "no/such" not in text, "bounded labels")
        for cid in made[:20]:
            expect(cid not in text, "a case id in the metrics")
        for word in ("釜石", "佐藤", "sato", "user_"):
            expect(word not in text, word)
        promtool(text)
    finally:
        d.cleanup()


def test_refused_connections_are_counted():
    d = Daemon("\nmetrics_listen: 127.0.0.1:0\n")
    text = open(d.config, encoding="utf-8").read()
    text = re.sub(r"max_connections: \d+", "max_connections: 4", text)
    text = re.sub(r"max_connections_per_client: \d+", "max_connections_per_client: 2", text)
    open(d.config, "w", encoding="utf-8").write(text)
    try:
        d.start(demo_tokens=False)
        port = metrics_port(d)
        import socket
        held = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", d.port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            held.append(s)
        time.sleep(0.3)
        s = samples(scrape(port)[2])
        expect(value(s, "tsunagu_connections_refused_total", reason="client_share") >= 2, s)
        for h in held:
            h.close()
    finally:
        d.cleanup()


def test_who_may_read_the_metrics_on_the_main_listener():
    d = Daemon()
    try:
        d.start()
        # a client on this machine, not forwarded: Prometheus beside the daemon
        status, _, text = scrape(d.port)
        expect(status == 200 and "tsunagu_build_info" in text, status)
        # forwarded (a proxy in front): a token with the monitor role, nothing else
        fwd = {"X-Forwarded-For": "203.0.113.9"}
        status, _, body = scrape(d.port, fwd)
        expect(status == 401, (status, body))
        status, _, body = scrape(d.port, dict(fwd, Authorization="Bearer " + d.tokens["nurse"]))
        expect(status == 403 and '"forbidden"' in body, (status, body))
        proc = tsunagu("user", "add", "--config", d.config, "--org", "city-care", "--role", "monitor",
                       "--name", "Prometheus")
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        token = proc.stdout.strip().splitlines()[-1]
        expect(token.startswith("tsu_"), proc.stdout)
        status, _, text = scrape(d.port, dict(fwd, Authorization="Bearer " + token))
        expect(status == 200 and "tsunagu_http_requests_total" in text, (status, text[:200]))
        promtool(text)
        # the monitor's token reads nothing else
        r = d.get("/v1/cases", token=token, check_contract=False)
        expect(r.status == 403, r)
        r = d.get("/v1/me", token=token, check_contract=False)
        expect(r.status == 200, r)
    finally:
        d.cleanup()


def test_the_documented_alert_rules_are_valid_and_name_metrics_the_daemon_serves():
    import os
    import tempfile
    from helpers import ROOT
    text = open(os.path.join(ROOT, "docs", "operations.md"), encoding="utf-8").read()
    block = re.search(r"Alert rules to start from.*?```yaml\n(.*?)```", text, re.S)
    expect(block, "the alert rules in docs/operations.md")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write(block.group(1))
    try:
        proc = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
    finally:
        os.unlink(f.name)
    d = Daemon()
    try:
        d.start(demo_tokens=False)
        families = set(re.findall(r"^# TYPE (\S+) ", scrape(d.port)[2], re.M))
        for name in set(re.findall(r"\btsunagu_[a-z_]+", block.group(1))):
            expect(name in families or re.sub(r"_(bucket|sum|count)$", "", name) in families,
                   "an alert on a metric the daemon does not serve: " + name)
    finally:
        d.cleanup()
