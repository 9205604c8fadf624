"""The community resource directory and the links of cases to it, over real HTTP:
Japanese search that folds width, kana, case and spaces (and finds one- and
two-character words), who may change a resource, HSDS 3.0 export and import in
both forms, and the closed loop — a nurse finds a café, links the person, the
café records that they joined, and the pharmacy sees it in its feedback."""
import json
import os
import shutil
import urllib.parse

from daemon import Daemon, consent, pharmacy_referral
from helpers import expect, path, tsunagu


def ok(reply, status=200):
    expect(reply.status == status, "expected %d, got %r" % (status, reply))
    return reply.json


def search(d, who="nurse", **params):
    return ok(d.get("/v1/resources?" + urllib.parse.urlencode(params), who=who))["items"]


def names(items):
    return sorted(i["name"]["ja"] for i in items)


def act(d, case, action, who, fields=None):
    return d.post("/v1/cases/%s/actions/%s" % (case, action), {"fields": fields or {}}, who=who)


def contacted_pharmacy_case(d, **extra):
    case = ok(d.post("/v1/cases", pharmacy_referral(**extra), who="pharmacist"), 201)
    ok(act(d, case["id"], "accept", "nurse"))
    ok(act(d, case["id"], "record_contact", "nurse",
           {"contact_on": "2026-11-25", "contact_method": "visit", "assessment_note": "独居。外出は週1回未満"}))
    return case["id"]


CAFES = sorted(["つながるカフェ 只越", "つながるカフェ 鵜住居", "認知症カフェ「ほっと」中妻"])


def test_japanese_search_folds_width_kana_case_and_spaces():
    with Daemon() as d:
        for q in ("カフェ", "かふぇ", "ｶﾌｪ", "ｶﾌｪ "):
            expect(names(search(d, q=q)) == CAFES, (q, names(search(d, q=q))))
        # one and two characters: a trigram index alone would find nothing
        expect(names(search(d, q="体操")) == sorted(["唐丹 100歳体操", "平田 いきいき100歳体操", "小佐野 100歳体操クラブ"]),
               names(search(d, q="体操")))
        expect("つながるカフェ 鵜住居" in names(search(d, q="鵜")), names(search(d, q="鵜")))
        # every word must appear; spaces inside the text are folded away
        expect(names(search(d, q="つながる　かふぇ")) == sorted(["つながるカフェ 只越", "つながるカフェ 鵜住居"]),
               names(search(d, q="つながる　かふぇ")))
        expect(names(search(d, q="つながるカフェ鵜住居")) == ["つながるカフェ 鵜住居"], "spaces folded")
        expect(names(search(d, q="ＣＡＦＥ")) == CAFES, "English names, without their accents")
        expect(search(d, q="存在しない資源") == [], "no match")
        # filters: category and area (a resource for every area serves each one)
        found = search(d, q="カフェ", area="unosumai", category="participation")
        expect(names(found) == ["つながるカフェ 鵜住居"], names(found))
        unosumai = names(search(d, area="unosumai", category="participation"))
        expect("チームオレンジ釜石" in unosumai and "つながるカフェ 只越" not in unosumai, unosumai)
        expect(all(i["capacity"]["status"] == "full" for i in search(d, capacity="full")), "capacity")
        cafe = search(d, q="鵜住居 カフェ")[0]
        expect(cafe["category_title"]["ja"].startswith("地域の参加資源"), cafe)
        expect(cafe["provider"] == "cafe-tsunagaru" and cafe["provider_name"]["ja"] == "つながるカフェ運営委員会", cafe)
        # paging walks the whole directory once
        seen, cursor = [], None
        while True:
            page = ok(d.get("/v1/resources?limit=7" + ("&cursor=" + cursor if cursor else ""), who="pharmacist"))
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        expect(len(seen) == 25 and len(set(seen)) == 25, seen)
        # every refusal names the parameter
        for query, field in (("category=cafe", "category"), ("area=tokyo", "area"),
                             ("status=gone", "status"), ("limit=0", "limit"), ("sort=name", "sort")):
            r = d.get("/v1/resources?" + query, who="nurse")
            expect(r.status == 422 and r.json["error"]["field"] == field, (query, r))
        # q's limits count characters, as openapi's maxLength does, and words
        from urllib.parse import quote
        expect(d.get("/v1/resources?q=" + quote("カ" * 200), who="nurse").status == 200, "200 characters (600 bytes)")
        for q in ("カ" * 201, " ".join("語%d" % i for i in range(9))):
            r = d.get("/v1/resources?q=" + quote(q), who="nurse")
            expect(r.status == 422 and r.json["error"]["field"] == "q", (q, r))
        # a query that is malformed rather than wrong: 400
        for query, field in (("q=%01", "q"), ("q=%00", "q"), ("cursor=zz", "cursor"), ("limit=%2010", "limit"),
                             ("limit=+5", "limit")):
            r = d.get("/v1/resources?" + query, who="nurse")
            expect(r.status == 400 and r.json["error"]["code"] == "invalid_query" and
                   r.json["error"]["field"] == field, (query, r))
        cats = ok(d.get("/v1/resources/categories", who="pharmacist"))["items"]
        expect([c["id"] for c in cats] == ["participation", "health_programmes", "consultation_desks",
                                           "welfare_council", "volunteers", "other"], cats)
        expect(d.get("/v1/resources").status == 401, "needs a token")


NEW = {"name": {"ja": "鵜住居 ふれあい囲碁クラブ", "en": "Unosumai Go club"}, "category": "participation",
       "provider": "cafe-tsunagaru", "areas": ["unosumai"], "schedule": "毎週木曜 13:00〜",
       "contact": {"name": "世話人", "phone": "0193-00-9999", "email": "go@example.jp", "url": "https://example.jp/go"},
       "capacity": {"status": "accepting", "confirmed_on": "2026-11-20"}}


def test_who_may_change_a_resource_and_bad_input_changes_nothing():
    with Daemon() as d:
        r = d.post("/v1/resources", NEW, who="cafe")
        res = ok(r, 201)
        expect(r.header("ETag") == '"1"' and r.header("Location") == "/v1/resources/" + res["id"], r.headers)
        expect(res["status"] == "active" and res["description"] is None and res["contact"]["phone"] == "0193-00-9999", res)
        expect(names(search(d, q="いご")) == [] and names(search(d, q="囲碁")) == ["鵜住居 ふれあい囲碁クラブ"], "searchable")
        # another organisation's resource: neither the café nor a nurse may write it
        other = dict(NEW, provider="welfare-council", name={"ja": "社協 将棋の会"})
        expect(d.post("/v1/resources", other, who="cafe").status == 403, "café for the council")
        expect(d.post("/v1/resources", NEW, who="nurse").status == 403, "nurse")
        expect(ok(d.post("/v1/resources", other, who="coordinator"), 201)["provider"] == "welfare-council", "coordinator")
        council = search(d, q="社会福祉協議会", status="any") or search(d, provider="welfare-council")
        expect(d.request("PUT", "/v1/resources/" + council[0]["id"], dict(NEW), who="cafe").status == 403, "foreign PUT")
        # replace, with If-Match
        rid = res["id"]
        changed = dict(NEW, capacity={"status": "full", "confirmed_on": "2026-11-28"}, status="inactive")
        r = d.request("PUT", "/v1/resources/" + rid, changed, who="cafe", headers={"If-Match": '"1"'})
        expect(ok(r)["version"] == 2 and r.json["capacity"]["status"] == "full" and r.header("ETag") == '"2"', r)
        r = d.request("PUT", "/v1/resources/" + rid, NEW, who="cafe", headers={"If-Match": '"1"'})
        expect(r.status == 412 and r.json["error"]["code"] == "precondition_failed", r)
        expect(d.request("PUT", "/v1/resources/" + rid, dict(NEW, provider="team-orange"), who="cafe").status == 403,
               "a provider cannot give its resource away")
        expect(search(d, q="囲碁") == [] and len(search(d, q="囲碁", status="any")) == 1, "inactive hidden by default")
        expect(ok(d.get("/v1/resources/" + rid, who="pharmacist"))["status"] == "inactive", "read by anyone")
        expect(d.get("/v1/resources/r_nope", who="nurse").status == 404, "unknown")
        # bad input: the field is named, and nothing is written
        before = d.db_snapshot()
        bad = [({"category": "participation", "provider": "cafe-tsunagaru"}, "missing_field", "name.ja"),
               (dict(NEW, colour="red"), "unknown_field", "colour"),
               (dict(NEW, category="cafe"), "invalid_field", "category"),
               (dict(NEW, provider="nobody"), "invalid_field", "provider"),
               (dict(NEW, areas=["tokyo"]), "invalid_field", "areas"),
               (dict(NEW, contact={"phone": "call me"}), "invalid_field", "contact.phone"),
               (dict(NEW, contact={"email": "not-an-address"}), "invalid_field", "contact.email"),
               (dict(NEW, contact={"url": "javascript:alert(1)"}), "invalid_field", "contact.url"),
               (dict(NEW, capacity={"status": "maybe"}), "invalid_field", "capacity.status"),
               (dict(NEW, capacity={"confirmed_on": "2026-02-30"}), "invalid_field", "capacity.confirmed_on"),
               (dict(NEW, status="deleted"), "invalid_field", "status"),
               (dict(NEW, name={"ja": ""}), "invalid_field", "name.ja")]
        for body, code, field in bad:
            r = d.post("/v1/resources", body, who="coordinator")
            expect(r.status == 422 and r.json["error"]["code"] == code and r.json["error"]["field"] == field, (body, r))
            expect(r.json["error"]["message_ja"], r)
        expect(d.db_snapshot() == before, "a refused resource wrote something")


def test_nurse_links_a_person_to_a_cafe_and_the_pharmacy_sees_it_in_its_feedback():
    with Daemon() as d:
        cid = contacted_pharmacy_case(d)
        # the nurse finds a café of the person's area
        cafe = search(d, q="カフェ", area="unosumai", category="participation")[0]
        expect(cafe["id"] == "demo-cafe-unosumai", cafe)
        r = d.post("/v1/cases/%s/links" % cid, {"resource": cafe["id"], "note": "本人は乗り気。娘さんが送迎",
                                               "share_with_provider": True}, who="nurse")
        link = ok(r, 201)
        expect(r.header("Location") == "/v1/cases/%s/links/%s" % (cid, link["id"]), r.headers)
        expect(link["status"] == "proposed" and link["note"].startswith("本人は") and link["resource"]["id"] == cafe["id"], link)
        expect(link["shared_with_provider"] == ["subject.name", "subject.kana", "subject.phone"], link)
        expect(r.header("ETag") == '"4"', r.headers)
        r = d.post("/v1/cases/%s/links" % cid, {"resource": cafe["id"]}, who="nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "already_linked", r)

        # the café sees only what it needs: name and contact, nothing of the case's record
        refs = ok(d.get("/v1/links", who="cafe"))["items"]
        expect(len(refs) == 1 and refs[0]["person"] == {"name": "釜石 花子", "kana": "カマイシ ハナコ",
                                                         "phone": "0193-00-0000"}, refs)
        expect("note" not in refs[0], refs[0])
        view = ok(d.get("/v1/cases/" + cid, who="cafe"))
        expect(view["your_sides"] == ["provider"] and set(view["subject"]) == {"name", "kana", "phone"}, view)
        # the narrow view: nothing of the pathway, the referrer, the state, outcome, timers or fields
        expect(set(view) == {"id", "version", "your_sides", "subject", "links"}, view)
        expect([l["id"] for l in view["links"]] == [link["id"]] and "note" not in view["links"][0], view["links"])
        expect(d.get("/v1/cases/%s/events" % cid, who="cafe").status == 403, "history is not the café's")
        expect(d.get("/v1/cases/%s/notes" % cid, who="cafe").status == 403, "notes are not the café's")
        expect(ok(d.get("/v1/links", who="welfare"))["items"] == [], "another provider sees nothing")
        # the new link's Location can be read: by the centre whole, by the café without the note
        lpath = "/v1/cases/%s/links/%s" % (cid, link["id"])
        one = d.get(lpath, who="nurse")
        expect(ok(one) == link and one.header("ETag") == '"4"', (one.json, link, one.headers))
        expect("note" not in ok(d.get(lpath, who="cafe")), "the café never reads the nurse's note")
        expect(d.get(lpath, who="welfare").raw == d.get("/v1/cases/%s/links/l_none" % cid, who="welfare").raw,
               "another provider: not found, as for no link")
        expect(d.get("/v1/cases/%s/links/l_none" % cid, who="nurse").status == 404, "no such link")
        r = d.request("PATCH", lpath, {"share_with_provider": False}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "share_with_provider", r)
        # the café records that the person joined; it may not touch the nurse's note
        lpath = "/v1/cases/%s/links/%s" % (cid, link["id"])
        r = d.request("PATCH", lpath, {"note": "x"}, who="cafe")
        expect(r.status == 422 and r.json["error"]["code"] == "unknown_field", r)
        r = d.request("PATCH", lpath, {"status": "joined"}, who="cafe")
        joined = ok(r)
        expect(joined["status"] == "joined" and joined["joined_on"] and "note" not in joined, joined)
        r = d.request("PATCH", lpath, {"status": "declined"}, who="cafe")
        expect(r.status == 409 and r.json["error"]["code"] == "link_status_not_possible", r)

        # feedback to the pharmacy: the closed loop
        ok(act(d, cid, "link", "nurse", {"linked_summary": "つながるカフェ 鵜住居"}))
        ok(act(d, cid, "send_feedback", "nurse", {"feedback_message": "カフェに参加されました", "follow_up_on": "2027-02-25"}))
        ph = ok(d.get("/v1/cases/" + cid, who="pharmacist"))
        expect(ph["state"] == "feedback_sent" and len(ph["links"]) == 1, ph)
        pl = ph["links"][0]
        expect(pl["resource"]["name"]["ja"] == "つながるカフェ 鵜住居" and pl["status"] == "joined", pl)
        expect("note" not in pl and "assessment_note" not in ph["fields"], ph)
        expect(ok(d.get("/v1/cases/%s/links" % cid, who="pharmacist"))["items"][0]["status"] == "joined", "list")
        events = [e["action"] for e in ok(d.get("/v1/cases/%s/events" % cid, who="pharmacist"))["items"]]
        expect(events == ["open", "accept", "record_contact", "link_proposed", "link_joined", "link", "send_feedback"],
               events)
        pev = ok(d.get("/v1/cases/%s/events" % cid, who="pharmacist"))["items"][3]
        expect("note" not in json.dumps(pev, ensure_ascii=False).replace("notes", ""), pev)
        expect(d.get("/v1/cases/%s/links" % cid, who="pharmacist2").status == 404, "another pharmacy")

        # what the handoff wrote: the provision record, the notifications, the access log, a whole chain
        prov = d.db_rows("SELECT from_org, to_org, items, consent_basis FROM provisions WHERE case_id = ? ORDER BY at",
                         (cid,))
        expect(prov[-1][:3] == ("support-centre", "cafe-tsunagaru", "subject.name,subject.kana,subject.phone"), prov)
        expect("written" in prov[-1][3], prov)
        outbox = d.db_rows("SELECT party, org, template FROM outbox WHERE case_id = ?", (cid,))
        expect(("provider", "cafe-tsunagaru", "resource_referral") in outbox, outbox)
        expect(("receiver", "support-centre", "resource_link_changed") in outbox, outbox)
        access = d.db_rows("SELECT org, what FROM access_log WHERE case_id = ?", (cid,))
        expect(("cafe-tsunagaru", "links.provider") in access and ("cafe-tsunagaru", "case.read") in access, access)
        expect(tsunagu("audit", "verify", "--config", d.config).returncode == 0, "chain")

        # once the link has ended, the café holds nothing of the person any more
        ok(d.request("PATCH", lpath, {"status": "ended", "note": "3か月参加後、家族の都合で終了"}, who="nurse"))
        expect(d.get("/v1/cases/" + cid, who="cafe").status == 404, "the café's access ends with the link")
        expect(ok(d.get("/v1/links", who="cafe"))["items"][0]["person"] is None, "no details after the end")
        r = d.request("PATCH", lpath, {"status": "joined"}, who="cafe")
        expect(r.status == 404, r)


def test_link_rules_consent_dates_and_states():
    with Daemon() as d:
        cid = contacted_pharmacy_case(d)
        lpath = "/v1/cases/%s/links" % cid
        expect(d.post(lpath, {"resource": "demo-taiso-heita"}, who="pharmacist").status == 403, "the origin links nobody")
        for body, status, code, field in (
                ({}, 422, "missing_field", "resource"),
                ({"resource": "nope"}, 422, "invalid_field", "resource"),
                ({"resource": "demo-taiso-heita", "on": "2999-01-01"}, 422, "invalid_field", "on"),
                ({"resource": "demo-taiso-heita", "share_with_provider": "yes"}, 422, "invalid_field", "share_with_provider"),
                ({"resource": "demo-taiso-heita", "colour": 1}, 422, "unknown_field", "colour")):
            r = d.post(lpath, body, who="nurse")
            expect(r.status == status and r.json["error"]["code"] == code and r.json["error"]["field"] == field, (body, r))
        r = d.post(lpath, {"resource": "demo-taiso-heita"}, who="nurse", headers={"If-Match": '"1"'})
        expect(r.status == 412, r)
        link = ok(d.post(lpath, {"resource": "demo-taiso-heita", "on": "2026-11-26"}, who="nurse"), 201)
        expect(link["shared_with_provider"] == [] and link["proposed_on"] == "2026-11-26", link)
        one = "%s/%s" % (lpath, link["id"])
        r = d.request("PATCH", one, {"status": "joined", "on": "2026-11-20"}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "on", r)
        r = d.request("PATCH", one, {"status": "proposed"}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "status", r)
        r = d.request("PATCH", one, {}, who="nurse")
        expect(r.status == 422 and r.json["error"]["code"] == "missing_field", r)
        ok(d.request("PATCH", one, {"status": "declined", "on": "2026-11-27"}, who="nurse"))
        r = d.request("PATCH", one, {"status": "ended"}, who="nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "link_status_not_possible", r)
        expect(d.request("PATCH", lpath + "/l_nope", {"status": "ended"}, who="nurse").status == 404, "unknown link")
        # a declined link can be proposed again
        ok(d.post(lpath, {"resource": "demo-taiso-heita"}, who="nurse"), 201)
        # an inactive resource takes nobody
        gone = ok(d.get("/v1/resources/demo-mobile-shop", who="coordinator"))
        body = {k: gone[k] for k in ("name", "category", "provider", "areas", "schedule", "eligibility", "contact",
                                     "capacity", "description")}
        ok(d.request("PUT", "/v1/resources/demo-mobile-shop", dict(body, status="inactive"), who="coordinator"))
        r = d.post(lpath, {"resource": "demo-mobile-shop"}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "resource", r)
        # the case has ended: its links are closed
        ok(act(d, cid, "close", "nurse", {"outcome": "self_managed"}))
        r = d.post(lpath, {"resource": "demo-cafe-unosumai"}, who="nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "action_not_available", r)


def test_a_handoff_needs_consent_and_a_checkup_case_can_give_it_with_the_link():
    with Daemon() as d:
        case = ok(d.post("/v1/cases", {"pathway": "health-checkup",
                                        "subject": {"name": "鵜住 太郎", "kana": "ウノスミ タロウ", "birth_date": "1950-04-01",
                                                    "phone": "0193-11-1111", "area": "unosumai"},
                                        "fields": {"checkup_date": "2026-06-10", "person_id": "H-900",
                                                   "needs_support": True}}, who="checkup"), 201)
        cid = case["id"]
        expect(case["receiver"] == "life-unosumai" and case["consent"] is None, case)
        lpath = "/v1/cases/%s/links" % cid
        before = d.db_snapshot()
        r = d.post(lpath, {"resource": "demo-cafe-unosumai", "share_with_provider": True}, who="life_nurse")
        expect(r.status == 422 and r.json["error"]["code"] == "consent_required" and r.json["error"]["field"] == "consent", r)
        expect(d.db_snapshot() == before, "a refused link wrote something")
        given = consent("保健師 伊藤")
        link = ok(d.post(lpath, {"resource": "demo-cafe-unosumai", "share_with_provider": True, "consent": given},
                         who="life_nurse"), 201)
        basis = d.db_rows("SELECT consent_basis FROM provisions WHERE case_id = ? AND to_org = 'cafe-tsunagaru'", (cid,))
        expect(len(basis) == 1 and basis[0][0].startswith("consent to this handoff") and "保健師 伊藤" in basis[0][0], basis)
        expect(ok(d.get("/v1/links", who="cafe"))["items"][0]["person"]["name"] == "鵜住 太郎", "shared")
        # sharing later, on a link made without it
        other = ok(d.post(lpath, {"resource": "demo-team-orange"}, who="life_nurse"), 201)
        r = d.request("PATCH", "%s/%s" % (lpath, other["id"]), {"share_with_provider": True}, who="life_nurse")
        expect(r.status == 422 and r.json["error"]["code"] == "consent_required", r)
        r = d.request("PATCH", "%s/%s" % (lpath, other["id"]), {"status": "declined", "share_with_provider": True,
                                                                "consent": given}, who="life_nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "link_status_not_possible", r)
        # a resource the nurse's own centre runs: nothing passes to another organisation, no consent needed
        own = ok(d.post(lpath, {"resource": "demo-walk-unosumai", "share_with_provider": True}, who="life_nurse"), 201)
        expect(own["resource"]["provider"] == "life-unosumai", own)
        expect(d.db_rows("SELECT count(*) FROM provisions WHERE case_id = ? AND to_org = 'life-unosumai' "
                         "AND from_org = 'life-unosumai'", (cid,)) == [(0,)], "no provision within one organisation")
        r = d.request("PATCH", "%s/%s" % (lpath, link["id"]), {"share_with_provider": True}, who="life_nurse")
        expect(r.status == 409 and r.json["error"]["code"] == "already_shared", r)


def export_json(d, db, out):
    proc = tsunagu("resources", "export", "--config", d.config, "--db", db, "--out", out)
    expect(proc.returncode == 0, proc.stderr)
    return json.load(open(out, encoding="utf-8"))


def directory(db):
    import sqlite3
    conn = sqlite3.connect(db)
    try:
        return {r[0]: (json.loads(r[1]), r[2], r[3]) for r in
                conn.execute("SELECT id, data, category, provider FROM resources ORDER BY id")}
    finally:
        conn.close()


def test_hsds_export_then_import_reproduces_the_directory_in_json_and_csv():
    with Daemon() as d:
        ok(d.post("/v1/resources", NEW, who="cafe"), 201)
        d.stop()
        page = export_json(d, d.db, os.path.join(d.tmp, "out.json"))
        expect(page["total_items"] == 26 and len(page["contents"]) == 26, page["total_items"])
        svc = [s for s in page["contents"] if s["id"] == "demo-cafe-unosumai"][0]
        expect(svc["organization"]["id"] == "cafe-tsunagaru" and svc["phones"][0]["number"] == "0193-00-2101", svc)
        expect(svc["service_areas"][0]["uri"] == "urn:tsunagu:area:unosumai", svc["service_areas"])
        codes = {a["taxonomy_term"]["taxonomy_id"]: a["taxonomy_term"]["code"] for a in svc["attributes"]}
        expect(codes == {"tsunagu-resource-category": "participation", "tsunagu-capacity-status": "accepting"}, codes)
        want = directory(d.db)
        for form, source in (("json", os.path.join(d.tmp, "out.json")), ("csv", os.path.join(d.tmp, "tables"))):
            if form == "csv":
                proc = tsunagu("resources", "export", "--config", d.config, "--format", "csv", "--out", source)
                expect(proc.returncode == 0, proc.stderr)
                expect(sorted(os.listdir(source)) == sorted(
                    ["datapackage.json", "organization.csv", "service.csv", "phone.csv", "contact.csv", "schedule.csv",
                     "service_area.csv", "location.csv", "address.csv", "service_at_location.csv", "taxonomy.csv",
                     "taxonomy_term.csv", "attribute.csv"]), os.listdir(source))
            fresh = os.path.join(d.tmp, "fresh-%s.db" % form)
            open(fresh, "w").close()  # an empty file is a database to set up; a missing one is a wrong path
            proc = tsunagu("resources", "import", "--config", d.config, "--db", fresh, source)
            expect(proc.returncode == 0 and json.loads(proc.stdout) == {"created": 26, "updated": 0, "unchanged": 0},
                   (form, proc.stdout, proc.stderr))
            expect(directory(fresh) == want, "%s round trip differs" % form)
            proc = tsunagu("resources", "import", "--config", d.config, "--db", fresh, source)
            expect(json.loads(proc.stdout) == {"created": 0, "updated": 0, "unchanged": 26}, proc.stdout)
        # a changed CSV cell updates that resource only
        svc_csv = os.path.join(d.tmp, "tables", "service.csv")
        text = open(svc_csv, encoding="utf-8").read().replace("どなたでも。予約不要、参加費100円（お茶代）",
                                                              "どなたでも。参加費無料")
        open(svc_csv, "w", encoding="utf-8").write(text)
        proc = tsunagu("resources", "import", "--config", d.config, "--db", os.path.join(d.tmp, "fresh-csv.db"),
                       os.path.join(d.tmp, "tables"))
        expect(json.loads(proc.stdout) == {"created": 0, "updated": 1, "unchanged": 25}, proc.stdout)


def test_hsds_import_names_file_line_column_and_imports_nothing_on_any_error():
    with Daemon() as d:
        d.stop()
        tables = os.path.join(d.tmp, "tables")
        shutil.copytree(path("tests", "fixtures", "hsds"), tables)
        db = os.path.join(d.tmp, "other.db")
        open(db, "w").close()
        proc = tsunagu("resources", "import", "--config", d.config, "--db", db, tables)
        expect(proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr))
        err = proc.stderr
        expect("service.csv:3:8: error: service 'svc-bad-status': status 'closed forever' is not one of HSDS's" in err, err)
        expect("organization.csv" not in err and "service.csv:4:2: error: service 'svc-stranger': organization "
               "'org-unknown' (どこかの団体) is not an organisation of the config" in err, err)
        expect("service_area.csv:4:3: error: service 'svc-cafe': service area '東京' is not an area" in err, err)
        expect("phone.csv:3:3: error: service 'svc-walk': contact.phone may hold digits" in err, err)
        expect("nothing was imported" in err, err)
        expect(not os.path.exists(db) or directory(db) == {}, "nothing written")
        # the same tables without the bad rows import, mapping areas by name and providers by name
        for name, drop in (("service.csv", ("svc-bad-status", "svc-stranger")), ("service_area.csv", ("東京",)),
                           ("phone.csv", ("call",))):
            p = os.path.join(tables, name)
            lines = [l for l in open(p, encoding="utf-8").read().splitlines() if not any(x in l for x in drop)]
            open(p, "w", encoding="utf-8").write("\n".join(lines) + "\n")
        proc = tsunagu("resources", "import", "--config", d.config, "--db", db, tables)
        expect(proc.returncode == 0 and json.loads(proc.stdout)["created"] == 2, (proc.stdout, proc.stderr))
        got = directory(db)
        expect(got["svc-cafe"][0]["areas"] == ["unosumai", "toni"] and got["svc-cafe"][2] == "cafe-tsunagaru", got)
        expect(got["svc-cafe"][0]["capacity"] == {"status": "closed", "confirmed_on": "2026-10-01"}, got["svc-cafe"])
        expect(got["svc-walk"][1] == "other" and got["svc-walk"][0]["address"] == "〒026-0301 岩手県釜石市鵜住居町1-1",
               got["svc-walk"])
        # JSON positions point at the value
        bad = os.path.join(d.tmp, "bad.json")
        open(bad, "w", encoding="utf-8").write(
            '{"contents": [\n  {"id": "x1", "name": "ok", "organization_id": "cafe-tsunagaru",\n'
            '   "phones": [{"number": "0193"}], "status": "maybe"},\n  {"name": "no id"}\n]}\n')
        proc = tsunagu("resources", "import", "--config", d.config, "--db", db, bad)
        expect(proc.returncode == 2 and "bad.json:3:46: error: service 'x1': status 'maybe'" in proc.stderr, proc.stderr)
        expect("bad.json:4:3: error: service '?': a service needs an id" in proc.stderr, proc.stderr)
        proc = tsunagu("resources", "import", "--config", d.config, "--db", db, os.path.join(d.tmp, "missing.json"))
        expect(proc.returncode == 2 and "cannot read the file" in proc.stderr, proc.stderr)
        proc = tsunagu("resources", "export", "--config", d.config, "--format", "csv")
        expect(proc.returncode == 2 and "--out DIR" in proc.stderr, proc.stderr)


def test_resource_report_counts_links_per_resource_and_category():
    with Daemon() as d:
        cases = [contacted_pharmacy_case(d) for _ in range(3)]
        lid = {}
        for i, cid in enumerate(cases):
            lid[cid] = ok(d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai"}, who="nurse"), 201)["id"]
            ok(d.post("/v1/cases/%s/links" % cid, {"resource": "demo-health-consult"}, who="nurse"), 201)
        ok(d.request("PATCH", "/v1/cases/%s/links/%s" % (cases[0], lid[cases[0]]), {"status": "joined"}, who="nurse"))
        ok(d.request("PATCH", "/v1/cases/%s/links/%s" % (cases[1], lid[cases[1]]), {"status": "declined"}, who="nurse"))
        ok(d.request("PATCH", "/v1/cases/%s/links/%s" % (cases[0], lid[cases[0]]), {"status": "ended"}, who="nurse"))
        expect(d.get("/v1/reports/resources", who="nurse").status == 403, "coordinators only")
        rep = ok(d.get("/v1/reports/resources", who="coordinator"))
        rows = {r["resource"]: r for r in rep["rows"]}
        cafe = rows["demo-cafe-unosumai"]
        expect((cafe["proposed"], cafe["joined"], cafe["declined"], cafe["ended"], cafe["people"]) == (3, 1, 1, 1, 3), cafe)
        expect(cafe["group"] == "pharmacy" and cafe["category"] == "participation", cafe)
        health = rows["demo-health-consult"]
        expect((health["proposed"], health["joined"]) == (3, 0), health)
        cats = {c["category"]: c for c in rep["categories"]}
        expect(cats["participation"]["proposed"] == 3 and cats["health_programmes"]["proposed"] == 3, cats)
        expect("resource" not in cats["participation"], cats)
        r = d.get("/v1/reports/resources?group_by=fiscal_year", who="coordinator", headers={"Accept": "text/csv"})
        expect(r.status == 200 and r.raw.startswith(b"\xef\xbb\xbf"), r)
        lines = r.raw[3:].decode("utf-8").splitlines()
        expect(lines[0].startswith("kind,group,label,label_short,category"), lines[0])
        expect(any(l.startswith("resource,FY2026,令和8年度,R8年度,participation") for l in lines), lines)
        expect(sum(1 for l in lines if l.startswith("category,")) == 2, lines)
        # with links a small share of the cases the report reads them by date, not through every case: the same
        for _ in range(30):
            ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)
        again = ok(d.get("/v1/reports/resources", who="coordinator"))
        expect(again["rows"] == rep["rows"] and again["categories"] == rep["categories"], (again, rep))
        d.stop()
        # the same numbers from the command line, from the database alone
        proc = tsunagu("report", "resources", "--db", d.db)
        expect(proc.returncode == 0, proc.stderr)
        cli = {r["resource"]: r for r in json.loads(proc.stdout)["rows"]}
        expect(cli["demo-cafe-unosumai"]["joined"] == 1 and cli["demo-cafe-unosumai"]["proposed"] == 3, cli)
        proc = tsunagu("report", "resources")
        expect(proc.returncode == 2 and "--config FILE or --db PATH" in proc.stderr, proc.stderr)


ON_LINK = """    on_link: { joined: person_joined }
    actions:
      person_joined:
        title: { ja: 社会資源への参加を確認, en: The person joined a resource }
        to: linked
        by: [system]
      link:
        title: { ja: 社会資源につないだ, en: Linked to resources }
        to: linked
        by: [nurse]
        parties: [receiver]
        when: "links.active >= 1"
        requires: [linked_summary]"""


def test_link_changes_drive_the_pathway_through_on_link_and_links_counts():
    with Daemon() as d:
        pathways = os.path.join(d.tmp, "pathways")
        shutil.copytree(path("pathways"), pathways)
        pharmacy = os.path.join(pathways, "pharmacy.yaml")
        text = open(pharmacy, encoding="utf-8").read().replace("version: 2", "version: 3", 1)
        old = """    inbox: assignee
    actions:
      link:
        title: { ja: 社会資源につないだ, en: Linked to resources }
        to: linked
        by: [nurse]
        parties: [receiver]
        requires: [linked_summary]"""
        expect(old in text, "the pharmacy pathway changed shape")
        open(pharmacy, "w", encoding="utf-8").write(text.replace(old, "    inbox: assignee\n" + ON_LINK, 1))
        cfg = open(d.config, encoding="utf-8").read().replace("pathways: " + path("pathways"), "pathways: " + pathways)
        open(d.config, "w", encoding="utf-8").write(cfg)
        d.stop()
        d.start()
        cid = contacted_pharmacy_case(d)
        names_now = [a["name"] for a in ok(d.get("/v1/cases/" + cid, who="nurse"))["actions"]]
        expect("link" not in names_now and "person_joined" not in names_now, names_now)  # a guard on links.active
        link = ok(d.post("/v1/cases/%s/links" % cid, {"resource": "demo-cafe-unosumai", "share_with_provider": True},
                         who="nurse"), 201)
        names_now = [a["name"] for a in ok(d.get("/v1/cases/" + cid, who="nurse"))["actions"]]
        expect("link" in names_now, names_now)
        # the café records attendance: the state's on_link moves the case to linked
        ok(d.request("PATCH", "/v1/cases/%s/links/%s" % (cid, link["id"]), {"status": "joined"}, who="cafe"))
        case = ok(d.get("/v1/cases/" + cid, who="nurse"))
        expect(case["state"] == "linked" and case["pathway_version"] == 3, case)
        events = ok(d.get("/v1/cases/%s/events" % cid, who="nurse"))["items"]
        expect([e["action"] for e in events][-2:] == ["link_joined", "person_joined"], events)
        expect(events[-1]["actor"]["org"] == "cafe-tsunagaru", events[-1])  # taken because of the café's change
        timers = [t["name"] for t in case["timers"]]
        expect(timers == ["feedback_reminder"], timers)
        # the pathway checker refuses an on_link action the system could not take
        bad = text.replace(old, "    inbox: assignee\n" + ON_LINK.replace("on_link: { joined: person_joined }",
                                                                          "on_link: { joined: link, maybe: link }"), 1)
        broken = os.path.join(d.tmp, "broken.yaml")
        open(broken, "w", encoding="utf-8").write(bad)
        proc = tsunagu("check", broken)
        expect(proc.returncode == 2, proc.stdout + proc.stderr)
        out = proc.stdout + proc.stderr
        expect("on_link action 'link' must allow the role 'system'" in out and "maybe" in out, out)
