"""Notifications through real receivers: a webhook receiver that verifies the
Standard Webhooks signature with the off-the-shelf `standardwebhooks` package,
JSON lines, retries with backoff on the test clock, dead letters and their retry,
targets that refuse, fail, redirect or stall, and kill -9 between commit and
delivery. Throughout, the API keeps answering."""
import base64
import json
import os
import subprocess
import time

from daemon import Daemon, pharmacy_referral
from helpers import ROOT, expect, tsunagu, wait_for

SECRET = "whsec_" + base64.b64encode(b"tsunagu-test-secret-0123456789ab").decode()


class Receiver:
    def __init__(self, tmp):
        self.port_file = os.path.join(tmp, "receiver.port")
        self.records = os.path.join(tmp, "received.jsonl")
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "tests", "webhook_receiver.js"), self.port_file,
                                      self.records, SECRET], cwd=os.path.join(ROOT, "tests"),
                                     stdin=subprocess.PIPE)
        deadline = time.time() + 20
        while not (os.path.exists(self.port_file) and open(self.port_file).read()):
            expect(time.time() < deadline and self.proc.poll() is None, "the receiver did not start")
            time.sleep(0.02)
        self.port = int(open(self.port_file).read())

    def mode(self, mode):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", "/_mode", json.dumps({"mode": mode}))
        c.getresponse().read()
        c.close()

    def received(self):
        if not os.path.exists(self.records):
            return []
        return [json.loads(l) for l in open(self.records, encoding="utf-8")]

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()


def config_with(d_tmp, port, body=None, timeout=2, dead_port=None):
    body_line = ("      body: '%s'\n" % body) if body else ""
    return """
allow_test_clock: true
""", """  channels:
    log: { adapter: jsonl, path: %s }
    centre:
      adapter: webhook
      url: http://127.0.0.1:%d/hook
      secret: %s
      timeout_seconds: %d
      connect_timeout_seconds: 1
%s  routes:
    - { org: support-centre, channels: [centre, log] }
    - { default: true, channels: [log] }
  retry: { max_attempts: 3, base_seconds: 60, max_seconds: 600, max_age_hours: 24 }
""" % (os.path.join(d_tmp, "notifications.jsonl"), dead_port or port, SECRET, timeout, body_line)


def make_daemon(tmp_receiver_port, body=None, timeout=2, dead_port=None):
    d = Daemon("\nallow_test_clock: true\n")
    extra, channels_block = config_with(d.tmp, tmp_receiver_port, body, timeout, dead_port)
    text = open(d.config, encoding="utf-8").read()
    start = text.index("  channels:\n")
    end = text.index("  retry:", start)
    end = text.index("\n", end) + 1
    text = text[:start] + channels_block + text[end:]
    open(d.config, "w", encoding="utf-8").write(text)
    return d




def outbox(d, channel="centre"):
    return d.db_rows("SELECT id, template, status, attempts, last_error FROM outbox WHERE channel = ? ORDER BY rowid",
                     (channel,))


def advance(d, seconds):
    r = d.post("/v1/test/clock", {"advance_seconds": seconds}, who="coordinator", check_contract=False)
    expect(r.status == 200, r)


def test_webhook_is_signed_and_verified_by_standardwebhooks():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rx = Receiver(tmp)
        d = make_daemon(rx.port)
        try:
            d.start(test_clock="2026-06-01T10:00:00+09:00")
            cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
            got = wait_for(lambda: rx.received(), "the webhook")
            rec = got[0]
            expect(rec["verified"], rec)
            body = json.loads(rec["body"])
            expect(body["type"] == "tsunagu.notification" and body["data"]["case_id"] == cid, body)
            expect(body["data"]["template"] == "referral_received" and body["data"]["org"] == "support-centre", body)
            expect(body["data"]["case_url"].endswith("/cases/" + cid), body)
            row = wait_for(lambda: [r for r in outbox(d) if r[2] == "delivered"], "delivered")[0]
            expect(rec["id"] == row[0], (rec["id"], row))
            expect("釜石 花子" not in rec["body"] and "1948" not in rec["body"], "no personal data by default")
            # the same notification also went to the JSON lines log, with the same id
            lines = [json.loads(l) for l in open(d.jsonl, encoding="utf-8")]
            expect(any(l["id"] != rec["id"] and l["case_id"] == cid for l in lines), lines)
            expect(lines[0]["subject"]["ja"].startswith("【つなぐ】新しい紹介が届きました"), lines[0])
            # order per case and channel: the acceptance notification goes to the pharmacy, not here
            d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse")
            d.post("/v1/cases/%s/actions/withdraw_consent" % cid, {}, who="nurse")
            wait_for(lambda: len(rx.received()) >= 2, "the second webhook")
            templates = [json.loads(r["body"])["data"]["template"] for r in rx.received()]
            expect(templates == ["referral_received", "consent_withdrawn"], templates)
        finally:
            d.cleanup()
            rx.close()


def test_body_template_for_chat_tools():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rx = Receiver(tmp)
        d = make_daemon(rx.port, body='{"text": "{{org_name}}: {{state_title}} \\"{{pathway_title}}\\" {{case_url}}"}')
        try:
            d.start(test_clock="2026-06-01T10:00:00+09:00")
            d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
            rec = wait_for(lambda: rx.received(), "the chat webhook")[0]
            expect(rec["verified"], rec)
            text = json.loads(rec["body"])["text"]
            expect(text.startswith("釜石市地域包括支援センター: 受付待ち \"薬局を起点"), text)
        finally:
            d.cleanup()
            rx.close()


def test_faults_retry_then_dead_then_retry_by_a_coordinator():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rx = Receiver(tmp)
        try:
            faults(rx)
        finally:
            rx.close()


def faults(rx):
    if True:
        for mode, expect_error in (("500", "HTTP 500"), ("redirect", "redirect, not followed"),
                                   ("stall", "imeout"), ("refused", "onnect")):
            rx.mode("ok" if mode == "refused" else mode)
            d = make_daemon(rx.port, timeout=1, dead_port=1 if mode == "refused" else None)
            try:
                d.start(test_clock="2026-06-01T10:00:00+09:00")
                before = len(rx.received())
                cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
                first = wait_for(lambda: [r for r in outbox(d) if r[3] == 1], mode + ": first attempt")[0]
                expect(first[2] == "pending" and expect_error in (first[4] or ""), (mode, first))
                # the API keeps answering while the target misbehaves
                t0 = time.time()
                expect(d.get("/v1/cases/" + cid, who="nurse").status == 200, "API")
                expect(time.time() - t0 < 1.0, "the API answered slowly: %.2fs" % (time.time() - t0))
                advance(d, 30)                       # not yet: the backoff is 60 s ± jitter
                time.sleep(0.3)
                expect(outbox(d)[0][3] == 1, (mode, outbox(d)))
                advance(d, 600)
                wait_for(lambda: outbox(d)[0][3] == 2, mode + ": second attempt")
                advance(d, 3600)
                dead = wait_for(lambda: [r for r in outbox(d) if r[2] == "dead"], mode + ": dead")[0]
                expect(dead[3] == 3, dead)
                metrics = d.get("/metrics", check_contract=False).text
                expect('tsunagu_delivery_attempts_total{channel="centre",result="failed"} 2' in metrics and
                       'tsunagu_delivery_attempts_total{channel="centre",result="dead"} 1' in metrics,
                       (mode, [l for l in metrics.splitlines() if "delivery_attempts" in l]))
                if mode == "redirect":
                    expect(all(r["path"] == "/hook" for r in rx.received()[before:]), "never followed")
                listed = d.get("/v1/notifications?status=dead", who="coordinator").json["items"]
                expect([n["id"] for n in listed] == [dead[0]] and listed[0]["last_error"], listed)
                if mode == "refused":
                    continue
                rx.mode("ok")
                r = d.post("/v1/notifications/%s/retry" % dead[0], {}, who="coordinator")
                expect(r.status == 200 and r.json["status"] == "pending", r)
                wait_for(lambda: outbox(d)[0][2] == "delivered", mode + ": delivered after the retry")
                r = d.post("/v1/notifications/%s/retry" % dead[0], {}, who="coordinator")
                expect(r.status == 409 and r.json["error"]["code"] == "not_dead", r)
                expect(d.post("/v1/notifications/%s/retry" % dead[0], {}, who="nurse").status == 403, "coordinators only")
                expect(d.post("/v1/notifications/n_nope/retry", {}, who="coordinator").status == 404, "unknown")
            finally:
                d.cleanup()


def test_a_pending_message_holds_later_ones_of_its_case_and_channel_and_a_dead_one_does_not():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rx = Receiver(tmp)
        rx.mode("500")
        d = make_daemon(rx.port, timeout=1)
        try:
            d.start(test_clock="2026-06-01T10:00:00+09:00")
            cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
            wait_for(lambda: outbox(d)[0][3] == 1, "the first attempt")
            r = d.post("/v1/cases/%s/actions/withdraw" % cid, {"fields": {"reason": "本人の希望"}}, who="pharmacist")
            expect(r.status == 200, r)
            first, second = wait_for(lambda: len(outbox(d)) == 2 and outbox(d), "the second message")
            expect(first[1] == "referral_received" and second[1] == "referral_withdrawn", outbox(d))
            # the second waits while the first of its case and channel is still pending
            advance(d, 600)
            wait_for(lambda: outbox(d)[0][3] == 2, "the second attempt of the first")
            time.sleep(0.3)
            expect(outbox(d)[1][2:4] == ("pending", 0), outbox(d))
            # once the first is dead, the second goes (and fails on its own)
            advance(d, 3600)
            wait_for(lambda: outbox(d)[0][2] == "dead", "the first dead")
            wait_for(lambda: outbox(d)[1][3] >= 1, "an attempt of the second behind a dead one")
            rx.mode("ok")
            advance(d, 3600)
            wait_for(lambda: outbox(d)[1][2] == "delivered", "the second delivered")
            expect(outbox(d)[0][2] == "dead", "the dead letter stays for a coordinator")
            answered = [x["id"] for x in rx.received() if x["mode"] == "ok"]
            expect(answered == [second[0]], (answered, outbox(d)))
        finally:
            d.cleanup()
            rx.close()


def test_killed_between_commit_and_delivery_delivers_after_restart():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rx = Receiver(tmp)
        rx.mode("stall")
        d = make_daemon(rx.port, timeout=30)
        try:
            d.start(test_clock="2026-06-01T10:00:00+09:00")
            cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
            wait_for(lambda: rx.received(), "the stalled attempt")
            d.kill9()
            rx.mode("ok")
            d.start(test_clock="2026-06-01T10:00:00+09:00")
            row = wait_for(lambda: [r for r in outbox(d) if r[2] == "delivered"], "delivered after restart")[0]
            ids = [r["id"] for r in rx.received()]
            expect(ids.count(row[0]) >= 2, "sent again with the same id: %r" % ids)
            expect(all(json.loads(r["body"])["data"]["case_id"] == cid for r in rx.received()), "same case")
        finally:
            d.cleanup()
            rx.close()


def test_config_refuses_unknown_placeholders_and_hosts():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        d = make_daemon(1, body='{"text": "{{case_idd}}"}')
        try:
            proc = tsunagu("check", "--config", d.config)
            expect(proc.returncode == 2 and "unknown placeholder {{case_idd}}; did you mean {{case_id}}?" in proc.stderr,
                   proc.stderr)
            text = open(d.config, encoding="utf-8").read().replace("body: '{\"text\": \"{{case_idd}}\"}'", "")
            text = text.replace("http://127.0.0.1:1/hook", "http://example.com/hook")
            open(d.config, "w", encoding="utf-8").write(text)
            proc = tsunagu("check", "--config", d.config)
            expect(proc.returncode == 2 and "'example.com', which is not in notifications.allowed_hosts" in proc.stderr,
                   proc.stderr)
        finally:
            d.cleanup()
        tdir = os.path.join(tmp, "templates")
        os.makedirs(tdir)
        for f in os.listdir(os.path.join(ROOT, "configs", "templates")):
            if f != "escalated.yaml":
                open(os.path.join(tdir, f), "w", encoding="utf-8").write(
                    open(os.path.join(ROOT, "configs", "templates", f), encoding="utf-8").read())
        d = Daemon()
        try:
            text = open(d.config, encoding="utf-8").read()
            text = text.replace("templates: " + os.path.join(ROOT, "configs", "templates"), "templates: " + tdir)
            open(d.config, "w", encoding="utf-8").write(text)
            proc = tsunagu("check", "--config", d.config)
            expect(proc.returncode == 2 and "template 'escalated' is not in the templates folder" in proc.stderr,
                   proc.stderr)
            expect("pharmacy.yaml:" in proc.stderr, proc.stderr)
        finally:
            d.cleanup()


def test_cli_lists_and_retries_dead_notifications_on_a_running_daemon():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rx = Receiver(tmp)
        rx.mode("500")
        d = make_daemon(rx.port)
        try:
            text = open(d.config, encoding="utf-8").read().replace("max_attempts: 3", "max_attempts: 1")
            open(d.config, "w", encoding="utf-8").write(text)
            d.start(test_clock="2026-06-01T10:00:00+09:00")
            d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
            dead = wait_for(lambda: [r for r in outbox(d) if r[2] == "dead"], "dead")[0]
            proc = tsunagu("notifications", "list", "--status", "dead", "--config", d.config)
            rows = [l.split("\t") for l in proc.stdout.splitlines()]
            expect(proc.returncode == 0 and [r[0] for r in rows] == [dead[0]], proc.stdout + proc.stderr)
            expect(rows[0][1] == "dead" and rows[0][5] == "centre" and rows[0][8] == "HTTP 500", rows)
            # the metrics count the attempt by its result and the dead notification by its channel
            metrics = d.get("/metrics", check_contract=False).text
            expect('tsunagu_delivery_attempts_total{channel="centre",result="dead"} 1' in metrics and
                   'tsunagu_outbox_dead{channel="centre"} 1' in metrics, metrics[-3000:])
            rx.mode("ok")
            proc = tsunagu("notifications", "retry", dead[0], "--config", d.config)
            expect(proc.returncode == 0, proc.stderr)
            wait_for(lambda: outbox(d)[0][2] == "delivered", "delivered after a command-line retry")
            proc = tsunagu("notifications", "retry", dead[0], "--config", d.config)
            expect(proc.returncode == 2 and "no dead notification" in proc.stderr, proc.stderr)
        finally:
            d.cleanup()
            rx.close()


class Smtp:
    """A real SMTP server (Debian's python3-aiosmtpd) that keeps what it receives."""

    def __init__(self, port=None):
        import socket
        from aiosmtpd.controller import Controller
        if port is None:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        self.port = port
        self.messages = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append(envelope)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def email_daemon(port, tmp_extra=""):
    d = Daemon("\nallow_test_clock: true\n")
    text = open(d.config, encoding="utf-8").read()
    start = text.index("  channels:\n")
    end = text.index("  retry:", start)
    text = text[:start] + """  channels:
    log: { adapter: jsonl, path: %s }
    mail:
      adapter: email
      smtp_url: smtp://127.0.0.1:%d
      from: tsunagu@city.example.jp
      to: [hokatsu@city.example.jp, kakari@city.example.jp]
      timeout_seconds: 5
  routes:
    - { org: support-centre, channels: [mail] }
    - { default: true, channels: [log] }
""" % (d.jsonl, port) + text[end:]
    open(d.config, "w", encoding="utf-8").write(text)
    return d


def test_email_reaches_a_real_smtp_server_in_japanese():
    import email
    import email.header
    import email.policy
    smtp = Smtp().start()
    d = email_daemon(smtp.port)
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        env = wait_for(lambda: smtp.messages, "the mail")[0]
        expect(env.mail_from == "tsunagu@city.example.jp", env.mail_from)
        expect(sorted(env.rcpt_tos) == ["hokatsu@city.example.jp", "kakari@city.example.jp"], env.rcpt_tos)
        msg = email.message_from_bytes(env.content, policy=email.policy.default)
        expect(str(msg["Subject"]) == "【つなぐ】新しい紹介が届きました（薬局を起点とした社会的処方連携パス）", msg["Subject"])
        body = msg.get_content()
        expect(body.startswith("釜石市地域包括支援センター 御中") and "/cases/" + cid in body, body)
        expect(body.index("御中") < body.index("----") < body.index("To Kamaishi Community Support Centre"),
               "Japanese first, then English")
        expect("釜石 花子" not in body, "no personal data")
        row = wait_for(lambda: [r for r in outbox(d, "mail") if r[2] == "delivered"], "delivered")[0]
        expect(row[0] in msg["Message-ID"], (row, msg["Message-ID"]))
        raw_subject = env.content.split(b"\r\nSubject: ", 1)[1].split(b"\r\nDate:", 1)[0]
        expect(all(len(line.strip()) <= 76 for line in raw_subject.split(b"\r\n")), raw_subject)
    finally:
        d.cleanup()
        smtp.stop()


def test_email_when_the_smtp_server_is_down_then_up():
    smtp = Smtp()  # not started yet: its port refuses
    d = email_daemon(smtp.port)
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        first = wait_for(lambda: [r for r in outbox(d, "mail") if r[3] == 1], "a failed attempt")[0]
        expect(first[2] == "pending" and first[4], first)
        expect(d.get("/healthz").status == 200, "the daemon answers")
        smtp.start()
        advance(d, 3600)
        wait_for(lambda: [r for r in outbox(d, "mail") if r[2] == "delivered"], "delivered once the server is up")
        expect(len(smtp.messages) == 1, len(smtp.messages))
    finally:
        d.cleanup()
        smtp.stop()


class Router:
    """A Fluentd Forward receiver: decodes what arrives with an independent msgpack
    decoder (Debian's python3-msgpack) and answers each chunk with its ack."""

    def __init__(self, ack=True):
        import socket
        import threading
        import msgpack
        self.entries = []
        self.ack = ack
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop_flag = False

        def serve():
            self.sock.settimeout(0.2)
            while not self.stop_flag:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    continue
                conn.settimeout(0.2)
                unpacker = msgpack.Unpacker(raw=False)
                while not self.stop_flag:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        continue
                    if not data:
                        break
                    unpacker.feed(data)
                    for entry in unpacker:
                        self.entries.append(entry)
                        if self.ack:
                            conn.sendall(msgpack.packb({"ack": entry[3]["chunk"]}))
                conn.close()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stop_flag = True
        self.thread.join()
        self.sock.close()


def forward_daemon(port, timeout=2):
    d = Daemon("\nallow_test_clock: true\n")
    text = open(d.config, encoding="utf-8").read()
    start = text.index("  channels:\n")
    end = text.index("  retry:", start)
    text = text[:start] + """  channels:
    router: { adapter: forward, host: 127.0.0.1, port: %d, tag: tsunagu.test, timeout_seconds: %d }
  routes:
    - { default: true, channels: [router] }
""" % (port, timeout) + text[end:]
    open(d.config, "w", encoding="utf-8").write(text)
    return d


def test_forward_protocol_into_a_log_router_with_acks():
    router = Router()
    d = forward_daemon(router.port)
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse")
        wait_for(lambda: len(router.entries) >= 2, "two entries")
        tag, when, record, option = router.entries[0]
        expect(tag == "tsunagu.test" and isinstance(when, int), (tag, when))
        expect(when == 1780275600, when)  # 2026-06-01T10:00:00+09:00
        expect(record["case_id"] == cid and record["template"] == "referral_received", record)
        expect(record["subject"]["ja"].startswith("【つなぐ】"), record)
        expect(option["chunk"] == record["id"], (option, record["id"]))
        expect([e[2]["template"] for e in router.entries[:2]] == ["referral_received", "referral_accepted"],
               router.entries)
        wait_for(lambda: len([r for r in outbox(d, "router") if r[2] == "delivered"]) == 2, "both acked")
    finally:
        d.cleanup()
        router.close()


def test_forward_without_an_ack_is_retried():
    router = Router(ack=False)
    d = forward_daemon(router.port, timeout=1)
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        row = wait_for(lambda: [r for r in outbox(d, "router") if r[3] == 1], "a failed attempt")[0]
        expect(row[2] == "pending" and "ack" in row[4], row)
        router.ack = True
        advance(d, 3600)
        wait_for(lambda: [r for r in outbox(d, "router") if r[2] == "delivered"], "delivered with an ack")
    finally:
        d.cleanup()
        router.close()
