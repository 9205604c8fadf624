"""A generated fiscal year (令和8年度) of realistic activity across the three
pathways — referrals, triage, acceptance late enough to be escalated, contact,
links to resources that are joined or declined, feedback, follow-up, letters,
withdrawals — driven over HTTP with the test clock. The reports' numbers are
then checked against a count the test makes on its own: from the cases'
histories, the pathways' milestone tags, and business days counted with the
holiday dataset of @holiday-jp/holiday_jp rather than tsunagu's calendar."""
import datetime
import json
import os
import random
import statistics
import subprocess
import time
from collections import Counter, defaultdict

from daemon import Daemon, consent
from helpers import ROOT, expect, tsunagu

CONFIG = "\nallow_test_clock: true\n"
JST = datetime.timezone(datetime.timedelta(hours=9))
PAIRS = [("opened", "accepted"), ("accepted", "contacted"), ("contacted", "linked"), ("linked", "feedback"),
         ("feedback", "closed"), ("opened", "closed")]
RESOURCES = ["demo-cafe-unosumai", "demo-walk-unosumai", "demo-health-consult", "demo-team-orange",
             "demo-life-support-coordinator"]


def holidays():
    script = ("const h = require('@holiday-jp/holiday_jp/lib/holidays.js');"
              "console.log(JSON.stringify(Object.keys(h.holidays || h)));")
    out = subprocess.run(["node", "-e", script], cwd=os.path.join(ROOT, "tests"), stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return {datetime.date.fromisoformat(d) for d in json.loads(out)}


class Calendar:
    """Business days counted the way the municipality works: no weekends, holidays or 12/29–1/3."""

    def __init__(self):
        self.holidays = holidays()

    def business(self, day):
        closed = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
        return day.weekday() < 5 and day not in self.holidays and not closed

    def between(self, a, b):
        """Business days in (a, b]."""
        n, day = 0, a
        while day < b:
            day += datetime.timedelta(days=1)
            n += self.business(day)
        return n


def fiscal_label(day):
    fy = day.year if day.month >= 4 else day.year - 1
    return "FY%d" % fy, "令和%s年度" % ("元" if fy == 2019 else fy - 2018), "R%d年度" % (fy - 2018)


class World:
    def __init__(self, d, rng):
        self.d, self.rng = d, rng
        self.now = datetime.datetime(2026, 4, 1, 9, 0, tzinfo=JST)
        self.queue = []          # (time, seq, case, plan)
        self.seq = 0
        self.cases = {}          # id -> plan

    def at(self, when):
        if when > self.now:
            self.now = when
            r = self.d.post("/v1/test/clock", {"now": when.isoformat()}, who="coordinator", check_contract=False)
            expect(r.status == 200, r)

    def later(self, cid, days_low=0, days_high=6):
        when = self.now + datetime.timedelta(days=self.rng.randint(days_low, days_high),
                                             minutes=self.rng.randint(0, 300))
        when = when.replace(hour=max(9, min(when.hour, 16)))
        self.seq += 1
        self.queue.append((when, self.seq, cid))

    def settle(self, cid):
        """Waits until the timers of the case due by now have fired (they run on the daemon's loop)."""
        deadline = time.time() + 20
        while True:
            case = self.d.get("/v1/cases/" + cid, who="coordinator").json
            due = [t for t in case["timers"] if datetime.datetime.fromisoformat(t["due_at"]) <= self.now]
            if not due:
                return case
            expect(time.time() < deadline, "timers of %s did not fire: %s" % (cid, due))
            time.sleep(0.02)

    def act(self, cid, action, who, fields=None):
        r = self.d.post("/v1/cases/%s/actions/%s" % (cid, action), {"fields": fields or {}}, who=who)
        expect(r.status == 200, "%s %s by %s: %r" % (cid, action, who, r))

    def link(self, cid, who, plan):
        for res in self.rng.sample(RESOURCES, self.rng.randint(1, 2)):
            r = self.d.post("/v1/cases/%s/links" % cid, {"resource": res}, who=who)
            expect(r.status == 201, r)
            fate = self.rng.choice(["joined", "joined", "declined", None])
            if fate:
                r = self.d.request("PATCH", "/v1/cases/%s/links/%s" % (cid, r.json["id"]), {"status": fate}, who=who)
                expect(r.status == 200, r)
            plan["links"].append((res, fate))


def open_cases(w, rng):
    day = datetime.date(2026, 4, 1)
    n = 0
    while day < datetime.date(2027, 2, 20):
        day += datetime.timedelta(days=rng.randint(3, 8))
        when = datetime.datetime(day.year, day.month, day.day, 9, rng.randint(0, 59), tzinfo=JST)
        n += 1
        kind = rng.choice(["pharmacy", "pharmacy", "checkup", "checkup", "multi", "multi"])
        w.seq += 1
        w.queue.append((when, w.seq, ("open", kind, n)))


def subject(n, area):
    return {"name": "年間 %d" % n, "kana": "ネンカン %d" % n, "birth_date": "1944-%02d-%02d" % (n % 12 + 1, n % 27 + 1),
            "phone": "0193-22-%04d" % n, "area": area}


def do_open(w, kind, n):
    rng = w.rng
    plan = {"kind": kind, "depth": rng.choice(["accepted", "contacted", "linked", "closed", "closed", "closed"]),
            "withdraw": rng.random() < 0.12, "slow": rng.random() < 0.25, "links": []}
    if kind == "pharmacy":
        who = rng.choice(["pharmacist", "pharmacist2"])
        area = rng.choice(["unosumai", "heita", "toni", "kurihashi"])   # the areas the support centre receives
        body = {"pathway": "pharmacy", "subject": subject(n, area), "consent": consent(),
                "fields": {"concern": rng.choice(["isolation", "loneliness", "anxiety"])}}
    elif kind == "multi":
        who = rng.choice(["welfare", "clinic"])
        body = {"pathway": "multi-agency", "subject": subject(n, "unosumai"), "consent": consent("社協 中村"),
                "fields": {"concern": "isolation"}}
    else:
        who = "checkup"
        risky = rng.random() < 0.6
        area = "unosumai" if risky else rng.choice(["toni", "kasshi", "unosumai"])
        body = {"pathway": "health-checkup", "subject": subject(n, area),
                "fields": {"checkup_date": w.now.date().isoformat(), "person_id": "Y-%03d" % n,
                           "q13": "いいえ" if risky else "はい", "q14": "はい"}}
    r = w.d.post("/v1/cases", body, who=who)
    expect(r.status == 201, r)
    plan["origin_user"] = who
    w.cases[r.json["id"]] = plan
    w.later(r.json["id"], 0, 9 if plan["slow"] else 4)


def step(w, cid):
    """Takes the next step of the case's plan in whatever state it is now (timers may have moved it)."""
    plan = w.cases[cid]
    case = w.settle(cid)
    state = case["state"]
    if case["final"]:
        return
    rng = w.rng
    receiver = case["receiver"]
    nurse = "life_nurse" if receiver == "life-unosumai" else "nurse"
    today = w.now.date().isoformat()
    if state == "triage":
        w.act(cid, "assign_receiver", "coordinator", {"receiver": rng.choice(["support-centre", "life-unosumai"])})
    elif state in ("referred", "escalated"):
        if plan["withdraw"]:
            w.act(cid, "withdraw", plan["origin_user"], {"reason": "本人の希望"})
            return
        w.act(cid, "accept", nurse)
    elif state == "information":
        w.act(cid, "letter_sent", "checkup", {"letter_sent_on": today})
        return
    elif state in ("accepted", "to_contact"):
        if plan["depth"] == "accepted":
            w.act(cid, "close", nurse, {"outcome": rng.choice(["unreachable", "moved", "declined_by_person"])})
            return
        w.act(cid, "record_contact", nurse, {"contact_on": today, "contact_method": "phone"})
    elif state in ("contacted", "assessed"):
        w.link(cid, nurse, plan)
        if plan["depth"] == "contacted":
            w.act(cid, "close", nurse, {"outcome": "self_managed"})
            return
        w.act(cid, "link", nurse, {"linked_summary": "地域の活動へ"})
    elif state == "linked":
        if plan["kind"] == "checkup":
            w.act(cid, "follow_up_due", nurse)
        else:
            follow = (w.now.date() + datetime.timedelta(days=rng.randint(20, 50))).isoformat()
            w.act(cid, "send_feedback", nurse, {"feedback_message": "つながりました", "follow_up_on": follow})
        if plan["depth"] == "linked":
            return
    elif state in ("feedback_sent", "follow_up"):
        w.act(cid, "close", nurse, {"outcome": "linked"})
        return
    else:
        raise AssertionError("no plan for state %s of %s" % (state, cid))
    w.later(cid, 1, 12 if plan["slow"] else 5)


def generate(d):
    rng = random.Random(20260401)
    w = World(d, rng)
    open_cases(w, rng)
    while w.queue:
        w.queue.sort(key=lambda x: (x[0], x[1]))
        when, _, item = w.queue.pop(0)
        if when >= datetime.datetime(2027, 3, 31, 17, 0, tzinfo=JST):
            continue
        w.at(when)
        if isinstance(item, tuple):
            do_open(w, item[1], item[2])
        else:
            step(w, item)
    w.at(datetime.datetime(2027, 3, 31, 17, 0, tzinfo=JST))
    for cid in w.cases:
        w.settle(cid)
    return w


def independent_count(d, w, cal):
    """The reports' numbers, worked out from each case's history and the pathways' milestone tags."""
    milestones = {}
    for pw in d.get("/v1/pathways", who="coordinator").json["items"]:
        full = d.get("/v1/pathways/" + pw["id"], who="coordinator").json
        milestones[pw["id"]] = {s["name"]: s["milestone"] for s in full["states"]}
    cases = []
    for cid in w.cases:
        c = d.get("/v1/cases/" + cid, who="coordinator").json
        events = d.get("/v1/cases/%s/events" % cid, who="coordinator").json["items"]
        reached = {"opened": c["opened_at"]}
        reminders = escalations = 0
        for e in events:
            m = milestones[c["pathway"]].get(e["to"], "none")
            if m != "none" and m not in reached:
                reached[m] = e["at"]
            if e["action"] == "timer":
                reminders += 1
            elif e["actor"]["user"] is None and e["actor"]["org"] is None:
                escalations += 1
        cases.append({"case": c, "reached": reached, "reminders": reminders, "escalations": escalations})
    return cases


def local_date(ts):
    return datetime.datetime.fromisoformat(ts).astimezone(JST).date()


def expected_funnel(cases, key):
    rows = defaultdict(lambda: {"cases": 0, "milestones": Counter(), "outcomes": Counter()})
    for k in cases:
        c = k["case"]
        row = rows[(c["pathway"], key(c))]
        row["cases"] += 1
        for m in k["reached"]:
            row["milestones"][m] += 1
        if c["outcome"]:
            row["outcomes"][c["outcome"]] += 1
    return rows


def expected_durations(cases, cal):
    rows = defaultdict(lambda: {"pairs": defaultdict(list), "reminders": 0, "escalations": 0})
    for k in cases:
        row = rows[k["case"]["pathway"]]
        row["reminders"] += k["reminders"]
        row["escalations"] += k["escalations"]
        for a, b in PAIRS:
            if a in k["reached"] and b in k["reached"]:
                row["pairs"][(a, b)].append(cal.between(local_date(k["reached"][a]), local_date(k["reached"][b])))
    return rows


def test_a_year_of_activity_across_the_three_pathways_matches_an_independent_count():
    d = Daemon(CONFIG)
    try:
        d.start(test_clock="2026-04-01T08:00:00+09:00")
        w = generate(d)
        cal = Calendar()
        cases = independent_count(d, w, cal)
        kinds = Counter(k["case"]["pathway"] for k in cases)
        expect(len(cases) > 40 and set(kinds) == {"pharmacy", "multi-agency", "health-checkup"}, kinds)
        expect(sum(k["escalations"] for k in cases) > 0 and sum(k["reminders"] for k in cases) > 0,
               "the year should hold reminders and escalations")

        # the funnel, by each grouping
        groupings = {
            "pathway": lambda c: None,
            "origin": lambda c: c["origin"],
            "receiver": lambda c: c["receiver"] or "",
            "area": lambda c: c["area"],
            "month": lambda c: local_date(c["opened_at"]).strftime("%Y-%m"),
            "fiscal_year": lambda c: fiscal_label(local_date(c["opened_at"]))[0],
        }
        for group, key in groupings.items():
            want = expected_funnel(cases, key)
            got = d.get("/v1/reports/funnel?group_by=" + group, who="coordinator").json["rows"]
            expect(len(got) == len(want), (group, len(got), len(want)))
            for row in got:
                exp = want[(row["pathway"], row["group"])]
                expect(row["cases"] == exp["cases"], (group, row, exp))
                expect({m: n for m, n in row["milestones"].items() if n} == dict(exp["milestones"]),
                       (group, row["milestones"], exp["milestones"]))
                expect(row["outcomes"] == dict(exp["outcomes"]), (group, row["outcomes"], exp["outcomes"]))
                if group == "fiscal_year":
                    expect((row["label"], row["label_short"]) == fiscal_label(local_date("2026-04-01T00:00:00+09:00"))[1:],
                           row)

        # durations in business days, with the reminders and escalations that fired
        want = expected_durations(cases, cal)
        got = d.get("/v1/reports/durations", who="coordinator").json["rows"]
        expect(sorted(r["pathway"] for r in got) == sorted(want), got)
        for row in got:
            exp = want[row["pathway"]]
            expect((row["reminders"], row["escalations"]) == (exp["reminders"], exp["escalations"]), (row, exp))
            for x in row["business_days"]:
                values = sorted(exp["pairs"].get((x["from"], x["to"]), []))
                expect(x["cases"] == len(values), (row["pathway"], x, values))
                if values:
                    p90 = values[-(-len(values) * 9 // 10) - 1]
                    expect((x["median"], x["p90"], x["max"]) == (statistics.median(values), p90, values[-1]),
                           (row["pathway"], x, values))

        # links to resources, from the test's own record of what it linked
        want = defaultdict(Counter)
        for cid, plan in w.cases.items():
            for res, fate in plan["links"]:
                want[res]["proposed"] += 1
                if fate:
                    want[res][fate] += 1
        rep = d.get("/v1/reports/resources?group_by=fiscal_year", who="coordinator").json
        got = {r["resource"]: r for r in rep["rows"]}
        expect(set(got) == set(want), (set(got), set(want)))
        for res, n in want.items():
            expect((got[res]["proposed"], got[res]["joined"], got[res]["declined"]) ==
                   (n["proposed"], n["joined"], n["declined"]), (res, got[res], n))
            expect(got[res]["label"] == "令和8年度", got[res])

        # and the command line agrees with the API
        api = d.get("/v1/reports/funnel?group_by=area", who="coordinator").json
        d.stop()
        proc = tsunagu("report", "funnel", "--config", d.config, "--group-by", "area")
        expect(proc.returncode == 0 and json.loads(proc.stdout) == api, proc.stderr)
    finally:
        d.cleanup()
