"""Personal data that leaks through time and through files: access that ends when the
need ends, a provider that sees only what it needs, consent with a scope the machine
checks, closed and purged cases that stay closed, erasure on request, files and
commands that cannot mislead, inputs that make sense, and people and codes shown as
people read them."""
import csv
import io
import json
import os
import sqlite3
import stat
import tempfile

from daemon import Daemon, consent, pharmacy_referral
from helpers import expect, path, tsunagu


def ok(reply, status=200):
    expect(reply.status == status, "expected %d, got %r" % (status, reply))
    return reply.json


def act(d, case, action, who, fields=None, headers=None):
    return d.post("/v1/cases/%s/actions/%s" % (case, action), {"fields": fields or {}}, who=who, headers=headers)


def linked_case(d):
    """A pharmacy referral the nurse has contacted and linked to the Unosumai café, details handed over."""
    cid = ok(d.post("/v1/cases", pharmacy_referral(), who="pharmacist"), 201)["id"]
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


def test_a_provider_sees_only_what_it_needs_and_its_reads_are_logged():
    with Daemon() as d:
        cid, link = linked_case(d)
        listed = ok(d.get("/v1/cases", who="cafe"))["items"]
        expect(len(listed) == 1 and set(listed[0]) == {"id", "version", "your_sides", "subject"}, listed)
        expect(listed[0]["subject"] == {"name": "釜石 花子", "kana": "カマイシ ハナコ"}, listed)
        view = ok(d.get("/v1/cases/" + cid, who="cafe"))
        for hidden in ("pathway", "origin", "state", "outcome", "timers", "fields", "actions", "receiver"):
            expect(hidden not in view, (hidden, view))
        before = d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.links'")[0][0]
        ok(d.get("/v1/cases/%s/links" % cid, who="pharmacist"))
        ok(d.get("/v1/cases/%s/links" % cid, who="cafe"))
        after = d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.links'")[0][0]
        expect(after == before + 2, "every read of a case's links is in the access log")
