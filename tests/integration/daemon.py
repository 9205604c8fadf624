"""A real tsunagu daemon for integration tests: its own temporary directory and
database, the demo configuration, a free port on 127.0.0.1, demo tokens read from
its output, and an HTTP client that speaks to it as any client would."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import contract
from helpers import BIN, ROOT, demo_config_text

DEMO = {
    "pharmacist": "薬剤師 佐藤",          # pharmacy-hamayuri
    "pharmacist2": "薬剤師 鈴木",         # pharmacy-minato
    "nurse": "保健師 高橋",               # support-centre
    "nurse2": "保健師 田中",              # support-centre
    "life_nurse": "保健師 伊藤",          # life-unosumai
    "checkup": "健診担当 渡辺",           # city-checkup
    "coordinator": "コーディネーター 山本",  # city-care
    "welfare": "社協 中村",               # welfare-council
    "clinic": "診療所 小林",              # clinic-hamakaze
    "cafe": "カフェ世話人 佐々木",         # cafe-tsunagaru (a resource provider)
}


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:300])


class Daemon:
    """Starts `tsunagu serve` on the demo config with a private database."""

    def __init__(self, extra_config="", db=None, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="tsunagu-test-")
        self.db = db or os.path.join(self.tmp, "tsunagu.db")
        self.config = os.path.join(self.tmp, "tsunagu.yaml")
        text = demo_config_text(self.tmp, self.db)
        self.jsonl = os.path.join(self.tmp, "notifications.jsonl")
        open(self.config, "w", encoding="utf-8").write(text + extra_config)
        self.proc = None
        self.tokens = {}
        self.users = {}

    def start(self, demo_tokens=True, test_clock=None, extra_args=(), env=None):
        # a second start would orphan the first daemon: a test that ends must leave nothing running
        assert self.proc is None or self.proc.poll() is not None, "the daemon is already running"
        args = [BIN, "serve", "--config", self.config, "--listen", "127.0.0.1:0"]
        if demo_tokens:
            args.append("--demo-tokens")
        if test_clock:
            args += ["--test-clock", test_clock]
        args += list(extra_args)
        # O_APPEND: the daemon shares these files' offsets with the reads below (seek(0) to read), so
        # without it a write of the daemon's could land back at the start, over what it wrote before
        for name in ("stdout", "stderr"):
            open(os.path.join(self.tmp, name), "w").close()
        self.out = open(os.path.join(self.tmp, "stdout"), "a+")
        self.err = open(os.path.join(self.tmp, "stderr"), "a+")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err, cwd=self.tmp,
                                     env=dict(os.environ, **env) if env else None)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.err.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.err.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited: " + self.stderr())
            time.sleep(0.02)
        else:
            raise AssertionError("daemon did not start: " + self.stderr())
        if demo_tokens:
            self.tokens = {}
            self.enrolment = {}
            self.out.seek(0)
            for line in self.out.read().splitlines():
                m = re.match(r"^\s+(\S+)\s+(\S+)\s+(.+?)\s+(tsu_\S+)$", line)
                if m:
                    for key, name in DEMO.items():
                        if m.group(3).strip() == name:
                            self.tokens[key] = m.group(4)
                m = re.match(r"^\s+sign in as (\S+)\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$", line)
                if m:
                    self.enrolment[m.group(1)] = m.group(2)
            assert len(self.tokens) == len(DEMO), self.tokens
        return self

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc else 0
        log = self.stderr() if self.proc else ""
        self.proc = None
        if sig == signal.SIGTERM:
            assert "AddressSanitizer" not in log and "runtime error:" not in log, log
            assert code == 0, "daemon exit %s: %s" % (code, log)
        return code

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def cleanup(self):
        if self.proc:
            self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if self.proc:
                self.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- HTTP ----
    def request(self, method, path, body=None, token=None, who=None, headers=None, raw_body=None,
                check_contract=True):
        h = {}
        if who:
            token = self.tokens[who]
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if raw_body is not None:
            data = raw_body
        elif body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            reply = Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()
        if check_contract:
            contract.check(method, path, reply.status, reply.header("Content-Type"), reply.json, reply.text)
        return reply

    def get(self, path, who=None, **kw):
        return self.request("GET", path, who=who, **kw)

    def post(self, path, body=None, who=None, **kw):
        return self.request("POST", path, body=body if body is not None else {}, who=who, **kw)

    def raw(self, data, timeout=10):
        """Sends raw bytes and returns what came back (for malformed requests)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
                if b"\r\n\r\n" in b"".join(chunks):
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    m = re.search(rb"Content-Length: (\d+)", head, re.I)
                    if m and len(rest) >= int(m.group(1)):
                        break
            return b"".join(chunks)
        finally:
            s.close()

    def db_rows(self, sql, args=()):
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    # What a table's newest row is compared by: the outbox without the delivery's progress, which the
    # dispatcher moves on its own (a line is delivered a moment after the commit that wrote it).
    SNAPSHOT_COLUMNS = {"outbox": "id, case_id, event_seq, party, org, user_id, template, created_at, channel, state"}

    def db_snapshot(self):
        """Row counts and the newest row of every table: 'unchanged' means equal snapshots."""
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            snap = {}
            for t in tables:
                try:
                    newest = conn.execute("SELECT %s FROM %s ORDER BY rowid DESC LIMIT 1"
                                          % (self.SNAPSHOT_COLUMNS.get(t, "*"), t)).fetchone()
                except sqlite3.OperationalError:  # a WITHOUT ROWID table (the search index's config)
                    newest = conn.execute("SELECT * FROM %s ORDER BY 1 DESC LIMIT 1" % t).fetchone()
                snap[t] = (conn.execute("SELECT count(*) FROM %s" % t).fetchone()[0], newest)
            return snap
        finally:
            conn.close()


def consent(by="薬剤師 佐藤"):
    return {"obtained_by": by, "obtained_at": "2026-01-05", "method": "written",
            "scope": "地域包括支援センター等への情報提供"}


def pharmacy_referral(name="釜石 花子", area="unosumai", **extra):
    body = {"pathway": "pharmacy",
            "subject": {"name": name, "kana": "カマイシ ハナコ", "birth_date": "1948-03-02",
                        "sex": "female", "phone": "0193-00-0000", "area": area},
            "consent": consent(), "fields": {"concern": "isolation", "referral_note": "最近元気がない"}}
    body.update(extra)
    return body
