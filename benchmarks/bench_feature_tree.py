"""Dead, core and false-optional features of shared UVL models by sat/feature_tree.py, this tree's and
an older one's, side by side in one process.

    git archive 1c11722 | tar -x -C /tmp/old-flamasmall
    python benchmarks/bench_feature_tree.py --before /tmp/old-flamasmall --json out.json fmb_uclibc_09.33.2_flat ...

Without flamapy (bench_flamapy.py compares with it): for the big models, whose flamapy parse takes
minutes, this shows that the question's answers and time did not get worse. The model is read
once; then old, new, old, new, ... (`--rounds`), each asked afresh; CPU seconds of each.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "uvl"


def _older(tree: Path):
    """The older tree's feature_tree module, loaded beside this one (it imports `.solver`, which is
    taken from this tree: solver.py's backbone did not change between the two)."""
    spec = importlib.util.spec_from_file_location("tariffcheck.sat.older_feature_tree",
                                                  tree / "tariffcheck" / "sat" / "feature_tree.py")
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "tariffcheck.sat"
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def ask(module, model) -> tuple[tuple, float, int]:
    started = time.process_time()
    tree = module.compile_tree(model.root, model.constraints)
    with module.TreeQuestions(tree) as q:
        answer = (sorted(q.core()), sorted(q.dead()), sorted(q.false_optional()))
        calls = q.calls
    return answer, time.process_time() - started, calls


def questions(names: list[str], before: Path, rounds: int) -> list[dict]:
    from tariffcheck.interop.uvl_read import read_uvl_file
    from tariffcheck.sat import feature_tree as new
    import pysat.card  # noqa: F401  (imported before any clock)

    old = _older(before)
    out = []
    for name in names:
        model = read_uvl_file(str(MODELS / f"{name}.uvl"))
        gc.collect()
        times: dict[str, list[float]] = {"old": [], "new": []}
        answers, calls = {}, {}
        for _ in range(rounds):
            for label, module in (("old", old), ("new", new)):
                answers[label], t, calls[label] = ask(module, model)
                times[label].append(round(t, 4))
                gc.collect()
        row = {"model": name, "same": answers["old"] == answers["new"], "old_cpu_s": times["old"],
               "new_cpu_s": times["new"], "calls": [calls["old"], calls["new"]],
               "core_dead_false_optional": [len(x) for x in answers["new"]]}
        print(json.dumps(row), file=sys.stderr, flush=True)
        out.append(row)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="model names in ../shared/uvl, without `.uvl`")
    ap.add_argument("--before", required=True, help="an older tree (`git archive REV | tar -x -C DIR`)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the rows to this file")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(100_000)  # ANTLR's runtime recurses once per nested constraint
    rows = questions(args.models, Path(args.before), args.rounds)
    if args.json:
        Path(args.json).write_text(json.dumps({"before": args.before, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
