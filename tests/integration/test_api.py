"""The API as the demo roles use it: every pathway walked end to end over HTTP,
and the contract of SPEC §6 (ETag, If-Match, Idempotency-Key, lists, errors)."""
import json
import re

from daemon import Daemon, consent, pharmacy_referral
from helpers import expect, tsunagu

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")


def act(d, case, action, who, fields=None, etag=None):
    headers = {"If-Match": etag} if etag else None
    return d.post("/v1/cases/%s/actions/%s" % (case, action),
                  {"fields": fields} if fields is not None else {}, who=who, headers=headers)


def ok(reply, status=200):
    expect(reply.status == status, "expected %d, got %r" % (status, reply))
    return reply.json


def action_names(case):
    return sorted(a["name"] for a in case["actions"])


def test_healthz_needs_no_token_and_the_rest_does():
    with Daemon() as d:
        r = d.get("/healthz")
        expect(r.status == 200 and r.json["status"] == "ok", r)
        for path in ("/v1/orgs", "/v1/pathways", "/v1/cases"):
            r = d.get(path)
            expect(r.status == 401 and r.json["error"]["code"] == "unauthorized", r)
        r = d.get("/v1/cases", token="tsu_forged_token_that_does_not_exist")
        expect(r.status == 401, r)


def test_orgs_and_pathways():
    with Daemon() as d:
        orgs = ok(d.get("/v1/orgs", who="nurse"))
        ids = {o["id"]: o for o in orgs["items"]}
        expect(ids["life-unosumai"]["kind"] == "life_support_centre", ids["life-unosumai"])
        expect(ids["life-unosumai"]["areas"] == ["unosumai"], ids["life-unosumai"])
        expect(orgs["next_cursor"] is None, orgs)
        pws = ok(d.get("/v1/pathways", who="pharmacist"))
        by_id = {p["id"]: p for p in pws["items"]}
        expect(set(by_id) == {"pharmacy", "health-checkup", "multi-agency", "consultation-desk", "coordination-issues",
                              "coordination-meetings"}, by_id)
        expect(by_id["pharmacy"]["may_open"] and not by_id["health-checkup"]["may_open"], by_id)
        pw = ok(d.get("/v1/pathways/pharmacy", who="pharmacist"))
        expect(pw["title"]["ja"] == "薬局を起点とした社会的処方連携パス", pw["title"])
        states = {s["name"]: s for s in pw["states"]}
        expect(states["referred"]["timers"][1] == {"name": "escalate", "after": {"amount": 5, "unit": "business_days"},
                                                   "action": "escalate"}, states["referred"]["timers"])
        expect(pw["requires"]["consent"] is True, pw["requires"])
        r = d.get("/v1/pathways/pharmacy/graph?format=mermaid", who="pharmacist")
        expect(r.status == 200 and "stateDiagram-v2" in r.text, r)
        r = d.get("/v1/pathways/pharmacy/graph", who="pharmacist")
        expect(r.status == 200 and r.text.startswith('digraph "pharmacy"'), r)
        expect(d.get("/v1/pathways/pharmacy/graph?format=png", who="pharmacist").status == 422, "bad format")
        expect(d.get("/v1/pathways/pharmacy/graph?format=svg", who="pharmacist").status == 200, "SVG drawn by the daemon")
        expect(d.get("/v1/pathways/nope", who="pharmacist").status == 404, "unknown pathway")


def test_pharmacy_pathway_end_to_end_with_closed_loop_feedback():
    with Daemon() as d:
        r = d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        case = ok(r, 201)
        cid = case["id"]
        expect(r.header("ETag") == '"1"', r.headers)
        expect(r.header("Location") == "/v1/cases/" + cid, r.headers)
        expect(case["state"] == "referred" and case["receiver"] == "support-centre", case)
        expect(case["origin"] == "pharmacy-hamayuri" and case["version"] == 1, case)
        expect(RFC3339.match(case["opened_at"]), case["opened_at"])
        expect(action_names(case) == ["withdraw", "withdraw_consent"], case["actions"])
        withdraw = [a for a in case["actions"] if a["name"] == "withdraw"][0]
        expect(withdraw["requires"] == [{"name": "reason", "type": "text", "required": True,
                                         "title": {"ja": "理由", "en": "Reason"}}], withdraw)

        nurse_view = ok(d.get("/v1/cases/" + cid, who="nurse"))
        expect(action_names(nurse_view) == ["accept", "redirect", "withdraw_consent"], nurse_view["actions"])
        expect(nurse_view["subject"]["name"] == "釜石 花子", nurse_view)

        v = ok(act(d, cid, "accept", "nurse", etag='"1"'))
        expect(v["state"] == "accepted" and v["version"] == 2, v)
        nurse_id = v["assignee"]
        expect(nurse_id and nurse_id.startswith("u_"), v)
        v = ok(act(d, cid, "record_contact", "nurse",
                   {"contact_on": "2026-11-25", "contact_method": "visit", "assessment_note": "独居。外出は週1回未満"}))
        expect(v["state"] == "contacted" and v["fields"]["assessment_note"].startswith("独居"), v)
        v = ok(act(d, cid, "link", "nurse", {"linked_summary": "つながるカフェ（鵜住居）に参加"}))
        v = ok(act(d, cid, "send_feedback", "nurse",
                   {"feedback_message": "カフェにつながりました。ありがとうございました。", "follow_up_on": "2027-02-25"}))
        expect(v["state"] == "feedback_sent", v)

        # the closed loop: the pharmacy sees what its referral led to, never the private note
        ph = ok(d.get("/v1/cases/" + cid, who="pharmacist"))
        expect(ph["fields"]["linked_summary"] == "つながるカフェ（鵜住居）に参加", ph["fields"])
        expect(ph["fields"]["feedback_message"].startswith("カフェに"), ph["fields"])
        expect("assessment_note" not in ph["fields"], ph["fields"])
        events = ok(d.get("/v1/cases/%s/events" % cid, who="pharmacist"))["items"]
        expect([e["action"] for e in events] == ["open", "accept", "record_contact", "link", "send_feedback"], events)
        expect(all("assessment_note" not in e.get("data", {}).get("fields", {}) for e in events), events)
        nurse_events = ok(d.get("/v1/cases/%s/events" % cid, who="nurse"))["items"]
        expect(nurse_events[2]["data"]["fields"]["assessment_note"].startswith("独居"), nurse_events[2])

        v = ok(act(d, cid, "reschedule_follow_up", "nurse", {"follow_up_on": "2027-03-01"}))
        v = ok(act(d, cid, "close", "nurse", {"outcome": "linked", "follow_up_note": "継続参加"}))
        expect(v["state"] == "closed" and v["final"] and v["outcome"] == "linked" and v["closed_at"], v)
        expect(v["milestones_reached"] == ["opened", "accepted", "contacted", "linked", "feedback", "closed"], v)
        expect(v["actions"] == [], v["actions"])
        r = act(d, cid, "close", "nurse", {"outcome": "linked"})
        expect(r.status == 409 and r.json["error"]["code"] == "action_not_available", r)

        # what one action writes together: events chained, outbox rows, provision, access log
        outbox = d.db_rows("SELECT party, org, template FROM outbox WHERE case_id = ? ORDER BY rowid", (cid,))
        expect(("receiver", "support-centre", "referral_received") in outbox, outbox)
        expect(("origin", "pharmacy-hamayuri", "feedback_received") in outbox, outbox)
        expect(("origin", "pharmacy-hamayuri", "case_closed") in outbox, outbox)
        prov = d.db_rows("SELECT from_org, to_org, items, consent_basis FROM provisions WHERE case_id = ?", (cid,))
        expect(len(prov) == 1 and prov[0][:2] == ("pharmacy-hamayuri", "support-centre"), prov)
        expect("subject.name" in prov[0][2] and "written" in prov[0][3], prov)
        access = d.db_rows("SELECT what FROM access_log WHERE case_id = ?", (cid,))
        expect(("case.read",) in access and ("case.events",) in access, access)
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0 and "the chain is whole" in proc.stdout, proc.stdout + proc.stderr)


def test_a_referral_ended_early_has_reached_only_its_opening_and_its_end():
    with Daemon() as d:
        case = ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)
        expect(case["milestones_reached"] == ["opened"], case)
        v = ok(act(d, case["id"], "withdraw_consent", "pharmacist", {"reason": "本人の申し出"}))
        expect(v["milestone"] == "closed" and v["milestones_reached"] == ["opened", "closed"], v)
        listed = ok(d.get("/v1/cases?open=false", who="pharmacist"))["items"]
        expect([c["milestones_reached"] for c in listed] == [["opened", "closed"]], listed)


def test_pharmacy_redirect_escalation_and_withdrawal():
    with Daemon() as d:
        cid = ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)["id"]
        r = act(d, cid, "redirect", "nurse", {"receiver": "pharmacy-minato", "reason": "x"})
        expect(r.status == 422 and r.json["error"]["field"] == "fields.receiver", r)
        v = ok(act(d, cid, "redirect", "nurse", {"receiver": "life-unosumai", "reason": "地区担当へ"}))
        expect(v["state"] == "referred" and v["receiver"] == "life-unosumai", v)
        # the support centre has left the case: it looks absent now
        expect(d.get("/v1/cases/" + cid, who="nurse").status == 404, "redirected away")
        expect(ok(d.get("/v1/cases/" + cid, who="life_nurse"))["receiver"] == "life-unosumai", "new receiver")
        prov = d.db_rows("SELECT from_org, to_org FROM provisions WHERE case_id = ? ORDER BY at", (cid,))
        # each record names who handed the details on: the pharmacy, then the support centre that redirected
        expect(prov == [("pharmacy-hamayuri", "support-centre"), ("support-centre", "life-unosumai")], prov)
        # escalation: by the coordinator (the timer's system action comes with the timers)
        v = ok(act(d, cid, "escalate", "coordinator"))
        expect(v["state"] == "escalated", v)
        expect("subject" not in v, "the coordinator sees no personal data in the pharmacy pathway")
        outbox = d.db_rows("SELECT party, org, template FROM outbox WHERE case_id = ?", (cid,))
        expect(("coordinator", "city-care", "escalated") in outbox, outbox)
        v = ok(act(d, cid, "withdraw", "pharmacist", {"reason": "本人の希望"}))
        expect(v["state"] == "withdrawn" and v["outcome"] == "withdrawn", v)


def test_multi_agency_triage_at_the_support_centres_general_consultation():
    """The seed: the coordinators do not handle cases — the triage belongs to the 包括C's general
    consultation (総合相談); a coordinator may still choose a receiver, seeing metadata only."""
    with Daemon() as d:
        body = pharmacy_referral(pathway="multi-agency")
        body["consent"] = consent("社協 中村")
        body["fields"] = {"concern": "living_difficulty"}
        case = ok(d.post("/v1/cases", body, who="welfare"), 201)
        cid = case["id"]
        expect(case["state"] == "triage" and case["receiver"] == "support-centre", case)
        nurse = ok(d.get("/v1/cases/" + cid, who="nurse"))
        expect(nurse["subject"]["name"] == "釜石 花子" and
               action_names(nurse) == ["assign_receiver", "take_on", "withdraw_consent"], nurse["actions"])
        coord = ok(d.get("/v1/cases/" + cid, who="coordinator"))
        expect("subject" not in coord and "fields" not in coord, "the coordinator sees metadata only")
        expect(action_names(coord) == ["assign_receiver"], coord["actions"])
        expect(d.get("/v1/cases/" + cid, who="life_nurse").status == 404, "not yet the area centre's")
        # the general consultation hands it to the area's life support centre
        v = ok(act(d, cid, "assign_receiver", "nurse", {"receiver": "life-unosumai", "triage_note": "地区の応援センターへ"}))
        expect(v["state"] == "referred" and v["receiver"] == "life-unosumai", v)
        # which may hand it back: to the area's triage, not to itself
        v = ok(act(d, cid, "return_to_triage", "life_nurse", {"reason": "包括で対応が適当"}))
        expect(v["state"] == "triage" and v["receiver"] == "support-centre", v)
        provisions = d.db_rows("SELECT to_org FROM provisions WHERE case_id = ? ORDER BY at, rowid", (cid,))
        expect([p[0] for p in provisions] == ["support-centre", "life-unosumai", "support-centre"], provisions)
        # the coordinator may choose a receiver too (metadata is enough to route)
        v = ok(act(d, cid, "assign_receiver", "coordinator", {"receiver": "support-centre"}))
        expect(v["state"] == "referred", v)
        for step, fields in (("accept", None),
                             ("record_contact", {"contact_on": "2026-11-25", "contact_method": "phone"}),
                             ("link", {"linked_summary": "100歳体操"}),
                             ("send_feedback", {"feedback_message": "体操教室に参加", "follow_up_on": "2027-01-10"}),
                             ("close", {"outcome": "self_managed"})):
            v = ok(act(d, cid, step, "nurse", fields))
        expect(v["state"] == "closed" and v["outcome"] == "self_managed", v)
        wel = ok(d.get("/v1/cases/" + cid, who="welfare"))
        expect(wel["fields"]["feedback_message"] == "体操教室に参加", "feedback reaches the agency")
        # or the general consultation takes it on itself
        other = ok(d.post("/v1/cases", body, who="welfare"), 201)
        v = ok(act(d, other["id"], "take_on", "nurse", None))
        expect(v["state"] == "accepted" and v["receiver"] == "support-centre", v)
        # a pharmacist may open a multi-agency referral too; a nurse may not
        r = d.post("/v1/cases", body, who="nurse")
        expect(r.status == 403 and r.json["error"]["code"] == "forbidden", r)


def test_health_checkup_by_hand_routes_by_the_rule():
    with Daemon() as d:
        base = {"pathway": "health-checkup",
                "subject": {"name": "鵜住居 太郎", "birth_date": "1949-06-01", "area": "unosumai"},
                "fields": {"checkup_date": "2026-06-10", "person_id": "H-0001", "q2": "満足",
                           "q13": "はい", "q14": "はい", "q15": "はい"}}
        info = ok(d.post("/v1/cases", base, who="checkup"), 201)
        expect(info["state"] == "information" and info["receiver"] == "life-unosumai", info)
        v = ok(act(d, info["id"], "letter_sent", "checkup", {"letter_sent_on": "2026-06-20"}))
        expect(v["state"] == "information_sent" and v["outcome"] == "information_provided", v)
        base["fields"]["q14"] = "いいえ"
        risk = ok(d.post("/v1/cases", base, who="checkup"), 201)
        expect(risk["state"] == "to_contact", risk)
        needs = dict(base, fields={"checkup_date": "2026-06-10", "person_id": "H-0002", "needs_support": True})
        needs["subject"] = {"name": "若い 人", "birth_date": "1980-01-01", "area": "unosumai"}
        v = ok(d.post("/v1/cases", needs, who="checkup"), 201)
        expect(v["state"] == "to_contact", v)
        cid = risk["id"]
        expect(d.get("/v1/cases/" + cid, who="nurse").status == 404, "another area's centre")
        for step, fields in (("record_contact", {"contact_on": "2026-06-15", "contact_method": "visit"}),
                             ("link", {"linked_summary": "公民館事業"}),
                             ("follow_up_due", None),
                             ("close", {"outcome": "linked"})):
            v = ok(act(d, cid, step, "life_nurse", fields))
        expect(v["state"] == "closed" and v["outcome"] == "linked", v)
        # q-answers are kept from the coordinator, who sees only metadata
        coord = ok(d.get("/v1/cases/" + cid, who="coordinator"))
        expect("subject" not in coord and "fields" not in coord and coord["state"] == "closed", coord)


def test_if_match_and_version_rules():
    with Daemon() as d:
        cid = ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)["id"]
        before = d.db_snapshot()
        r = act(d, cid, "accept", "nurse", etag='"2"')
        expect(r.status == 412 and r.json["error"]["code"] == "precondition_failed", r)
        expect(r.header("ETag") == '"1"', r.headers)
        expect(d.db_snapshot() == before, "a 412 changes nothing")
        ok(act(d, cid, "accept", "nurse", etag='W/"1"'))
        r = act(d, cid, "record_contact", "nurse", {"contact_on": "2026-11-25", "contact_method": "phone"}, etag='"1"')
        expect(r.status == 412, r)
        ok(act(d, cid, "record_contact", "nurse", {"contact_on": "2026-11-25", "contact_method": "phone"}, etag="*"))
        r = d.get("/v1/cases/" + cid, who="nurse")
        expect(r.header("ETag") == '"3"', r.headers)


def test_idempotency_key_replays_the_first_answer():
    with Daemon() as d:
        body = pharmacy_referral()
        first = d.post("/v1/cases", body, who="pharmacist", headers={"Idempotency-Key": "ref-0001"})
        ok(first, 201)
        again = d.post("/v1/cases", body, who="pharmacist", headers={"Idempotency-Key": "ref-0001"})
        expect(again.status == 201 and again.json == first.json, again)
        expect(again.header("Idempotent-Replayed") == "true", again.headers)
        expect(first.header("Idempotent-Replayed") is None, first.headers)
        expect(again.header("Location") == first.header("Location") == "/v1/cases/" + first.json["id"],
               (first.headers, again.headers))
        # the same body serialised anew (keys in another order, spaces) is the same request
        respelled = json.dumps(dict(reversed(list(body.items()))), indent=2, ensure_ascii=True).encode()
        third = d.request("POST", "/v1/cases", who="pharmacist", raw_body=respelled,
                          headers={"Idempotency-Key": "ref-0001", "Content-Type": "application/json"})
        expect(third.status == 201 and third.json["id"] == first.json["id"], third)
        expect(third.header("Idempotent-Replayed") == "true", third.headers)
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 1, "one case only")
        other = d.post("/v1/cases", pharmacy_referral(name="別人"), who="pharmacist",
                       headers={"Idempotency-Key": "ref-0001"})
        expect(other.status == 422 and other.json["error"]["code"] == "idempotency_key_reused", other)
        # keys are per user: another pharmacist's same key is a new request
        r = d.post("/v1/cases", body, who="pharmacist2", headers={"Idempotency-Key": "ref-0001"})
        expect(r.status == 201 and r.json["id"] != first.json["id"], r)


def test_lists_filters_inboxes_and_cursor_paging():
    with Daemon() as d:
        ids = [ok(d.post("/v1/cases", pharmacy_referral(name="人%d" % i), who="pharmacist"), 201)["id"]
               for i in range(7)]
        ok(d.post("/v1/cases", pharmacy_referral(name="他薬局"), who="pharmacist2"), 201)
        mine = ok(d.get("/v1/cases?limit=3", who="pharmacist"))
        expect(len(mine["items"]) == 3 and mine["next_cursor"], mine)
        seen = [c["id"] for c in mine["items"]]
        cursor = mine["next_cursor"]
        # a cursor belongs to its order: one of the order by update is refused by the order by due
        r = d.get("/v1/cases?limit=3&sort=due&cursor=" + cursor, who="pharmacist")
        expect(r.status == 400 and r.json["error"]["field"] == "cursor", r)
        due_page = ok(d.get("/v1/cases?limit=3&sort=due", who="pharmacist"))
        r = d.get("/v1/cases?limit=3&cursor=" + due_page["next_cursor"], who="pharmacist")
        expect(r.status == 400 and r.json["error"]["field"] == "cursor", r)
        ok(d.get("/v1/cases?limit=3&sort=due&cursor=" + due_page["next_cursor"], who="pharmacist"))
        for flag in ("open=1", "open=yes", "overdue=0"):
            r = d.get("/v1/cases?" + flag, who="pharmacist")
            expect(r.status == 422 and r.json["error"]["code"] == "invalid_field", (flag, r))
        while cursor:
            page = ok(d.get("/v1/cases?limit=3&cursor=" + cursor, who="pharmacist"))
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
        expect(seen == ids, (seen, ids))
        item = mine["items"][0]
        expect(item["subject"] == {"name": "人0", "kana": "カマイシ ハナコ"}, item)
        expect("actions" not in item and "fields" not in item, item)
        nurse_all = ok(d.get("/v1/cases?inbox=org&limit=500", who="nurse"))
        expect(len(nurse_all["items"]) == 8, len(nurse_all["items"]))
        ok(act(d, ids[0], "accept", "nurse"))
        me = ok(d.get("/v1/cases?inbox=me", who="nurse"))
        other = ok(d.get("/v1/cases?inbox=me", who="nurse2"))
        expect(ids[0] in [c["id"] for c in me["items"]], "assigned to the nurse who accepted")
        expect(ids[0] not in [c["id"] for c in other["items"]], "not in a colleague's own inbox")
        expect(ids[0] in [c["id"] for c in ok(d.get("/v1/cases?inbox=org", who="nurse2"))["items"]], "but in the org's")
        accepted = ok(d.get("/v1/cases?state=accepted", who="nurse"))
        expect([c["id"] for c in accepted["items"]] == [ids[0]], accepted)
        since = ok(d.get("/v1/cases/" + ids[0], who="nurse"))["updated_at"]
        recent = ok(d.get("/v1/cases?limit=500&updated_since=" + since.replace("+", "%2B"), who="nurse"))
        expect(ids[0] in [c["id"] for c in recent["items"]], recent)
        future = ok(d.get("/v1/cases?updated_since=2099-01-01T00:00:00Z", who="nurse"))
        expect(future["items"] == [] and future["next_cursor"] is None, future)
        coord = ok(d.get("/v1/cases?limit=500", who="coordinator"))
        expect(len(coord["items"]) == 8 and "subject" not in coord["items"][0], "metadata for coordinators")
        for bad in ("limit=0", "limit=501", "limit=x", "inbox=all", "updated_since=yesterday", "colour=red"):
            r = d.get("/v1/cases?" + bad, who="nurse")
            expect(r.status == 422 and r.json["error"]["field"], (bad, r))
        for bad in ("cursor=zzz", "limit=%2010", "limit=10%20", "limit=-3", "limit=10&limit=20", "q=%00",
                    "pathway=%zz"):
            r = d.get("/v1/cases?" + bad, who="nurse")
            expect(r.status == 400 and r.json["error"]["code"] == "invalid_query" and r.json["error"]["field"],
                   (bad, r))
        # a cursor no list gave out is refused alike everywhere, not read as an empty or a first page
        for who, target in (("nurse", "/v1/cases?cursor=0.a"), ("coordinator", "/v1/notifications?cursor=zz"),
                            ("cafe", "/v1/links?cursor=zz"), ("coordinator", "/v1/audit/access?cursor=zz"),
                            ("nurse", "/v1/resources?cursor=zz")):
            r = d.get(target, who=who)
            expect(r.status == 400 and r.json["error"]["code"] == "invalid_query" and
                   r.json["error"]["field"] == "cursor", (target, r))


def test_notes_assignment_and_subject_correction():
    with Daemon() as d:
        cid = ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)["id"]
        n = ok(d.post("/v1/cases/%s/notes" % cid, {"text": "センター内メモ"}, who="nurse"), 201)
        expect(n["visibility"] == "organisation", n)
        ok(d.post("/v1/cases/%s/notes" % cid, {"text": "薬局にも共有", "visibility": "parties"}, who="nurse"), 201)
        ph_notes = [x["text"] for x in ok(d.get("/v1/cases/%s/notes" % cid, who="pharmacist"))["items"]]
        expect(ph_notes == ["薬局にも共有"], ph_notes)
        nu_notes = [x["text"] for x in ok(d.get("/v1/cases/%s/notes" % cid, who="nurse2"))["items"]]
        expect(nu_notes == ["センター内メモ", "薬局にも共有"], nu_notes)
        # each note names its author as the pages show them
        author = d.db_rows("SELECT name FROM users WHERE id = ?", (n["user"],))[0][0]
        expect(n["user_name"] == author and author.startswith("保健師"), (n, author))
        listed = ok(d.get("/v1/cases/%s/notes" % cid, who="pharmacist"))["items"]
        expect([x["user_name"] for x in listed] == [author], listed)
        # nor does the pharmacy learn from the history that the centre wrote a note of its own
        ph_events = [e for e in ok(d.get("/v1/cases/%s/events" % cid, who="pharmacist"))["items"] if e["action"] == "note"]
        expect([e["data"]["visibility"] for e in ph_events] == ["parties"], ph_events)
        nu_events = [e for e in ok(d.get("/v1/cases/%s/events" % cid, who="nurse2"))["items"] if e["action"] == "note"]
        expect(len(nu_events) == 2, nu_events)
        # notes and events come a page at a time, the cursor going on where the page ended
        for i in range(3):
            ok(d.post("/v1/cases/%s/notes" % cid, {"text": "追記 %d" % i}, who="nurse"), 201)
        texts, cursor = [], None
        while True:
            page = ok(d.get("/v1/cases/%s/notes?limit=2%s" % (cid, "&cursor=" + cursor if cursor else ""), who="nurse"))
            expect(len(page["items"]) <= 2, page)
            texts += [x["text"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        expect(texts == ["センター内メモ", "薬局にも共有", "追記 0", "追記 1", "追記 2"], texts)
        whole = [e["seq"] for e in ok(d.get("/v1/cases/%s/events" % cid, who="nurse"))["items"]]
        first = ok(d.get("/v1/cases/%s/events?limit=3" % cid, who="nurse"))
        rest = ok(d.get("/v1/cases/%s/events?cursor=%s" % (cid, first["next_cursor"]), who="nurse"))
        expect([e["seq"] for e in first["items"] + rest["items"]] == whole and rest["next_cursor"] is None, (whole, first))
        for bad in ("abc", "", "1.2"):
            r = d.get("/v1/cases/%s/events?cursor=%s" % (cid, bad), who="nurse")
            expect(r.status == 400 and r.json["error"]["field"] == "cursor", r)
        expect(d.get("/v1/cases/%s/notes?cursor=c_x" % cid, who="nurse").status == 400, "not a note's cursor")
        r = d.post("/v1/cases/%s/notes" % cid, {"text": "x", "visibility": "world"}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "visibility", r)

        users = d.db_rows("SELECT id, name FROM users")
        tanaka = [u for u, name in users if name == "保健師 田中"][0]
        suzuki = [u for u, name in users if name == "薬剤師 鈴木"][0]
        v = ok(d.post("/v1/cases/%s/assign" % cid, {"user": tanaka}, who="nurse"))
        expect(v["assignee"] == tanaka and v["version"] == 2, v)
        r = d.post("/v1/cases/%s/assign" % cid, {"user": suzuki}, who="nurse")
        expect(r.status == 422 and r.json["error"]["field"] == "user", r)
        r = d.post("/v1/cases/%s/assign" % cid, {"user": tanaka}, who="pharmacist")
        expect(r.status == 403, r)

        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "0193-11-2222"}, who="pharmacist",
                      headers={"If-Match": '"2"'})
        v = ok(r)
        expect(v["subject"]["phone"] == "0193-11-2222" and v["version"] == 3, v)
        r = d.request("PATCH", "/v1/cases/%s/subject" % cid, {"birth_date": "1948-02-30"}, who="pharmacist")
        expect(r.status == 422 and r.json["error"]["field"] == "subject.birth_date", r)
        events = ok(d.get("/v1/cases/%s/events" % cid, who="nurse"))["items"]
        corr = [e for e in events if e["action"] == "correct_subject"][0]
        expect(corr["data"]["changed"] == ["phone"] and len(corr["data"]["subject_digest"]) == 64, corr)
        expect("0193" not in str(corr), "the event keeps no personal data")
        expect(d.request("PATCH", "/v1/cases/%s/subject" % cid, {"phone": "1"}, who="coordinator").status == 403,
               "the coordinator does not correct")


def test_revoked_and_expired_tokens_stop_on_the_next_request():
    with Daemon() as d:
        expect(d.get("/v1/cases", who="nurse").status == 200, "before")
        uid = [u for u, name in d.db_rows("SELECT id, name FROM users") if name == "保健師 高橋"][0]
        proc = tsunagu("user", "revoke", uid, "--config", d.config)
        expect(proc.returncode == 0, proc.stderr)
        r = d.get("/v1/cases", who="nurse")
        expect(r.status == 401 and r.json["error"]["code"] == "unauthorized", r)
        expect(d.get("/v1/cases", who="nurse2").status == 200, "a colleague is unaffected")
        proc = tsunagu("user", "add", "--config", d.config, "--org", "support-centre", "--role", "nurse",
                       "--name", "保健師 新人", "--expires", "1")
        expect(proc.returncode == 0, proc.stderr)
        token = proc.stdout.strip().splitlines()[-1]
        expect(token.startswith("tsu_") and len(token) >= 36, token)
        expect(d.get("/v1/cases", token=token).status == 200, "the new token works at once")
        hashes = [h for (h,) in d.db_rows("SELECT hash FROM tokens")]
        expect(token not in hashes and all(len(h) == 64 for h in hashes), "only hashes are stored")
        new_uid = proc.stdout.split()[1]
        proc = tsunagu("user", "reissue", new_uid, "--config", d.config)
        expect(proc.returncode == 0, proc.stderr)
        token2 = proc.stdout.strip().splitlines()[-1]
        expect(d.get("/v1/cases", token=token).status == 401, "the old token stops")
        expect(d.get("/v1/cases", token=token2).status == 200, "the reissued one works")
        d.db_rows("SELECT 1")
        import sqlite3
        conn = sqlite3.connect(d.db)
        conn.execute("UPDATE tokens SET expires_at = 1 WHERE user_id = ?", (new_uid,))
        conn.commit()
        conn.close()
        expect(d.get("/v1/cases", token=token2).status == 401, "an expired token stops")
        listing = tsunagu("user", "list", "--config", d.config).stdout
        expect(re.search(r"%s\tsupport-centre\tnurse\trevoked\t" % uid, listing), listing)
        expect(re.search(r"%s\tsupport-centre\tnurse\texpired\t" % new_uid, listing), listing)


def test_pathway_file_changed_without_a_new_version_is_refused():
    import os
    import shutil
    d = Daemon()
    try:
        d.start()
        d.stop()
        pw_dir = os.path.join(d.tmp, "pathways")
        shutil.copytree(os.path.join(os.path.dirname(d.config), "..", d.tmp, "x") if False else
                        os.path.join(os.environ["TSUNAGU_SOURCE"], "pathways"), pw_dir)
        text = open(d.config, encoding="utf-8").read()
        text = re.sub(r"pathways: .*", "pathways: %s" % pw_dir, text, count=1)
        open(d.config, "w", encoding="utf-8").write(text)
        p = os.path.join(pw_dir, "pharmacy.yaml")
        src = open(p, encoding="utf-8").read()
        open(p, "w", encoding="utf-8").write(src.replace("受付待ち", "受付待ち（変更）", 1))
        proc = tsunagu("serve", "--config", d.config, "--listen", "127.0.0.1:0")
        expect(proc.returncode == 2, proc.returncode)
        expect("version 2 is already in use with other content; raise 'version'" in proc.stderr, proc.stderr)
        open(p, "w", encoding="utf-8").write(src.replace("受付待ち", "受付待ち（変更）", 1)
                                             .replace("version: 2", "version: 3", 1))
        d.start()
        pw = d.get("/v1/pathways/pharmacy", who="pharmacist").json
        expect(pw["version"] == 3, pw["version"])
    finally:
        d.cleanup()
