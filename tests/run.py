#!/usr/bin/env python3
"""Runs every test of tsunagu and prints the closing line `N passed, N failed`.

1. the C unit tests (under AddressSanitizer and UBSan),
2. the fuzz corpora, replayed through the fuzz targets (built with ASan),
3. the integration tests in tests/integration/test_*.py, which drive the real
   binary (and, later, the real daemon over HTTP) as a user would.

Usage: tests/run.py --build build/asan [--fuzz-targets "fuzz_a fuzz_b"] [-k PATTERN]
"""
import argparse
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_unit(build, pattern):
    cmd = [os.path.join(build, "unit_tests")] + pattern.split()
    env = dict(os.environ, TSUNAGU_SOURCE=ROOT)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(proc.stdout)
    m = re.search(r"^(\d+) passed, (\d+) failed$", proc.stdout, re.M)
    if not m:
        print("FAIL unit: the unit-test binary did not finish (exit %d)" % proc.returncode)
        return 0, 1
    passed, failed = int(m.group(1)), int(m.group(2))
    if proc.returncode != 0 and failed == 0:
        print("FAIL unit: exit %d after the tests (a leak or sanitizer report above)" % proc.returncode)
        failed = 1
    return passed, failed


def run_fuzz_replay(build, targets):
    passed = failed = 0
    for target in targets:
        corpus = os.path.join(ROOT, "tests", "fuzz", "corpus", target)
        files = sorted(os.listdir(corpus)) if os.path.isdir(corpus) else []
        proc = subprocess.run([os.path.join(build, "replay_" + target), corpus], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode == 0 and files:
            print("ok   fuzz: %s replays %d inputs" % (target, len(files)))
            passed += 1
        else:
            sys.stdout.write(proc.stdout[-4000:])
            print("FAIL fuzz: %s (exit %d, %d inputs)" % (target, proc.returncode, len(files)))
            failed += 1
    return passed, failed


def run_node_check(script, label):
    """A check written for node (the OpenAPI validator, the pages' own unit tests): its line, or its output."""
    proc = subprocess.run(["node", os.path.join(ROOT, "tests", script)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode == 0:
        print("ok   %s: %s" % (label, proc.stdout.strip()))
        return 1, 0
    sys.stdout.write(proc.stdout[-4000:])
    print("FAIL %s: tests/%s" % (label, script))
    return 0, 1


def load_module(path):
    name = "itest_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_integration(build, pattern, binary="tsunagu"):
    os.environ["TSUNAGU_BIN"] = os.path.join(ROOT, build, binary)
    os.environ["TSUNAGU_SOURCE"] = ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    passed = failed = 0
    directory = os.path.join(ROOT, "tests", "integration")
    for fname in sorted(os.listdir(directory)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        try:
            module = load_module(os.path.join(directory, fname))
        except Exception:
            traceback.print_exc()
            print("FAIL %s: cannot load" % fname)
            failed += 1
            continue
        tests = [(n, f) for n, f in inspect.getmembers(module, inspect.isfunction)
                 if n.startswith("test_") and f.__module__ == module.__name__]
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        for name, fn in tests:
            label = "%s::%s" % (fname[:-3], name)
            if pattern and not any(p in label for p in pattern.split()):
                continue
            started = time.monotonic()
            try:
                fn()
            except Exception:
                print(traceback.format_exc().rstrip())
                print("FAIL %s" % label)
                failed += 1
            else:
                print("ok   %s (%.1fs)" % (label, time.monotonic() - started))
                passed += 1
            sys.stdout.flush()
    return passed, failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build/asan")
    parser.add_argument("--fuzz-targets", default="")
    parser.add_argument("-k", dest="pattern", default="", help="run only tests whose name holds one of these words")
    parser.add_argument("--binary", default="tsunagu", help="the program the integration tests run")
    args = parser.parse_args()
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    os.environ.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp") + ":print_suppressions=0")
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    totals = [0, 0]
    if os.environ.get("TSUNAGU_VALGRIND"):
        steps = (run_integration(args.build, args.pattern, args.binary),)
    else:
        steps = (run_unit(args.build, args.pattern),
                 run_fuzz_replay(args.build, args.fuzz_targets.split()),
                 run_node_check("openapi_check.js", "openapi"),
                 run_node_check("web_unit.mjs", "web unit"),
                 run_integration(args.build, args.pattern, args.binary))
    for passed, failed in steps:
        totals[0] += passed
        totals[1] += failed
    print("%d passed, %d failed" % (totals[0], totals[1]))
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
