"""Upgrades: a database made by an earlier release's own code (tests/fixtures/upgrade) migrates on
start, keeps every case and its chain, and gains what the new schema holds (the open cases' due
times, logins and sessions for the pages)."""
import os
import shutil

from daemon import Daemon
from helpers import ROOT, expect, tsunagu


def test_a_schema_7_database_migrates_and_verifies():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "upgrade", "schema7.db"), d.db)
        before = d.db_rows("SELECT id, state, version FROM cases ORDER BY id")
        expect(d.db_rows("PRAGMA user_version") == [(7,)] and len(before) == 3, before)
        d.start(test_clock="2026-06-15T11:00:00+09:00")   # the fixture's day: no timer falls due meanwhile
        expect(d.db_rows("PRAGMA user_version")[0][0] >= 8, "migrated")
        expect(d.db_rows("SELECT id, state, version FROM cases ORDER BY id") == before, "every case as it was")
        due = dict(d.db_rows("SELECT state, due_at FROM cases"))
        expect(due["accepted"] and due["referred"] and due["withdrawn"] is None, due)
        listed = d.get("/v1/cases?sort=due&open=true", who="nurse").json["items"]
        expect(len(listed) == 2 and all(c["next_due_at"] and not c["overdue"] for c in listed), listed)
        # the demo users of the old database get their logins and enrolment codes
        expect("takahashi" in d.enrolment and "sato" in d.enrolment, d.enrolment)
        d.stop()
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
    finally:
        d.cleanup()


def test_a_database_of_every_earlier_schema_migrates_keeps_its_cases_and_verifies():
    folder = os.path.join(ROOT, "tests", "fixtures", "upgrade")
    versions = sorted(int(f[6:-3]) for f in os.listdir(folder) if f.startswith("schema") and f.endswith(".db"))
    expect(versions[:9] == list(range(1, 10)), "a fixture of every earlier schema: %s" % versions)
    for version in versions:
        d = Daemon("\nallow_test_clock: true\n")
        try:
            shutil.copy(os.path.join(folder, "schema%d.db" % version), d.db)
            expect(d.db_rows("PRAGMA user_version") == [(version,)], "schema %d" % version)
            before = d.db_rows("SELECT id, state, version FROM cases ORDER BY id")
            expect(len(before) == 3, before)
            d.start(test_clock="2026-06-15T11:00:00+09:00")
            after = d.db_rows("PRAGMA user_version")[0][0]
            expect(after > version, "schema %d migrated to %d" % (version, after))
            expect(d.db_rows("SELECT id, state, version FROM cases ORDER BY id") == before,
                   "schema %d: every case as it was" % version)
            # the migrated cases answer and act as today's
            waiting = [cid for cid, state, _ in before if state == "referred"][0]
            r = d.get("/v1/cases/" + waiting, who="nurse")
            expect(r.status == 200 and r.json["state"] == "referred", r)
            expect(d.post("/v1/cases/%s/actions/accept" % waiting, {}, who="nurse").status == 200,
                   "schema %d: a migrated case goes on" % version)
            d.stop()
            proc = tsunagu("audit", "verify", "--db", d.db)
            expect(proc.returncode == 0, "schema %d: %s" % (version, proc.stdout + proc.stderr))
        finally:
            d.cleanup()


def test_a_database_of_a_newer_schema_is_refused_naming_the_versions():
    import sqlite3
    import subprocess
    from helpers import BIN
    d = Daemon()
    try:
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "upgrade", "schema7.db"), d.db)
        c = sqlite3.connect(d.db)
        c.execute("PRAGMA user_version = 99")
        c.commit()
        c.close()
        proc = subprocess.run([BIN, "serve", "--config", d.config, "--listen", "127.0.0.1:0"], capture_output=True,
                              text=True, timeout=30, cwd=d.tmp)
        expect(proc.returncode != 0 and "schema version 99" in proc.stderr and "newer" in proc.stderr and
               "did not start" in proc.stderr, proc.stderr)
        c = sqlite3.connect(d.db)
        expect(c.execute("PRAGMA user_version").fetchone()[0] == 99, "left as it was")
        c.close()
        expect(not os.path.exists(os.path.join(d.tmp, "backups")), "no backup of a database it will not migrate")
    finally:
        d.cleanup()
