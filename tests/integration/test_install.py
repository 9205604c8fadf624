"""`make install` honours PREFIX and DESTDIR."""
import os
import re
import subprocess
import shutil
import stat
import tempfile

from helpers import ROOT, expect


def test_make_install_honours_prefix_and_destdir():
    with tempfile.TemporaryDirectory() as dest:
        proc = subprocess.run(["make", "-s", "install", "PREFIX=/opt/tsunagu", "DESTDIR=" + dest], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        expect(proc.returncode == 0, proc.stdout)
        root = os.path.join(dest, "opt", "tsunagu")
        binary = os.path.join(root, "bin", "tsunagu")
        expect(os.access(binary, os.X_OK), "binary installed")
        for p in ("health-checkup", "multi-agency", "pharmacy", "consultation-desk", "coordination-issues",
                  "coordination-meetings"):
            expect(os.path.isfile(os.path.join(root, "share", "tsunagu", "pathways", p + ".yaml")), p)
        unit = open(os.path.join(root, "lib", "systemd", "system", "tsunagu.service")).read()
        expect("ExecStart=/opt/tsunagu/bin/tsunagu serve" in unit, unit)
        # each connection is a descriptor: the unit allows well above the demo's max_connections (1024)
        m = re.search(r"^LimitNOFILE=(\d+)$", unit, re.M)
        expect(m and int(m.group(1)) >= 4096, unit)
        out = subprocess.run([binary, "check"] + [os.path.join(root, "share", "tsunagu", "pathways", p + ".yaml")
                                                   for p in ("health-checkup", "multi-agency", "pharmacy")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        expect(out.returncode == 0, out.stderr)
        # the installed demo config names the installed pathways, templates and directory seed
        demo = os.path.join(root, "share", "tsunagu", "demo", "tsunagu.yaml")
        text = open(demo, encoding="utf-8").read()
        expect("pathways: /opt/tsunagu/share/tsunagu/pathways" in text and "database: /var/lib/tsunagu/" in text, text)
        staged = os.path.join(dest, "demo.yaml")
        open(staged, "w", encoding="utf-8").write(text.replace("/opt/tsunagu", root))
        os.symlink(os.path.join(root, "share", "tsunagu", "demo", "resources.json"), os.path.join(dest, "resources.json"))
        out = subprocess.run([binary, "check", "--config", staged], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        expect(out.returncode == 0 and "25 resources to seed" in out.stdout, out.stdout + out.stderr)


def test_the_installed_unit_is_confined_to_an_ok_exposure_and_reloads_and_notifies():
    with tempfile.TemporaryDirectory() as dest:
        proc = subprocess.run(["make", "-s", "install", "PREFIX=/usr/local", "DESTDIR=" + dest], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        expect(proc.returncode == 0, proc.stdout)
        unit = os.path.join(dest, "usr", "local", "lib", "systemd", "system", "tsunagu.service")
        text = open(unit).read()
        for line in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "UMask=0077",
                     "StateDirectory=tsunagu", "User=tsunagu", "SystemCallFilter=@system-service"):
            expect(line in text, line)
        out = subprocess.run(["systemd-analyze", "security", "--offline=true", unit], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for tsunagu.service: ([\d.]+) (\w+)", out.stdout + out.stderr)
        expect(m, out.stdout + out.stderr)
        expect(float(m.group(1)) <= 2.0 and m.group(2) == "OK", m.group(0))
        expect(os.path.isfile(os.path.join(dest, "usr", "local", "share", "tsunagu", "nginx-tsunagu.conf")),
               "the nginx config installed")


def test_make_install_system_makes_the_user_and_its_folders():
    with tempfile.TemporaryDirectory() as dest:
        etc = os.path.join(dest, "etc")
        os.makedirs(etc)
        # useradd --prefix works on the files of DESTDIR/etc
        for f in ("passwd", "group", "shadow", "gshadow", "login.defs"):
            if os.path.exists("/etc/" + f):
                shutil.copy("/etc/" + f, os.path.join(etc, f))
        proc = subprocess.run(["make", "-s", "install-system", "PREFIX=/usr/local", "DESTDIR=" + dest], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        expect(proc.returncode == 0, proc.stdout)
        user = [l.split(":") for l in open(os.path.join(etc, "passwd")) if l.startswith("tsunagu:")]
        expect(user and user[0][6].strip() == "/usr/sbin/nologin" and user[0][5] == "/var/lib/tsunagu", user)
        uid, gid = int(user[0][2]), int(user[0][3])
        state = os.stat(os.path.join(dest, "var", "lib", "tsunagu"))
        expect(state.st_uid == uid and stat.S_IMODE(state.st_mode) == 0o700, state)
        config = os.path.join(etc, "tsunagu", "tsunagu.yaml")
        cs = os.stat(config)
        expect(cs.st_uid == 0 and cs.st_gid == gid and stat.S_IMODE(cs.st_mode) == 0o640, cs)
        # a second run keeps the user and an edited config
        open(config, "a").write("# edited\n")
        proc = subprocess.run(["make", "-s", "install-system", "PREFIX=/usr/local", "DESTDIR=" + dest], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        expect(proc.returncode == 0 and open(config).read().endswith("# edited\n"), proc.stdout)
        expect(len([l for l in open(os.path.join(etc, "passwd")) if l.startswith("tsunagu:")]) == 1, "one user")
