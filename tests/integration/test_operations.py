"""What an operator lives with: SIGHUP reloads what compiles and keeps the rest
(connections stay open), systemd's notify protocol (READY, RELOADING, STOPPING,
the watchdog) on a NOTIFY_SOCKET of the test's own, log lines with a level, a
stable message id and the request id, as JSON lines and as native journal
fields, and never a name, kana or phone in them."""
import json
import os
import re
import shutil
import signal
import socket
import time

from daemon import Daemon, pharmacy_referral
from helpers import expect, path, wait_for




def own_pathways(d):
    """A copy of the shipped pathways the test may edit, and the config pointed at it."""
    folder = os.path.join(d.tmp, "pathways")
    shutil.copytree(path("pathways"), folder)
    text = open(d.config, encoding="utf-8").read()
    text = re.sub(r"^pathways: .*$", "pathways: %s" % folder, text, flags=re.M)
    open(d.config, "w", encoding="utf-8").write(text)
    return folder


def bump_version(file, to):
    text = open(file, encoding="utf-8").read()
    text = re.sub(r"^version: \d+", "version: %d" % to, text, count=1, flags=re.M)
    open(file, "w", encoding="utf-8").write(text)


def keep_alive_get(conn, target, token):
    conn.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (target, token)).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    n = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < n:
        body += conn.recv(65536)
    return int(head.split()[1]), json.loads(body[:n])


def test_sighup_reloads_what_compiles_and_keeps_the_rest_with_connections_open():
    d = Daemon()
    folder = own_pathways(d)
    try:
        d.start()
        before = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json
        conn = socket.create_connection(("127.0.0.1", d.port))
        status, body = keep_alive_get(conn, "/v1/pathways", d.tokens["nurse"])
        versions = {p["id"]: p["version"] for p in body["items"]}
        expect(status == 200, body)

        # a new version of one pathway, another file broken
        bump_version(os.path.join(folder, "pharmacy.yaml"), versions["pharmacy"] + 1)
        with open(os.path.join(folder, "multi-agency.yaml"), "a", encoding="utf-8") as f:
            f.write("\nbroken: [\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "[reloaded]" in d.stderr(), "the reload")
        # the same keep-alive connection, after the reload: the new version is in force
        status, body = keep_alive_get(conn, "/v1/pathways", d.tokens["nurse"])
        now = {p["id"]: p["version"] for p in body["items"]}
        expect(now["pharmacy"] == versions["pharmacy"] + 1, now)
        expect(now["multi-agency"] == versions["multi-agency"], "the broken file's last good version stays")
        conn.close()
        log = d.stderr()
        expect(re.search(r"pathway pharmacy version %d published" % now["pharmacy"], log), log)
        expect("multi-agency.yaml" in log and "[pathway_kept]" in log, log)
        r = d.get("/readyz")
        expect(r.status == 200 and r.json["status"] == "degraded" and r.json["reasons"], r.json)
        # new referrals open on the new version; the running case stays on its own
        after = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json
        expect(after["pathway_version"] == now["pharmacy"], after)
        expect(d.get("/v1/cases/" + before["id"], who="nurse").json["pathway_version"] == versions["pharmacy"],
               "a running case stays on its version")
        expect(d.post("/v1/cases/%s/actions/accept" % before["id"], {}, who="nurse").status == 200,
               "and goes on")

        # a new notification channel needs a restart (the dispatcher opened its adapters at the start)
        text = open(d.config, encoding="utf-8").read()
        changed = text.replace("  channels:\n", "  channels:\n    extra: { adapter: jsonl, path: %s }\n"
                               % os.path.join(d.tmp, "extra.jsonl"), 1)
        open(d.config, "w", encoding="utf-8").write(changed)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "notifications.channels changed" in d.stderr(), "the refused channel change")
        open(d.config, "w", encoding="utf-8").write(text)
        # what was bound at the start is said to need a restart, against the start's values every time
        for _ in range(2):
            with open(d.config, "a", encoding="utf-8") as f:
                f.write("\nmetrics_listen: 127.0.0.1:0\n") if "metrics_listen" not in open(d.config).read() else None
            before = d.stderr().count("metrics_listen changed")
            d.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: d.stderr().count("metrics_listen changed") > before, "metrics_listen needs a restart")
        open(d.config, "w", encoding="utf-8").write(text)
        # a config that does not load is refused whole; the running one stays
        with open(d.config, "a", encoding="utf-8") as f:
            f.write("\nnot: valid: yaml: here\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload refused" in d.stderr(), "the refusal")
        expect(d.get("/healthz").status == 200, "still serving")
        expect(d.post("/v1/cases", pharmacy_referral(), who="pharmacist").status == 201, "still writing")
        d.stop()
    finally:
        d.cleanup()


class NotifySocket:
    """A NOTIFY_SOCKET of the test's own, as systemd gives a Type=notify service."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []

    def read(self):
        try:
            while True:
                self.messages.append(self.sock.recv(4096).decode())
        except (socket.timeout, BlockingIOError):
            pass
        return self.messages

    def saw(self, word):
        return any(word in m.split("\n") for m in self.read())

    def close(self):
        self.sock.close()


def test_systemd_notify_ready_reloading_stopping_and_watchdog():
    d = Daemon()
    n = NotifySocket(d.tmp)
    try:
        d.start(env={"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "1000000"})
        wait_for(lambda: n.saw("READY=1"), "READY=1")
        expect(any("MAINPID=%d" % d.proc.pid in m for m in n.read()), n.messages)
        wait_for(lambda: sum(m.count("WATCHDOG=1") for m in n.read()) >= 2, "two watchdog pings", 5)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: n.saw("RELOADING=1"), "RELOADING=1")
        ready = [i for i, m in enumerate(n.read()) if "READY=1" in m.split("\n")]
        expect(len(ready) >= 2, "READY again after the reload: %s" % n.messages)
        d.stop()
        expect(n.saw("STOPPING=1"), n.messages)
    finally:
        d.cleanup()
        n.close()


def test_json_log_lines_carry_level_message_id_and_request_id_and_nothing_personal():
    d = Daemon()
    # this machine is the proxy: its X-Request-Id is taken
    text = open(d.config, encoding="utf-8").read()
    open(d.config, "w", encoding="utf-8").write(re.sub(r"^trusted_proxies: .*$", "trusted_proxies: [127.0.0.1]",
                                                       text, flags=re.M))
    try:
        d.start(extra_args=["--log-format", "json"])
        referral = pharmacy_referral(name="釜石 花子")
        referral["subject"]["phone"] = "0193-22-1234"
        expect(d.post("/v1/cases", referral, who="pharmacist").status == 201, "opened")
        r = d.get("/v1/cases", token="tsu_wrong", headers={"X-Request-Id": "req-from-nginx-42"},
                  check_contract=False)
        expect(r.status == 401 and r.header("X-Request-Id") == "req-from-nginx-42", r)
        mine = d.get("/v1/cases", token="tsu_wrong_again", check_contract=False).header("X-Request-Id")
        expect(mine and mine != "req-from-nginx-42", mine)
        d.stop()
        lines = [json.loads(l) for l in d.stderr().splitlines() if l.startswith("{")]
        by_id = {}
        for l in lines:
            expect(set(l) >= {"time", "level", "message_id", "journal_message_id", "message"}, l)
            expect(re.fullmatch(r"[0-9a-f]{32}", l["journal_message_id"]), l)
            by_id.setdefault(l["message_id"], []).append(l)
        expect("started" in by_id and "stopped" in by_id and "stopping" in by_id, sorted(by_id))
        refused = by_id["auth_refused"]
        expect(any(l.get("request_id") == "req-from-nginx-42" for l in refused), refused)
        expect(any(l.get("request_id") == mine for l in refused), refused)
        expect(all(l["level"] in ("error", "warning", "notice", "info") for l in lines), lines)
        text = d.stderr()
        for personal in ("釜石", "花子", "カマイシ", "0193-22-1234", "最近元気がない"):
            expect(personal not in text, "personal data in the log: " + personal)
    finally:
        d.cleanup()


JOURNAL = "/run/systemd/journal/socket"


def journal_entries_of(pid):
    """The entries a real journald holds of the process (a machine that runs systemd)."""
    import subprocess
    out = subprocess.run(["journalctl", "--output=json", "_PID=%d" % pid], capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def test_journal_lines_are_native_fields():
    """sd_journal_send to a journal socket of the test's own when the machine runs no journald."""
    own = not os.path.exists(JOURNAL)
    if own:
        os.makedirs(os.path.dirname(JOURNAL), exist_ok=True)
        j = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        j.bind(JOURNAL)
        j.settimeout(0.2)
    d = Daemon()
    try:
        d.start(demo_tokens=False, extra_args=["--log-format", "journal"])
        # no trusted proxy: a client's own X-Request-Id is not taken (it could name another's request)
        r = d.get("/v1/cases", token="tsu_wrong", headers={"X-Request-Id": "journal-req-7"}, check_contract=False)
        rid = r.header("X-Request-Id")
        expect(rid and rid != "journal-req-7", rid)
        pid = d.proc.pid
        d.stop()
        entries = []
        if own:
            try:
                while True:
                    data = j.recv(65536)
                    fields = {}
                    for line in data.split(b"\n"):
                        if b"=" in line:
                            k, v = line.split(b"=", 1)
                            fields[k.decode()] = v.decode()
                    entries.append(fields)
            except socket.timeout:
                pass
        else:
            entries = wait_for(lambda: journal_entries_of(pid), "the journal's entries")
        started = [e for e in entries if e.get("TSUNAGU_MESSAGE") == "started"]
        expect(started and started[0]["PRIORITY"] == "5" and started[0]["SYSLOG_IDENTIFIER"] == "tsunagu", entries)
        expect(started[0]["MESSAGE_ID"] == "4d715e307d574aa87848c71dcdecc0da", started)
        refused = [e for e in entries if e.get("TSUNAGU_MESSAGE") == "auth_refused"]
        expect(refused and refused[0]["TSUNAGU_REQUEST_ID"] == rid, refused)
        expect("[started]" not in d.stderr(), "the lines went to the journal, not to stderr")
    finally:
        d.cleanup()
        if own:
            j.close()
            os.unlink(JOURNAL)


def test_sessions_that_went_idle_are_recorded_as_ended():
    from test_sign_in import Person
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        p = Person(d)
        expect(p.enrol("sato", d.enrolment["sato"]).status == 201, "enrolled")
        live = "SELECT count(*) FROM sessions WHERE ended_at IS NULL"
        expect(d.db_rows(live)[0][0] == 1, "one live session")
        d.post("/v1/test/clock", {"advance_seconds": 3 * 3600}, who="coordinator", check_contract=False)
        wait_for(lambda: d.db_rows(live)[0][0] == 0, "the sweep", 12)
        expect(d.db_rows("SELECT end_reason FROM sessions") == [("idle",)], d.db_rows("SELECT * FROM sessions"))
        expect(p.req("GET", "/v1/me").status == 401, "and it is refused")
    finally:
        d.cleanup()
