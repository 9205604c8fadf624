"""Pathway versions in practice: `tsunagu pathway list|diff|migrate` and POST /v1/pathways/{id}/migrations.
A new version of the pharmacy pathway shortens the escalation and renames a state; running cases move
with a dry run first, their timers counted from when they entered their state; what cannot move stays
with the reason; a migration killed halfway is finished by running it again; the chain verifies."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import time

from daemon import Daemon, pharmacy_referral
from helpers import BIN, expect, tsunagu
from test_operations import own_pathways

OPENED = "2026-06-15T10:00:00+09:00"     # a Monday


def new_version(folder, accepted_name="taking_on"):
    """Version 3 of the pharmacy pathway: escalation after 4 business days instead of 5, and the state
    `accepted` renamed (so its cases need a map), with one more timer on it."""
    file = os.path.join(folder, "pharmacy.yaml")
    text = open(file, encoding="utf-8").read()
    text = re.sub(r"^version: \d+", "version: 3", text, count=1, flags=re.M)
    text = text.replace("{ after: 5 business_days, action: escalate }", "{ after: 4 business_days, action: escalate }")
    text = re.sub(r"\baccepted:\n    title:", accepted_name + ":\n    title:", text)
    text = text.replace("to: accepted", "to: " + accepted_name)
    text = text.replace("      - { name: contact_reminder, after: 5 business_days, notify: { to: assignee, template: contact_reminder } }\n",
                        "      - { name: contact_reminder, after: 5 business_days, notify: { to: assignee, template: contact_reminder } }\n"
                        "      - { name: contact_overdue, after: 10 business_days, notify: { to: coordinator, template: escalated } }\n")
    open(file, "w", encoding="utf-8").write(text)


def opened_cases(d, n_waiting=1, n_accepted=1):
    """Cases waiting (referred), accepted and one closed, opened at OPENED."""
    waiting = [d.post("/v1/cases", pharmacy_referral(name="釜石 待子%d" % i), who="pharmacist").json["id"]
               for i in range(n_waiting)]
    accepted = []
    for i in range(n_accepted):
        cid = d.post("/v1/cases", pharmacy_referral(name="釜石 受子%d" % i), who="pharmacist").json["id"]
        expect(d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse").status == 200, "accepted")
        accepted.append(cid)
    closed = d.post("/v1/cases", pharmacy_referral(name="釜石 閉子"), who="pharmacist").json["id"]
    expect(d.post("/v1/cases/%s/actions/withdraw" % closed, {"fields": {"reason": "本人の希望"}},
                  who="pharmacist").status == 200, "withdrawn")
    return waiting, accepted, closed


def set_clock(d, now):
    expect(d.post("/v1/test/clock", {"now": now}, who="coordinator", check_contract=False).status == 200, now)


def pending_timers(d, case_id):
    return dict(d.db_rows("SELECT name, due_at FROM timers WHERE case_id = ? AND fired_at IS NULL AND "
                          "cancelled_at IS NULL", (case_id,)))


def everything(d):
    """Every case, timer and event as it stands (a dry run must leave each as it was)."""
    return (d.db_snapshot(), d.db_rows("SELECT id, pathway_version, state, version, updated_at, due_at FROM cases "
                                      "ORDER BY id"),
            d.db_rows("SELECT * FROM timers ORDER BY id"), d.db_rows("SELECT count(*), max(seq) FROM events"))


def us(text):
    """A timestamp's microseconds since the epoch."""
    from datetime import datetime
    return int(datetime.fromisoformat(text).timestamp() * 1000000)


def test_list_diff_and_migrate_at_the_command_line_with_a_dry_run_first():
    d = Daemon("\nallow_test_clock: true\n")
    folder = own_pathways(d)
    try:
        d.start(test_clock=OPENED)
        (waiting,), (accepted,), closed = opened_cases(d)
        # three business days later the waiting case's reminder (2 days) has fired, its escalation (5) not yet
        set_clock(d, "2026-06-18T10:00:00+09:00")
        wait_for_fired = time.time() + 10
        while time.time() < wait_for_fired and "accept_reminder" in pending_timers(d, waiting):
            time.sleep(0.05)
        expect("accept_reminder" not in pending_timers(d, waiting), "the reminder fired")
        d.stop()
        new_version(folder)

        # before a daemon records version 3: the list says so; a dry run may look ahead to it
        p = tsunagu("pathway", "list", "--config", d.config)
        expect(p.returncode == 0 and re.search(r"pharmacy\s+\S+", p.stdout), p.stdout + p.stderr)
        expect(re.search(r"v2\s+recorded .*\s2 running", p.stdout) and "v3    not recorded yet" in p.stdout, p.stdout)
        ahead = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--dry-run", "--config", d.config)
        expect(ahead.returncode == 3 and "1 case would move, 1 stays" in ahead.stderr, ahead.stdout + ahead.stderr)
        p = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "7", "--dry-run", "--config", d.config)
        expect(p.returncode == 2 and "version 7 of pharmacy is not recorded" in p.stderr, p.stderr)

        d.start(test_clock="2026-06-18T10:00:00+09:00")
        d.stop()
        p = tsunagu("pathway", "list", "--config", d.config, "--json")
        listed = {x["pathway"]: x for x in json.loads(p.stdout)}
        versions = {v["version"]: v for v in listed["pharmacy"]["versions"]}
        expect(versions[2]["running_cases"] == 2 and versions[3]["running_cases"] == 0 and versions[3]["loaded"] and
               listed["pharmacy"]["loaded_version"] == 3, listed["pharmacy"])

        # the diff, readable: the renamed state removed and added, the escalation changed, a timer added
        p = tsunagu("pathway", "diff", "pharmacy", "2", "3", "--config", d.config)
        expect(p.returncode == 0, p.stderr)
        for line in (r"- removed\s+accepted", r"\+ added\s+taking_on", r"~ changed\s+referred\.escalate\S*: after",
                     r"\+ added\s+taking_on\.contact_overdue", r"~ changed\s+referred\.accept\s+「受け付ける」: to"):
            expect(re.search(line, p.stdout), "%s in\n%s" % (line, p.stdout))
        p = tsunagu("pathway", "diff", "pharmacy", "2", "3", "--config", d.config, "--json")
        diff = json.loads(p.stdout)
        expect({"states", "actions", "timers", "fields", "rules"} <= set(diff), diff)
        p = tsunagu("pathway", "diff", "pharmacy", "2", "9", "--config", d.config)
        expect(p.returncode == 2 and "no version 9" in p.stderr, p.stderr)

        # a dry run without a map: the waiting case would move, the accepted one stays (its state is gone)
        before = everything(d)
        p = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--dry-run", "--config", d.config)
        expect(p.returncode == 3, p.stdout + p.stderr)
        expect(re.search(r"%s\s+would move referred → referred" % waiting, p.stdout), p.stdout)
        expect(re.search(r"%s\s+stays in accepted: version 3 has no state 'accepted'" % accepted, p.stdout), p.stdout)
        expect(closed not in p.stdout, "a closed case stays on its version and is not listed")
        expect("1 case would move, 1 stays on version 2 (dry run: nothing written)" in p.stderr, p.stderr)
        expect(everything(d) == before, "a dry run writes nothing")

        # a map that names states neither version has: every problem with file:line:column
        bad = os.path.join(d.tmp, "bad-map.yaml")
        open(bad, "w", encoding="utf-8").write("states:\n  acepted: taking_on\n  accepted: closed\n")
        p = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--map", bad, "--config", d.config)
        expect(p.returncode == 2, p.stdout + p.stderr)
        expect(re.search(r"bad-map\.yaml:2:\d+: .*no state 'acepted'", p.stderr) and
               re.search(r"bad-map\.yaml:3:\d+: .*'closed' ends cases", p.stderr), p.stderr)
        expect(everything(d) == before, "a refused map writes nothing")

        # with the map, the dry run shows each case's timers, then the migration does exactly that
        good = os.path.join(d.tmp, "map.yaml")
        open(good, "w", encoding="utf-8").write("# where the states version 3 lacks go\nstates:\n  accepted: taking_on\n")
        dry = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--map", good, "--dry-run",
                      "--json", "--config", d.config)
        expect(dry.returncode == 0, dry.stdout + dry.stderr)
        plan = json.loads(dry.stdout)
        expect(plan["moved"] == 2 and plan["stayed"] == 0 and plan["dry_run"], plan)
        items = {i["case"]: i for i in plan["items"]}
        w = {t["name"]: t for t in items[waiting]["timers"]}
        # the reminder fired in this stay: not set again; the escalation counts from the opening: 4 business days
        expect(w["accept_reminder"]["spent"] and w["accept_reminder"]["due_at"] is None, w)
        esc = [t for n, t in w.items() if n != "accept_reminder"][0]
        # (the command's clock is today's, months after: it fires at once)
        expect(esc["due_at"] == "2026-06-19T08:30:00+09:00" and esc["at_once"], esc)
        a = {t["name"]: t for t in items[accepted]["timers"]}
        expect(items[accepted]["to_state"] == "taking_on" and a["contact_overdue"]["due_at"] and
               not a["contact_reminder"]["spent"], items[accepted])
        expect(everything(d) == before, "still nothing written")

        p = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--map", good, "--json",
                    "--config", d.config)
        expect(p.returncode == 0, p.stdout + p.stderr)
        done = json.loads(p.stdout)
        expect(done["moved"] == 2 and not done["dry_run"] and
               [dict(i, timers=None) for i in done["items"]] == [dict(i, timers=None) for i in plan["items"]] and
               [i["timers"] for i in done["items"]] == [i["timers"] for i in plan["items"]],
               "the migration did what the dry run said")
        rows = dict((r[0], r[1:]) for r in d.db_rows("SELECT id, pathway_version, state FROM cases"))
        expect(rows[waiting] == (3, "referred") and rows[accepted] == (3, "taking_on") and rows[closed][0] == 2, rows)
        expect(pending_timers(d, waiting) == {esc["name"]: us(esc["due_at"])}, pending_timers(d, waiting))
        expect(set(pending_timers(d, accepted)) == {"contact_reminder", "contact_overdue"}, pending_timers(d, accepted))
        events = d.db_rows("SELECT case_id, action, from_state, to_state FROM events WHERE action IN "
                           "('migrate', 'pathway_migrated') ORDER BY seq")
        expect(events[:2] == sorted([(waiting, "migrate", "referred", "referred"),
                                     (accepted, "migrate", "accepted", "taking_on")]) and
               events[2][1] == "pathway_migrated", events)

        # run again: nothing left to move
        p = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--map", good, "--config", d.config)
        expect(p.returncode == 0 and "0 cases moved, 0 stay" in p.stderr, p.stderr)
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)

        # the daemon runs the moved cases on version 3: the accepted case goes on from its renamed state,
        # and the waiting one escalates after 4 business days, not 5
        d.start(test_clock="2026-06-18T10:00:00+09:00")
        c = d.get("/v1/cases/" + accepted, who="nurse")
        expect(c.status == 200 and c.json["pathway_version"] == 3 and c.json["state"] == "taking_on", c.json)
        set_clock(d, "2026-06-19T09:30:00+09:00")
        deadline = time.time() + 10
        while time.time() < deadline and d.get("/v1/cases/" + waiting, who="nurse").json["state"] != "escalated":
            time.sleep(0.05)
        expect(d.get("/v1/cases/" + waiting, who="nurse").json["state"] == "escalated", "escalated on version 3's time")
        d.stop()
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)
    finally:
        d.cleanup()


def test_migration_over_the_api_for_coordinators_audited_and_with_a_new_case_version():
    d = Daemon("\nallow_test_clock: true\n")
    folder = own_pathways(d)
    try:
        d.start(test_clock=OPENED)
        (waiting,), (accepted,), closed = opened_cases(d)
        etag = d.get("/v1/cases/" + waiting, who="nurse").header("ETag")
        new_version(folder)
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and "[reloaded]" not in d.stderr():
            time.sleep(0.05)
        url = "/v1/pathways/pharmacy/migrations"
        for who in ("nurse", "pharmacist"):
            r = d.post(url, {"from": 2, "to": 3, "dry_run": True}, who=who)
            expect(r.status == 403 and r.json["error"]["code"] == "forbidden", r)
        for body, status, field in (({"from": 2}, 422, "to"), ({"from": 2, "to": 2}, 422, "to"),
                                    ({"from": 2, "to": 7}, 404, "to"), ({"from": 2, "to": 3, "extra": 1}, 422, "extra"),
                                    ({"from": 2, "to": 3, "dry_run": "yes"}, 422, "dry_run"),
                                    ({"from": 2, "to": 3, "map": {"states": {"accepted": "nowhere"}}}, 422,
                                     "map.states.accepted"),
                                    ({"from": 2, "to": 3, "map": {"accepted": "taking_on"}}, 422, "map")):
            r = d.post(url, body, who="coordinator")
            expect(r.status == status and r.json["error"]["field"] == field, (body, r))
        expect(d.post("/v1/pathways/nothing/migrations", {"from": 1, "to": 2}, who="coordinator").status == 404, "")

        before = everything(d)
        r = d.post(url, {"from": 2, "to": 3, "dry_run": True}, who="coordinator")
        expect(r.status == 200 and r.json["moved"] == 1 and r.json["stayed"] == 1, r.json)
        stays = [i for i in r.json["items"] if not i["moves"]][0]
        expect(stays["case"] == accepted and stays["reasons"][0]["code"] == "state_missing" and
               stays["reasons"][0]["message_ja"], stays)
        expect(everything(d) == before, "a dry run writes nothing")
        # the city's admin may migrate too; another organisation's admin may not
        for org, status in (("city-care", 200), ("support-centre", 403)):
            p = tsunagu("user", "add", "--config", d.config, "--org", org, "--role", "admin", "--name", "管理者 " + org)
            expect(p.returncode == 0, p.stderr)
            token = p.stdout.strip().splitlines()[-1]
            r2 = d.post(url, {"from": 2, "to": 3, "dry_run": True}, token=token)
            expect(r2.status == status and (status != 200 or r2.json == r.json), (org, r2))

        r = d.post(url, {"from": 2, "to": 3, "map": {"states": {"accepted": "taking_on"}}}, who="coordinator")
        expect(r.status == 200 and r.json["moved"] == 2 and r.json["stayed"] == 0, r.json)
        c = d.get("/v1/cases/" + waiting, who="nurse")
        expect(c.json["pathway_version"] == 3 and c.header("ETag") != etag, c.json)
        r = d.post("/v1/cases/%s/actions/accept" % waiting, {}, who="nurse", headers={"If-Match": etag})
        expect(r.status == 412, "the ETag of before the migration is stale")
        # the event in the case's history, by the coordinator; the migration in the audit chain
        ev = d.get("/v1/cases/%s/events" % waiting, who="nurse").json["items"]
        expect(ev[-1]["action"] == "migrate", ev[-1])
        admin = d.db_rows("SELECT actor_user, action FROM events WHERE action = 'pathway_migrated'")
        expect(len(admin) == 1 and admin[0][0], admin)
        versions = {v["version"]: v["running_cases"] for v in
                    d.get("/v1/pathways/pharmacy/versions", who="coordinator").json["items"]}
        expect(versions == {2: 0, 3: 2}, versions)
        # the reports still count what the cases reached before they moved (under the version they were on)
        rows = [x for x in d.get("/v1/reports/funnel?group_by=pathway", who="coordinator").json["rows"]
                if x["pathway"] == "pharmacy"]
        expect(sum(x["milestones"].get("accepted", 0) for x in rows) == 1 and
               [x["milestones"].get("accepted", 0) for x in rows if x["pathway_version"] == 3] == [1], rows)
        # the moved case acts on version 3 (accept leads to the renamed state)
        r = d.post("/v1/cases/%s/actions/accept" % waiting, {}, who="nurse")
        expect(r.status == 200 and r.json["state"] == "taking_on", r.json)
        d.stop()
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)
    finally:
        d.cleanup()


def test_a_migration_killed_halfway_is_finished_by_running_it_again():
    d = Daemon("\nallow_test_clock: true\n")
    folder = own_pathways(d)
    try:
        d.start(test_clock=OPENED)
        n = 400
        for i in range(n):
            expect(d.post("/v1/cases", pharmacy_referral(name="釜石 %d" % i), who="pharmacist").status == 201, i)
        d.stop()
        new_version(folder)
        d.start(test_clock=OPENED)   # records version 3
        d.stop()
        db = sqlite3.connect(d.db)
        proc = subprocess.Popen([BIN, "pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--config",
                                 d.config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        moved = 0
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            moved = db.execute("SELECT count(*) FROM cases WHERE pathway_version = 3").fetchone()[0]
            if moved:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        moved = db.execute("SELECT count(*) FROM cases WHERE pathway_version = 3").fetchone()[0]
        # whatever instant it died at: whole batches, each moved case with its event and its timers
        expect(moved % 50 == 0 or moved == n, moved)
        print("killed with %d of %d cases moved" % (moved, n))
        expect(db.execute("SELECT count(*) FROM events WHERE action = 'migrate'").fetchone()[0] == moved, moved)
        expect(db.execute("SELECT count(*) FROM cases c WHERE pathway_version = 3 AND NOT EXISTS (SELECT 1 FROM "
                          "timers t WHERE t.case_id = c.id AND t.fired_at IS NULL AND t.cancelled_at IS NULL "
                          "AND t.created_at > c.opened_at)").fetchone()[0] == 0, "timers set again")
        db.close()
        p = tsunagu("pathway", "migrate", "pharmacy", "--from", "2", "--to", "3", "--config", d.config)
        expect(p.returncode == 0 and ("%d cases moved" % (n - moved)) in p.stderr, p.stderr)
        expect(d.db_rows("SELECT pathway_version, count(*) FROM cases GROUP BY 1") == [(3, n)], "all moved")
        expect(d.db_rows("SELECT count(*) FROM events WHERE action = 'migrate'") == [(n,)], "one event each")
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)
    finally:
        d.cleanup()


def test_the_shipped_pathways_running_cases_move_from_version_2_to_3():
    """A city that ran multi-agency and health-checkup version 2 moves its running cases to the shipped
    version 3, dry run first: a referral waiting in the coordinators' triage gains the receiver its area
    is routed to (the support centre's general consultation, with its provision record); a checkup case
    waiting for the nurse's contact gains the escalation version 3 added."""
    import shutil
    from helpers import path
    d = Daemon("\nallow_test_clock: true\n")
    folder = own_pathways(d)
    try:
        for p in ("multi-agency", "health-checkup"):
            shutil.copy(path("tests", "fixtures", "migration", p + "-v2.yaml"), os.path.join(folder, p + ".yaml"))
        d.start(test_clock=OPENED)
        body = pharmacy_referral(pathway="multi-agency", name="多機関 移行")
        waiting = d.post("/v1/cases", body, who="welfare").json
        expect(waiting["state"] == "triage" and waiting["receiver"] is None, waiting)
        checkup = d.post("/v1/cases", {"pathway": "health-checkup", "subject": {
            "name": "健診 移行", "kana": "ケンシン イコウ", "birth_date": "1945-05-05", "area": "unosumai"},
            "fields": {"checkup_date": "2026-06-10", "person_id": "Y-777", "q13": "いいえ"}}, who="checkup").json
        expect(checkup["state"] == "to_contact", checkup)
        d.stop()
        for p in ("multi-agency", "health-checkup"):
            shutil.copy(path("pathways", p + ".yaml"), os.path.join(folder, p + ".yaml"))
        d.start(test_clock=OPENED)     # records the shipped version 3
        url = "/v1/pathways/%s/migrations"
        plan = d.post(url % "multi-agency", {"from": 2, "to": 3, "dry_run": True}, who="coordinator")
        expect(plan.status == 200 and plan.json["moved"] == 1, plan)
        item = plan.json["items"][0]
        expect(item["to_state"] == "triage" and item["receiver"] == "support-centre", item)
        expect(d.db_rows("SELECT count(*) FROM provisions WHERE case_id = ?", (waiting["id"],)) == [(0,)], "dry")
        done = d.post(url % "multi-agency", {"from": 2, "to": 3}, who="coordinator")
        expect(done.status == 200 and done.json["items"] == plan.json["items"], done)
        # now in the general consultation's inbox; the coordinator sees its metadata only
        inbox = d.get("/v1/cases?inbox=org", who="nurse").json["items"]
        expect(waiting["id"] in [c["id"] for c in inbox], inbox)
        expect("subject" not in d.get("/v1/cases/" + waiting["id"], who="coordinator").json, "metadata only")
        expect(d.db_rows("SELECT to_org FROM provisions WHERE case_id = ?", (waiting["id"],)) == [("support-centre",)],
               "the details passed to the support centre, recorded")
        r = d.post(url % "health-checkup", {"from": 2, "to": 3}, who="coordinator")
        expect(r.status == 200 and r.json["moved"] == 1, r)
        timers = {t["name"]: t for t in r.json["items"][0]["timers"]}
        expect(set(timers) == {"contact_reminder", "contact_escalation"} and
               timers["contact_escalation"]["due_at"] > timers["contact_reminder"]["due_at"], timers)
        expect(set(pending_timers(d, checkup["id"])) == {"contact_reminder", "contact_escalation"},
               pending_timers(d, checkup["id"]))
        d.stop()
        p = tsunagu("audit", "verify", "--db", d.db)
        expect(p.returncode == 0, p.stdout + p.stderr)
    finally:
        d.cleanup()
