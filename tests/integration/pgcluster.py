"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory
(C.UTF-8, UTF8), the server listening on a Unix socket in that directory only
(no TCP), run as the postgres user when the tests run as root (initdb refuses
root), stopped and removed afterwards. Debian's postgresql package (make
test-deps) provides the server; a missing one is an error, not a skip.

    with Cluster() as pg:
        conninfo = pg.conninfo()        # postgresql:///postgres?host=/tmp/…&user=postgres
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from urllib.parse import quote


def server_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("no PostgreSQL server in /usr/lib/postgresql: make test-deps installs Debian's postgresql")
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self):
        self.bin = server_bin()
        self.dir = tempfile.mkdtemp(prefix="tsunagu-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.as_user = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.started = False

    def _run(self, *args):
        proc = subprocess.run(self.as_user + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise RuntimeError("%s failed: %s" % (os.path.basename(args[0]), proc.stdout[-2000:]))
        return proc.stdout

    def start(self):
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                  "--locale=C.UTF-8", "--encoding=UTF8")
        # no TCP: the socket in the cluster's own directory; fsync off, the cluster is thrown away
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-o",
                  "-c listen_addresses='' -k %s -c fsync=off -c full_page_writes=off" % self.dir, "start")
        self.started = True
        return self

    def conninfo(self, database="postgres"):
        return "postgresql:///%s?host=%s&user=postgres" % (database, quote(self.dir, safe=""))

    def stop(self):
        if self.started:
            self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except Exception:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
