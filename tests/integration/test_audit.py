"""The hash-chained event log: `tsunagu audit verify` finds every edit, deletion
or reordering made directly in SQLite, names the first broken event, exits 3."""
import re
import shutil
import sqlite3

from daemon import Daemon, pharmacy_referral
from helpers import expect, tsunagu


def make_history(d, cases=3):
    for i in range(cases):
        cid = d.post("/v1/cases", pharmacy_referral(name="人%d" % i), who="pharmacist").json["id"]
        d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse")
        d.post("/v1/cases/%s/notes" % cid, {"text": "メモ"}, who="nurse")


def tampered(d, sql, args=()):
    copy = d.db + ".tampered"
    shutil.copy(d.db, copy)
    conn = sqlite3.connect(copy)
    for statement in sql.split(";"):
        conn.execute(statement, args)
    conn.commit()
    conn.close()
    proc = tsunagu("audit", "verify", "--db", copy)
    return proc


def test_verify_finds_edits_deletions_and_reordering():
    with Daemon() as d:
        make_history(d)
        d.stop()
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0 and re.match(r"ok: 9 events, the chain is whole", proc.stdout), proc.stdout)
        cases = [
            ("edit a state", "UPDATE events SET to_state = 'closed' WHERE seq = 4", 4, "content was changed"),
            ("edit an actor", "UPDATE events SET actor_org = 'pharmacy-minato' WHERE seq = 2", 2, "content was changed"),
            ("edit a payload", "UPDATE event_payloads SET payload = x'80' WHERE seq = 5", 5, "payload was changed"),
            ("delete an event", "DELETE FROM events WHERE seq = 6", 7, "deleted or reordered"),
            ("reorder two events",
             "UPDATE events SET seq = -3 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 8;"
             "UPDATE events SET seq = 8 WHERE seq = -3", 3, "previous event"),
            ("delete the last event", "DELETE FROM events WHERE seq = 9", None, None),
            ("rewrite a hash", "UPDATE events SET hash = prev_hash WHERE seq = 1", 1, "content was changed"),
        ]
        for label, sql, seq, reason in cases:
            proc = tampered(d, sql)
            if seq is None:
                # the tail can be cut without trace unless its head is anchored outside the
                # database: verify still checks what is there, and the count shows the loss
                expect(proc.returncode == 0 and "8 events" in proc.stdout, proc.stdout)
                continue
            expect(proc.returncode == 3, "%s: exit %d %s" % (label, proc.returncode, proc.stdout))
            m = re.match(r"BROKEN at event (\d+): (.*)", proc.stdout)
            expect(m and int(m.group(1)) == seq, "%s: %s" % (label, proc.stdout))
            if reason:
                expect(reason in m.group(2), "%s: %s" % (label, proc.stdout))
        # a purged payload (personal data erased) still verifies: the chain holds its digest
        proc = tampered(d, "UPDATE event_payloads SET payload = NULL WHERE seq = 5")
        expect(proc.returncode == 0, proc.stdout)


def test_verify_usage_errors():
    proc = tsunagu("audit", "verify")
    expect(proc.returncode == 2 and "--db" in proc.stderr, proc.stderr)
    proc = tsunagu("audit", "verify", "--db", "/nonexistent/dir/x.db")
    expect(proc.returncode == 1, proc.returncode)


def test_audit_endpoints_for_coordinators():
    import csv
    import io
    with Daemon() as d:
        make_history(d, cases=2)
        d.get("/v1/cases?limit=5", who="nurse")
        r = d.get("/v1/audit/verify", who="coordinator")
        expect(r.status == 200 and r.json == {"ok": True, "events": 6, "broken_at": None, "reason": None}, r)
        expect(d.get("/v1/audit/verify", who="nurse").status == 403, "coordinators only")
        access = d.get("/v1/audit/access", who="coordinator").json["items"]
        whats = {a["what"] for a in access}
        expect({"case.open", "case.action", "case.note", "case.list"} <= whats, whats)
        expect(all(a["org"] and a["user"] and a["at"] for a in access), access[:2])
        provisions = d.get("/v1/audit/provisions?from=2020-01-01&to=2099-12-31", who="coordinator").json["items"]
        expect(len(provisions) == 2 and provisions[0]["recipient"] == "support-centre", provisions)
        expect(provisions[0]["subject_name"] == "人0" and "written" in provisions[0]["consent_basis"], provisions[0])
        expect(d.get("/v1/audit/provisions?to=2020-01-01", who="coordinator").json["items"] == [], "period")
        expect(d.get("/v1/audit/provisions?from=2026-13-01", who="coordinator").status == 422, "bad date")
        r = d.get("/v1/audit/provisions", who="coordinator", headers={"Accept": "text/csv"})
        expect(r.status == 200 and r.header("Content-Type").startswith("text/csv"), r.headers)
        expect(r.raw.startswith(b"\xef\xbb\xbf"), "BOM for Excel")
        rows = list(csv.reader(io.StringIO(r.raw.decode("utf-8-sig"))))
        expect(rows[0][:3] == ["at", "recipient", "from"] and rows[1][5] == "人0", rows[:2])
        expect(("audit.provisions",) in d.db_rows("SELECT what FROM access_log"), "listing names is audited")
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE events SET action = 'close' WHERE seq = 2")
        conn.commit()
        conn.close()
        r = d.get("/v1/audit/verify", who="coordinator")
        expect(r.json["ok"] is False and r.json["broken_at"] == 2, r.json)
