"""Shared helpers of the integration tests: run the real binary, read fixtures."""
import os
import subprocess

ROOT = os.environ.get("TSUNAGU_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BIN = os.environ.get("TSUNAGU_BIN", os.path.join(ROOT, "build", "tsunagu"))


def tsunagu(*args, stdin=None, cwd=None, check_sanitizers=True):
    """Runs `tsunagu ARGS…` and returns the CompletedProcess (text mode)."""
    proc = subprocess.run([BIN] + list(args), cwd=cwd or ROOT, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if check_sanitizers:
        assert "AddressSanitizer" not in proc.stderr and "runtime error:" not in proc.stderr, \
            proc.stderr
    return proc


def path(*parts):
    return os.path.join(ROOT, *parts)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def wait_for(fn, what, seconds=15):
    """fn's first true answer, polled; an AssertionError naming `what` after `seconds`."""
    import time
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def demo_config_text(tmp, db=None):
    """The demo config with its relative paths made absolute and its files in tmp."""
    text = open(path("configs", "demo", "tsunagu.yaml"), encoding="utf-8").read()
    text = text.replace("pathways: ../../pathways", "pathways: %s" % path("pathways"))
    text = text.replace("database: ../../var/tsunagu.db", "database: %s" % (db or os.path.join(tmp, "tsunagu.db")))
    text = text.replace("templates: ../templates", "templates: %s" % path("configs", "templates"))
    text = text.replace("seed: resources.json", "seed: %s" % path("configs", "demo", "resources.json"))
    text = text.replace("path: ../../var/notifications.jsonl",
                        "path: %s" % os.path.join(tmp, "notifications.jsonl"))
    return text
