"""options, explain, why-not and repair: a commit's solver code against this tree's, side by side
in one process, order by order, with their answers compared.

    .venv/bin/python benchmarks/bench_solver_before_after.py --before dfa04a5
    .venv/bin/python benchmarks/bench_solver_before_after.py --before dfa04a5 --parent-orders 8 --orders 1  # quick

The "before" package is the commit's `tariffcheck/` (`git archive`), unpacked into a temporary
folder as `tariffcheck_before` beside a link to this tree's `specs/`, and imported beside
`tariffcheck`: each side loads the tariff itself and keeps its own solvers and Z3 contexts.

Corpora (Secure Endpoint, bench_check.py's seeded orders):

  options (parent)  the orders of bench_explain.py's `parent_corpus` (same seed, same filter), as
                    JSON: partial orders under a parent contract
                    with 1 to 3 service contracts whose options are all open
  options           bench_explain.py's partial orders of its grouped corpus (options open)
  explain, explain (5), why-not, repair K=1, repair K=3
                    the grouped corpus's invalid orders (explain(order), explain(order,
                    limit=5), why_not(order, "edr") where some contract lacks it)

Every order is run once by each side to warm up, then timed once per round, before and after
alternately (which goes first alternates by order), in CPU time of the process
(time.process_time: the machine is shared) and in wall time. An order's time is its median
over the rounds; the table gives the median and p99 (nearest rank) over orders. Answers are
compared field by field (reasons, repairs and their orders included) and the run counts the
orders whose answers differ; for options also without the reasons (column "w/o r."): the sets
of possible, forced and impossible values and the bounds. `--cold`: before each timed options
run, a side whose Propagator can `forget` what it keeps across orders does (see
bench_options_first_sight.py for orders seen once each).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import z3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_explain import percentile  # noqa: E402

from tariffcheck import catalog  # noqa: E402
from tariffcheck.common.diagnostics import DiagnosticError  # noqa: E402


def load_before(commit: str, into: Path):
    """The commit's package, importable as `tariffcheck_before`."""
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "tariffcheck"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into)
    pkg = into / "tariffcheck_before"
    (into / "tariffcheck").rename(pkg)
    (into / "specs").symlink_to(ROOT / "specs")
    for py in pkg.rglob("*.py"):  # the few absolute self-imports (the package's own name)
        text = py.read_text(encoding="utf-8")
        fixed = text.replace("from tariffcheck import", "from tariffcheck_before import") \
                    .replace("    import tariffcheck\n", "    import tariffcheck_before as tariffcheck\n")
        if fixed != text:
            py.write_text(fixed, encoding="utf-8")
    sys.path.insert(0, str(into))
    import tariffcheck_before
    return tariffcheck_before


class Side:
    """One tree's solver tools for Secure Endpoint."""

    def __init__(self, pkg: str):
        mod = lambda name: __import__(f"{pkg}.{name}", fromlist=["_"])  # noqa: E731
        self.tariff = mod("catalog").load("secure-endpoint")
        self.decode = mod("orders.decode").decode_order
        self.decode_partial = mod("orders.decode").decode_partial_order
        self.explainer = mod("smt.explain").Explainer(self.tariff)
        self.repairer = mod("smt.repair").Repairer(self.tariff)
        self.propagator = mod("smt.propagate").Propagator(self.tariff)
        self.errors = (mod("common.diagnostics").DiagnosticError,)

    def run(self, op: str, data: dict):
        if op.startswith("options"):
            return self.propagator.propagate(self.decode_partial(data, self.tariff))
        order = self.decode(data, self.tariff)
        if op == "explain":
            return self.explainer.explain(order)
        if op == "explain (5)":
            return self.explainer.explain(order, limit=5)
        if op == "why-not":
            return self.explainer.why_not(order, "edr")
        return self.repairer.repair(order, k=int(op[-1]))


REASONS = ("reason", "low_reason", "high_reason")  # an impossible value's or a bound's reason (options)


def answer(x, reasons: bool = True):
    """An answer as plain values, comparable across the two packages (a rule or a tariff by its id).
    `reasons=False`: without the reasons of options' impossible values and bounds (the sets,
    forced values and bounds only; a shrink may find another reason, as minimal)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        if type(x).__name__ in ("Rule", "Tariff", "ContractKind", "Verdict"):
            return getattr(x, "id", None) or getattr(x, "status", None) or type(x).__name__
        return (type(x).__name__,) + tuple((f.name, answer(getattr(x, f.name), reasons))
                                           for f in dataclasses.fields(x)
                                           if f.name != "calls" and (reasons or f.name not in REASONS))
    if isinstance(x, dict):
        return tuple(sorted((repr(k), answer(v, reasons)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return tuple(answer(v, reasons) for v in x)
    if isinstance(x, (set, frozenset)):
        return tuple(sorted(repr(answer(v, reasons)) for v in x))
    return x if isinstance(x, (int, str, bool, float, type(None))) else repr(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="the commit to compare with (e.g. dfa04a5)")
    ap.add_argument("--parent-orders", type=int, default=40)
    ap.add_argument("--orders", type=int, default=6, help="grouped-corpus orders per violation count (1..5)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20251001)
    ap.add_argument("--ops", default="options (parent),options,explain,explain (5),why-not,repair K=1,repair K=3")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--cold", action="store_true",
                    help="options: before each timed run, a side whose Propagator has `forget` drops what "
                         "it learnt from earlier orders (each order answered as the first of its shape)")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    load_before(args.before, Path(tmp.name))
    before, after = Side("tariffcheck_before"), Side("tariffcheck")
    from bench_explain import partial_of, partials as parent_partials  # noqa: E402
    from bench_check import make_order  # noqa: E402
    import random

    # the corpora as JSON, so that each side decodes with its own decoder
    se = catalog.load("secure-endpoint")
    rng = random.Random(args.seed)
    grouped, partials = [], []
    wanted = {n: args.orders for n in range(1, 6)}
    from tariffcheck.evaluate.concrete import ConcreteValidator
    from tariffcheck.orders.decode import decode_order, decode_partial_order
    concrete = ConcreteValidator(se)
    n = 0
    while any(wanted.values()) and n < 20000:
        n += 1
        data, _ = make_order(rng, se, n)
        try:
            broken = len(concrete.validate(decode_order(data, se)).violations)
            decode_partial_order(partial_of(data), se)
        except DiagnosticError:
            continue
        if wanted.get(broken):
            wanted[broken] -= 1
            grouped.append(data)
            partials.append(partial_of(data))
    parents = parent_partials(se, args.parent_orders, args.seed)
    corpus = {"options (parent)": parents, "options": partials}
    for op in ("explain", "explain (5)", "why-not", "repair K=1", "repair K=3"):
        corpus[op] = grouped
    ops = [o for o in args.ops.split(",") if o]

    results = {"machine": {"python": platform.python_version(), "z3": z3.get_version_string(),
                           "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]},
               "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "before": args.before,
               "rounds": args.rounds, "cold": args.cold, "ops": {}}
    print(f"before {args.before} against this tree; {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    print(f"{'operation':<17} {'orders':>6} {'differ':>6} {'w/o r.':>6} | {'CPU median ms':>21} | {'CPU p99 ms':>21} | "
          f"{'wall median ms':>21} | {'wall p99 ms':>21}")
    for op in ops:
        times = {"before": ([], []), "after": ([], [])}
        differ = differ_sets = counted = 0
        for k, data in enumerate(corpus[op]):
            try:
                got = {"before": before.run(op, data), "after": after.run(op, data)}  # warm-up and answers
            except before.errors + after.errors:
                continue  # why-not: every contract has it already
            counted += 1
            differ += answer(got["before"]) != answer(got["after"])
            differ_sets += answer(got["before"], reasons=False) != answer(got["after"], reasons=False)
            samples = {"before": ([], []), "after": ([], [])}
            for r in range(args.rounds):
                for name in (("before", "after") if (k + r) % 2 == 0 else ("after", "before")):
                    side = before if name == "before" else after
                    if args.cold and op.startswith("options") and hasattr(side.propagator, "forget"):
                        side.propagator.forget()  # answered as the first order of its shape
                    gc.disable()
                    c0, w0 = time.process_time(), time.perf_counter()
                    side.run(op, data)
                    samples[name][0].append(time.process_time() - c0)
                    samples[name][1].append(time.perf_counter() - w0)
                    gc.enable()
            for name in samples:
                times[name][0].append(statistics.median(samples[name][0]) * 1e3)
                times[name][1].append(statistics.median(samples[name][1]) * 1e3)
        row = {"orders": counted, "answers_differ": differ, "answers_differ_without_reasons": differ_sets}
        for name, (cpu, wall) in times.items():
            row[name] = {"cpu_median_ms": statistics.median(cpu), "cpu_p99_ms": percentile(cpu, 99),
                         "wall_median_ms": statistics.median(wall), "wall_p99_ms": percentile(wall, 99)}
        results["ops"][op] = row
        b, a = row["before"], row["after"]

        def cell(key):
            return f"{b[key]:8.1f} → {a[key]:7.1f} {b[key] / a[key]:4.1f}x"

        print(f"{op:<17} {counted:>6} {differ:>6} {differ_sets:>6} | {cell('cpu_median_ms')} | {cell('cpu_p99_ms')} | "
              f"{cell('wall_median_ms')} | {cell('wall_p99_ms')}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
