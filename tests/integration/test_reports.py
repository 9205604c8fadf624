"""Coordinators' reports: funnel and business-day durations by pathway and by
fiscal year in the Japanese era, checked against counts worked out by hand from
the activity the test itself performs; CSV as Excel reads it (UTF-8 with BOM,
and CP932 with the 〓 rule)."""
from daemon import Daemon, pharmacy_referral
from helpers import expect

CONFIG = "\nallow_test_clock: true\n"


def at(d, when):
    r = d.post("/v1/test/clock", {"now": when}, who="coordinator", check_contract=False)
    expect(r.status == 200, r)


def act(d, cid, step, fields=None, who="nurse"):
    r = d.post("/v1/cases/%s/actions/%s" % (cid, step), {"fields": fields} if fields else {}, who=who)
    expect(r.status == 200, r)
    return r.json


def activity(d):
    import time
    at(d, "2026-03-02T10:00:00+09:00")                    # FY2025 (令和7年度), a Monday
    a = d.post("/v1/cases", pharmacy_referral(name="Ａ"), who="pharmacist").json["id"]
    b = d.post("/v1/cases", pharmacy_referral(name="Ｂ"), who="pharmacist").json["id"]
    at(d, "2026-03-03T09:00:00+09:00")
    act(d, b, "withdraw", {"reason": "本人の希望"}, who="pharmacist")
    at(d, "2026-03-04T11:00:00+09:00")                    # 2 business days after opening
    act(d, a, "accept")
    at(d, "2026-03-05T11:00:00+09:00")
    act(d, a, "record_contact", {"contact_on": "2026-03-05", "contact_method": "visit"})
    act(d, a, "link", {"linked_summary": "カフェ"})
    act(d, a, "send_feedback", {"feedback_message": "済", "follow_up_on": "2026-06-01"})
    at(d, "2026-03-10T11:00:00+09:00")
    act(d, a, "close", {"outcome": "linked"})
    at(d, "2026-05-01T15:00:00+09:00")                    # FY2026 (令和8年度)
    c = d.post("/v1/cases", pharmacy_referral(name="Ｃ"), who="pharmacist").json["id"]
    at(d, "2026-05-13T09:00:00+09:00")                    # reminder (5/8) and escalation (5/13) fire
    deadline = time.time() + 10
    while d.get("/v1/cases/" + c, who="nurse").json["state"] != "escalated":
        expect(time.time() < deadline, "the escalation")
        time.sleep(0.02)
    at(d, "2026-05-14T10:00:00+09:00")
    act(d, c, "accept")
    act(d, c, "close", {"outcome": "self_managed"})
    at(d, "2026-06-10T10:00:00+09:00")
    hc = {"pathway": "health-checkup", "subject": {"name": "Ｄ", "birth_date": "1949-06-01", "area": "unosumai"},
          "fields": {"checkup_date": "2026-06-10", "person_id": "H-1", "q13": "いいえ"}}
    d.post("/v1/cases", hc, who="checkup")
    hc["fields"] = {"checkup_date": "2026-06-10", "person_id": "H-2", "q13": "はい"}
    e = d.post("/v1/cases", hc, who="checkup").json["id"]
    act(d, e, "letter_sent", {"letter_sent_on": "2026-06-10"}, who="checkup")


def rows_by(report, key):
    return {(r["pathway"], r.get(key)): r for r in report["rows"]}


def test_funnel_and_durations_match_the_activity():
    d = Daemon(CONFIG)
    try:
        d.start(test_clock="2026-03-01T09:00:00+09:00")
        activity(d)
        funnel = d.get("/v1/reports/funnel", who="coordinator").json
        rows = rows_by(funnel, "group")
        ph, hc = rows[("pharmacy", None)], rows[("health-checkup", None)]
        expect(ph["cases"] == 3 and ph["label"] == "薬局を起点とした社会的処方連携パス", ph)
        expect(ph["milestones"] == {"opened": 3, "accepted": 2, "contacted": 1, "linked": 1, "feedback": 1,
                                    "closed": 3}, ph["milestones"])
        expect(ph["outcomes"] == {"withdrawn": 1, "linked": 1, "self_managed": 1}, ph["outcomes"])
        expect(hc["cases"] == 2 and hc["milestones"]["closed"] == 1 and hc["milestones"]["accepted"] == 0, hc)
        expect(hc["outcomes"] == {"information_provided": 1}, hc["outcomes"])

        fy = rows_by(d.get("/v1/reports/funnel?group_by=fiscal_year", who="coordinator").json, "group")
        expect(fy[("pharmacy", "FY2025")]["label"] == "令和7年度" and fy[("pharmacy", "FY2025")]["label_short"] == "R7年度",
               fy[("pharmacy", "FY2025")])
        expect(fy[("pharmacy", "FY2025")]["cases"] == 2 and fy[("pharmacy", "FY2026")]["cases"] == 1, fy)
        expect(fy[("health-checkup", "FY2026")]["label"] == "令和8年度", fy)
        period = d.get("/v1/reports/funnel?from=2026-04-01&to=2027-03-31", who="coordinator").json
        expect(rows_by(period, "group")[("pharmacy", None)]["cases"] == 1 and period["from"] == "2026-04-01", period)

        durations = rows_by(d.get("/v1/reports/durations?group_by=fiscal_year", who="coordinator").json, "group")
        old, new = durations[("pharmacy", "FY2025")], durations[("pharmacy", "FY2026")]
        first = {(x["from"], x["to"]): x for x in old["business_days"]}
        expect(first[("opened", "accepted")] == {"from": "opened", "to": "accepted", "cases": 1, "median": 2.0,
                                                 "p90": 2, "max": 2}, first[("opened", "accepted")])
        # 3/2 -> 3/10: 3/3, 3/4, 3/5, 3/6, 3/9, 3/10 (B was withdrawn on 3/3: 1 day)
        expect(first[("opened", "closed")]["cases"] == 2 and first[("opened", "closed")]["max"] == 6, first)
        expect(first[("opened", "closed")]["median"] == 3.5, first[("opened", "closed")])
        second = {(x["from"], x["to"]): x for x in new["business_days"]}
        # 5/1 -> 5/14: 5/7, 5/8, 5/11, 5/12, 5/13, 5/14 (Golden Week skipped)
        expect(second[("opened", "accepted")]["median"] == 6.0, second[("opened", "accepted")])
        # A's acceptance reminder fell due on 3/4 at 08:30, before it was accepted at 11:00
        expect(new["reminders"] == 1 and new["escalations"] == 1 and old["reminders"] == 1, (old, new))
        expect(d.get("/v1/reports/funnel", who="nurse").status == 403, "coordinators only")
        expect(d.get("/v1/reports/funnel?group_by=colour", who="coordinator").status == 422, "bad group")
    finally:
        d.cleanup()


def test_csv_opens_in_excel_utf8_bom_and_cp932_with_the_unmappable_rule():
    import csv
    import io
    d = Daemon(CONFIG)
    try:
        text = open(d.config, encoding="utf-8").read()
        text = text.replace("ja: はまゆり薬局", "ja: 髙橋①薬局～㈱").replace("ja: みなと薬局 中妻店", "ja: 𠮷田薬局")
        open(d.config, "w", encoding="utf-8").write(text)
        d.start(test_clock="2026-03-01T09:00:00+09:00")
        at(d, "2026-03-02T10:00:00+09:00")
        d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        d.post("/v1/cases", pharmacy_referral(), who="pharmacist2")
        r = d.get("/v1/reports/funnel?group_by=origin", who="coordinator", headers={"Accept": "text/csv"})
        expect(r.status == 200 and r.raw.startswith(b"\xef\xbb\xbf"), r.raw[:20])
        rows = list(csv.reader(io.StringIO(r.raw.decode("utf-8-sig"))))
        expect(rows[0][:6] == ["pathway", "pathway_version", "group", "label", "label_short", "cases"], rows[0])
        labels = {row[3] for row in rows[1:]}
        expect({"髙橋①薬局～㈱", "𠮷田薬局"} <= labels, labels)
        r = d.get("/v1/reports/funnel?group_by=origin", who="coordinator",
                  headers={"Accept": "text/csv; charset=Shift_JIS"})
        expect(r.header("Content-Type") == "text/csv; charset=Shift_JIS", r.headers)
        expect(r.header("Tsunagu-Unmappable") == "1", r.headers)
        decoded = r.raw.decode("cp932")
        expect("髙橋①薬局～㈱" in decoded, decoded)
        expect("〓田薬局" in decoded and "𠮷" not in decoded, decoded)
        expect("注記: Shift_JIS で表せない文字 1 字を〓に置き換えました" in decoded, decoded)
        r = d.get("/v1/reports/durations", who="coordinator", headers={"Accept": "text/csv; charset=Shift_JIS"})
        expect(r.header("Tsunagu-Unmappable") == "0" and "注記" not in r.raw.decode("cp932"), r.headers)
        # the weights of Accept are honoured: a CSV weighed 0, or below JSON, is not what is asked for
        for accept in ("text/csv;q=0, application/json", "application/json, text/csv;q=0.1", "*/*", "text/*"):
            r = d.get("/v1/reports/funnel", who="coordinator", headers={"Accept": accept})
            expect(r.status == 200 and r.header("Content-Type").startswith("application/json"), (accept, r.headers))
        for accept in ("application/json;q=0.5, text/csv", "TEXT/CSV; Q=1.0", "text/csv;charset=UTF-8"):
            r = d.get("/v1/reports/funnel", who="coordinator", headers={"Accept": accept})
            expect(r.status == 200 and r.header("Content-Type") == "text/csv; charset=utf-8", (accept, r.headers))
        # a charset no CSV of ours is written in is refused, not silently replaced
        r = d.get("/v1/reports/funnel", who="coordinator", headers={"Accept": "text/csv; charset=euc-jp"})
        expect(r.status == 406 and r.json["error"]["code"] == "not_acceptable", r)
        r = d.get("/v1/audit/access", who="coordinator", headers={"Accept": "text/csv; charset=Shift_JIS"})
        expect(r.status == 406 and r.json["error"]["field"] == "Accept", r)
        r = d.get("/v1/reports/funnel?form=2026-01-01", who="coordinator")
        expect(r.status == 422 and r.json["error"]["code"] == "unknown_field" and r.json["error"]["field"] == "form", r)
    finally:
        d.cleanup()


def test_command_line_gives_the_same_numbers():
    import csv
    import io
    import json
    from helpers import tsunagu
    d = Daemon(CONFIG)
    try:
        d.start(test_clock="2026-03-01T09:00:00+09:00")
        activity(d)
        api = d.get("/v1/reports/durations?group_by=fiscal_year", who="coordinator").json
        # a period that ends before it begins is an error, not an empty report
        r = d.get("/v1/reports/funnel?from=2027-01-01&to=2026-01-01", who="coordinator")
        expect(r.status == 422 and r.json["error"]["field"] == "to", r)
        d.stop()
        proc = tsunagu("report", "funnel", "--config", d.config, "--from", "2027-01-01", "--to", "2026-01-01")
        expect(proc.returncode == 2 and "before --from" in proc.stderr, proc.stderr)
        proc = tsunagu("report", "durations", "--config", d.config, "--group-by", "fiscal_year")
        expect(proc.returncode == 0 and json.loads(proc.stdout) == api, proc.stdout[:300] + proc.stderr)
        proc = tsunagu("report", "funnel", "--config", d.config, "--format", "csv", "--from", "2026-04-01")
        rows = list(csv.reader(io.StringIO(proc.stdout.encode("utf-8").decode("utf-8-sig"))))
        by = {r[0]: r for r in rows[1:]}
        expect(by["pharmacy"][5] == "1" and by["health-checkup"][5] == "2", rows)
        proc = tsunagu("report", "funnel", "--config", d.config, "--group-by", "colour")
        expect(proc.returncode == 2, proc.returncode)
    finally:
        d.cleanup()


def test_the_summaries_reports_read_are_what_the_events_say():
    """Reports read one summary row per case, kept with each event; a test works the same reports out from the
    events alone (the summaries removed, as for a database from before them) and finds them equal, and
    `audit verify` holds every summary to its events."""
    import json
    import sqlite3
    from helpers import tsunagu
    d = Daemon(CONFIG)
    try:
        d.start(test_clock="2026-03-01T09:00:00+09:00")
        activity(d)
        d.stop()
        reports = [("funnel", "pathway"), ("funnel", "fiscal_year"), ("durations", "pathway"),
                   ("durations", "area"), ("durations", "fiscal_year")]
        from_summaries = {}
        for report, group in reports:
            proc = tsunagu("report", report, "--config", d.config, "--group-by", group)
            expect(proc.returncode == 0, proc.stderr)
            from_summaries[(report, group)] = json.loads(proc.stdout)
        n_cases = d.db_rows("SELECT count(*) FROM cases")[0][0]
        expect(d.db_rows("SELECT count(*) FROM case_summaries")[0][0] == n_cases, "a summary per case")
        rem, esc = d.db_rows("SELECT sum(reminders), sum(escalations) FROM case_summaries")[0]
        expect(rem >= 1 and esc >= 1, (rem, esc))
        proc = tsunagu("audit", "verify", "--config", d.config)
        expect(proc.returncode == 0 and "summaries agree" in proc.stdout, proc.stdout + proc.stderr)
        # from the events alone: the same numbers
        c = sqlite3.connect(d.db)
        c.execute("DELETE FROM case_summaries")
        c.commit()
        c.close()
        for report, group in reports:
            proc = tsunagu("report", report, "--config", d.config, "--group-by", group)
            expect(json.loads(proc.stdout) == from_summaries[(report, group)], (report, group, proc.stdout[:400]))
        # a command that writes an event on a case with no summary yet (an erasure after an upgrade, before
        # any daemon started) makes its summary whole from its events, not from that one event
        closed = d.db_rows("SELECT id FROM cases WHERE closed_at IS NOT NULL ORDER BY opened_at LIMIT 1")[0][0]
        proc = tsunagu("subject", "erase", "--person", closed, "--reason", "本人の求め", "--config", d.config)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        expect(d.db_rows("SELECT count(*) FROM case_summaries")[0][0] == 1, "the erased case's summary")
        proc = tsunagu("audit", "verify", "--config", d.config)
        expect(proc.returncode == 0 and "summaries agree" in proc.stdout, proc.stdout + proc.stderr)
        for report, group in reports:
            proc = tsunagu("report", report, "--config", d.config, "--group-by", group)
            expect(json.loads(proc.stdout) == from_summaries[(report, group)], (report, group, proc.stdout[:400]))
        # the daemon's start summarises what has none, and the numbers stay
        d.start(test_clock="2026-06-11T09:00:00+09:00")
        expect("cases summarised from their events" in d.stderr(), d.stderr())
        d.stop()
        expect(d.db_rows("SELECT count(*) FROM case_summaries")[0][0] == n_cases, "summarised again")
        proc = tsunagu("report", "durations", "--config", d.config, "--group-by", "fiscal_year")
        expect(json.loads(proc.stdout) == from_summaries[("durations", "fiscal_year")], proc.stdout[:400])
        # a summary changed by hand is found
        c = sqlite3.connect(d.db)
        c.execute("UPDATE case_summaries SET reminders = reminders + 5 WHERE case_id = "
                  "(SELECT case_id FROM case_summaries ORDER BY case_id LIMIT 1)")
        c.commit()
        c.close()
        proc = tsunagu("audit", "verify", "--config", d.config)
        expect(proc.returncode == 3 and "SUMMARY DIFFERS" in proc.stdout and "reminders" in proc.stdout, proc.stdout)
    finally:
        d.cleanup()
