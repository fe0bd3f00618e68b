"""The tree question (sat/feature_tree.py) of an older tree and of this one, alternated in one process.

    .venv/bin/python benchmarks/bench_tree_paired.py --old /tmp/base-richmond2 --only pc-richmond --rounds 30

Across processes (bench_flamapy.py --before) a loaded machine moves each child's CPU time by ±20 %;
here the two questions take turns, ten of one then ten of the other, `--rounds` times, and the
median of the rounds' ratios new ÷ old is reported with its quartiles. The older tree's `sat`
package is loaded under another name from its `git archive` (nothing else of it is needed: the
question reads the model as uvl_read gives it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "uvl"


def older_sat(tree: Path):
    """The `sat` package of another tree, as `tariffcheck.older_sat` (its cnf.py's imports of the
    rest of tariffcheck resolve to this tree's, which the question does not use)."""
    import tariffcheck

    folder = tree / "tariffcheck" / "sat"
    name = "tariffcheck.older_sat"
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py", submodule_search_locations=[str(folder)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    tariffcheck.older_sat = package
    return importlib.import_module(name + ".feature_tree")


def ask(ft, model) -> tuple[float, tuple, int]:
    t = time.process_time()
    q = ft.TreeQuestions(ft.compile_tree(model.root, model.constraints))
    answer = (sorted(q.core()), sorted(q.dead()), sorted(q.false_optional()))
    cpu = time.process_time() - t
    q.close()
    return cpu, answer, q.calls


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="the older tree (a `git archive` of it)")
    ap.add_argument("--only", action="append", default=[], help="models whose file name contains this (repeatable)")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--batch", type=int, default=10, help="questions of one side in a row")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    sys.setrecursionlimit(100_000)
    from tariffcheck.interop.uvl_read import read_uvl_file
    from tariffcheck.sat import feature_tree as new
    old = older_sat(args.old)
    out = {}
    for path in sorted(MODELS.glob("*.uvl"), key=lambda p: p.stat().st_size):
        if args.only and not any(o in path.name for o in args.only):
            continue
        model = read_uvl_file(str(path))
        (_, a_old, c_old), (_, a_new, c_new) = ask(old, model), ask(new, model)
        times = {"old": [], "new": []}
        for _ in range(args.rounds):
            for side, ft in (("old", old), ("new", new)):
                times[side].append(sum(ask(ft, model)[0] for _ in range(args.batch)) / args.batch)
        ratios = sorted(n / o for n, o in zip(times["new"], times["old"]))
        q = statistics.quantiles(ratios, n=4)
        out[path.name] = {"same": a_old == a_new, "old_calls": c_old, "new_calls": c_new,
                          "old_ms": 1000 * statistics.median(times["old"]), "new_ms": 1000 * statistics.median(times["new"]),
                          "ratio_median": statistics.median(ratios), "ratio_q1": q[0], "ratio_q3": q[2]}
        r = out[path.name]
        print(f"{path.name:40s} {'same' if r['same'] else 'DIFFERENT'} calls {c_old} -> {c_new}  CPU median "
              f"{r['old_ms']:.3f} -> {r['new_ms']:.3f} ms  new/old {r['ratio_median']:.2f} "
              f"(IQR {r['ratio_q1']:.2f}-{r['ratio_q3']:.2f})", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0 if all(r["same"] for r in out.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
