"""The layering check (tests/check_layers.py) passes on the tree and fails, naming
file and line, on an upward include, a transaction begun outside the turn, and a
write of the store from an edge."""
import os
import shutil
import subprocess
import tempfile

from helpers import ROOT, expect

CHECK = os.path.join(ROOT, "tests", "check_layers.py")


def run_check(root):
    return subprocess.run(["/usr/bin/python3", CHECK, "--root", root], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)


def copy_tree():
    tmp = tempfile.mkdtemp(prefix="tsunagu-layers-")
    for top in ("engine", "adapters"):
        shutil.copytree(os.path.join(ROOT, top), os.path.join(tmp, top),
                        ignore=shutil.ignore_patterns("web", "*.o", "*.d"))
    return tmp


def plant(root, rel, after, line):
    p = os.path.join(root, rel)
    text = open(p, encoding="utf-8").read()
    expect(after in text, "%s holds %r" % (rel, after))
    text = text.replace(after, after + "\n" + line, 1)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return text.split("\n").index(line) + 1


def test_the_tree_keeps_its_layers():
    proc = run_check(ROOT)
    expect(proc.returncode == 0, proc.stdout)
    expect("layers: 0 problems" in proc.stdout, proc.stdout)


def test_a_planted_upward_include_fails_naming_file_and_line():
    tmp = copy_tree()
    try:
        n = plant(tmp, "engine/model/vocab.c", '#include "vocab.h"', '#include "api.h"')
        proc = run_check(tmp)
        expect(proc.returncode == 1, proc.stdout)
        expect("engine/model/vocab.c:%d: model/ includes \"api.h\" of api/" % n in proc.stdout, proc.stdout)
        expect("layers: 1 problem\n" in proc.stdout, proc.stdout)
    finally:
        shutil.rmtree(tmp)


def test_edges_may_not_include_each_other_nor_adapters_the_engine():
    tmp = copy_tree()
    try:
        a = plant(tmp, "engine/cli/cmd_org.c", '#include "cli.h"', '#include "api.h"')
        b = plant(tmp, "adapters/jsonl.c", '#include "adapter.h"', '#include "config.h"')
        proc = run_check(tmp)
        expect(proc.returncode == 1, proc.stdout)
        expect("engine/cli/cmd_org.c:%d: cli/ includes \"api.h\"" % a in proc.stdout, proc.stdout)
        expect("adapters/jsonl.c:%d: adapters/ includes \"config.h\"" % b in proc.stdout, proc.stdout)
    finally:
        shutil.rmtree(tmp)


def test_transactions_belong_to_the_turn_and_edges_write_through_core():
    tmp = copy_tree()
    try:
        a = plant(tmp, "engine/runtime/timers.c", "static void on_due(evutil_socket_t fd, short what, void *arg)\n{",
                  "\tstore_begin(NULL);")
        b = plant(tmp, "engine/api/api_meta.c", "void api_healthz(struct api_request *r)\n{",
                  "\tstore_case_update(NULL, NULL, 0);")
        proc = run_check(tmp)
        expect(proc.returncode == 1, proc.stdout)
        expect("engine/runtime/timers.c:%d: begins or ends a transaction" % a in proc.stdout, proc.stdout)
        expect("engine/api/api_meta.c:%d: an edge calls a write of the store (store_case_update)" % b in proc.stdout,
               proc.stdout)
    finally:
        shutil.rmtree(tmp)
