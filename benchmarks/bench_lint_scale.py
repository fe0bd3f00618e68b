"""How lint grows with a tariff: each check at synthetic scales, old and new code side by side.

    .venv/bin/python benchmarks/bench_lint_scale.py                         # 1x, 3x, 10x; old (dfa04a5) and new
    .venv/bin/python benchmarks/bench_lint_scale.py --scales 1,10,100 --sides new
    .venv/bin/python benchmarks/bench_lint_scale.py --old dfa04a5 --json benchmarks/results/lint_scale.json

The old side is the package at a commit (`git archive` into a temporary folder), the new side
the working tree; both run in the same session, one fresh process per (scale, side), the sides
alternating within each scale so that a change of load on the shared machine hits both. Each
process generates the synthetic tariff (synthetic.py), loads it, and runs every lint check,
recording each check's wall time and CPU time (`time.process_time`, which a busy neighbour does
not inflate the way it inflates wall time). The findings of the two sides are compared: codes,
subjects, rules to blame and messages must be the same, or the run says where they differ.

The growth of a check between two scales a < b is given as the exponent k in t ~ scale^k,
k = log(t_b / t_a) / log(b / a), on CPU time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GROUPS = ("contradiction", "dead", "forced", "false-optional", "redundant", "quantities", "rest")


def worker(scale: int | str, timeout_ms: int, checks: str | None, seed: int = 0) -> dict:
    """Run in the child process, with PYTHONPATH pointing at one side's package. `scale`: a
    synthetic scale, or the path of a .tariff spec."""
    sys.path.insert(0, str(HERE))
    import synthetic  # noqa: PLC0415

    from tariffcheck.analyse.citations import citation_findings  # noqa: PLC0415
    from tariffcheck.analyse.fee_findings import fee_findings  # noqa: PLC0415
    from tariffcheck.analyse.finding import sort_key  # noqa: PLC0415
    from tariffcheck.analyse.names import name_findings  # noqa: PLC0415
    from tariffcheck.analyse.semantics import SemanticLint  # noqa: PLC0415

    if isinstance(scale, str):
        tariff = synthetic.load(Path(scale).read_text(encoding="utf-8"), scale)  # no size cap
    else:
        tariff = synthetic.load(synthetic.generate(scale, seed=seed), f"<synthetic x{scale}>")
    wall, cpu, findings = {}, {}, []
    w0, c0 = time.perf_counter(), time.process_time()
    for name, fn in (("names", name_findings), ("fees", fee_findings),
                     ("citations", lambda t: citation_findings(t, None))):
        a, b = time.perf_counter(), time.process_time()
        findings += fn(tariff)
        wall[name], cpu[name] = time.perf_counter() - a, time.process_time() - b
    mark = [time.perf_counter(), time.process_time()]

    def progress(step, _seconds):
        now = [time.perf_counter(), time.process_time()]
        wall[step], cpu[step] = now[0] - mark[0], now[1] - mark[1]
        mark[:] = now
        print(f"    {label(scale)} {step}: {wall[step]:.2f} s wall, {cpu[step]:.2f} s CPU", file=sys.stderr, flush=True)

    sem = SemanticLint(tariff, timeout_ms)
    findings += sem.run(tuple(checks.split(",")) if checks else None, progress=progress)
    findings.sort(key=sort_key)
    # solver calls of the whole shapes' solvers (those built) and of their slices (slices.py,
    # redundancy_slices.py)
    calls = sum(p.calls for o in sem.space._open.values() if (p := o.__dict__.get("_p", o.__dict__.get("p"))))
    calls += sum(x.p.calls for sl in getattr(sem, "_slicers", {}).values() for x in sl._made.values() if x)
    calls += sum(ss.calls for ss in getattr(sem, "_rule_slices", ()))  # redundancy's, let go once asked
    return {
        "scale": scale, "rules": len(tariff.rules),
        "options": sum(len(c.options) for c in tariff.contracts.values()),
        "wall": wall, "cpu": cpu,
        "total_wall": time.perf_counter() - w0, "total_cpu": time.process_time() - c0,
        "solver_calls": calls, "cut_short": list(sem.cut),
        "findings": [[f.code, f.severity, f.subject, f.message, list(f.rules)] for f in findings],
    }


def label(scale: int | str) -> str:
    return f"x{scale}" if isinstance(scale, int) else Path(scale).stem


def grouped(times: dict) -> dict:
    main = set(GROUPS) - {"rest"}
    out = {g: times.get(g, 0.0) for g in main}
    out["rest"] = sum(v for k, v in times.items() if k not in main)
    return out


def old_tree(rev: str, into: Path) -> Path:
    """The package as it was at `rev`, in a folder of its own."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "tariffcheck"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "specs").symlink_to(ROOT / "specs")  # both sides link to today's bundled tariffs
    return into


def run_side(root: Path, scale: int | str, timeout_ms: int, checks: str | None, seed: int = 0) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    how = ["--worker-spec", scale] if isinstance(scale, str) else ["--worker", str(scale)]
    cmd = [sys.executable, str(Path(__file__).resolve()), *how, "--timeout", str(timeout_ms), "--seed", str(seed)]
    if checks:
        cmd += ["--checks", checks]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(root))
    sys.stderr.write(p.stderr)
    if p.returncode != 0:
        raise SystemExit(f"the worker failed on {label(scale)} ({root})")
    return json.loads(p.stdout)


def exponent(a: float, b: float, sa: int, sb: int) -> float | None:
    if a <= 0 or b <= 0 or sa == sb:
        return None
    return math.log(b / a) / math.log(sb / sa)


def compare(old: list, new: list) -> list[str]:
    o = {json.dumps(f, ensure_ascii=False) for f in old}
    n = {json.dumps(f, ensure_ascii=False) for f in new}
    return [f"only old: {x}" for x in sorted(o - n)] + [f"only new: {x}" for x in sorted(n - o)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="1,3,10")
    ap.add_argument("--sides", default="old,new", help="old, new or both (comma-separated)")
    ap.add_argument("--old", default="dfa04a5", help="the commit of the old side")
    ap.add_argument("--old-scales", default=None, help="scales the old side runs (default: all)")
    ap.add_argument("--timeout", type=int, default=60_000, help="ms per solver call")
    ap.add_argument("--checks", default=None, help="lint checks to run (default: all)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--specs", default="", help="also these specs (.tariff, or .uvl imported first), comma-separated")
    ap.add_argument("--seed", type=int, default=0, help="the synthetic tariffs' seed")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--worker-spec", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None or args.worker_spec is not None:
        job = args.worker if args.worker is not None else args.worker_spec
        print(json.dumps(worker(job, args.timeout, args.checks, args.seed), ensure_ascii=False))
        return 0
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    old_scales = scales if args.old_scales is None else [int(s) for s in args.old_scales.split(",") if s.strip()]
    results: dict[str, dict[int, dict]] = {s: {} for s in sides}
    with tempfile.TemporaryDirectory(prefix="lint-old-") as tmp:
        roots = {"new": ROOT}
        if "old" in sides:
            roots["old"] = old_tree(args.old, Path(tmp))
        for scale in scales:
            for side in sides:
                if side == "old" and scale not in old_scales:
                    continue
                print(f"x{scale} {side} ...", file=sys.stderr, flush=True)
                results[side][scale] = run_side(roots[side], scale, args.timeout, args.checks, args.seed)
        for spec in [x for x in args.specs.split(",") if x.strip()]:
            path = Path(spec)
            if path.suffix == ".uvl":  # imported once, by this tree; both sides lint the same text
                from tariffcheck.interop.uvl_import import import_uvl_file  # noqa: PLC0415
                path = Path(tmp) / (path.stem + ".tariff")
                path.write_text(import_uvl_file(spec).text, encoding="utf-8")
            scales.append(path.stem)
            for side in sides:
                print(f"{path.stem} {side} ...", file=sys.stderr, flush=True)
                results[side][path.stem] = run_side(roots[side], str(path), args.timeout, args.checks)
    # the table: per check, CPU (wall) per side and scale
    print("\n| check | " + " | ".join(f"{side} {label(s)} CPU s (wall)" for s in scales for side in sides
                                      if s in results[side]) + " |")
    cols = [(side, s) for s in scales for side in sides if s in results[side]]
    print("| --- |" + " ---: |" * len(cols))
    for g in GROUPS + ("total",):
        row = []
        for side, s in cols:
            r = results[side][s]
            if g == "total":
                c, w = r["total_cpu"], r["total_wall"]
            else:
                c, w = grouped(r["cpu"])[g], grouped(r["wall"])[g]
            row.append(f"{c:.2f} ({w:.2f})")
        print(f"| {g} | " + " | ".join(row) + " |")
    for side in sides:
        have = sorted(s for s in results[side] if isinstance(s, int))
        if len(have) < 2:
            continue
        a, b = have[0], have[-1]
        ra, rb = results[side][a], results[side][b]
        ks = []
        for g in GROUPS:
            k = exponent(grouped(ra["cpu"])[g], grouped(rb["cpu"])[g], a, b)
            ks.append(f"{g} {k:.2f}" if k is not None else f"{g} -")
        k = exponent(ra["total_cpu"], rb["total_cpu"], a, b)
        print(f"\n{side}: exponents x{a} → x{b} (CPU): " + ", ".join(ks) + (f", total {k:.2f}" if k else ""))
    if "old" in results and "new" in results:
        for s in scales:
            if s in results["old"] and s in results["new"]:
                diff = compare(results["old"][s]["findings"], results["new"][s]["findings"])
                print(f"{label(s)}: findings {'the same' if not diff else 'DIFFER'} "
                      f"({len(results['new'][s]['findings'])} findings)")
                for line in diff[:20]:
                    print("   ", line)
    for side in sides:
        for s, r in sorted(results[side].items(), key=lambda kv: str(kv[0])):  # scales and spec names
            if r["cut_short"]:
                print(f"{side} {label(s)} cut short: {r['cut_short']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "old": args.old, "seed": args.seed,
                                               "results": results}, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
