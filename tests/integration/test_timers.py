"""Timers on the business calendar, driven by the test clock of a real daemon:
reminders and escalations counted in business days across Golden Week and the
year-end closure, follow-ups at a date field and after months, cancellation by
leaving the state, overdue timers after a restart, and no double firing."""
import time

from daemon import Daemon, pharmacy_referral
from helpers import expect, tsunagu, wait_for

TEST_CONFIG = "\nallow_test_clock: true\n"


def set_clock(d, now):
    r = d.post("/v1/test/clock", {"now": now}, who="coordinator", check_contract=False)
    expect(r.status == 200, r)




def timers(d, cid, who="nurse"):
    return {t["name"]: t["due_at"] for t in d.get("/v1/cases/" + cid, who=who).json["timers"]}


def events(d, cid, who="nurse"):
    return d.get("/v1/cases/%s/events" % cid, who=who).json["items"]


def outbox(d, cid):
    return d.db_rows("SELECT party, org, template FROM outbox WHERE case_id = ? ORDER BY rowid", (cid,))


def test_reminder_then_escalation_across_golden_week():
    d = Daemon(TEST_CONFIG)
    try:
        d.start(test_clock="2026-05-01T15:00:00+09:00")  # a Friday afternoon
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        # 2 business days: 5/2-5/6 are weekend and holidays (5/6 振替休日); 5/7, 5/8
        # 5 business days: 5/7, 5/8, 5/11, 5/12, 5/13 — at the start of business hours
        expect(timers(d, cid) == {"accept_reminder": "2026-05-08T08:30:00+09:00",
                                  "escalate": "2026-05-13T08:30:00+09:00"}, timers(d, cid))
        set_clock(d, "2026-05-08T08:29:59+09:00")
        time.sleep(0.2)
        expect([e["action"] for e in events(d, cid)] == ["open"], "nothing due yet")
        set_clock(d, "2026-05-08T08:30:00+09:00")
        wait_for(lambda: len(events(d, cid)) == 2, "the reminder")
        ev = events(d, cid)[1]
        expect(ev["action"] == "timer" and ev["data"]["timer"] == "accept_reminder", ev)
        expect(ev["actor"]["user"] is None and ev["actor"]["org"] is None and ev["at"] == "2026-05-08T08:30:00+09:00", ev)
        expect(("receiver", "support-centre", "accept_reminder") in outbox(d, cid), outbox(d, cid))
        expect(timers(d, cid) == {"escalate": "2026-05-13T08:30:00+09:00"}, timers(d, cid))
        set_clock(d, "2026-05-13T09:00:00+09:00")
        case = wait_for(lambda: (lambda c: c if c["state"] == "escalated" else None)(
            d.get("/v1/cases/" + cid, who="nurse").json), "the escalation")
        expect(case["timers"] == [], case["timers"])
        last = events(d, cid)[-1]
        expect(last["action"] == "escalate" and last["from"] == "referred" and last["to"] == "escalated", last)
        expect(("coordinator", "city-care", "escalated") in outbox(d, cid), outbox(d, cid))
        expect(d.stop() == 0, "clean stop")
        expect("fired 2 timers" in d.stderr(), d.stderr())
    finally:
        d.cleanup()


def test_business_days_across_the_year_end_closure():
    d = Daemon(TEST_CONFIG)
    try:
        d.start(test_clock="2026-12-25T10:00:00+09:00")  # a Friday
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        # 12/28 is a business day; 12/29-1/3 are closed; then 1/4, 1/5, 1/6, 1/7
        expect(timers(d, cid) == {"accept_reminder": "2027-01-04T08:30:00+09:00",
                                  "escalate": "2027-01-07T08:30:00+09:00"}, timers(d, cid))
    finally:
        d.cleanup()


def test_leaving_the_state_cancels_its_timers():
    d = Daemon(TEST_CONFIG)
    try:
        d.start(test_clock="2026-05-01T15:00:00+09:00")
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        v = d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse").json
        expect({t["name"] for t in v["timers"]} == {"contact_reminder"}, v["timers"])
        set_clock(d, "2026-06-30T09:00:00+09:00")
        wait_for(lambda: any(e["action"] == "timer" for e in events(d, cid)), "the contact reminder")
        acts = [e["action"] for e in events(d, cid)]
        expect(acts == ["open", "accept", "timer"], acts)
        expect(events(d, cid)[2]["data"]["timer"] == "contact_reminder", events(d, cid)[2])
        expect(d.get("/v1/cases/" + cid, who="nurse").json["state"] == "accepted", "never escalated")
        # the reminder goes to the assignee
        expect(d.db_rows("SELECT party, user_id IS NOT NULL FROM outbox WHERE template = 'contact_reminder'")
               == [("assignee", 1)], "to the assignee")
        cancelled = d.db_rows("SELECT name FROM timers WHERE case_id = ? AND cancelled_at IS NOT NULL ORDER BY name",
                              (cid,))
        expect(cancelled == [("accept_reminder",), ("escalate",)], cancelled)
    finally:
        d.cleanup()


def test_follow_up_at_a_date_field_and_after_months():
    d = Daemon(TEST_CONFIG)
    try:
        d.start(test_clock="2026-06-01T10:00:00+09:00")
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        for step, fields in (("accept", None),
                             ("record_contact", {"contact_on": "2026-06-01", "contact_method": "visit"}),
                             ("link", {"linked_summary": "カフェ"}),
                             ("send_feedback", {"feedback_message": "つながりました", "follow_up_on": "2026-08-20"})):
            r = d.post("/v1/cases/%s/actions/%s" % (cid, step), {"fields": fields} if fields else {}, who="nurse")
            expect(r.status == 200, r)
        expect(timers(d, cid) == {"follow_up_due": "2026-08-20T08:30:00+09:00"}, timers(d, cid))
        r = d.post("/v1/cases/%s/actions/reschedule_follow_up" % cid, {"fields": {"follow_up_on": "2026-09-01"}},
                   who="nurse")
        expect(r.json["timers"] == [{"name": "follow_up_due", "due_at": "2026-09-01T08:30:00+09:00"}], r.json)
        set_clock(d, "2026-09-01T08:30:00+09:00")
        wait_for(lambda: ("assignee", "support-centre", "follow_up_due") in
                 [(p, o, t) for p, o, t in outbox(d, cid)], "the follow-up notification")

        hc = {"pathway": "health-checkup",
              "subject": {"name": "鵜住居 太郎", "birth_date": "1949-06-01", "area": "unosumai"},
              "fields": {"checkup_date": "2026-06-10", "person_id": "H-1", "q13": "いいえ"}}
        hid = d.post("/v1/cases", hc, who="checkup").json["id"]
        for step, fields in (("record_contact", {"contact_on": "2026-09-01", "contact_method": "visit"}),
                             ("link", {"linked_summary": "100歳体操"})):
            r = d.post("/v1/cases/%s/actions/%s" % (hid, step), {"fields": fields}, who="life_nurse")
            expect(r.status == 200, r)
        # 3 months from 2026-09-01 08:30 -> 2026-12-01 08:30 (same day of month)
        expect(timers(d, hid, "life_nurse") == {"follow_up_due": "2026-12-01T08:30:00+09:00"},
               timers(d, hid, "life_nurse"))
        set_clock(d, "2026-12-01T08:30:00+09:00")
        wait_for(lambda: d.get("/v1/cases/" + hid, who="life_nurse").json["state"] == "follow_up", "follow-up")
    finally:
        d.cleanup()


def test_overdue_timers_fire_after_a_restart():
    d = Daemon(TEST_CONFIG)
    try:
        d.start(test_clock="2026-05-01T15:00:00+09:00")
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        d.stop()
        d.start(test_clock="2026-06-01T09:00:00+09:00")
        wait_for(lambda: d.get("/v1/cases/" + cid, who="nurse").json["state"] == "escalated", "escalation")
        acts = [e["action"] for e in events(d, cid)]
        expect(acts == ["open", "timer", "escalate"], acts)
    finally:
        d.cleanup()


def test_no_double_firing_across_kill_9_mid_batch():
    d = Daemon(TEST_CONFIG)
    try:
        d.start(test_clock="2026-05-01T15:00:00+09:00")
        ids = []
        for i in range(450):
            ids.append(d.post("/v1/cases", pharmacy_referral(name="人%d" % i), who="pharmacist").json["id"])
        # everything becomes due at once: 900 timers, in batches of 200
        d.post("/v1/test/clock", {"now": "2026-06-01T09:00:00+09:00"}, who="coordinator", check_contract=False)
        # kill as soon as the first batch is on disk and the rest is not
        fired = wait_for(lambda: d.db_rows("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL")[0][0],
                         "the first batch", 30)
        d.kill9()
        expect(fired < 2 * len(ids), "killed before the end (%d of %d fired)" % (fired, 2 * len(ids)))
        d.start(test_clock="2026-06-01T09:00:00+09:00")
        wait_for(lambda: d.db_rows("SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
                 == [(0,)], "all timers done", 60)
        per_case = dict(d.db_rows("SELECT case_id, count(*) FROM events WHERE action = 'timer' GROUP BY case_id"))
        esc = dict(d.db_rows("SELECT case_id, count(*) FROM events WHERE action = 'escalate' GROUP BY case_id"))
        expect(all(per_case.get(c) == 1 for c in ids), "one reminder each")
        expect(all(esc.get(c) == 1 for c in ids), "one escalation each")
        reminders = d.db_rows("SELECT count(*) FROM outbox WHERE template = 'accept_reminder'")[0][0]
        expect(reminders == len(ids), reminders)
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0, proc.stdout)
    finally:
        d.cleanup()


def test_test_clock_is_refused_without_the_config_switch():
    d = Daemon()
    try:
        proc = tsunagu("serve", "--config", d.config, "--listen", "127.0.0.1:0", "--test-clock", "now")
        expect(proc.returncode == 2 and "allow_test_clock" in proc.stderr, proc.stderr)
        d.start()
        expect(d.post("/v1/test/clock", {"advance_seconds": 60}, who="nurse").status == 404, "no clock endpoint")
    finally:
        d.cleanup()
