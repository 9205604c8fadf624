"""The PostgreSQL driver of the store's statement interface (store/sqldb_pg.c), against a real
server: a throwaway cluster (pgcluster) and tests/tools/pg_driver_check, which binds, steps and
reads rows through sqldb as the store does (issue 18; not yet a driver the config can choose)."""
import os
import subprocess

from helpers import ROOT, expect
from pgcluster import Cluster


def test_the_postgresql_driver_round_trips_rows_transactions_and_errors():
    check = os.path.join(os.path.dirname(os.environ["TSUNAGU_BIN"]), "pg_driver_check")
    with Cluster() as pg:
        proc = subprocess.run([check, pg.conninfo()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60)
    expect(proc.returncode == 0 and proc.stdout.rstrip().endswith("0 failed"), proc.stdout)
    for part in ("rows, types and bindings", "transactions, savepoints, another's lock", "connection errors"):
        expect("ok   " + part in proc.stdout, proc.stdout)
    expect("hunter2secret" not in proc.stdout, proc.stdout)
