#!/usr/bin/env python3
"""The layering check of engine/ (docs/architecture.md), run by `make test`.

A file may include headers of its own folder and of the layers below it, never
of a layer above or of a sibling edge. It also checks the two rules the layers
exist for: only the turn (runtime/turn.c) and the command-line transaction of
core (core/core.c) begin or commit a transaction, and the edges (api/, cli/)
never call a write of the store: they write through core/.

Each problem is printed as FILE:LINE: message; the exit status is 1 when there
is any. `check_layers.py --root DIR` checks another tree (the test of this
script plants an upward include in a copy).
"""
import argparse
import os
import re
import sys

# Lowest first. Edges of the same rank (api, cli) may not include each other.
RANKS = {"lib": 0, "model": 1, "rules": 2, "store": 3, "core": 4, "runtime": 5, "api": 6, "cli": 6, "main": 7}
# adapters/ stands beside runtime: it includes only lib and its own headers, and
# only the runtime and the layers above it include it.
ADAPTERS_RANK = 5

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')

# Who may open and close a transaction.
TRANSACTION_CALLS = re.compile(r"\bstore_(begin|commit|rollback|savepoint\w*)\s*\(")
TRANSACTION_OWNERS = {"engine/runtime/turn.c", "engine/core/core.c", "engine/store/store.c"}

# The store's writes, by the verbs its header uses for them.
STORE_WRITE = re.compile(
    r"\bstore_\w*?_(add|insert|update|put|revoke|register|done|cancel|result|retry|append|purge_case|"
    r"savepoint|release_savepoint)\s*\(")


def layer_of(rel):
    parts = rel.split("/")
    if parts[0] == "adapters":
        return "adapters"
    if parts[0] == "engine":
        if len(parts) == 2:
            return "main" if parts[1] == "main.c" else None
        if parts[1] in RANKS:
            return parts[1]
    return None


def rank(layer):
    return ADAPTERS_RANK if layer == "adapters" else RANKS[layer]


def sources(root):
    for top in ("engine", "adapters"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root).replace(os.sep, "/")


def allowed(src_layer, dst_layer):
    if src_layer == dst_layer:
        return True
    if src_layer == "adapters":
        return dst_layer == "lib"
    if dst_layer == "adapters":
        return rank(src_layer) >= ADAPTERS_RANK and src_layer != "api"
    return rank(dst_layer) < rank(src_layer)


def check(root):
    files = list(sources(root))
    header_layer = {}
    for rel in files:
        if rel.endswith(".h"):
            name = os.path.basename(rel)
            if name in header_layer:
                yield rel, 0, f"header name {name} is used twice ({header_layer[name][1]}); includes would be ambiguous"
            header_layer[name] = (layer_of(rel), rel)
    for rel in files:
        src = layer_of(rel)
        if src is None:
            yield rel, 0, "this file is outside the layers (engine/<layer>/ or adapters/)"
            continue
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            lines = f.read().split("\n")
        in_comment = False
        for n, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if m:
                name = os.path.basename(m.group(1))
                dst = header_layer.get(name)
                if dst is None:
                    yield rel, n, f'includes "{m.group(1)}", which is no header of engine/ or adapters/'
                elif not allowed(src, dst[0]):
                    yield rel, n, (f'{src}/ includes "{name}" of {dst[0]}/ ({dst[1]}): '
                                   f"a layer includes only its own folder and the layers below it")
                continue
            code = line
            # Comments do not call anything.
            if in_comment:
                if "*/" not in code:
                    continue
                code = code.split("*/", 1)[1]
                in_comment = False
            code = re.sub(r"/\*.*?\*/", "", code)
            if "/*" in code:
                code = code.split("/*", 1)[0]
                in_comment = True
            if rel.endswith(".c") and TRANSACTION_CALLS.search(code) and rel not in TRANSACTION_OWNERS:
                yield rel, n, ("begins or ends a transaction: only the turn (runtime/turn.c) and "
                               "core_transaction (core/core.c) do")
            if src in ("api", "cli") and STORE_WRITE.search(code):
                yield rel, n, f"an edge calls a write of the store ({STORE_WRITE.search(code).group(0)[:-1]}): write through core/"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = ap.parse_args()
    problems = list(check(args.root))
    for rel, n, msg in problems:
        print(f"{rel}:{n}: {msg}" if n else f"{rel}: {msg}")
    print(f"layers: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
