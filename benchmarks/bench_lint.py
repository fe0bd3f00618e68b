"""Benchmark `tariff lint` and `tariff diff`: the five bundled tariffs, and synthetic tariffs at
1x, 10x and 100x Secure Endpoint's size (synthetic.py).

    .venv/bin/python benchmarks/bench_lint.py                        # bundled, then scales 1, 10, 100
    .venv/bin/python benchmarks/bench_lint.py --scales 1,10 --rounds 3
    .venv/bin/python benchmarks/bench_lint.py --json benchmarks/results/lint.json

For each tariff: lint (every check, each timed on its own), diff against an identical copy
(proving no change: the most work a diff does, every question answered unsat) and diff against
a copy with one cap lowered by one (a difference found, grouped, witnessed and walked to its
boundary). A bundled tariff's figure is the median over `--rounds` runs, each with fresh solvers
(the loaded tariff is reused: loading is not what is measured). Synthetic scales run once:
at 100x one run takes minutes.

The algorithm that keeps them tractable (analyse/space.py, semantics.py, diff.py): one solver
per shape of order, kept for every question (assumption literals, no re-encoding); models
found on the way answer most "is X possible" questions without a call (a value seen in a valid
order is possible); minimal reasons are cores shrunk by deletion only when a finding is made.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from tariffcheck import catalog  # noqa: E402
from tariffcheck.analyse.diff import diff  # noqa: E402
from tariffcheck.analyse.lint import lint_tariff  # noqa: E402
from tariffcheck.resolve import resolve  # noqa: E402
from tariffcheck.syntax.parser import parse_text  # noqa: E402

LARGE = 100  # from this scale on, only --large-checks run, each reported as it ends
CAP = re.compile(r"(require [^\n]*?<= )(\d+)")


def lower_one_cap(text: str) -> str:
    m = CAP.search(text)
    if m is None:
        raise SystemExit("no `<= N` cap in the text to change")
    return text[: m.start(2)] + str(int(m.group(2)) - 1) + text[m.end(2):]


def load_text(text: str, name: str):
    return resolve(parse_text(text, name), catalog.link_bundled)


def measure(tariff, variant, rounds: int, timeout_ms: int) -> dict:
    lint_s, per_check, same_s, changed_s = [], {}, [], []
    findings = groups = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        r = lint_tariff(tariff, timeout_ms=timeout_ms)
        lint_s.append(time.perf_counter() - t0)
        for k, v in r.seconds.items():
            per_check.setdefault(k, []).append(v)
        findings = {s: r.count(s) for s in ("error", "warning", "info")}
        t0 = time.perf_counter()
        d = diff(tariff, tariff, timeout_ms)
        same_s.append(time.perf_counter() - t0)
        assert d.same_meaning or not d.complete, "a tariff differs from itself"
        t0 = time.perf_counter()
        d2 = diff(tariff, variant, timeout_ms)
        changed_s.append(time.perf_counter() - t0)
        groups = [(g.direction, g.rule.id, g.confirmed) for g in d2.groups]
    return {
        "rules": len(tariff.rules),
        "options": sum(len(c.options) for c in tariff.contracts.values()),
        "lint_s": statistics.median(lint_s),
        "per_check_s": {k: statistics.median(v) for k, v in per_check.items()},
        "diff_same_s": statistics.median(same_s),
        "diff_changed_s": statistics.median(changed_s),
        "findings": findings,
        "diff_groups": groups,
        "rounds": rounds,
    }


def measure_large(tariff, variant, timeout_ms: int, checks: tuple[str, ...]) -> dict:
    """One run of the checks named, each printed as it ends (a run takes minutes), then the two diffs."""
    from tariffcheck.analyse.semantics import SemanticLint

    def show(step, seconds):
        print(f"    {step}: {seconds:.1f} s", flush=True)

    t0 = time.perf_counter()
    sem = SemanticLint(tariff, timeout_ms)
    findings = sem.run(checks, progress=show)
    lint_s = time.perf_counter() - t0
    out = {"rules": len(tariff.rules), "options": sum(len(c.options) for c in tariff.contracts.values()),
           "lint_s": lint_s, "per_check_s": dict(sem.timings), "checks": list(checks),
           "findings": {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")},
           "cut_short": list(sem.cut), "rounds": 1}
    for name, other in (("diff_same_s", tariff), ("diff_changed_s", variant)):
        t0 = time.perf_counter()
        d = diff(tariff, other, timeout_ms)
        out[name] = time.perf_counter() - t0
        print(f"    {name}: {out[name]:.1f} s ({'complete' if d.complete else 'cut short: ' + str(d.reason)}; "
              f"{len(d.groups)} groups)", flush=True)
        if other is variant:
            out["diff_groups"] = [(g.direction, g.rule.id, g.confirmed) for g in d.groups]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="runs per bundled tariff (median)")
    ap.add_argument("--scales", default="1,10,100", help="synthetic scales, comma-separated ('' for none)")
    ap.add_argument("--timeout", type=int, default=60_000, help="ms per solver call")
    ap.add_argument("--large-checks", default="contradiction,dead,forced,false-optional,quantities,disagreeing",
                    help=f"the lint checks run from scale {LARGE} on (redundancy asks two questions per rule "
                         "instance and shape: hours at 100x)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    out = {"machine": f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}",
           "date": time.strftime("%Y-%m-%d"), "bundled": {}, "synthetic": {}}
    print(f"{'tariff':26} {'rules':>6} {'options':>7} {'lint s':>8} {'diff same s':>12} {'diff changed s':>15}  findings")
    for name in catalog.bundled_names():
        t = catalog.load(name)
        variant = load_text(lower_one_cap(t.text), t.path + " (cap lowered)") if CAP.search(t.text) else t
        res = measure(t, variant, args.rounds, args.timeout)
        out["bundled"][name] = res
        print(f"{name:26} {res['rules']:6} {res['options']:7} {res['lint_s']:8.3f} {res['diff_same_s']:12.3f} "
              f"{res['diff_changed_s']:15.3f}  {res['findings']}", flush=True)
    for scale in [int(s) for s in args.scales.split(",") if s.strip()]:
        text = synthetic.generate(scale, seed=0)
        t0 = time.perf_counter()
        t = synthetic.load(text, f"<synthetic x{scale}>")
        variant = synthetic.load(lower_one_cap(text), f"<synthetic x{scale} cap lowered>")
        load_s = time.perf_counter() - t0
        if scale >= LARGE:
            res = measure_large(t, variant, args.timeout, tuple(args.large_checks.split(",")))
        else:
            res = measure(t, variant, 1, args.timeout)
        res["load_both_s"] = load_s
        out["synthetic"][str(scale)] = res
        checks = ", ".join(f"{k} {v:.2f}" for k, v in res["per_check_s"].items())
        print(f"synthetic x{scale:<16} {res['rules']:6} {res['options']:7} {res['lint_s']:8.2f} "
              f"{res['diff_same_s']:12.2f} {res['diff_changed_s']:15.2f}  {res['findings']}\n    per check: {checks}",
              flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
