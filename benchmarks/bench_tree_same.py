"""The tree question (sat/feature_tree.py: core, dead and false-optional features) of two trees of
tariffcheck on every UVL model of ../shared/uvl/, compared answer for answer.

    .venv/bin/python benchmarks/bench_tree_same.py --old /tmp/base-richmond2 --json benchmarks/results/x.json
    .venv/bin/python benchmarks/bench_tree_same.py --old /tmp/base --new /tmp/head   # two archives

Each side runs in a child process with its own PYTHONPATH (the old tree a `git archive`), reads
each model once and asks the question three times afresh (best CPU of three kept, with the solver
calls of the last): a search heuristic may change the calls, never the sets. Exits 1 when any
answer differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "uvl"

CHILD = r"""
import json, sys, time
sys.setrecursionlimit(100000)
from tariffcheck.interop.uvl_read import read_uvl_file
from tariffcheck.sat.feature_tree import TreeQuestions, compile_tree
out = {}
for path in sys.argv[1:]:
    model = read_uvl_file(path)
    best = None
    for _ in range(3):
        t = time.process_time()
        q = TreeQuestions(compile_tree(model.root, model.constraints))
        answer = {"core": sorted(q.core()), "dead": sorted(q.dead()), "false_optional": sorted(q.false_optional())}
        cpu = time.process_time() - t
        q.close()
        best = cpu if best is None else min(best, cpu)
    out[path] = {"answer": answer, "cpu_s": best, "calls": q.calls}
import tariffcheck
print(json.dumps({"tree": tariffcheck.__file__, "models": out}))
"""


def side(tree: Path, paths: list[Path]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    # run from the tree itself: `python -c` puts the working directory before PYTHONPATH
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, paths)], env=env, cwd=tree, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="the other tree (a `git archive` of it)")
    ap.add_argument("--new", type=Path, default=ROOT, help="the tree compared with it (default: this one)")
    ap.add_argument("--json", type=Path, help="write the comparison here")
    args = ap.parse_args(argv)
    args.old, args.new = args.old.resolve(), args.new.resolve()
    paths = sorted(MODELS.glob("*.uvl"), key=lambda p: p.stat().st_size)
    if not paths:
        print(f"no UVL model in {MODELS}", file=sys.stderr)
        return 2
    started = time.strftime("%H:%M", time.gmtime())
    old, new = side(args.old, paths), side(args.new, paths)
    print(f"old: {old['tree']}\nnew: {new['tree']}")
    old, new = old["models"], new["models"]
    rows, differ = {}, 0
    for p in paths:
        a, b = old[str(p)], new[str(p)]
        same = a["answer"] == b["answer"]
        differ += not same
        rows[p.name] = {"same": same, "old_cpu_s": a["cpu_s"], "new_cpu_s": b["cpu_s"], "old_calls": a["calls"],
                        "new_calls": b["calls"], **{k: len(b["answer"][k]) for k in ("core", "dead", "false_optional")}}
        print(f"{p.name:45s} {'same' if same else 'DIFFERENT':9s} calls {a['calls']:4d} -> {b['calls']:4d}  "
              f"CPU {1000 * a['cpu_s']:9.3f} -> {1000 * b['cpu_s']:9.3f} ms", flush=True)
    print(f"{len(paths) - differ} of {len(paths)} models the same (run from {started} UTC, load {os.getloadavg()[0]:.1f})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
