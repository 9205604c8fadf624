"""The hash-chained event log: `tsunagu audit verify` finds every edit, deletion
or reordering made directly in SQLite, names the first broken event, exits 3."""
import json
import os
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


def admin_events(d):
    """The administrative events the start wrote (users, pathway versions) before any case's."""
    return d.db_rows("SELECT count(*) FROM events WHERE case_id = ''")[0][0]


def test_verify_finds_edits_deletions_and_reordering():
    with Daemon() as d:
        b = admin_events(d)
        make_history(d)
        d.stop()
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0 and re.match(r"ok: %d events, the chain is whole" % (b + 9), proc.stdout),
               proc.stdout)
        cases = [
            ("edit a state", "UPDATE events SET to_state = 'closed' WHERE seq = %d" % (b + 4), b + 4, "content was changed"),
            ("edit an actor", "UPDATE events SET actor_org = 'pharmacy-minato' WHERE seq = %d" % (b + 2), b + 2,
             "content was changed"),
            ("edit a payload", "UPDATE event_payloads SET payload = x'80' WHERE seq = %d" % (b + 5), b + 5,
             "payload was changed"),
            ("delete an event", "DELETE FROM events WHERE seq = %d" % (b + 6), b + 7, "deleted or reordered"),
            ("reorder two events",
             "UPDATE events SET seq = -3 WHERE seq = %d; UPDATE events SET seq = %d WHERE seq = %d;"
             "UPDATE events SET seq = %d WHERE seq = -3" % (b + 3, b + 3, b + 8, b + 8), b + 3, "previous event"),
            ("delete the last event", "DELETE FROM events WHERE seq = %d" % (b + 9), None, None),
            ("rewrite a hash", "UPDATE events SET hash = prev_hash WHERE seq = 1", 1, "content was changed"),
            # a value rewritten as another type reads back the same: the type is checked too
            ("retype a version", "UPDATE events SET case_version = case_version || '.0x' WHERE seq = %d" % (b + 2),
             b + 2, "type"),
            ("retype a time", "UPDATE events SET at = at || '.0x' WHERE seq = %d" % (b + 3), b + 3, "type"),
            ("retype an id", "UPDATE events SET id = CAST(id AS BLOB) WHERE seq = %d" % (b + 1), b + 1, "type"),
        ]
        for label, sql, seq, reason in cases:
            proc = tampered(d, sql)
            if seq is None:
                # the tail can be cut without trace unless its head is anchored outside the
                # database: verify still checks what is there, and the count shows the loss
                expect(proc.returncode == 0 and "%d events" % (b + 8) in proc.stdout, proc.stdout)
                continue
            expect(proc.returncode == 3, "%s: exit %d %s" % (label, proc.returncode, proc.stdout))
            m = re.match(r"BROKEN at event (\d+): (.*)", proc.stdout)
            expect(m and int(m.group(1)) == seq, "%s: %s" % (label, proc.stdout))
            if reason:
                expect(reason in m.group(2), "%s: %s" % (label, proc.stdout))
        # a purged payload (personal data erased) still verifies: the chain holds its digest
        proc = tampered(d, "UPDATE event_payloads SET payload = NULL WHERE seq = %d" % (b + 5))
        expect(proc.returncode == 0, proc.stdout)


def test_verify_usage_errors():
    proc = tsunagu("audit", "verify")
    expect(proc.returncode == 2 and "--db" in proc.stderr, proc.stderr)
    # a wrong path is an error, not a new (empty, "whole") database
    proc = tsunagu("audit", "verify", "--db", "/nonexistent/dir/x.db")
    expect(proc.returncode == 2 and "no database at /nonexistent/dir/x.db" in proc.stderr, proc.stderr)
    expect(not os.path.exists("/nonexistent/dir/x.db"), "nothing created")


def test_audit_endpoints_for_coordinators():
    import csv
    import io
    with Daemon() as d:
        make_history(d, cases=2)
        d.get("/v1/cases?limit=5", who="nurse")
        r = d.get("/v1/audit/verify", who="coordinator")
        got = {k: r.json[k] for k in ("ok", "events", "broken_at", "reason")} if r.status == 200 else None
        expect(got == {"ok": True, "events": admin_events(d) + 6, "broken_at": None, "reason": None} and
               r.json["checked_at"] and "last_scheduled_check" in r.json, r)
        expect(d.get("/v1/audit/verify", who="nurse").status == 403, "coordinators only")
        access = d.get("/v1/audit/access", who="coordinator").json["items"]
        whats = {a["what"] for a in access}
        expect({"case.open", "case.action", "case.note", "case.list"} <= whats, whats)
        expect(all(a["org"] and a["user"] and a["at"] for a in access), access[:2])
        provisions = d.get("/v1/audit/provisions?from=2020-01-01&to=2099-12-31", who="coordinator").json["items"]
        expect(len(provisions) == 2 and provisions[0]["recipient"] == "support-centre", provisions)
        expect(provisions[0]["subject_name"] == "人0" and "written" in provisions[0]["consent_basis"], provisions[0])
        # the items as the disclosure names them: the person's by name, the pathway's fields by their titles
        title = provisions[0]["items_title"]
        expect(title.startswith("氏名、") and "subject." not in title and "fields." not in title, provisions[0])
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


def close_case(d, cid, link=False):
    for step, fields in (("accept", None),
                         ("record_contact", {"contact_on": "2026-06-02", "contact_method": "visit",
                                             "assessment_note": "独居で外出が少ない"}),
                         ("close", {"outcome": "self_managed"})):
        if step == "close" and link:
            r = d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai", "note": "本人の事情つき",
                                                   "share_with_provider": True}, who="nurse")
            expect(r.status == 201, r)
            r = d.request("PATCH", "/v1/cases/%s/links/%s" % (cid, r.json["id"]), {"status": "joined"}, who="cafe")
            expect(r.status == 200, r)
        r = d.post("/v1/cases/%s/actions/%s" % (cid, step), {"fields": fields} if fields else {}, who="nurse")
        expect(r.status == 200, r)


def test_purge_erases_personal_data_and_keeps_counts_and_the_chain():
    with Daemon() as d:
        old = d.post("/v1/cases", pharmacy_referral(name="古い 人"), who="pharmacist").json["id"]
        recent = d.post("/v1/cases", pharmacy_referral(name="最近 人"), who="pharmacist").json["id"]
        still_open = d.post("/v1/cases", pharmacy_referral(name="継続 人"), who="pharmacist").json["id"]
        d.post("/v1/cases/%s/notes" % old, {"text": "本人の事情メモ"}, who="nurse")
        close_case(d, old, link=True)
        close_case(d, recent)
        d.stop()
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE provisions SET at = at - 4 * 365 * 86400 * 1000000 WHERE case_id = ?", (old,))
        conn.commit()
        conn.close()
        before = tsunagu("report", "funnel", "--config", d.config).stdout
        resources_before = tsunagu("report", "resources", "--config", d.config).stdout
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config, "--dry-run")
        expect(proc.returncode == 0 and "would purge 1 case" in proc.stdout, proc.stdout + proc.stderr)
        expect(d.db_rows("SELECT count(*) FROM subjects WHERE data IS NULL") == [(0,)], "a dry run changes nothing")
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        expect(proc.returncode == 0 and "purged 1 case" in proc.stdout and "kept 1" in proc.stdout, proc.stdout)
        subj = dict(d.db_rows("SELECT c.id, s.data IS NULL FROM cases c JOIN subjects s ON s.id = c.subject_id"))
        expect(subj == {old: 1, recent: 0, still_open: 0}, subj)
        expect(d.db_rows("SELECT count(*) FROM event_payloads p JOIN events e ON e.seq = p.seq "
                         "WHERE e.case_id = ? AND p.payload IS NOT NULL", (old,)) == [(0,)], "payloads erased")
        expect(d.db_rows("SELECT text FROM notes WHERE case_id = ?", (old,)) == [(None,)], "notes erased")
        fields = json.loads(d.db_rows("SELECT fields FROM cases WHERE id = ?", (old,))[0][0])
        expect("assessment_note" not in fields and "referral_note" not in fields, fields)
        expect(fields["outcome"] == "self_managed" and fields["contact_method"] == "visit", fields)
        # the link ended with its case; it was joined, which the reports still count
        expect(d.db_rows("SELECT note, consent, status, joined_on IS NOT NULL FROM links WHERE case_id = ?", (old,))
               == [(None, None, "ended", 1)], "link notes erased, the link kept for the reports")
        expect(d.db_rows("SELECT person_id, person_key FROM cases WHERE id = ?", (old,)) == [(None, None)], "person keys")
        after = tsunagu("report", "funnel", "--config", d.config).stdout
        resources_after = tsunagu("report", "resources", "--config", d.config).stdout
        expect(json.loads(resources_before) == json.loads(resources_after) and
               json.loads(resources_after)["rows"][0]["joined"] == 1, resources_after)
        expect(json.loads(before) == json.loads(after) and json.loads(after)["rows"][0]["cases"] == 3,
               "the reports give the same counts before and after the purge")
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0, proc.stdout)
        d.start()
        case = d.get("/v1/cases/" + old, who="pharmacist").json
        expect(case["subject"] is None and case["outcome"] == "self_managed", case)
        proc = tsunagu("purge", "--closed-before", "2026-02-30", "--config", d.config)
        expect(proc.returncode == 2, proc.returncode)


def test_disclosure_shows_what_the_asking_organisation_holds():
    with Daemon() as d:
        cid = d.post("/v1/cases", pharmacy_referral(name="開示 太郎"), who="pharmacist").json["id"]
        d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse")
        d.post("/v1/cases/%s/actions/record_contact" % cid, {"fields": {
            "contact_on": "2026-06-02", "contact_method": "visit", "assessment_note": "内部の見立て"}}, who="nurse")
        d.post("/v1/cases/%s/notes" % cid, {"text": "センター内メモ"}, who="nurse")
        d.post("/v1/cases/%s/notes" % cid, {"text": "共有メモ", "visibility": "parties"}, who="nurse")
        d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai", "note": "センターの見立て"}, who="nurse")
        r = d.get("/v1/subjects/%s/export" % cid, who="pharmacist")
        expect(r.status == 200, r)
        case = r.json["cases"][0]
        expect(r.json["subject"]["name"] == "開示 太郎" and case["id"] == cid, r.json)
        expect("assessment_note" not in case["fields"] and case["fields"]["contact_method"] == "visit", case["fields"])
        expect([n["text"] for n in case["notes"]] == ["共有メモ"], case["notes"])
        expect([e["action"] for e in case["events"]][:3] == ["open", "accept", "record_contact"], case["events"])
        expect(len(case["provisions"]) == 1 and case["provisions"][0]["to"] == "support-centre", case["provisions"])
        expect([l["resource"]["id"] for l in case["links"]] == ["demo-cafe-unosumai"] and "note" not in case["links"][0],
               case["links"])
        nurse = d.get("/v1/subjects/%s/export" % cid, who="nurse").json["cases"][0]
        expect(nurse["links"][0]["note"] == "センターの見立て", nurse["links"])
        text = d.get("/v1/subjects/%s/export?format=text" % cid, who="pharmacist")
        expect(text.status == 200 and "氏名: 開示 太郎" in text.text and "■ ケース 1" in text.text, text.text[:300])
        expect("内部の見立て" not in text.text and "第三者提供の記録" in text.text, text.text)
        expect("社会資源へのつなぎ:\n    つながるカフェ 鵜住居（提案中）" in text.text and "センターの見立て" not in text.text,
               text.text)
        expect(d.get("/v1/subjects/%s/export" % cid, who="pharmacist2").status == 404, "another pharmacy")
        expect(d.get("/v1/subjects/nobody/export", who="pharmacist").status == 404, "unknown person")
        expect(("subject.export",) in d.db_rows("SELECT what FROM access_log"), "audited")
        nurse = [u for u, n in d.db_rows("SELECT id, name FROM users") if n == "保健師 高橋"][0]
        proc = tsunagu("subject", "export", "--person", cid, "--user", nurse, "--config", d.config)
        expect(proc.returncode == 0, proc.stderr)
        out = json.loads(proc.stdout)
        expect(out["cases"][0]["fields"]["assessment_note"] == "内部の見立て", out["cases"][0]["fields"])
        expect(len(out["cases"][0]["notes"]) == 2, out["cases"][0]["notes"])
        proc = tsunagu("subject", "export", "--person", "nobody", "--user", nurse, "--config", d.config)
        expect(proc.returncode == 3, proc.returncode)


def test_the_daemon_checks_the_chain_on_a_schedule_and_says_so_when_it_breaks():
    import sqlite3
    import time
    from daemon import Daemon, pharmacy_referral
    d = Daemon()
    try:
        d.start()
        ready = d.get("/readyz")
        expect(ready.status == 200 and ready.json["status"] == "ready" and ready.json["pathways"] == 6, ready)
        for i in range(3):
            d.post("/v1/cases", pharmacy_referral(name="人%d" % i), who="pharmacist")
        deadline = time.time() + 20
        while time.time() < deadline and d.get("/v1/audit/verify", who="coordinator").json["last_scheduled_check"] is None:
            time.sleep(0.3)
        first = d.get("/v1/audit/verify", who="coordinator").json
        expect(first["last_scheduled_check"] and first["last_scheduled_check"]["ok"], first)
        d.stop()
        # edited behind the daemon's back: the first scheduled walk after the start finds it and says so
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE events SET actor_org = 'pharmacy-minato' WHERE seq = 2")
        conn.commit()
        conn.close()
        d.start(demo_tokens=True)
        deadline = time.time() + 20
        check = None
        while time.time() < deadline and not check:
            check = d.get("/v1/audit/verify", who="coordinator").json["last_scheduled_check"]
            time.sleep(0.3)
        expect(check and check["ok"] is False and check["broken_at"] == 2, check)
        d.err.seek(0)
        expect("THE EVENT CHAIN IS BROKEN at event 2" in d.err.read(), "the log says so")
    finally:
        d.cleanup()
