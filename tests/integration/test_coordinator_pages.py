"""The coordinators' pages in a real browser: the dashboard's figures equal the API's report for
the same query, open work past its time, dead notifications retried, the audit chain's status
(intact, then broken behind the daemon's back), each pathway's diagram as SVG (Graphviz, with the
Japanese titles); a nurse is refused as the API refuses her."""
import re
import xml.dom.minidom

from selenium.webdriver.common.by import By

from daemon import pharmacy_referral
from helpers import expect
from test_notifications import advance, make_daemon, outbox, wait_for
from browser import Browser
from test_pages import Walk

CLOCK = "2026-06-15T10:00:00+09:00"


def test_pathway_diagrams_are_svg_drawn_by_graphviz_with_japanese_titles():
    d = make_daemon(1, timeout=1, dead_port=1)
    try:
        d.start(test_clock=CLOCK)
        for pw in ("pharmacy", "health-checkup", "multi-agency"):
            r = d.get("/v1/pathways/%s/graph?format=svg" % pw, who="coordinator")
            expect(r.status == 200 and r.header("Content-Type") == "image/svg+xml", r)
            doc = xml.dom.minidom.parseString(r.raw)
            texts = " ".join(t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild)
            expect(doc.documentElement.tagName == "svg" and "終結" in texts, texts[:300])
        expect("受付待ち" in d.get("/v1/pathways/pharmacy/graph?format=svg", who="pharmacist").text, "any signed-in user")
        expect(d.get("/v1/pathways/pharmacy/graph?format=png", who="coordinator").status == 422, "unknown format")
        expect(d.get("/v1/pathways/pharmacy/graph", who="coordinator").text.startswith("digraph"), "DOT stays the default")
        same = d.get("/v1/pathways/pharmacy/diff?from=2&to=2", who="coordinator").json
        expect(same["states"] == same["actions"] == same["timers"] == same["fields"] == [], same)
        expect(d.get("/v1/pathways/pharmacy/diff?from=1", who="coordinator").status == 404, "a version never recorded")
        expect(d.get("/v1/pathways/pharmacy/diff", who="coordinator").status == 422, "from is required")
        for who in ("pharmacist", "nurse", "cafe"):
            expect(d.get("/v1/pathways/pharmacy/versions", who=who).status == 403 and
                   d.get("/v1/pathways/pharmacy/diff?from=2", who=who).status == 403, "coordinators only: " + who)
    finally:
        d.cleanup()


def test_the_coordinators_pages_in_a_real_browser():
    d = make_daemon(1, timeout=1, dead_port=1)
    w = None
    try:
        d.start(test_clock=CLOCK)
        ids = [d.post("/v1/cases", pharmacy_referral(name="人%d" % i), who="pharmacist").json["id"] for i in range(3)]
        # activity on the other two pathways as well: a multi-agency referral and a checkup file
        expect(d.post("/v1/cases", pharmacy_referral(pathway="multi-agency", name="多機関 人"), who="welfare").status == 201, "multi")
        from test_checkup_import import ROWS, cp932
        imported = d.request("POST", "/v1/imports/checkup", raw_body=cp932(ROWS), who="checkup",
                             headers={"Content-Type": "text/csv; charset=Shift_JIS"})
        expect(imported.status == 200 and imported.json["opened"], imported)
        d.post("/v1/cases/%s/actions/accept" % ids[0], {}, who="nurse")
        d.post("/v1/cases/%s/actions/record_contact" % ids[0], {"fields": {"contact_on": "2026-06-15", "contact_method": "phone"}},
               who="nurse")
        advance(d, 600)
        advance(d, 3600)
        advance(d, 3 * 86400)      # Thursday: the two unaccepted referrals are past their two business days
        wait_for(lambda: [r for r in outbox(d) if r[2] == "dead"], "a dead notification")
        w = Walk(d)
        b = w.b
        w.enrol("yamamoto")
        w.totp_step()
        b.wait(lambda: b.path().startswith("/coord"))
        b.wait_text("到達したケース数")
        w.page("coord-dashboard")
        # the page's figures are the API's report for the same query
        fy_from, fy_to = "2026-04-01", "2027-03-31"
        api = d.get("/v1/reports/funnel?from=%s&to=%s&group_by=pathway" % (fy_from, fy_to), who="coordinator").json
        expect({x["pathway"] for x in api["rows"]} == {"pharmacy", "multi-agency", "health-checkup"}, api["rows"])
        titles = {"pharmacy": "薬局を起点", "multi-agency": "多機関・多職種", "health-checkup": "健診を起点"}
        for row in api["rows"]:
            section = [s for s in b.all("section.report-row") if titles[row["pathway"]] in s.text][0]
            shown = {tr.get_attribute("data-milestone"): int(tr.find_element(By.TAG_NAME, "td").text)
                     for tr in section.find_elements(By.CSS_SELECTOR, "table.funnel-table tbody tr")}
            expect(all(shown[m] == row["milestones"].get(m, 0) for m in shown), (shown, row))
            expect(row["pathway"] != "pharmacy" or shown["opened"] == 3, shown)
        fy = b.find("select[name=fy] option:checked").text
        expect(fy == "R8年度" and "令和8年度（R8年度）" in b.text(), "the fiscal year in the era: %r" % fy)
        expect(section.find_elements(By.CSS_SELECTOR, "svg.chart title"), "a chart with its title")
        # a period typed in the era is read as such, and is not called a fiscal year
        b.get("/coord?from=R8.4.1&to=%E4%BB%A4%E5%92%8C8%E5%B9%B46%E6%9C%8830%E6%97%A5")
        b.wait(lambda: "2026-06-30" in b.find("#period").text)
        expect("年度" not in b.find("#period").text, b.find("#period").text)
        # a period that is no date says so under its field, and the page stays usable
        b.get("/coord?from=R8.13.1")
        b.wait_text("日付として読めません")
        expect(b.find("input[name=from]").get_attribute("aria-invalid") == "true", "the field is marked")
        expect(b.focused().get_attribute("name") == "from", "the focus is on it")
        expect(b.find("select[name=group_by]"), "the form is still there")
        # open work past its time, by receiver, metadata only
        b.get("/coord/overdue")
        b.wait_text("釜石市地域包括支援センター")
        expect("人1" not in b.text() and "期限超過" in b.text() or "▲" in b.text(), b.text()[:600])
        w.page("coord-overdue")
        # dead notifications, retried from the page
        b.get("/coord/notifications")
        b.wait_text("送信できず")
        w.page("coord-notifications")
        box = b.find("tbody input[type=checkbox]:not([disabled])")
        box.click()
        b.button("選んだ通知を再送").click()
        b.wait_text("再送に回した通知: 1")
        expect(any(r[2] == "pending" for r in outbox(d)), outbox(d))
        # the audit: the chain intact, then broken behind the daemon's back
        b.get("/coord/audit")
        b.wait_text("改ざんはありません")
        b.wait_text("紹介を作成")   # the access log's codes in words
        expect("case.open" not in b.text(), b.text()[:800])
        w.page("coord-audit")
        import sqlite3
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE events SET actor_org = 'pharmacy-minato' WHERE seq = 2")
        conn.commit()
        conn.close()
        b.get("/coord/audit?list=provisions")
        b.wait_text("記録が改ざんされています")
        expect(re.search(r"#2", b.text()), b.text()[:800])
        # one person's records, with the purpose asked first
        b.fill("本人・ケースの ID", ids[0])
        b.choose("目的", "開示請求")
        b.button("検索").click()
        b.wait_text("本人の記録を調べる: %s（目的: 開示請求）" % ids[0])
        # who handed what to whom, in words: the organisations, the case, the person, the items
        rows = b.wait(lambda: b.driver.execute_script(
            "return [...document.querySelectorAll('table tbody tr')].map(r => [...r.cells].map(c => c.textContent))"))
        expect(all(r[1] and r[2] and r[3].startswith("c_") and r[4] for r in rows), rows)
        expect(any("氏名" in r[5] and "subject." not in r[5] for r in rows), rows)
        w.page("coord-audit-person")
        expect(d.db_rows("SELECT count(*) FROM access_log WHERE what = 'audit.provisions.person.disclosure_request'")[0][0] == 1,
               "the lookup is logged")
        # each pathway's diagram
        b.get("/coord/pathways")
        b.wait_text("薬局を起点とした社会的処方連携パス")
        b.wait(lambda: all(b.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                           for img in b.all(".diagram img")) and len(b.all(".diagram img")) == 6, message="the diagrams load")
        expect("進行中のケース" in b.text(), "running cases per version")
        versions = d.get("/v1/pathways/pharmacy/versions", who="coordinator").json["items"]
        expect([v["running_cases"] for v in versions if v["loaded"]] == [3], versions)
        w.page("coord-pathways")
        # the review pack: aggregates only, small counts hidden, A4 without clipped tables
        b.driver.set_window_size(794, 1123)
        b.get("/coord/review?pathway=pharmacy&from=2026-04-01&to=2026-06-30")
        b.wait_text("見直し資料")
        b.wait_text("5未満")
        text = b.text()
        expect(not re.search(r"\bc_[0-9a-z]{20}\b", text) and not any("人%d" % i in text for i in range(3)), text[:1500])
        expect(b.driver.execute_script(
            "return Array.from(document.querySelectorAll('.sheet table')).every(t => t.scrollWidth <= t.parentElement.clientWidth + 1)"),
            "no table wider than the page")
        w.page("coord-review")
        pdf = b.pdf("review-pack")
        expect(Browser.pdf_pages(pdf) >= 1, "the pack prints")
        b.driver.set_window_size(1366, 768)
        w.sign_out()
        # a nurse is refused as the API refuses her
        w.enrol("tanaka")
        w.totp_step()
        b.wait(lambda: b.path().startswith("/inbox"))
        for page in ("/coord", "/coord/overdue", "/coord/notifications", "/coord/audit", "/coord/pathways", "/coord/review"):
            b.get(page)
            b.wait_text("処理できませんでした")
            expect("到達したケース数" not in b.text() and "振り分け待ち" not in b.text(), (page, b.text()[:400]))
        expect(all(" 403 " in e["message"] for e in b.console_errors()), "only the refusals")
        w.only_the_daemon()
    finally:
        if w:
            w.b.close()
        d.cleanup()


def test_the_audit_listings_by_organisation_and_one_persons_records_with_a_purpose():
    d = make_daemon(1, timeout=1, dead_port=1)
    try:
        d.start(test_clock=CLOCK)
        a = d.post("/v1/cases", pharmacy_referral(name="甲"), who="pharmacist").json
        b = d.post("/v1/cases", pharmacy_referral(name="乙"), who="pharmacist2").json
        d.get("/v1/cases/%s" % a["id"], who="nurse")
        d.get("/v1/cases/%s" % b["id"], who="nurse")
        q = "/v1/audit/access?from=2026-06-01&to=2026-06-30"
        everyone = d.get(q, who="coordinator").json["items"]
        expect({x["org"] for x in everyone} >= {"pharmacy-hamayuri", "pharmacy-minato", "support-centre"}, everyone)
        only = d.get(q + "&org=pharmacy-minato", who="coordinator").json["items"]
        expect(only and all(x["org"] == "pharmacy-minato" for x in only), only)
        expect(d.get(q + "&org=nowhere", who="coordinator").status == 422, "an unknown organisation")
        # one person: never without saying why
        r = d.get(q + "&person=%s" % a["id"], who="coordinator")
        expect(r.status == 422 and r.json["error"]["field"] == "purpose", r)
        expect(d.get(q + "&person=%s&purpose=curiosity" % a["id"], who="coordinator").status == 422, "a purpose of the list")
        r = d.get(q + "&person=%s&purpose=disclosure_request" % a["id"], who="coordinator")
        expect(r.status == 200 and r.json["items"] and all(x["case_id"] == a["id"] for x in r.json["items"] if x["case_id"]), r)
        # logged against the case and subject the term found, never as the raw term
        logged = d.db_rows("SELECT case_id, subject_id FROM access_log WHERE what = 'audit.access.person.disclosure_request'")
        subject = d.db_rows("SELECT subject_id FROM cases WHERE id = ?", (a["id"],))[0][0]
        expect(logged == [(a["id"], subject)], logged)
        d.get(q + "&person=H-999&purpose=inspection", who="coordinator")
        expect(d.db_rows("SELECT case_id, subject_id FROM access_log WHERE what = 'audit.access.person.inspection'") == [(None, None)],
               "a lookup that found nobody is logged with no one's id")
        prov = d.get("/v1/audit/provisions?from=2026-06-01&to=2026-06-30&person=%s&purpose=inspection" % b["id"], who="coordinator").json
        expect(prov["items"] and all(x["case_id"] == b["id"] for x in prov["items"]), prov)
        expect(d.get(q + "&person=%s&purpose=inspection" % a["id"], who="nurse").status == 403, "coordinators only")
    finally:
        d.cleanup()


def test_the_public_directory_is_a_static_site_of_published_resources_only():
    import os
    from helpers import tsunagu
    d = make_daemon(1, timeout=1, dead_port=1)
    w = None
    try:
        d.start(test_clock=CLOCK)
        d.post("/v1/cases", pharmacy_referral(name="公開されない 人"), who="pharmacist")
        keys = ["name", "description", "category", "provider", "areas", "address", "schedule", "eligibility", "contact",
                "capacity", "status"]

        def publish(rid, phone_public, confirmed_on=None):
            res = d.get("/v1/resources/%s" % rid, who="coordinator").json
            body = {k: res[k] for k in keys if res.get(k) is not None}
            body["publish"] = True
            if confirmed_on:
                body["capacity"] = dict(body["capacity"], confirmed_on=confirmed_on)
            body["contact"] = dict(body["contact"], phone_public=phone_public)
            r = d.request("PUT", "/v1/resources/%s" % rid, body=body, who="coordinator",
                          headers={"If-Match": '"%d"' % res["version"]})
            expect(r.status == 200 and r.json["publish"] is True, r)
            return res
        cafe = publish("demo-cafe-unosumai", phone_public=True)
        walk = publish("demo-walk-unosumai", phone_public=False, confirmed_on="2024-01-10")
        out = os.path.join(d.tmp, "public")
        proc = tsunagu("resources", "export", "--config", d.config, "--format", "html", "--out", out)
        expect(proc.returncode == 0 and "2 published" in proc.stdout, proc.stdout + proc.stderr)
        page = open(os.path.join(out, "area-unosumai.html"), encoding="utf-8").read()
        expect(cafe["name"]["ja"] in page and walk["name"]["ja"] in page, "the published ones")
        expect(cafe["contact"]["phone"] in page and walk["contact"]["phone"] not in page, "a phone only when public")
        expect(page.count("確認から12か月以上たっています") == 1 and "2024-01-10（令和6年1月10日）" in page, "a stale confirmation is marked")
        # an email address only when marked public too
        expect(not any((r["contact"].get("email") or "@@") in page for r in (cafe, walk)), "no email unless public")
        # a re-import of the directory keeps the providers' agreement
        seed = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs", "demo", "resources.json")
        expect(tsunagu("resources", "import", seed, "--config", d.config).returncode == 0, "re-imported")
        expect(d.get("/v1/resources/demo-cafe-unosumai", who="coordinator").json["publish"] is True, "still published")
        others = [r for r in d.get("/v1/resources?limit=100", who="coordinator").json["items"]
                  if r["id"] not in ("demo-cafe-unosumai", "demo-walk-unosumai")]
        expect(not any(r["name"]["ja"] in page for r in others), "nothing unpublished")
        expect("公開されない 人" not in page and "c_" not in page, "nothing personal")
        # it opens from the file system with no request to any host
        w = Walk(d)
        b = w.b
        b.driver.get("file://" + os.path.join(out, "index.html"))
        b.driver.find_element("link text", "鵜住居地区").click()
        b.wait_text(cafe["name"]["ja"])
        w.page("public-directory")
        reqs = [u for u in b.requests() if u.startswith(("http:", "https:"))]
        expect(not reqs, reqs)
    finally:
        if w:
            w.b.close()
        d.cleanup()


def test_the_coordinators_records_in_a_real_browser():
    """The consultation desk, the issue register and the meeting log from the pages: a new record with
    the warning against personal data, the tally of the fiscal year with the counts imported for the
    years before, the timeline of actions, a meeting naming the issues; a nurse is refused."""
    d = make_daemon(1, timeout=1, dead_port=1)
    w = None
    try:
        d.start(test_clock="2026-11-02T10:00:00+09:00")
        issue = d.post("/v1/cases", {"pathway": "coordination-issues", "fields": {
            "code": "G", "issue": "薬剤師の職能が認知されていない", "profession": "pharmacists", "raised_year": 2012}},
            who="coordinator").json["id"]
        d.post("/v1/cases/%s/actions/record_action" % issue, {"fields": {
            "action_kind": "secondary", "action_year": 2017, "action_note": "多職種研修会を実施"}}, who="coordinator")
        d.request("POST", "/v1/reports/tally?pathway=consultation-desk&field=category", who="coordinator",
                  raw_body="fiscal_year,category,count\nH29,事業に関する相談・協力依頼等,20\n".encode(),
                  headers={"Content-Type": "text/csv"})
        w = Walk(d)
        b = w.b
        w.enrol("yamamoto")
        w.totp_step()
        b.wait(lambda: b.path().startswith("/coord"))
        # the dashboard's fiscal year lists the records too, and leads to them
        b.get("/coord")
        b.wait_text("到達したケース数")
        panel = b.find("section[aria-labelledby=h-dash-records]")
        expect("連携の課題（1件）" in panel.text, panel.text)
        expect(b.find("section[aria-labelledby=h-dash-records] a").get_attribute("href").endswith("?fy=2026"), "the fy")
        b.get("/coord/records")
        b.wait_text("連携に関する相談窓口")
        w.page("coord-records")
        b.get("/coord/records/consultation-desk")
        b.wait_text("新しい記録")
        expect("個人が分かることは書かないでください" in b.text(), "the form warns against personal data")
        w.page("coord-records-desk")
        b.fill("相談を受けた日", "2026-10-30")
        b.choose("相談者の所属", "病院連携室")
        b.choose("相談の方法", "電話")
        b.choose("相談の分類", "他部署・他機関への相談等の調整")
        b.fill("相談の内容", "退院支援の窓口を知りたい")
        b.button("記録する").click()
        b.wait(lambda: b.path().startswith("/cases/"))
        b.wait_text("回答して終了")
        expect("個人" not in b.find("h1").text and "退院支援の窓口を知りたい" in b.text(), b.text()[:400])
        w.page("coord-record")
        cid = b.path().split("/")[-1]
        expect(d.db_rows("SELECT pathway, subject_id IS NOT NULL FROM cases WHERE id = ?", (cid,)) ==
               [("consultation-desk", 1)], "a record")
        # the tally of the page: the H29 count imported, this year's record counted
        b.get("/coord/records/consultation-desk")
        b.wait_text("相談内容の推移（年度別）")
        table = b.find("table.tally")
        expect("H29年度" in table.text and "R8年度" in table.text and "20" in table.text, table.text)
        w.page("coord-records-tally")
        # a meeting that dealt with the issue: the issue is one of its choices
        b.get("/coord/records/coordination-meetings")
        b.wait_text("新しい記録")
        b.fill("開いた日", "2026-10-20")
        b.choose("連携の層", "一次連携")
        b.fill("会の名前", "薬剤師会との打ち合わせ会")
        b.button("記録する").click()
        b.wait(lambda: b.path().startswith("/cases/"))
        b.button("記録を追記・修正").click()
        b.choose("取り上げた連携の課題", "G・薬剤師の職能が認知されていない")
        b.choose("参加した機関", "はまゆり薬局")
        w.page("coord-meeting-amend")
        b.find("form.action-form button[type=submit]").click()
        b.wait_text("G・薬剤師の職能が認知されていない")
        mid = b.path().split("/")[-1]
        expect(d.get("/v1/cases/" + mid, who="coordinator").json["fields"]["issues"] == [issue], "the meeting names it")
        # the register's timeline
        b.get("/coord/records/coordination-issues")
        b.wait_text("課題解決に向けた取組（年度別）")
        expect("H29年度" in b.find("table.timeline").text and "◆ 二次連携の取組" in b.text(), b.text()[:800])
        w.page("coord-records-issues")
        w.only_the_daemon()
        b.close()
        # a nurse meets the API's refusal on the same pages
        w = Walk(d)
        w.enrol("takahashi")
        w.totp_step()
        w.b.wait(lambda: w.b.path() == "/inbox")   # the nurse's first page, after the sign-in's redirects
        w.b.get("/coord/records/consultation-desk")
        w.b.wait_text("コーディネーター")
        expect("退院支援" not in w.b.text(), "nothing of the records")
    finally:
        if w:
            w.b.close()
        d.cleanup()
