"""Personal data that leaks through time and through files: access that ends when the
need ends, a provider that sees only what it needs, consent with a scope the machine
checks, closed and purged cases that stay closed, erasure on request, files and
commands that cannot mislead, inputs that make sense, and people and codes shown as
people read them."""
import csv
import io
import json
import os
import re
import sqlite3
import stat
import tempfile

from daemon import Daemon, consent, pharmacy_referral
from helpers import expect, path, tsunagu, wait_for


def ok(reply, status=200):
    expect(reply.status == status, "expected %d, got %r" % (status, reply))
    return reply.json


def act(d, case, action, who, fields=None, headers=None):
    return d.post("/v1/cases/%s/actions/%s" % (case, action), {"fields": fields or {}}, who=who, headers=headers)


def linked_case(d, name=None):
    """A pharmacy referral the nurse has contacted and linked to the Unosumai café, details handed over."""
    referral = pharmacy_referral(name=name) if name else pharmacy_referral()
    cid = ok(d.post("/v1/cases", referral, who="pharmacist"), 201)["id"]
    ok(act(d, cid, "accept", "nurse"))
    ok(act(d, cid, "record_contact", "nurse", {"contact_on": "2026-11-25", "contact_method": "visit"}))
    link = ok(d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai", "share_with_provider": True},
                     who="nurse"), 201)
    return cid, link


def outbox(d, case_id):
    return d.db_rows("SELECT party, org, template FROM outbox WHERE case_id = ? ORDER BY rowid", (case_id,))


def test_closing_a_case_ends_its_links_and_the_providers_access():
    with Daemon() as d:
        cid, link = linked_case(d)
        lpath = "/v1/cases/%s/links/%s" % (cid, link["id"])
        ok(d.request("PATCH", lpath, {"status": "joined"}, who="cafe"))
        expect(ok(d.get("/v1/cases/" + cid, who="cafe"))["subject"]["name"] == "釜石 花子", "open: the café sees")
        ok(act(d, cid, "link", "nurse", {"linked_summary": "つながるカフェ"}))
        ok(act(d, cid, "send_feedback", "nurse", {"feedback_message": "参加されました", "follow_up_on": "2027-02-25"}))
        closed = ok(act(d, cid, "close", "nurse", {"outcome": "linked"}))
        expect(closed["final"] and [l["status"] for l in closed["links"]] == ["ended"], closed["links"])
        ended = closed["links"][0]
        expect(ended["joined_on"] and ended["ended_on"], "history kept: it was joined, then ended")
        # the café sees nothing of the person any more, and cannot reach the case
        expect(d.get("/v1/cases/" + cid, who="cafe").status == 404, "the case is gone for the café")
        refs = ok(d.get("/v1/links", who="cafe"))["items"]
        expect([r["person"] for r in refs] == [None] and refs[0]["status"] == "ended", refs)
        expect(ok(d.get("/v1/cases", who="cafe"))["items"] == [], "nor in its list")
        expect(d.request("PATCH", lpath, {"status": "ended"}, who="cafe").status == 404, "nor can it change the link")
        # one event per link that ended, and the café heard that the referral ended (no reason given)
        events = ok(d.get("/v1/cases/%s/events" % cid, who="nurse"))["items"]
        expect([e["action"] for e in events[-2:]] == ["close", "link_ended"], [e["action"] for e in events])
        expect(("provider", "cafe-tsunagaru", "resource_referral_ended") in outbox(d, cid), outbox(d, cid))
        # the referrer's view still shows that the person joined
        seen = ok(d.get("/v1/cases/" + cid, who="pharmacist"))["links"][0]
        expect(seen["status"] == "ended" and seen["joined_on"] == ended["joined_on"], seen)
        report = ok(d.get("/v1/reports/resources", who="coordinator"))
        cafe = {r["resource"]: r for r in report["rows"]}["demo-cafe-unosumai"]
        expect(cafe["joined"] == 1 and cafe["ended"] == 1, cafe)


def test_withdrawal_of_consent_ends_the_providers_access_at_once():
    with Daemon() as d:
        cid, link = linked_case(d)
        expect(d.get("/v1/cases/" + cid, who="cafe").status == 200, "open link: the café stands on the case")
        ok(act(d, cid, "withdraw_consent", "pharmacist", {"reason": "本人の申し出"}))
        expect(d.get("/v1/cases/" + cid, who="cafe").status == 404, "consent withdrawn: nothing")
        refs = ok(d.get("/v1/links", who="cafe"))["items"]
        expect(refs[0]["person"] is None and refs[0]["status"] == "ended" and not refs[0]["joined_on"], refs)
        expect(("provider", "cafe-tsunagaru", "resource_referral_ended") in outbox(d, cid), outbox(d, cid))
        # the café hears that the referral ended, not why: no state, no pathway in what it is sent
        def provider_lines():
            if not os.path.exists(d.jsonl):
                return []
            lines = [json.loads(l) for l in open(d.jsonl, encoding="utf-8")]
            return [l for l in lines if l["case_id"] == cid and l["party"] == "provider"]
        sent = wait_for(lambda: len(provider_lines()) == 2 and provider_lines(), "the café's two messages")
        for line in sent:
            expect(line["state"] is None and line["pathway"] is None and line["pathway_version"] is None, line)
            expect("consent_withdrawn" not in json.dumps(line, ensure_ascii=False), line)


def test_a_provider_sees_only_what_it_needs_and_its_reads_are_logged():
    with Daemon() as d:
        cid, link = linked_case(d)
        listed = ok(d.get("/v1/cases", who="cafe"))["items"]
        expect(len(listed) == 1 and set(listed[0]) == {"id", "version", "your_sides", "subject"}, listed)
        expect(listed[0]["subject"] == {"name": "釜石 花子", "kana": "カマイシ ハナコ"}, listed)
        view = ok(d.get("/v1/cases/" + cid, who="cafe"))
        for hidden in ("pathway", "origin", "state", "outcome", "timers", "fields", "actions", "receiver"):
            expect(hidden not in view, (hidden, view))
        # the list's filters are no oracle for what the view hides: a provider's case matches none of them
        for query in ("pathway=pharmacy", "state=contacted", "origin=pharmacy-hamayuri", "area=unosumai",
                      "fiscal_year=2026", "open=true", "overdue=false", "sort=due", "inbox=org",
                      "updated_since=2000-01-01T00:00:00%2B09:00"):
            expect(ok(d.get("/v1/cases?" + query, who="cafe"))["items"] == [], query)
            expect(len(ok(d.get("/v1/cases?" + query, who="nurse"))["items"]) == 1 or query == "inbox=org", query)
        # nor are the refusals of actions: one answer, whatever the action and the state
        etag = {"If-Match": d.get("/v1/cases/" + cid, who="cafe").header("ETag")}
        refusals = set()
        for action in ("withdraw", "accept", "record_contact", "close", "no_such_action"):
            r = act(d, cid, action, "cafe", headers=etag)
            expect(r.status == 403 and r.json["error"]["code"] == "forbidden", (action, r))
            refusals.add(json.dumps(r.json, sort_keys=True))
        expect(len(refusals) == 1 and "contacted" not in refusals.pop(), refusals)
        before = d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.links'")[0][0]
        ok(d.get("/v1/cases/%s/links" % cid, who="pharmacist"))
        ok(d.get("/v1/cases/%s/links" % cid, who="cafe"))
        after = d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.links'")[0][0]
        expect(after == before + 2, "every read of a case's links is in the access log")


def provisions(d, case_id):
    return [r[0] for r in d.db_rows("SELECT consent_basis FROM provisions WHERE case_id = ? ORDER BY at", (case_id,))]


def test_consent_has_a_scope_the_machine_checks():
    with Daemon() as d:
        pw = ok(d.get("/v1/pathways/pharmacy", who="pharmacist"))
        expect(pw["consent"]["covers"] == ["support_centre", "life_support_centre", "resource_provider"], pw["consent"])
        expect(pw["consent"]["purpose"]["ja"] and pw["consent"]["required"], pw["consent"])
        narrow = dict(consent(), scope={"recipients": ["support_centre"], "text": "地域包括支援センターへの相談のみ"})
        # a receiver the consent does not cover is refused, and nothing is written
        before = d.db_snapshot()
        r = d.post("/v1/cases", pharmacy_referral(consent=dict(narrow, scope={"recipients": ["clinic"]})),
                   who="pharmacist")
        expect(r.status == 422 and r.json["error"]["code"] == "consent_scope" and
               r.json["error"]["field"] == "consent.scope", r)
        r = d.post("/v1/cases", pharmacy_referral(consent=dict(narrow, scope={"recipients": ["nowhere"]})),
                   who="pharmacist")
        expect(r.status == 422 and r.json["error"]["field"] == "consent.scope.recipients", r)
        expect(d.db_snapshot() == before, "refusals write nothing")
        cid = ok(d.post("/v1/cases", pharmacy_referral(consent=narrow), who="pharmacist"), 201)["id"]
        expect("covers: support_centre; scope: 地域包括支援センターへの相談のみ" in provisions(d, cid)[0], provisions(d, cid))
        ok(act(d, cid, "accept", "nurse"))
        ok(act(d, cid, "record_contact", "nurse", {"contact_on": "2026-11-25", "contact_method": "visit"}))
        # the café is a resource provider, which this consent does not cover
        r = d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai", "share_with_provider": True},
                   who="nurse")
        expect(r.status == 422 and r.json["error"]["code"] == "consent_scope", r)
        given = dict(consent(by="保健師 高橋"), scope="つながるカフェに名前と電話番号を伝えること")
        link = ok(d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai", "share_with_provider": True,
                                                      "consent": given}, who="nurse"), 201)
        expect(link["shared_with_provider"], link)
        basis = provisions(d, cid)[-1]
        expect(basis.startswith("consent to this handoff (written) obtained by 保健師 高橋") and "covers: this handoff" in basis,
               basis)
        # a consent in words alone covers what the pathway declares
        wide = ok(d.post("/v1/cases", pharmacy_referral(name="釜石 次郎"), who="pharmacist"), 201)["id"]
        expect("covers: support_centre, life_support_centre, resource_provider (as pathway pharmacy v2 declares)"
               in provisions(d, wide)[0], provisions(d, wide))
        # a redirect to an organisation the consent does not cover
        other = ok(d.post("/v1/cases", pharmacy_referral(name="釜石 三郎", consent=narrow), who="pharmacist"), 201)["id"]
        r = act(d, other, "redirect", "nurse", {"receiver": "life-unosumai", "reason": "地区の担当へ"})
        expect(r.status == 422 and r.json["error"]["code"] == "consent_scope", r)


def test_a_request_reports_all_its_errors():
    with Daemon() as d:
        body = pharmacy_referral()
        body["subject"]["birth_date"] = "1948/03/02"
        del body["subject"]["name"]
        body["fields"]["concern"] = "bored"
        body["consent"]["method"] = "telepathy"
        r = d.post("/v1/cases", body, who="pharmacist")
        expect(r.status == 422, r)
        fields = [e["field"] for e in r.json["errors"]]
        expect(r.json["error"] == r.json["errors"][0], r.json)
        expect(set(fields) == {"subject.birth_date", "subject.name", "fields.concern", "consent.method"}, fields)
        expect(all(e["message"] and e["message_ja"] and e["code"] for e in r.json["errors"]), r.json)
        # one problem: the error alone, exactly as before
        body = pharmacy_referral()
        body["subject"]["birth_date"] = "1948/03/02"
        r = d.post("/v1/cases", body, who="pharmacist")
        expect(set(r.json) == {"error"}, r.json)


def test_dates_that_happened_are_past_and_planned_ones_future_and_texts_are_plain():
    with Daemon() as d:
        def opening(**subject):
            body = pharmacy_referral()
            body["subject"].update(subject)
            return d.post("/v1/cases", body, who="pharmacist")
        for bad in ("1899-12-31", "2999-01-01"):
            r = opening(birth_date=bad)
            expect(r.status == 422 and r.json["error"]["field"] == "subject.birth_date", (bad, r))
        for name in ("釜石\n花子", "釜石\t花子", "釜石\u202e花子", "\u2066釜石 花子\u2069", "釜石\u0085花子",
                     "釜石\u2028花子", "釜石\u007f花子", "   ", "\u3000"):
            r = opening(name=name)
            expect(r.status == 422 and r.json["error"]["field"] == "subject.name", (name, r))
        # limits count characters, as the person typing them does (and as openapi's maxLength does)
        ok(opening(name="あ" * 200), 201)
        r = opening(name="あ" * 201)
        expect(r.status == 422 and "200 characters" in r.json["error"]["message"], r)
        for when in ("2999-01-01", "2999-01-01T10:00:00+09:00"):
            r = d.post("/v1/cases", pharmacy_referral(consent=dict(consent(), obtained_at=when)), who="pharmacist")
            expect(r.status == 422 and r.json["error"]["field"] == "consent.obtained_at", (when, r))
        ok(d.post("/v1/cases", pharmacy_referral(consent=dict(consent(), obtained_at="2026-01-05T10:00:00+09:00")),
                  who="pharmacist"), 201)
        cid = ok(opening(), 201)["id"]
        # a note is text like any other: no controls or direction overrides, 4000 characters
        for text in ("t\u202e", "t\u2067", "t\u007f", "t\u0085", " \n "):
            r = d.post("/v1/cases/%s/notes" % cid, {"text": text}, who="pharmacist")
            expect(r.status == 422 and r.json["error"]["field"] == "text", (text, r))
        ok(d.post("/v1/cases/%s/notes" % cid, {"text": "電話で話した。\n次回は訪問。" + "あ" * 3980}, who="pharmacist"), 201)
        ok(act(d, cid, "accept", "nurse"))
        r = act(d, cid, "record_contact", "nurse", {"contact_on": "2999-01-01", "contact_method": "visit"})
        expect(r.status == 422 and r.json["error"]["field"] == "fields.contact_on", r)
        ok(act(d, cid, "record_contact", "nurse", {"contact_on": "2026-11-25", "contact_method": "visit"}))
        ok(act(d, cid, "link", "nurse", {"linked_summary": "カフェ"}))
        r = act(d, cid, "send_feedback", "nurse", {"feedback_message": "つながりました", "follow_up_on": "2020-01-01"})
        expect(r.status == 422 and r.json["error"]["field"] == "fields.follow_up_on", r)
        pw = ok(d.get("/v1/pathways/pharmacy", who="pharmacist"))
        when = {f["name"]: f.get("when") for f in pw["fields"]}
        expect(when["contact_on"] == "past" and when["follow_up_on"] == "future", when)


def add_user(d, org, role, name, *extra):
    proc = tsunagu("user", "add", "--config", d.config, "--org", org, "--role", role, "--name", name, *extra)
    expect(proc.returncode == 0, proc.stdout + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    return lines[0].split()[1], lines[-1]


def closed_case(d, **extra):
    cid = ok(d.post("/v1/cases", pharmacy_referral(**extra), who="pharmacist"), 201)["id"]
    ok(act(d, cid, "accept", "nurse"))
    ok(act(d, cid, "close", "nurse", {"outcome": "self_managed"}))
    return cid


def test_closed_and_purged_cases_stay_closed():
    with Daemon() as d:
        cid = closed_case(d)
        r = d.post("/v1/cases/%s/notes" % cid, {"text": "後から"}, who="nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "case_closed", r)
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "0193-11-1111"}, who="nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "case_closed", r)
        _, admin = add_user(d, "support-centre", "admin,nurse", "管理者 木村")
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "0193-11-1111"}, token=admin)
        expect(r.status == 422 and r.json["error"]["field"] == "reason", r)
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "0193-11-1111", "reason": "本人からの訂正の求め"},
                      token=admin)
        expect(ok(r)["subject"]["phone"] == "0193-11-1111", r)
        events = ok(d.get("/v1/cases/%s/events" % cid, who="nurse"))["items"]
        expect(events[-1]["action"] == "correct_subject" and events[-1]["data"]["reason"] == "本人からの訂正の求め",
               events[-1])
        # an admin of the referring pharmacy is not the receiver
        _, ph_admin = add_user(d, "pharmacy-hamayuri", "admin", "薬局 管理者")
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "0193-22-2222", "reason": "x"}, token=ph_admin)
        expect(r.status == 409, r)
        d.stop()
        # provision records older than three years no longer hold the case back
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE provisions SET at = 1 WHERE case_id = ?", (cid,))
        conn.commit()
        conn.close()
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        expect(proc.returncode == 0 and "purged 1 case" in proc.stdout, proc.stdout + proc.stderr)
        d.start()
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "0193-11-1111", "reason": "x"}, token=admin)
        expect(r.status == 409 and r.json["error"]["code"] == "case_purged", r)
        d.stop()
        # personal data that reached a purged case (an older version let it) is erased by the next purge
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE notes SET text = '戻ってきたメモ' WHERE case_id = ?", (cid,))
        conn.execute("INSERT INTO notes(id, case_id, user_id, org, visibility, text, at) VALUES "
                     "('m_late', ?, 'u_x', 'support-centre', 'organisation', '遅れて届いたメモ', 1)", (cid,))
        conn.commit()
        conn.close()
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        expect(proc.returncode == 0 and "purged 1 case" in proc.stdout, proc.stdout + proc.stderr)
        expect(d.db_rows("SELECT count(*) FROM notes WHERE case_id = ? AND text IS NOT NULL", (cid,)) == [(0,)],
               "erased again")
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        expect("purged 0 cases" in proc.stdout, proc.stdout)


def test_erasure_on_request_keeps_counts_the_chain_and_the_provision_records():
    with Daemon() as d:
        first = closed_case(d, name="消去 花子", fields={"concern": "isolation", "referral_note": "x"})
        still_open = ok(d.post("/v1/cases", pharmacy_referral(name="消去 花子"), who="pharmacist"), 201)["id"]
        sid = d.db_rows("SELECT subject_id FROM cases WHERE id = ?", (first,))[0][0]
        _, admin = add_user(d, "support-centre", "admin", "管理者 木村")
        # by case id: that closed case alone
        r = d.post("/v1/subjects/%s/erase" % first, {"reason": "本人の求め"}, token=admin)
        expect(r.status == 200 and r.json == {"erased": 1}, r)
        expect(d.db_rows("SELECT data FROM subjects WHERE id = ?", (sid,)) == [(None,)], "erased")
        names = d.db_rows("SELECT subject_name FROM provisions WHERE case_id = ?", (first,))
        expect(names == [("消去 花子",)], names)
        expect(d.post("/v1/subjects/%s/erase" % first, {"reason": "x"}, who="nurse").status == 403, "admins only")
        expect(d.post("/v1/subjects/%s/erase" % first, {}, token=admin).status == 422, "a reason is required")
        # an open case: nothing is erased until it closes
        proc = tsunagu("subject", "erase", "--person", still_open, "--reason", "本人の求め", "--config", d.config)
        expect(proc.returncode == 2 and still_open in proc.stderr, proc.stderr)
        r = d.post("/v1/subjects/%s/erase" % still_open, {"reason": "本人の求め"}, token=admin)
        expect(r.status == 409 and r.json["error"]["code"] == "case_open", r)
        ok(act(d, still_open, "withdraw", "pharmacist", {"reason": "本人の求め"}))
        proc = tsunagu("subject", "erase", "--person", still_open, "--reason", "本人の求め", "--config", d.config)
        expect(proc.returncode == 0 and "erased the personal data of 1 case" in proc.stdout, proc.stdout + proc.stderr)
        who = d.db_rows("SELECT action FROM events WHERE case_id = '' AND action = 'subject_erased'")
        expect(len(who) == 2, who)
        expect(d.db_rows("SELECT count(*) FROM cases") == [(2,)], "counts stay")
        d.stop()
        proc = tsunagu("audit", "verify", "--config", d.config)
        expect(proc.returncode == 0, proc.stdout)


def test_files_and_commands_that_cannot_mislead():
    with Daemon() as d:
        cid, _ = linked_case(d)
        ok(d.post("/v1/resources", {"name": {"ja": "=1+1"}, "category": "participation", "provider": "cafe-tsunagaru"},
                  who="cafe"), 201)
        d.stop()
        mode = stat.S_IMODE(os.stat(d.db).st_mode)
        expect(mode == 0o600, oct(mode))
        for suffix in ("-wal", "-shm"):
            if os.path.exists(d.db + suffix):
                expect(stat.S_IMODE(os.stat(d.db + suffix).st_mode) == 0o600, suffix)
        out = os.path.join(d.tmp, "hsds")
        proc = tsunagu("resources", "export", "--config", d.config, "--format", "csv", "--out", out)
        expect(proc.returncode == 0, proc.stderr)
        text = open(os.path.join(out, "service.csv"), encoding="utf-8-sig").read()
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        expect("'=1+1" in cells and "=1+1" not in cells, [c for c in cells if "1+1" in c])
        fresh = os.path.join(d.tmp, "back.db")
        open(fresh, "w").close()
        proc = tsunagu("resources", "import", "--config", d.config, "--db", fresh, out)
        expect(proc.returncode == 0, proc.stderr)
        names = [json.loads(r[0])["name"]["ja"] for r in sqlite3.connect(fresh).execute("SELECT data FROM resources")]
        expect("=1+1" in names, "the name reads back as it was")
        # a wrong path is an error, for every command but serve
        missing = os.path.join(d.tmp, "nowhere.db")
        for args in (("audit", "verify", "--db", missing), ("report", "funnel", "--db", missing),
                     ("user", "list", "--config", d.config, "--db", missing),
                     ("notifications", "list", "--db", missing)):
            proc = tsunagu(*args)
            expect(proc.returncode == 2 and "no database at " + missing in proc.stderr, (args, proc.stderr))
            expect(not os.path.exists(missing), args)
        # an empty database proves nothing
        empty = os.path.join(d.tmp, "empty.db")
        open(empty, "w").close()
        proc = tsunagu("audit", "verify", "--db", empty)
        expect(proc.returncode == 3 and "ok" not in proc.stdout.lower(), proc.stdout)
        # serve says loudly that it made a new database
        d2 = Daemon()
        try:
            d2.start()
            expect("NEW, EMPTY database" in d2.stderr(), d2.stderr())
        finally:
            d2.cleanup()


def test_roles_fit_the_organisation_and_a_leaving_nurse_hands_over():
    with Daemon() as d:
        proc = tsunagu("user", "add", "--config", d.config, "--org", "pharmacy-hamayuri", "--role", "nurse",
                       "--name", "誤り")
        expect(proc.returncode == 2 and "nurse role is for organisations of the kinds support_centre" in proc.stderr,
               proc.stderr)
        for org, role in (("city-care", "pharmacist"), ("support-centre", "checkup_staff"), ("cafe-tsunagaru", "coordinator")):
            proc = tsunagu("user", "add", "--config", d.config, "--org", org, "--role", role, "--name", "x")
            expect(proc.returncode == 2, (org, role, proc.stderr))
        leaver, leaver_token = add_user(d, "support-centre", "nurse", "保健師 退職予定")
        colleague, _ = add_user(d, "support-centre", "nurse", "保健師 後任")
        expired, _ = add_user(d, "support-centre", "nurse", "保健師 期限", "--expires", "1")
        cids = []
        for i in range(2):
            cid = ok(d.post("/v1/cases", pharmacy_referral(name="引継 %d" % i), who="pharmacist"), 201)["id"]
            ok(act(d, cid, "accept", "nurse"))
            ok(d.post("/v1/cases/%s/assign" % cid, {"user": leaver}, who="nurse"))
            cids.append(cid)
        listed = tsunagu("user", "list", "--config", d.config).stdout.splitlines()
        expect(listed[0].split("\t")[:3] == ["id", "organisation", "roles"], listed[0])
        proc = tsunagu("user", "revoke", leaver, "--config", d.config)
        expect(proc.returncode == 0 and all(c in proc.stdout for c in cids) and "user reassign" in proc.stdout,
               proc.stdout)
        # until reassigned, the cases are in everyone's inbox of the centre
        mine = [c["id"] for c in ok(d.get("/v1/cases?inbox=me", who="nurse2"))["items"]]
        expect(all(c in mine for c in cids), mine)
        r = d.post("/v1/cases/%s/assign" % cids[0], {"user": leaver}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "user", "not to a revoked user")
        _, admin = add_user(d, "support-centre", "admin", "管理者 木村")
        r = d.post("/v1/users/%s/reassign" % leaver, {"to": colleague}, token=admin)
        expect(ok(r)["moved"] == cids, r)
        expect(all(ok(d.get("/v1/cases/" + c, who="nurse"))["assignee"] == colleague for c in cids), "moved")
        expect(d.post("/v1/users/%s/reassign" % leaver, {"to": None}, who="nurse").status == 403, "admins only")
        _, other_admin = add_user(d, "pharmacy-hamayuri", "admin", "薬局 管理者")
        expect(d.post("/v1/users/%s/reassign" % colleague, {"to": None}, token=other_admin).status == 404,
               "another organisation's user is not there")
        events = [r[0] for r in d.db_rows("SELECT action FROM events WHERE case_id = '' ORDER BY seq")]
        for a in ("user_added", "user_revoked", "cases_reassigned", "pathway_published"):
            expect(a in events, (a, events))
        expect(d.db_rows("SELECT count(*) FROM users WHERE id = ?", (expired,)) == [(1,)], "added")
        # an operator's reassignment at the command line (no actor) is no escalation in the reports
        third, _ = add_user(d, "support-centre", "nurse", "保健師 三人目")
        expect(tsunagu("user", "revoke", colleague, "--config", d.config).returncode == 0, "revoked")
        proc = tsunagu("user", "reassign", colleague, "--to", third, "--config", d.config)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        marks = "(%s)" % ",".join("?" * len(cids))
        expect(d.db_rows("SELECT sum(escalations) FROM case_summaries WHERE case_id IN " + marks, tuple(cids)) == [(0,)],
               "no escalation")
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0 and "summaries agree" in proc.stdout, proc.stdout + proc.stderr)


def own_pathways(d):
    """Points the daemon's config at a copy of the pathways it may change; returns the folder."""
    import shutil
    folder = os.path.join(d.tmp, "pathways")
    shutil.copytree(path("pathways"), folder)
    text = open(d.config, encoding="utf-8").read().replace("pathways: " + path("pathways"), "pathways: " + folder)
    open(d.config, "w", encoding="utf-8").write(text)
    return folder


def test_one_bad_pathway_file_does_not_take_the_service_down_and_check_says_so_first():
    d = Daemon()
    try:
        d.start()
        d.stop()
        folder = own_pathways(d)
        pharmacy = os.path.join(folder, "pharmacy.yaml")
        good = open(pharmacy, encoding="utf-8").read()
        open(pharmacy, "w", encoding="utf-8").write(good.replace("inbox: receiver", "inbox: nowhere", 1))
        proc = tsunagu("check", "--config", d.config)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        expect(": warning: unknown inbox 'nowhere'" in proc.stderr or "warning:" in proc.stderr, proc.stderr)
        expect("pharmacy.yaml:" in proc.stderr and "degraded" in proc.stdout, proc.stdout + proc.stderr)
        proc = tsunagu("check", "--config", d.config, "--db", d.db)
        expect(proc.returncode == 0 and "serve would run pathway 'pharmacy' on version 2" in proc.stderr, proc.stderr)
        d.start()
        health = ok(d.get("/healthz"))
        expect(health["status"] == "degraded" and "pharmacy" in health["reasons"][0], health)
        expect(ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)["pathway_version"] == 2,
               "the last published version keeps running")
        d.stop()
        # a changed file without a new version: check --db says what serve would refuse
        open(pharmacy, "w", encoding="utf-8").write(good.replace("受付待ち", "受付待ち（変更）", 1))
        proc = tsunagu("check", "--config", d.config, "--db", d.db)
        expect(proc.returncode == 2 and "version 2 is already in use with other content" in proc.stderr, proc.stderr)
        # and so does check alone (the unit's ExecStartPre): the config names the database
        proc = tsunagu("check", "--config", d.config)
        expect(proc.returncode == 2 and "version 2 is already in use with other content" in proc.stderr, proc.stderr)
        proc = tsunagu("serve", "--config", d.config, "--listen", "127.0.0.1:0")
        expect(proc.returncode == 2, proc.stderr)
        open(pharmacy, "w", encoding="utf-8").write(good)
        # a time zone serve would refuse is refused by check, at its line and column
        text = open(d.config, encoding="utf-8").read()
        open(d.config, "w", encoding="utf-8").write(text.replace("time_zone: Asia/Tokyo", "time_zone: Mars/Olympus"))
        proc = tsunagu("check", "--config", d.config)
        expect(proc.returncode == 2 and re.search(r"tsunagu.yaml:\d+:\d+: error: unknown time zone 'Mars/Olympus'",
                                                  proc.stderr), proc.stderr)
    finally:
        d.cleanup()
