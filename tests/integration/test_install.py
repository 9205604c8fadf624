"""`make install` honours PREFIX and DESTDIR."""
import os
import re
import subprocess
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
        for p in ("health-checkup", "multi-agency", "pharmacy"):
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
        expect(out.returncode == 0 and "24 resources to seed" in out.stdout, out.stdout + out.stderr)
