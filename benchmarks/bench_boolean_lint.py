"""lint's dead, forced and false-optional checks of UVL models on the SAT path and on the Z3 path,
side by side in one process: the same findings, and the CPU each path takes.

    .venv-own/bin/python benchmarks/bench_boolean_lint.py --max-bytes 60000 --json benchmarks/results/boolean_lint.json

The Z3 path is lint as it was before the SAT backend (SemanticLint with `boolean=False`, the
code that still answers every tariff that is not of options alone); the SAT path is
analyse/boolean_lint.py. Each model is imported and resolved once (not timed); each path then
lints a tariff resolved for it alone, so the SAT path pays for writing its clauses. Needs
uvlparser and python-sat (`pip install ".[uvl]"`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "uvl"
CHECKS = ("dead", "forced", "false-optional")


def lint_once(text: str, path: str, boolean: bool) -> tuple[list, float, float, str]:
    from tariffcheck.analyse.semantics import SemanticLint
    from tariffcheck.resolve import resolve
    from tariffcheck.syntax.parser import parse_text

    tariff = resolve(parse_text(text, path))
    cpu, wall = time.process_time(), time.perf_counter()
    sem = SemanticLint(tariff, 600_000, boolean=boolean)
    findings = sem.run(CHECKS)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return [[f.code, f.severity, f.subject, f.message, f.rules] for f in findings], cpu, wall, sem.solver_used


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=str(MODELS))
    ap.add_argument("--max-bytes", type=int, default=60_000)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    from tariffcheck.interop.uvl_import import import_uvl_file

    sys.setrecursionlimit(100_000)  # uvlparser's ANTLR runtime recurses once per nesting level
    paths = [p for p in sorted(Path(args.models).glob("*.uvl"), key=lambda p: p.stat().st_size)
             if p.stat().st_size <= args.max_bytes and (not args.only or any(o in p.name for o in args.only))]
    rows = []
    print("| model | features | findings | SAT path CPU / wall (s) | Z3 path CPU / wall (s) | Z3 / SAT (CPU) | findings |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for p in paths:
        imported = import_uvl_file(str(p))
        sat, sat_cpu, sat_wall, used = lint_once(imported.text, str(p), True)
        smt, smt_cpu, smt_wall, _ = lint_once(imported.text, str(p), False)
        same = "identical" if sat == smt else (
            "same codes and subjects; other minimal reasons for "
            f"{sum(1 for a, b in zip(sat, smt) if a != b)}" if [f[:3] for f in sat] == [f[:3] for f in smt]
            else "**different**")
        row = {"model": p.name, "features": imported.features, "findings": len(sat), "solver": used,
               "sat_cpu_s": sat_cpu, "sat_wall_s": sat_wall, "z3_cpu_s": smt_cpu, "z3_wall_s": smt_wall,
               "same": same}
        rows.append(row)
        print(f"| {p.name} | {imported.features} | {len(sat)} | {sat_cpu:.3f} / {sat_wall:.3f} | "
              f"{smt_cpu:.2f} / {smt_wall:.2f} | {smt_cpu / max(sat_cpu, 1e-9):.0f}× | {same} |", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"models": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
