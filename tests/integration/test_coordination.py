"""The coordinators' own work as pathways about no person (subject: none): the consultation desk, the
register of coordination issues and the meeting log. The tally report reproduces the seed's H29–R6
table of consultations from imported counts plus recorded consultations; the timeline reproduces the
shape of the pharmacists' A–G table; the records are the coordinators' alone, access-logged when read,
reached by erasure; meetings name the issues and consultations they dealt with."""
import json

from daemon import Daemon, pharmacy_referral
from helpers import expect, tsunagu, wait_for

CATEGORIES = ["coordination_system", "project_requests", "about_the_team", "liaison", "data_requests", "other"]
TITLES = ["地域の連携体制に関する相談", "事業に関する相談・協力依頼等", "チームかまいしに関する問い合わせ",
          "他部署・他機関への相談等の調整", "データ提供依頼", "その他"]
# the seed's table: 相談内容の推移, H29年度 to R6年度, a row per category
SEED = [[7, 4, 3, 0, 4, 5, 3, 2],
        [20, 23, 20, 4, 6, 3, 5, 11],
        [16, 4, 5, 4, 5, 3, 5, 0],
        [17, 13, 11, 13, 15, 13, 8, 10],
        [5, 5, 6, 3, 1, 6, 2, 16],
        [0, 0, 1, 1, 0, 2, 1, 0]]
YEARS = ["H29年度", "H30年度", "R1年度", "R2年度", "R3年度", "R4年度", "R5年度", "R6年度"]


def consultation(received_on, category, **fields):
    body = {"received_on": received_on, "affiliation": "pharmacists_association", "method": "phone",
            "category": category, "content": "連携の進め方についての相談"}
    body.update(fields)
    return {"pathway": "consultation-desk", "fields": body}


def test_the_consultation_desk_reproduces_the_seeds_table_from_imported_counts_and_records():
    with Daemon() as d:
        # the years before the system: counts only, years and categories as people write them
        lines = ["fiscal_year,category,count"]
        for y, label in enumerate(["H29", "平成30年度", "R元", "2020", "令和3年度", "R4年度", "FY2023"]):
            for c in range(6):
                lines.append("%s,%s,%d" % (label, TITLES[c] if c % 2 else CATEGORIES[c], SEED[c][y]))
        csv = ("\n".join(lines) + "\n").encode()
        url = "/v1/reports/tally?pathway=consultation-desk&field=category"
        r = d.request("POST", url, raw_body=csv, who="coordinator", headers={"Content-Type": "text/csv"})
        expect(r.status == 200 and r.json["imported"] == 42, r)
        # a bad file is refused whole, every bad line named
        bad = b"fiscal_year,category,count\nH29,coordination_system,3\nX1,other,2\nH30,no_such,1\nH31,other,-4\n"
        r = d.request("POST", url, raw_body=bad, who="coordinator", headers={"Content-Type": "text/csv"})
        expect(r.status == 422 and "line 3" in r.json["error"]["message"], r)
        expect(len(r.json["error"].get("problems", [])) >= 3 or "line 5" in json.dumps(r.json), r.json)
        r = d.request("POST", url, raw_body=b"year,category,count\n", who="coordinator",
                      headers={"Content-Type": "text/csv"})
        expect(r.status == 422 and r.json["error"]["code"] == "missing_column", r)
        for who in ("nurse", "pharmacist"):
            expect(d.request("POST", url, raw_body=csv, who=who, headers={"Content-Type": "text/csv"}).status == 403,
                   who)

        # R6 (FY2024) recorded one by one, through the API, as the desk received them
        day = 0
        for c in range(6):
            for _ in range(SEED[c][7]):
                day += 1
                r = d.post("/v1/cases", consultation("2024-%02d-%02d" % (4 + day // 28, 1 + day % 28), CATEGORIES[c]),
                           who="coordinator")
                expect(r.status == 201 and r.json["subject"] is None, r)
        # one received in H28 and solved in H29 (the seed's examples run across fiscal years)
        old = d.post("/v1/cases", consultation("2016-11-10", "project_requests"), who="coordinator").json["id"]
        expect(d.post("/v1/cases/%s/actions/respond" % old, {"fields": {"response": "研修の企画を相談"}},
                      who="coordinator").status == 200, "respond")
        r = d.post("/v1/cases/%s/actions/carry_out" % old,
                   {"fields": {"solution_on": "2017-06-20", "solution": "病院職員対象の研修会を共催"}}, who="coordinator")
        expect(r.status == 200 and r.json["state"] == "resolved", r)

        r = d.get(url + "&date=received_on&from_year=H29&to_year=R6", who="coordinator")
        expect(r.status == 200, r)
        t = r.json
        expect([y["short"] for y in t["fiscal_years"]] == YEARS, t["fiscal_years"])
        expect([row["value"] for row in t["rows"]] == CATEGORIES, t["rows"])
        expect([row["title"]["ja"] for row in t["rows"]] == TITLES, t["rows"])
        expect([row["counts"] for row in t["rows"]] == SEED, [row["counts"] for row in t["rows"]])
        expect([row["recorded"][7] for row in t["rows"]] == [s[7] for s in SEED] and
               all(row["imported"][7] == 0 and row["recorded"][0] == 0 for row in t["rows"]),
               "R6 recorded, the years before imported")
        expect(t["totals"] == [sum(s[y] for s in SEED) for y in range(8)], t["totals"])
        # the list of a fiscal year's records, by the date the desk received them (or by their opening)
        listed = d.get("/v1/cases?pathway=consultation-desk&fiscal_year=R6&date_field=received_on&limit=500",
                       who="coordinator").json["items"]
        expect(len(listed) == sum(s[7] for s in SEED) and all(c["fields"]["received_on"] >= "2024-04-01" and
                                                             c["fields"]["received_on"] <= "2025-03-31" for c in listed),
               len(listed))
        from urllib.parse import quote
        h28 = d.get("/v1/cases?pathway=consultation-desk&fiscal_year=%s&date_field=received_on" % quote("平成28年度"),
                    who="coordinator").json["items"]
        expect([c["id"] for c in h28] == [old], h28)
        opened = d.get("/v1/cases?pathway=consultation-desk&fiscal_year=R8&limit=500", who="coordinator").json["items"]
        expect(len(opened) == sum(s[7] for s in SEED) + 1, "all opened this fiscal year")
        for q, field in (("&fiscal_year=X", "fiscal_year"), ("&date_field=received_on", "fiscal_year"),
                         ("&fiscal_year=R6&date_field=category", "date_field")):
            r = d.get("/v1/cases?pathway=consultation-desk" + q, who="coordinator")
            expect(r.status == 422 and r.json["error"]["field"] == field, (q, r))
        # without a range: from the first year with a count (the H28 consultation)
        whole = d.get(url + "&date=received_on", who="coordinator").json
        expect(whole["fiscal_years"][0]["short"] == "H28年度" and whole["rows"][1]["counts"][0] == 1, whole["rows"][1])
        # the same table as CSV for Excel, no cell a formula
        r = d.get(url + "&date=received_on&from_year=2017&to_year=2024", who="coordinator",
                  headers={"Accept": "text/csv"})
        text = r.raw.decode("utf-8-sig")
        expect(r.status == 200 and text.splitlines()[0] == "category,title," + ",".join(YEARS) + ",total", text)
        expect(text.splitlines()[1] == "coordination_system,地域の連携体制に関する相談,7,4,3,0,4,5,3,2,28", text)
        # bad queries name the parameter
        for q, field in (("&field=content", "field"), ("&date=category", "date"), ("&from_year=X", "from_year"),
                         ("&from_year=R6&to_year=H29", "from_year")):
            r = d.get("/v1/reports/tally?pathway=consultation-desk" + ("" if "field=" in q else "&field=category") + q,
                      who="coordinator")
            expect(r.status == 422 and r.json["error"]["field"] == field, (q, r))
        expect(d.get(url, who="nurse").status == 403, "coordinators only")
        # the tables are of records about no person: a pathway about people has its funnel, not these
        r = d.get("/v1/reports/tally?pathway=health-checkup&field=q2", who="coordinator")
        expect(r.status == 422 and r.json["error"]["field"] == "pathway", r)
        r = d.get("/v1/reports/timeline?pathway=health-checkup&action=record_contact&year=contact_on&kind=contact_method"
                  "&note=assessment_note", who="coordinator")
        expect(r.status == 422 and r.json["error"]["field"] == "pathway", r)
        # a file of the same row thousands of times: refused at once, the problems counted, not each listed
        flood = ("fiscal_year,category,count\n" + "H29,other,1\n" * 5000).encode()
        import time
        began = time.time()
        r = d.request("POST", url, raw_body=flood, who="coordinator", headers={"Content-Type": "text/csv"})
        expect(r.status == 422 and len(r.text) < 100000 and time.time() - began < 10 and
               "more lines like these" in r.text, (r.status, len(r.text)))
        d.stop()
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)


def test_records_about_no_person_are_the_coordinators_alone_and_logged_when_read():
    with Daemon() as d:
        # no person: a subject or a consent is refused, and only coordinators open a record
        body = consultation("2026-11-02", "liaison")
        r = d.post("/v1/cases", dict(body, subject={"name": "誰か", "birth_date": "1940-01-01", "area": "kamaishi"}),
                   who="coordinator")
        expect(r.status == 422 and r.json["error"]["field"] == "subject", r)
        expect(d.post("/v1/cases", body, who="nurse").status == 403, "a nurse does not open a consultation")
        r = d.post("/v1/cases", body, who="coordinator")
        expect(r.status == 201 and r.json["subject"] is None and r.json["receiver"] is None, r)
        cid = r.json["id"]
        expect(d.get("/v1/pathways/consultation-desk", who="coordinator").json["subject"] == "none", "subject: none")
        # another organisation cannot tell it exists
        for who in ("nurse", "pharmacist", "welfare", "checkup"):
            r = d.get("/v1/cases/" + cid, who=who)
            expect(r.status == 404, (who, r))
        # nothing of a person: no links, no corrections of a person, no provision record
        r = d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-kamaishi"}, who="coordinator")
        expect(r.status in (403, 409) and r.json["error"]["code"] in ("action_not_available", "forbidden"), r)
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"name": "x"}, who="coordinator")
        expect(r.status in (403, 409), r)
        expect(d.db_rows("SELECT count(*) FROM provisions WHERE case_id = ?", (cid,)) == [(0,)], "no provision")
        # a read of its texts is access-logged; the list shows its fields where a person would be
        before = d.db_rows("SELECT count(*) FROM access_log WHERE case_id = ?", (cid,))[0][0]
        r = d.get("/v1/cases/" + cid, who="coordinator")
        expect(r.status == 200 and r.json["fields"]["content"], r.json)
        listed = d.get("/v1/cases?pathway=consultation-desk", who="coordinator").json["items"]
        expect(listed[0]["fields"]["category"] == "liaison" and listed[0]["subject"] is None, listed)
        after = d.db_rows("SELECT count(*) FROM access_log WHERE case_id = ?", (cid,))[0][0]
        expect(after >= before + 2, (before, after))
        # the city's admin who keeps no records is no party to them: the coordinators' alone
        p = tsunagu("user", "add", "--config", d.config, "--org", "city-care", "--role", "admin", "--name", "市 管理者")
        expect(p.returncode == 0, p.stderr)
        plain_admin = p.stdout.strip().splitlines()[-1]
        expect(d.get("/v1/cases/" + cid, token=plain_admin).status == 404, "not the admin's")
        expect(not d.get("/v1/cases?pathway=consultation-desk", token=plain_admin).json["items"], "nor in its lists")
        expect(d.get("/v1/reports/tally?pathway=consultation-desk&field=category", token=plain_admin).status == 403,
               "nor its tables")
        # closed, then erased by a coordinator who is the city's admin: the free texts go, the category stays
        expect(d.post("/v1/cases/%s/actions/answer" % cid, {"fields": {"response": "窓口を案内"}},
                      who="coordinator").status == 200, "answered")
        p = tsunagu("user", "add", "--config", d.config, "--org", "city-care", "--roles", "coordinator,admin", "--name",
                    "市 管理者・コーディネーター")
        expect(p.returncode == 0, p.stderr)
        admin = p.stdout.strip().splitlines()[-1]
        r = d.post("/v1/subjects/%s/erase" % cid, {"reason": "本文に個人名が書かれていたため"}, token=admin)
        expect(r.status == 200, r)
        fields = json.loads(d.db_rows("SELECT fields FROM cases WHERE id = ?", (cid,))[0][0])
        expect("content" not in fields and "response" not in fields and fields.get("category") == "liaison", fields)
        t = d.get("/v1/reports/tally?pathway=consultation-desk&field=category", who="coordinator").json
        expect(sum(t["totals"]) == 1, t)
        d.stop()
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)


def issue(d, code, text):
    r = d.post("/v1/cases", {"pathway": "coordination-issues", "fields": {
        "code": code, "issue": text, "profession": "pharmacists", "raised_year": 2012}}, who="coordinator")
    expect(r.status == 201, r)
    return r.json["id"]


def test_the_issue_register_and_meetings_reproduce_the_pharmacists_table_by_fiscal_year():
    with Daemon() as d:
        ids = {}
        for code, text in (("A", "ケアマネジャーの顔が分からない"), ("B", "認知症？虐待？どこに相談すればよいの？"),
                           ("C", "ケアカンファレンスに呼ばれない"), ("D", "訪問のきっかけがつかめない"),
                           ("E", "病院薬剤師と薬局薬剤師の連携"), ("F", "「訪問指示」の処方箋が来ない"),
                           ("G", "薬剤師の職能が認知されていない")):
            ids[code] = issue(d, code, text)
        for code in ids:
            layer = "within_profession" if code in "EG" else "between_professions"
            expect(d.post("/v1/cases/%s/actions/classify" % ids[code], {"fields": {"layer": layer}},
                          who="coordinator").status == 200, code)

        def act(code, kind, year, note):
            r = d.post("/v1/cases/%s/actions/record_action" % ids[code],
                       {"fields": {"action_kind": kind, "action_year": year, "action_note": note}}, who="coordinator")
            expect(r.status == 200 and r.json["state"] == "working", r)
        for code in "CDFG":
            act(code, "secondary", 2013, "医療機関と連携した在宅訪問研修実施 計3回")
        for code in "AB":
            act(code, "publicity", 2013, "チームかまいしの役割周知")
        act("G", "joint_project", 2012, "薬剤師居宅療養管理指導見学研修 実施")
        for code in "BDG":
            act(code, "secondary", 2017, "多職種研修会「地域包括ケアにおける薬剤師の役割」実施")
        for code in "BG":
            act(code, "secondary", 2023, "薬剤師×市保健師「脳卒中発症リスク軽減の普及啓発キャンペーン」")
        expect(d.post("/v1/cases/%s/actions/solve" % ids["F"], {"fields": {"solved_year": 2019}},
                      who="coordinator").json["state"] == "solved", "F solved")

        url = ("/v1/reports/timeline?pathway=coordination-issues&action=record_action&year=action_year"
               "&kind=action_kind&label=code&note=action_note")
        r = d.get(url, who="coordinator")
        expect(r.status == 200, r)
        years = {y["short"]: y for y in r.json["fiscal_years"]}
        expect(list(years) == ["H24年度", "H25年度", "H29年度", "R5年度"], list(years))
        expect(years["H24年度"]["cases"] == ["G"] and years["H25年度"]["cases"] == list("ABCDFG") and
               years["H29年度"]["cases"] == list("BDG") and years["R5年度"]["cases"] == list("BG"), years)
        marks = {e["kind_title"]["ja"][0] for e in years["H25年度"]["entries"]}
        expect(marks == {"◆", "★"}, marks)
        expect(years["H24年度"]["entries"][0]["kind_title"]["ja"] == "◇ 協働事業", years["H24年度"])
        r = d.get(url + "&from_year=H29", who="coordinator")
        expect([y["short"] for y in r.json["fiscal_years"]] == ["H29年度", "R5年度"], r.json)
        r = d.get(url.replace("action=record_action", "action=nothing"), who="coordinator")
        expect(r.status == 422 and r.json["error"]["field"] == "action", r)
        # reading the notes is access-logged
        expect(d.db_rows("SELECT count(*) FROM access_log WHERE what = 'report.timeline'")[0][0] >= 2, "logged")
        # the register is confidential to the coordinators ("部外秘")
        for who in ("pharmacist", "nurse", "welfare"):
            expect(d.get("/v1/cases/" + ids["A"], who=who).status == 404, who)
            expect(not d.get("/v1/cases?pathway=coordination-issues", who=who).json["items"], who)
            expect(d.get(url, who=who).status == 403, who)

        # a first-tier meeting with the pharmacists' association: the organisations present, the issues and
        # the consultation it dealt with
        consult = d.post("/v1/cases", consultation("2026-10-01", "project_requests"), who="coordinator").json["id"]
        meeting = {"pathway": "coordination-meetings", "fields": {
            "held_on": "2026-10-15", "layer": "primary", "meeting_name": "薬剤師会との打ち合わせ会",
            "organisations": ["pharmacy-hamayuri", "pharmacy-minato", "city-care"],
            "issues": [ids["B"], ids["G"]], "consultations": [consult]}}
        r = d.post("/v1/cases", meeting, who="coordinator")
        expect(r.status == 201 and r.json["fields"]["issues"] == [ids["B"], ids["G"]], r)
        mid = r.json["id"]
        # what it names must be cases of the named pathways that the coordinator stands on
        pharmacy_case = d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        expect(pharmacy_case.status == 201, pharmacy_case)
        for wrong in (["c_nothing"], [consult], [ids["B"], ids["B"]], "B", ["c_%020d" % i for i in range(65)]):
            body = json.loads(json.dumps(meeting))
            body["fields"]["issues"] = wrong
            r = d.post("/v1/cases", body, who="coordinator")
            expect(r.status == 422 and "issues" in (r.json["error"]["field"] or ""), (wrong, r))
        body = json.loads(json.dumps(meeting))
        body["fields"]["organisations"] = ["no-such-org"]
        expect(d.post("/v1/cases", body, who="coordinator").status == 422, "an unknown organisation")
        body = json.loads(json.dumps(meeting))
        body["fields"]["consultations"] = [pharmacy_case.json["id"]]
        expect(d.post("/v1/cases", body, who="coordinator").status == 422, "a referral is no consultation")
        r = d.post("/v1/cases/%s/actions/amend" % mid, {"fields": {"issues": [ids["A"]], "summary": "顔合わせ"}},
                   who="coordinator")
        expect(r.status == 200 and r.json["fields"]["issues"] == [ids["A"]], r)
        # the pathway says what each field names
        pw = d.get("/v1/pathways/coordination-meetings", who="coordinator").json
        f = {x["name"]: x for x in pw["fields"]}
        expect(f["issues"]["type"] == "cases" and f["issues"]["pathways"] == ["coordination-issues"] and
               f["organisations"]["type"] == "orgs", f)
        d.stop()
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)


def test_the_command_line_imports_counts_and_prints_the_tables():
    import os
    with Daemon() as d:
        d.stop()
        counts = os.path.join(d.tmp, "counts.csv")
        lines = ["fiscal_year,category,count"] + ["%s,%s,%d" % (YEARS[y][:-2], CATEGORIES[c], SEED[c][y])
                                                  for y in range(8) for c in range(6)]
        open(counts, "w", encoding="utf-8").write("\n".join(lines) + "\n")
        p = tsunagu("report", "import-tally", "--config", d.config, "--pathway", "consultation-desk", "--field",
                    "category", counts)
        expect(p.returncode == 0 and "48 counts" in p.stdout, p.stdout + p.stderr)
        p = tsunagu("report", "tally", "--config", d.config, "--pathway", "consultation-desk", "--field", "category",
                    "--date", "received_on")
        expect(p.returncode == 0 and [r["counts"] for r in json.loads(p.stdout)["rows"]] == SEED, p.stdout)
        p = tsunagu("report", "tally", "--config", d.config, "--pathway", "consultation-desk", "--field", "category",
                    "--format", "csv", "--from-year", "R5")
        expect(p.returncode == 0 and p.stdout.splitlines()[0].endswith("category,title,R5年度,R6年度,total"), p.stdout)
        bad = os.path.join(d.tmp, "bad.csv")
        open(bad, "w", encoding="utf-8").write("fiscal_year,category,count\nH29,=SUM(A1),3\n")
        p = tsunagu("report", "import-tally", "--config", d.config, "--pathway", "consultation-desk", "--field",
                    "category", bad)
        expect(p.returncode == 2 and "line 2" in p.stderr, p.stderr)
        args = ["report", "timeline", "--config", d.config, "--pathway", "coordination-issues", "--action",
                "record_action", "--year", "action_year", "--kind", "action_kind", "--label", "code"]
        p = tsunagu(*args)
        expect(p.returncode == 2 and "--as USER_ID is required" in p.stderr, p.stderr)
        coordinator = d.db_rows("SELECT id FROM users WHERE name = 'コーディネーター 山本'")[0][0]
        nurse = d.db_rows("SELECT id FROM users WHERE name = '保健師 高橋'")[0][0]
        p = tsunagu(*args, "--as", nurse)
        expect(p.returncode == 2 and "does not keep" in p.stderr, p.stderr)
        p = tsunagu(*args, "--as", coordinator)
        expect(p.returncode == 0 and json.loads(p.stdout)["fiscal_years"] == [], p.stdout + p.stderr)
        expect(d.db_rows("SELECT user_id, what FROM access_log WHERE what = 'report.timeline'") ==
               [(coordinator, "report.timeline")], "the read is logged as the coordinator's")
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)


def test_the_demo_routes_pharmacy_referrals_to_the_areas_life_support_centre_with_the_support_centre_as_fallback():
    with Daemon() as d:
        # the preview the referral form shows before sending, and where the referral then goes
        for area, receiver in (("kamaishi", "life-kamaishi"), ("nakazuma", "life-nakazuma"), ("kosano", "life-kosano"),
                               ("unosumai", "support-centre"), ("toni", "support-centre")):
            route = d.get("/v1/pathways/pharmacy/routing?area=" + area, who="pharmacist").json
            expect(route["routed_by"] == "area" and route["receiver"]["id"] == receiver, (area, route))
            r = d.post("/v1/cases", pharmacy_referral(area=area, name="経路 " + area), who="pharmacist")
            expect(r.status == 201 and r.json["receiver"] == receiver, (area, r))
        # the pharmacist may still choose either: 「①生活応援センターや②地域包括支援センターに、本当に相談してもいいの？」
        mays = {o["id"] for o in d.get("/v1/pathways/pharmacy/routing?area=kamaishi", who="pharmacist").json["may_choose"]}
        expect({"life-kamaishi", "support-centre"} <= mays, mays)
        r = d.post("/v1/cases", pharmacy_referral(area="kamaishi", receiver="support-centre"), who="pharmacist")
        expect(r.status == 201 and r.json["receiver"] == "support-centre", r)


def test_the_retention_purge_reaches_the_records_free_texts():
    with Daemon() as d:
        cid = d.post("/v1/cases", consultation("2026-11-02", "data_requests", content="人口動態のデータがほしい"),
                     who="coordinator").json["id"]
        expect(d.post("/v1/cases/%s/actions/answer" % cid, {"fields": {"response": "統計資料を案内"}},
                      who="coordinator").status == 200, "closed")
        d.stop()
        p = tsunagu("purge", "--closed-before", "2100-01-01", "--config", d.config)
        expect(p.returncode == 0, p.stdout + p.stderr)
        fields = json.loads(d.db_rows("SELECT fields FROM cases WHERE id = ?", (cid,))[0][0])
        expect("content" not in fields and "response" not in fields and fields["category"] == "data_requests", fields)
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)


def test_the_shipped_pathways_follow_the_seed():
    """The health checkup escalates after its reminder and prints the questionnaire as the form does;
    the multi-agency pathway is marked a draft and its referrals come from the seed's first-tier partners."""
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock="2026-06-15T10:00:00+09:00")   # a Monday
        hc = d.get("/v1/pathways/health-checkup", who="checkup").json
        titles = {f["name"]: f["title"]["ja"] for f in hc["fields"]}
        expect(titles["q4"] == "問4 半年前に比べて固いもの（さきいか、たくあんなど）が食べにくくなりましたか", titles["q4"])
        expect(titles["q10"] == "問10 周りの人から「いつも同じことを聞く」などの物忘れがあると言われていますか", titles["q10"])
        case = d.post("/v1/cases", {"pathway": "health-checkup", "subject": {
            "name": "健診 督促", "kana": "ケンシン トクソク", "birth_date": "1945-05-05", "area": "unosumai"},
            "fields": {"checkup_date": "2026-06-10", "person_id": "Y-901", "q13": "いいえ"}}, who="checkup").json
        expect(case["state"] == "to_contact", case)

        def clock(now):
            expect(d.post("/v1/test/clock", {"now": now}, who="coordinator", check_contract=False).status == 200, now)

        def sent():
            return d.db_rows("SELECT party, template FROM outbox WHERE case_id = ? ORDER BY rowid", (case["id"],))

        def state():
            return d.get("/v1/cases/" + case["id"], who="life_nurse").json["state"]
        # the reminder after 10 business days leaves it waiting; the escalation after 15 reports it
        clock("2026-06-30T09:00:00+09:00")
        wait_for(lambda: ("receiver", "contact_reminder") in sent(), "the reminder")
        expect(state() == "to_contact", "still waiting after the reminder")
        clock("2026-07-07T09:00:00+09:00")
        wait_for(lambda: state() == "contact_overdue", "the escalation")
        expect(("coordinator", "contact_overdue") in sent(), sent())
        # the nurse can still record the contact from there
        r = d.post("/v1/cases/%s/actions/record_contact" % case["id"],
                   {"fields": {"contact_on": "2026-07-07", "contact_method": "visit"}}, who="life_nurse")
        expect(r.status == 200 and r.json["state"] == "assessed", r)

        ma = {p["id"]: p for p in d.get("/v1/pathways", who="welfare").json["items"]}["multi-agency"]
        expect(ma["title"]["ja"].endswith("（案）") and ma["title"]["en"].endswith("(draft)"), ma["title"])
        # a first-tier partner (the hospital's liaison office) opens a multi-agency referral
        p = tsunagu("user", "add", "--config", d.config, "--org", "hospital-liaison", "--role", "agency_staff",
                    "--name", "連携室 担当")
        expect(p.returncode == 0, p.stderr)
        liaison = p.stdout.strip().splitlines()[-1]
        body = pharmacy_referral(pathway="multi-agency", name="連携室から")
        r = d.post("/v1/cases", body, token=liaison)
        expect(r.status == 201 and r.json["origin"] == "hospital-liaison" and r.json["receiver"] == "support-centre", r)
    finally:
        d.cleanup()
