"""What `database:` and `--db` may name: an SQLite file as `sqlite:PATH` or a
bare path (relative to the config's folder, or to the working folder on the
command line), and a PostgreSQL URI, which this build checks (no password in
it, TCP only with sslmode=verify-full) and refuses without ever repeating a
password."""
import os
import re

from daemon import Daemon, pharmacy_referral
from helpers import expect, tsunagu


def set_database(d, text):
    config = open(d.config, encoding="utf-8").read()
    config = re.sub(r"^database: .*$", "database: %s" % text, config, count=1, flags=re.M)
    open(d.config, "w", encoding="utf-8").write(config)


def test_the_sqlite_prefix_names_the_same_file_as_a_bare_path():
    d = Daemon()
    # relative to the config's folder, like every path in it
    set_database(d, "sqlite:data/cases.db")
    os.mkdir(os.path.join(d.tmp, "data"))
    d.db = os.path.join(d.tmp, "data", "cases.db")
    try:
        d.start()
        case = d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        expect(case.status == 201, case.json)
    finally:
        d.stop()
    expect(os.path.exists(d.db), "the database is where sqlite:data/cases.db says")
    # on the command line, relative to the working folder, with or without the prefix
    for db in ("sqlite:data/cases.db", "data/cases.db", "sqlite:" + d.db, "sqlite://" + d.db):
        proc = tsunagu("audit", "verify", "--db", db, cwd=d.tmp)
        expect(proc.returncode == 0 and "ok" in proc.stdout, (db, proc.stdout, proc.stderr))
    proc = tsunagu("notifications", "list", "--config", d.config, "--db", "sqlite:" + d.db)
    expect(proc.returncode == 0 and "referral_received" in proc.stdout, proc.stdout + proc.stderr)
    proc = tsunagu("check", "--config", d.config)
    expect(proc.returncode == 0 and "database %s" % d.db in proc.stdout, proc.stdout + proc.stderr)


def test_a_password_in_a_postgresql_locator_is_refused_and_never_repeated():
    d = Daemon()
    secret = "Kamaishi-s3cret"
    set_database(d, "postgresql://tsunagu:%s@db.example.jp/tsunagu?sslmode=verify-full" % secret)
    proc = tsunagu("check", "--config", d.config)
    expect(proc.returncode == 2, proc.stdout + proc.stderr)
    expect(re.search(r"tsunagu\.yaml:8:11: error: database: postgresql://tsunagu:\*\*\*@db\.example\.jp/", proc.stderr),
           proc.stderr)
    expect("password file" in proc.stderr, proc.stderr)
    serve = tsunagu("serve", "--config", d.config, "--listen", "127.0.0.1:0")
    expect(serve.returncode == 2 and "did not start" in serve.stderr, serve.stderr)
    for out in (proc.stdout, proc.stderr, serve.stdout, serve.stderr):
        expect(secret not in out, out)
    # on the command line, and as a parameter of the URI
    set_database(d, "var/x.db")
    for db in ("postgresql://tsunagu:%s@db.example.jp/tsunagu" % secret,
               "postgres://db.example.jp/tsunagu?sslmode=verify-full&password=" + secret,
               "postgresql://tsunagu:%%zz%s@db/x" % secret):
        for args in (("audit", "verify", "--db", db), ("serve", "--config", d.config, "--db", db),
                     ("check", "--config", d.config, "--db", db)):
            proc = tsunagu(*args)
            expect(proc.returncode == 2 and "--db" in proc.stderr, (args, proc.stderr))
            expect(secret not in proc.stdout + proc.stderr, proc.stderr)


def test_a_postgresql_locator_over_tcp_must_verify_the_server():
    d = Daemon()
    for db in ("postgresql://tsunagu@db.example.jp/tsunagu", "postgresql://tsunagu@db1,db2/tsunagu?sslmode=require"):
        set_database(d, '"%s"' % db)
        proc = tsunagu("check", "--config", d.config)
        expect(proc.returncode == 2 and "over TCP" in proc.stderr and "sslmode=verify-full" in proc.stderr,
               proc.stderr)
    # a well-formed locator: this build names what it can store in instead
    for db in ("postgresql://tsunagu@db1,db2/tsunagu?sslmode=verify-full&target_session_attrs=read-write",
               "postgresql:///tsunagu?host=/run/postgresql"):
        proc = tsunagu("audit", "verify", "--db", db)
        expect(proc.returncode == 2 and "SQLite only" in proc.stderr, proc.stderr)
    proc = tsunagu("audit", "verify", "--db", "mysql://db/x")
    expect(proc.returncode == 2 and "names no database" in proc.stderr, proc.stderr)
