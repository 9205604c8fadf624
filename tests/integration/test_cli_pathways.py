"""The pathway command line as a coordinator uses it: check, graph, --help."""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from helpers import ROOT, demo_config_text, expect, path, tsunagu

SHIPPED = ["consultation-desk", "coordination-issues", "coordination-meetings", "health-checkup", "multi-agency",
           "pharmacy"]


def test_shipped_pathways_check_clean():
    proc = tsunagu("check", *[path("pathways", p + ".yaml") for p in SHIPPED])
    expect(proc.returncode == 0, proc.stderr)
    expect(proc.stderr == "", "no warnings expected: " + proc.stderr)
    for p in SHIPPED:
        expect(re.search(r"%s\.yaml: ok: %s v\d+" % (p, p), proc.stdout), proc.stdout)


def test_demo_config_checks_clean():
    proc = tsunagu("check", "--config", path("configs", "demo", "tsunagu.yaml"))
    expect(proc.returncode == 0, proc.stderr)
    expect("32 organisations, 8 areas, 6 pathways" in proc.stdout, proc.stdout)
    expect("resources.json: ok: 25 resources to seed an empty directory" in proc.stdout, proc.stdout)


def test_each_broken_fixture_reports_every_expected_error():
    fixtures = sorted(glob.glob(path("tests", "fixtures", "pathways", "broken-*.yaml")))
    expect(len(fixtures) >= 4, fixtures)
    for fixture in fixtures:
        rel = os.path.relpath(fixture, ROOT)
        expected = [line.split("# expect: ", 1)[1].rstrip("\n")
                    for line in open(fixture, encoding="utf-8") if line.startswith("# expect: ")]
        expect(expected, "fixture %s declares no expectations" % rel)
        proc = tsunagu("check", rel)
        expect(proc.returncode == 2, "%s: exit %d" % (rel, proc.returncode))
        expect(proc.stdout == "", "an invalid file prints no ok line: " + proc.stdout)
        lines = proc.stderr.splitlines()
        for want in expected:
            hit = [l for l in lines if l.startswith(rel + ":" + want.split(": ")[0] + ": ")
                   and want.split(": ", 1)[1] in l]
            expect(hit, "%s: missing %r in:\n%s" % (rel, want, proc.stderr))
        # every diagnostic has the compiler shape file:line:column: severity: message
        for l in lines[:-1]:
            expect(re.match(r"^%s:\d+:\d+: (error|warning): \S" % re.escape(rel), l), l)
        expect(re.match(r"^\d+ errors?, \d+ warnings?$", lines[-1]), lines[-1])


def test_check_reports_all_files_and_fails_if_any_is_broken():
    proc = tsunagu("check", "pathways/pharmacy.yaml", "tests/fixtures/pathways/broken-syntax.yaml")
    expect(proc.returncode == 2, proc.returncode)
    expect("broken-syntax.yaml:4:7: error: YAML syntax" in proc.stderr, proc.stderr)


def test_two_files_with_one_id_are_refused():
    with tempfile.TemporaryDirectory() as tmp:
        a = os.path.join(tmp, "a.yaml")
        shutil.copy(path("pathways", "pharmacy.yaml"), a)
        proc = tsunagu("check", "pathways/pharmacy.yaml", a)
        expect(proc.returncode == 2, proc.returncode)
        expect("pathway id 'pharmacy' is also used by" in proc.stderr, proc.stderr)


def test_missing_file_is_a_plain_error():
    proc = tsunagu("check", "pathways/nope.yaml")
    expect(proc.returncode == 2, proc.returncode)
    expect("pathways/nope.yaml: error: cannot read the file: No such file or directory" in proc.stderr,
           proc.stderr)


def test_dot_graphs_render_with_graphviz():
    for p in SHIPPED:
        for arg in (p, "pathways/%s.yaml" % p):
            proc = tsunagu("graph", arg)
            expect(proc.returncode == 0, proc.stderr)
            expect(proc.stdout.startswith('digraph "%s"' % p), proc.stdout[:80])
            svg = subprocess.run(["dot", "-Tsvg"], input=proc.stdout, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            expect(svg.returncode == 0, svg.stderr)
            expect("<svg" in svg.stdout, "dot produced no SVG")
            expect(svg.stderr == "", "dot complained: " + svg.stderr)
    dot = tsunagu("graph", "pharmacy").stdout
    expect("受付待ち" in dot and "フィードバック済み" in dot, "ja titles in the graph")
    expect('"referred" -> "escalated"' in dot, "escalation edge")
    expect("after 5 business_days" in dot, "timer on the escalation edge")


def test_mermaid_graph_lists_every_state_and_transition():
    proc = tsunagu("graph", "health-checkup", "--format", "mermaid")
    expect(proc.returncode == 0, proc.stderr)
    out = proc.stdout
    expect("stateDiagram-v2" in out, out[:100])
    expect('state "情報提供（お便り送付待ち）" as information' in out, out)
    expect("[*] --> to_contact" in out and "[*] --> information" in out, out)
    expect("information_sent --> [*]" in out, out)
    expect("linked --> follow_up : follow_up_due" in out, out)
    # no Mermaid-breaking characters inside labels
    for line in out.splitlines():
        if " : " in line:
            expect(":" not in line.split(" : ", 1)[1], line)


def test_graph_errors():
    proc = tsunagu("graph", "no-such-pathway")
    expect(proc.returncode == 2, proc.returncode)
    expect("no pathway file and no pathway with id 'no-such-pathway'" in proc.stderr, proc.stderr)
    proc = tsunagu("graph", "pharmacy", "--format", "png")
    expect(proc.returncode == 2, proc.returncode)
    expect("unknown format 'png'; use dot or mermaid" in proc.stderr, proc.stderr)
    proc = tsunagu("graph", "tests/fixtures/pathways/broken-syntax.yaml")
    expect(proc.returncode == 2 and proc.stdout == "", proc.stdout)


def test_help_and_usage_errors():
    proc = tsunagu("--help")
    expect(proc.returncode == 0 and "check" in proc.stdout and "graph" in proc.stdout, proc.stdout)
    for cmd in (["check"], ["graph"], ["serve"], ["org", "list"]):
        proc = tsunagu(*cmd, "--help")
        expect(proc.returncode == 0, cmd)
        expect(proc.stdout.startswith("usage: tsunagu " + " ".join(cmd)), proc.stdout)
    expect(tsunagu().returncode == 2, "no command")
    proc = tsunagu("frobnicate")
    expect(proc.returncode == 2 and "unknown command 'frobnicate'" in proc.stderr, proc.stderr)
    proc = tsunagu("check")
    expect(proc.returncode == 2 and "usage: tsunagu check" in proc.stderr, proc.stderr)
    proc = tsunagu("check", "--bogus")
    expect(proc.returncode == 2, proc.returncode)
    proc = tsunagu("org")
    expect(proc.returncode == 2 and "tsunagu org list" in proc.stderr, proc.stderr)


def test_org_list_prints_id_kind_name():
    proc = tsunagu("org", "list", "--config", "configs/demo/tsunagu.yaml")
    expect(proc.returncode == 0, proc.stderr)
    rows = [l.split("\t") for l in proc.stdout.splitlines()]
    expect(len(rows) == 32, len(rows))
    expect(["support-centre", "support_centre", "釜石市地域包括支援センター"] in rows, rows)
    expect(sum(1 for r in rows if r[1] == "pharmacy") == 3, rows)
    expect(sum(1 for r in rows if r[1] == "resource_provider") == 4, rows)


def test_broken_config_names_file_line_column():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "bad.yaml")
        text = demo_config_text(tmp)
        text = text.replace("    default: support-centre\n    areas:\n      kamaishi: life-kamaishi",
                            "    default: pharmacy-minato\n    areas:\n      kamaishi: life-kamaishi")
        text = text.replace("kind: life_support_centre, name: { ja: 唐丹", "kind: life_suport_centre, name: { ja: 唐丹")
        open(cfg, "w", encoding="utf-8").write(text)
        proc = tsunagu("check", "--config", cfg)
        expect(proc.returncode == 2, proc.returncode)
        expect(re.search(r"bad\.yaml:\d+:\d+: error: unknown organisation kind 'life_suport_centre'; did you mean 'life_support_centre'\?", proc.stderr), proc.stderr)
        expect(re.search(r"bad\.yaml:\d+:\d+: error: organisation 'pharmacy-minato' is a pharmacy", proc.stderr), proc.stderr)
