"""Backup and restore as an operator runs them: a backup while the daemon writes, checked and
with its manifest, 0600 whatever the umask, optionally sealed; `audit verify --manifest` finds
events cut off; a restore refused while the daemon runs, then done: it starts, verifies, holds
every action acknowledged before the backup began, ends every session and forgets again what
was revoked, erased or purged after the backup. And the backup a daemon takes before it
migrates an older schema."""
import json
import os
import re
import shutil
import stat
import subprocess
import threading
import time

from daemon import Daemon, pharmacy_referral
from helpers import BIN, ROOT, expect, tsunagu
from test_sign_in import Person


def mode_of(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def backup(*args, umask=0):
    """`tsunagu backup` under a umask that would make files world-readable."""
    proc = subprocess.run([BIN, "backup"] + list(args), capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(umask))
    expect("AddressSanitizer" not in proc.stderr and "runtime error:" not in proc.stderr, proc.stderr)
    return proc


def add_user(d, org, role, name):
    proc = tsunagu("user", "add", "--config", d.config, "--org", org, "--role", role, "--name", name)
    expect(proc.returncode == 0, proc.stdout + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    return lines[0].split()[1], lines[-1]


def closed_case(d, name):
    cid = d.post("/v1/cases", pharmacy_referral(name=name), who="pharmacist").json["id"]
    expect(d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse").status == 200, "accepted")
    expect(d.post("/v1/cases/%s/actions/close" % cid, {"fields": {"outcome": "self_managed"}},
                  who="nurse").status == 200, "closed")
    return cid


def test_backup_under_write_load_restores_every_acknowledged_action_and_forgets_again():
    d = Daemon()
    out = os.path.join(d.tmp, "backups")
    os.makedirs(out)
    try:
        d.start()
        # acknowledged before the backup began
        before = [d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"] for _ in range(20)]
        erased_later = closed_case(d, "後で 消す")
        revoked_id, revoked_token = add_user(d, "support-centre", "nurse", "後で 取り消す")
        _, admin = add_user(d, "support-centre", "admin", "管理者 木村")
        # a session, ended by the restore
        p = Person(d)
        expect(p.enrol("sato", d.enrolment["sato"]).status == 201, "enrolled")
        expect(d.db_rows("SELECT count(*) FROM sessions WHERE ended_at IS NULL")[0][0] >= 1, "a session")

        # write load while the backup is taken
        stop, during = threading.Event(), []

        def writer():
            while not stop.is_set():
                r = d.post("/v1/cases", pharmacy_referral(), who="pharmacist", check_contract=False)
                expect(r.status == 201, r)
                during.append(r.json["id"])

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.2)
            file = os.path.join(out, "nightly.db")
            proc = backup("--config", d.config, "--out", file)
        finally:
            stop.set()
            for t in threads:
                t.join()
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        expect(during, "the load ran during the backup")
        manifest = json.load(open(file + ".manifest.json"))
        expect(manifest["format"] == "tsunagu-backup/1" and manifest["schema"] >= 8 and manifest["events"] > 20,
               manifest)
        expect(mode_of(file) == 0o600 and mode_of(file + ".manifest.json") == 0o600, "0600 whatever the umask")
        expect(not [f for f in os.listdir(out) if "tmp" in f or "sealed" in f], os.listdir(out))
        # a second backup never replaces the first
        again = backup("--config", d.config, "--out", file)
        expect(again.returncode != 0 and "exists" in again.stderr, again.stderr)

        # after the backup: a revocation, an erasure, a reissue (the passphrase reset), a purge
        proc = tsunagu("user", "revoke", "--config", d.config, revoked_id)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        r = d.post("/v1/subjects/%s/erase" % erased_later, {"reason": "本人の求め"}, token=admin)
        expect(r.status == 200 and r.json["erased"] == 1, r)
        expect(d.get("/v1/cases", token=revoked_token, check_contract=False).status == 401, "revoked")
        sato = d.db_rows("SELECT id FROM users WHERE login = 'sato'")[0][0]
        proc = tsunagu("user", "reissue", "--config", d.config, sato)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        log = open(d.db + ".forget.jsonl", encoding="utf-8").read()
        expect(erased_later in log and "後で" not in log and mode_of(d.db + ".forget.jsonl") == 0o600, log)
        expect([json.loads(l)["kind"] for l in log.splitlines()] ==
               ["user_revoked", "erased", "tokens_reissued", "purged"], log)

        # a restore is refused while the daemon runs
        proc = tsunagu("restore", file, "--config", d.config)
        expect(proc.returncode != 0 and "stop it first" in proc.stderr, proc.stderr)
        # the daemon dies with commits in its WAL: they belong to the old file, kept aside with it
        d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        d.kill9()
        expect(os.path.getsize(d.db + "-wal") > 0, "the old database's newest commits are in its WAL")
        proc = tsunagu("restore", file, "--config", d.config)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        expect("sessions ended" in proc.stdout and "3 applied, 1 with nothing left to do" in proc.stdout, proc.stdout)
        m = re.search(r"enrol again: sato ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", proc.stdout)
        expect(m, "the reissued login enrols again: " + proc.stdout)
        aside = [f for f in os.listdir(d.tmp) if ".before-restore-" in f]
        expect(any(f.endswith("-wal") for f in aside) and mode_of(os.path.join(d.tmp, aside[0])) == 0o600, aside)
        expect(not os.path.exists(d.db + "-wal") or os.path.getsize(d.db + "-wal") == 0, "no old WAL beside it")

        proc = tsunagu("audit", "verify", "--db", d.db, "--manifest", file + ".manifest.json")
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        # without demo tokens: the tokens of the backup's time stay, and the printed enrolment code is the one
        d.start(demo_tokens=False)
        for cid in before:
            expect(d.get("/v1/cases/" + cid, who="nurse").status == 200, "acknowledged before the backup: " + cid)
        # forgotten again: the revoked user stays revoked, the erased person erased, sessions ended
        expect(d.get("/v1/cases", token=revoked_token, check_contract=False).status == 401, "still revoked")
        sid = d.db_rows("SELECT subject_id FROM cases WHERE id = ?", (erased_later,))[0][0]
        expect(d.db_rows("SELECT data FROM subjects WHERE id = ?", (sid,)) == [(None,)], "erased again")
        expect(d.db_rows("SELECT count(*) FROM sessions WHERE ended_at IS NULL")[0][0] == 0, "sessions ended")
        expect(p.req("GET", "/v1/me").status == 401, "the session before the restore no longer works")
        # the passphrase the reissue reset does not come back; the new enrolment code works
        expect(Person(d).sign_in("sato").status == 401, "the old passphrase stays reset")
        expect(Person(d).enrol("sato", m.group(1)).status == 201, "enrols with the code the restore printed")
        expect(d.get("/v1/cases", who="pharmacist", check_contract=False).status == 401,
               "the reissued user's old token stays revoked")
        expect(d.post("/v1/cases", pharmacy_referral(), who="pharmacist2").status == 201, "writes again")
        d.stop()
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
    finally:
        d.cleanup()


def test_audit_verify_with_a_manifest_finds_events_cut_off():
    d = Daemon()
    try:
        d.start()
        for _ in range(3):
            d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        file = os.path.join(d.tmp, "b.db")
        expect(backup("--db", d.db, "--out", file).returncode == 0, "backup")
        d.stop()
        n = d.db_rows("SELECT count(*) FROM events")[0][0]
        import sqlite3
        c = sqlite3.connect(d.db)
        c.execute("DELETE FROM events WHERE seq > ?", (n - 2,))
        c.commit()
        c.close()
        # the chain alone is whole: what is left links up
        expect(tsunagu("audit", "verify", "--db", d.db).returncode == 0, "a chain cut at its end still links")
        proc = tsunagu("audit", "verify", "--db", d.db, "--manifest", file + ".manifest.json")
        expect(proc.returncode == 3 and "CUT OFF" in proc.stdout, proc.stdout + proc.stderr)
    finally:
        d.cleanup()


def test_a_sealed_backup_opens_only_with_its_key_and_unchanged():
    d = Daemon()
    try:
        d.start()
        d.post("/v1/cases", pharmacy_referral(name="暗号 花子"), who="pharmacist")
        key = os.path.join(d.tmp, "backup.key")
        expect(backup("--new-key", key).returncode == 0 and mode_of(key) == 0o600, "a key")
        file = os.path.join(d.tmp, "sealed.db")
        proc = backup("--db", d.db, "--out", file, "--key-file", key)
        expect(proc.returncode == 0 and "encrypted" in proc.stdout, proc.stdout + proc.stderr)
        data = open(file, "rb").read()
        expect(data.startswith(b"TSUSEAL1") and b"SQLite format" not in data, "sealed")
        expect("暗号".encode() not in data and "カマイシ".encode() not in data, "nothing readable")
        d.stop()
        proc = tsunagu("restore", file, "--db", d.db)
        expect(proc.returncode != 0 and "--key-file" in proc.stderr, proc.stderr)
        other = os.path.join(d.tmp, "other.key")
        backup("--new-key", other)
        proc = tsunagu("restore", file, "--db", d.db, "--key-file", other)
        expect(proc.returncode != 0 and "does not open" in proc.stderr, proc.stderr)
        loose = os.path.join(d.tmp, "loose.key")
        shutil.copy(key, loose)
        os.chmod(loose, 0o644)
        proc = tsunagu("restore", file, "--db", d.db, "--key-file", loose)
        expect(proc.returncode != 0 and "chmod 600" in proc.stderr, proc.stderr)
        # a key given where a manifest goes: refused, and no digit of the key is quoted back
        proc = tsunagu("audit", "verify", "--db", d.db, "--manifest", key)
        secret = open(key).read().strip()
        expect(proc.returncode != 0 and "not a tsunagu backup manifest" in proc.stderr and
               secret[:5] not in proc.stdout + proc.stderr, proc.stderr)
        # changed: the manifest's digest, and without the manifest the tags
        changed = os.path.join(d.tmp, "changed.db")
        blob = bytearray(data)
        blob[len(blob) // 2] ^= 1
        open(changed, "wb").write(bytes(blob))
        proc = tsunagu("restore", changed, "--db", d.db, "--key-file", key)
        expect(proc.returncode != 0 and "does not open" in proc.stderr, proc.stderr)
        proc = tsunagu("restore", file, "--db", d.db, "--key-file", key)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        expect(tsunagu("audit", "verify", "--db", d.db).returncode == 0, "verifies")
    finally:
        d.cleanup()


def test_a_daemon_backs_up_an_older_schema_before_migrating_it_and_one_daemon_per_database():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "upgrade", "schema7.db"), d.db)
        d.start(test_clock="2026-06-15T11:00:00+09:00")
        folder = os.path.join(os.path.dirname(d.db), "backups")
        made = [f for f in os.listdir(folder) if f.endswith(".db")]
        expect(len(made) == 1 and "schema7" in made[0], made)
        manifest = json.load(open(os.path.join(folder, made[0] + ".manifest.json")))
        expect(manifest["schema"] == 7 and manifest["events"] > 0, manifest)
        expect(mode_of(os.path.join(folder, made[0])) == 0o600 and mode_of(folder) == 0o700, "private")
        expect("backed up to" in d.stderr(), d.stderr())
        # a second daemon on the same database is refused
        second = subprocess.run([BIN, "serve", "--config", d.config, "--listen", "127.0.0.1:0"], capture_output=True,
                                text=True, timeout=30)
        expect(second.returncode != 0 and "holds" in second.stderr, second.stderr)
        d.stop()
        # the backup is the old schema as it was: it restores, and migrates again on the next start
        proc = tsunagu("restore", os.path.join(folder, made[0]), "--db", d.db)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        # backup.keep (3): the oldest pre-migration backups beyond it go, with their manifests
        import calendar
        for day in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
            for suffix in (".db", ".db.manifest.json"):
                old = os.path.join(folder, "pre-migration-%s-schema6%s" % (day, suffix))
                open(old, "w").close()
                t = calendar.timegm(time.strptime(day, "%Y%m%dT%H%M%SZ"))
                os.utime(old, (t, t))
        # a backup cut short (a start systemd killed) leaves a temporary: it goes too
        open(os.path.join(folder, "pre-migration-20260104T000000Z-schema7.db.tmp-4242"), "w").close()
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "upgrade", "schema7.db"), d.db)
        for f in ("-wal", "-shm"):
            if os.path.exists(d.db + f):
                os.unlink(d.db + f)
        d.start(test_clock="2026-06-15T11:00:00+09:00")
        d.stop()
        kept = sorted(f for f in os.listdir(folder) if f.endswith(".db"))
        expect(len(kept) == 3 and "pre-migration-20260101T000000Z-schema6.db" not in kept and
               "pre-migration-20260102T000000Z-schema6.db" not in kept, kept)
        expect(len([f for f in os.listdir(folder) if f.endswith(".manifest.json")]) == 3, os.listdir(folder))
        expect(not [f for f in os.listdir(folder) if ".tmp-" in f], os.listdir(folder))
    finally:
        d.cleanup()


def test_no_room_for_the_backup_before_a_migration_refuses_the_start():
    d = Daemon("\nbackup:\n  min_free_mb: 1000000\n")
    try:
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "upgrade", "schema7.db"), d.db)
        proc = subprocess.run([BIN, "serve", "--config", d.config, "--listen", "127.0.0.1:0"], capture_output=True,
                              text=True, timeout=30, cwd=d.tmp)
        expect(proc.returncode != 0 and "make room" in proc.stderr and "did not start" in proc.stderr, proc.stderr)
        import sqlite3
        c = sqlite3.connect(d.db)
        expect(c.execute("PRAGMA user_version").fetchone()[0] == 7, "not migrated")
        c.close()
    finally:
        d.cleanup()


def test_a_restore_leaves_alone_what_the_backup_holds_and_enrols_each_reset_login_once():
    d = Daemon()
    out = os.path.join(d.tmp, "backups")
    os.makedirs(out)
    try:
        d.start()
        sato = d.db_rows("SELECT id FROM users WHERE login = 'sato'")[0][0]
        nurse = d.db_rows("SELECT id FROM users WHERE login = 'takahashi'")[0][0]
        # before the backup: sato is reissued and enrols again; the backup holds all of it
        proc = tsunagu("user", "reissue", "--config", d.config, sato)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", proc.stdout).group(1)
        token = proc.stdout.strip().splitlines()[-1]
        expect(Person(d).enrol("sato", code).status == 201, "sato enrols after the reissue")
        file = os.path.join(out, "after-reissue.db")
        proc = backup("--config", d.config, "--out", file)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        # after it: the nurse is reissued, then given another login (two entries, one person)
        for args in (("user", "reissue", "--config", d.config, nurse),
                     ("user", "login", "--config", d.config, nurse, "takahashi2")):
            proc = tsunagu(*args)
            expect(proc.returncode == 0, proc.stdout + proc.stderr)
        d.stop()
        proc = tsunagu("restore", file, "--config", d.config)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
        expect("2 applied" in proc.stdout and "1 the backup holds already" in proc.stdout, proc.stdout)
        again = re.findall(r"enrol again: (\S+) ([0-9A-Z-]{19})", proc.stdout)
        expect([login for login, _ in again] == ["takahashi"], proc.stdout)
        d.start(demo_tokens=False)
        # what the backup held stays: sato's passphrase and the token of the reissue before it
        expect(Person(d).sign_in("sato").status == 201, "sato's passphrase, set before the backup, still works")
        expect(d.get("/v1/me", token=token, check_contract=False).status == 200, "the reissued token still works")
        # what came after is done again, once: the one code printed is the one that works
        expect(Person(d).enrol("takahashi", again[0][1]).status == 201, "the nurse enrols with the printed code")
        d.stop()
        # restores one after the other each keep the database they replaced, within the same second too
        for _ in range(2):
            proc = tsunagu("restore", file, "--config", d.config)
            expect(proc.returncode == 0, proc.stdout + proc.stderr)
        kept = [f for f in os.listdir(d.tmp) if ".before-restore-" in f and not f.endswith("-wal")]
        expect(len(kept) == 3, kept)
    finally:
        d.cleanup()
