"""Benchmark the order path of the library before and after, side by side in one run:
decoding an order, validating it, its days of taking effect, `Checker.check(dict)` end to end,
and the one-shot `tariffcheck.check()`.

    .venv/bin/python benchmarks/bench_decode.py [--before dad4fc1 --before ccf097f] [--orders 200]
                                                [--rounds 7] [--json PATH] [--bytecodes]

The code "before" is read from git (`git show REV:PATH`) and run in this same process beside
the working tree's, once per `--before` revision: orders/decode.py and orders/generated.py as
`tariffcheck.orders._decode_<rev>` and `_generated_<rev>`, evaluate/derived_dates.py and
evaluate/concrete.py as `tariffcheck.evaluate._derived_dates_<rev>` and `_concrete_<rev>`, and
api.py as `tariffcheck._api_<rev>`, with their imports of one another pointed at the old copies.
Everything else (the model, the verdict classes) is shared, so the sides differ only in what
changed. Paths, all on the Secure Endpoint corpus of bench_check.py:

  decode      Checker.decode(dict)                          the generated decoder, else decode.py
  validate    the verdict of Checker.check on a decoded Order (VerdictBuilder.validate; on an old
              tree without it, ConcreteValidator.validate)
  effective   DateCalculator.effective(Order)               the days the request takes effect
  check       Checker.check(dict)                           decode, validate, effective days
  check+read  Checker.check(dict), then every violation's fields and values read (as a report does:
              since checkfast2 a violation works them out on their first read)
  one-shot    tariffcheck.check(name, dict)

Before timing, every order must decode to equal Orders and check to equal verdicts on every
side. Each call is timed alone, in CPU time (time.process_time_ns) and in wall time
(time.perf_counter_ns), with the garbage collector off during a pass; the paths are interleaved
round by round and the one that goes first rotates. An order's time is its median over the
rounds; a path's figure is the median (and p90) over the orders. On this machine a call of
time.process_time_ns itself costs about 1 µs, which every CPU figure includes. The machine is
shared: compare the sides of one run, not runs. With `--bytecodes` each call is run once more
under sys.settrace, which counts the bytecodes it runs: a figure that does not depend on the load
(C work, as making a dict, is not in it).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tariffcheck  # noqa: E402
import tariffcheck.evaluate  # noqa: E402
import tariffcheck.orders  # noqa: E402
from bench_check import TARIFF, machine, make_corpus, quantile  # noqa: E402
from tariffcheck import catalog  # noqa: E402
from tariffcheck.api import Checker  # noqa: E402
from tariffcheck.orders.decode import decode_order  # noqa: E402

ROOT = HERE.parent


def load_before(rev: str, path: str, name: str, replace: tuple[tuple[str, str], ...] = ()):
    """The module at `path` as it was at `rev`, importable as `name` (inside the package)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True, text=True,
                            check=True).stdout
    for old, new in replace:
        if old not in source:
            raise SystemExit(f"{rev}:{path} has no `{old}` to point at the old copy")
        source = source.replace(old, new)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    module.__package__ = name.rpartition(".")[0]
    sys.modules[name] = module
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
    return module


def before(rev: str, tag: str = "before"):
    """(old decode module, old api module) at `rev`, the modules named with `tag`
    (`tariffcheck._api_before` by default, as bench_impact_rows.py expects)."""
    decode = load_before(rev, "tariffcheck/orders/decode.py", f"tariffcheck.orders._decode_{tag}")
    load_before(rev, "tariffcheck/orders/generated.py", f"tariffcheck.orders._generated_{tag}", (
        ("from .decode import", f"from ._decode_{tag} import"),))
    load_before(rev, "tariffcheck/evaluate/concrete.py", f"tariffcheck.evaluate._concrete_{tag}")
    load_before(rev, "tariffcheck/evaluate/derived_dates.py", f"tariffcheck.evaluate._derived_dates_{tag}", (
        ("from .concrete import", f"from ._concrete_{tag} import"),))
    replace = [("from .orders.decode import", f"from .orders._decode_{tag} import"),
               ("from .orders.generated import", f"from .orders._generated_{tag} import"),
               ("from .evaluate.concrete import", f"from .evaluate._concrete_{tag} import"),
               ("from .evaluate.derived_dates import", f"from .evaluate._derived_dates_{tag} import")]
    if has_file(rev, "tariffcheck/evaluate/check_verdict.py"):  # the verdict builder of Checker.check, since checkfast
        load_before(rev, "tariffcheck/evaluate/check_verdict.py", f"tariffcheck.evaluate._check_verdict_{tag}", (
            ("from .concrete import", f"from ._concrete_{tag} import"),))
        replace.append(("from .evaluate.check_verdict import", f"from .evaluate._check_verdict_{tag} import"))
    api = load_before(rev, "tariffcheck/api.py", f"tariffcheck._api_{tag}", tuple(replace))
    return decode, api


def has_file(rev: str, path: str) -> bool:
    return subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:{path}"], capture_output=True).returncode == 0


def read_all(verdict):
    """The verdict with every violation's fields and message values read, as a report reads
    them (since checkfast2 they are worked out on their first read)."""
    for v in verdict.violations:
        v.fields, v.values
    return verdict


def time_pass(fn, inputs, cpu: list[list[int]], wall: list[list[int]]) -> None:
    pt, pc = time.process_time_ns, time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for i, x in enumerate(inputs):
            c0, w0 = pt(), pc()
            fn(x)
            w1, c1 = pc(), pt()
            cpu[i].append(c1 - c0)
            wall[i].append(w1 - w0)
    finally:
        gc.enable()


def bytecodes(fn, inputs) -> list[int]:
    """The bytecodes the interpreter runs for each call (sys.settrace's opcode events): a count
    that the machine's load does not change, beside the times that it does."""
    counts, n = [], [0]

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event == "opcode":
            n[0] += 1
        return tracer

    for x in inputs:
        n[0] = 0
        sys.settrace(tracer)
        try:
            fn(x)
        finally:
            sys.settrace(None)
        counts.append(n[0])
    return counts


def figures(samples: list[list[int]]) -> dict:
    per_order = [statistics.median(s) / 1000 for s in samples]
    return {"median_us": round(statistics.median(per_order), 1), "p90_us": round(quantile(per_order, 0.9), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", action="append", help="a git revision to compare with, repeatable "
                                                      "(default: dad4fc1 and ccf097f)")
    ap.add_argument("--orders", type=int, default=200, help="orders in the corpus (default 200)")
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    ap.add_argument("--seed", type=int, default=20251001, help="corpus seed (default 20251001)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("--bytecodes", action="store_true",
                    help="also count the bytecodes each call runs (median over the orders; the load does not change it)")
    args = ap.parse_args(argv)
    revs = args.before or ["dad4fc1", "ccf097f"]

    tariff = catalog.load(TARIFF)
    new = Checker(tariff)
    dicts = [o for o, _ in make_corpus(tariff, args.orders, args.seed)]
    decoded = [new.decode(d) for d in dicts]
    olds = {}
    for rev in revs:
        old_decode, old_api = before(rev, rev[:12])
        old = olds[rev] = old_api.Checker(tariff)
        for i, d in enumerate(dicts):  # the same answers, or timing means nothing
            if old_decode.decode_order(d, tariff) != decoded[i] or decode_order(d, tariff) != decoded[i]:
                raise SystemExit(f"order {i}: the decoders of {rev} and of this tree give different Orders")
            if old.decode(d) != decoded[i]:
                raise SystemExit(f"order {i}: the Checker of {rev} decodes another Order")
            # by repr: the old derived_dates module has classes of its own, which never compare equal
            if repr(old.check(d)) != repr(new.check(d)):
                raise SystemExit(f"order {i}: {rev} and this tree give different verdicts")
            if repr(old_api.check(TARIFF, d)) != repr(tariffcheck.check(TARIFF, d)):
                raise SystemExit(f"order {i}: the one-shot checks of {rev} and this tree give different verdicts")
        olds[rev] = (old, old_api)
    quick = sum(new.quick_decoder.decode(d) is not None for d in dicts)
    print(f"{len(dicts)} {TARIFF} orders: equal Orders and verdicts at {', '.join(revs)} and in this tree;"
          f" the generated decoder reads {quick} of them", flush=True)

    sides = [*revs, "after"]
    paths = []  # (path, side, function, inputs)
    for rev in revs:
        old, old_api = olds[rev]
        paths += [("decode", rev, old.decode, dicts),
                  # the verdict Checker.check builds: VerdictBuilder's where the old tree has one
                  ("validate", rev, old._verdicts.validate if hasattr(old, "_verdicts") else old.concrete.validate,
                   decoded),
                  ("effective", rev, old.date_calculator.effective, decoded),
                  ("check", rev, old.check, dicts),
                  ("one-shot", rev, (lambda api: lambda d: api.check(TARIFF, d))(old_api), dicts)]
    paths += [(p, s, fn, inputs) for p, s, fn, inputs in [
        ("check+read", rev, (lambda c: lambda d: read_all(c.check(d)))(olds[rev][0]), dicts) for rev in revs]]
    paths += [("check+read", "after", lambda d: read_all(new.check(d)), dicts)]
    paths += [("decode", "after", new.decode, dicts),
              ("validate", "after", new._verdicts.validate, decoded),
              ("effective", "after", new.date_calculator.effective, decoded),
              ("check", "after", new.check, dicts),
              ("one-shot", "after", lambda d: tariffcheck.check(TARIFF, d), dicts)]
    names = ["decode", "validate", "effective", "check", "check+read", "one-shot"]
    for _, _, fn, inputs in paths:  # warm-up
        for x in inputs[:20]:
            fn(x)
    cpu = {(p, s): [[] for _ in inputs] for p, s, _, inputs in paths}
    wall = {(p, s): [[] for _ in inputs] for p, s, _, inputs in paths}
    t0 = time.perf_counter()
    for r in range(args.rounds):
        k = r % len(paths)
        for p, s, fn, inputs in paths[k:] + paths[:k]:
            time_pass(fn, inputs, cpu[p, s], wall[p, s])
    elapsed = time.perf_counter() - t0

    ops = {(p, s): bytecodes(fn, inputs) for p, s, fn, inputs in paths} if args.bytecodes else {}
    rows = []
    for p in names:
        for s in sides:
            rows.append({"path": p, "side": s, "cpu": figures(cpu[p, s]), "wall": figures(wall[p, s])})
            if ops:
                rows[-1]["bytecodes"] = {"median": statistics.median(ops[p, s]),
                                         "mean": round(statistics.fmean(ops[p, s]), 1)}
    by = {(r["path"], r["side"]): r for r in rows}
    print(f"\nper-order µs over {len(dicts)} orders x {args.rounds} rounds ({elapsed:.0f} s of timing)")
    print(f"{'path':<11}{'side':<10}{'cpu median':>12}{'cpu p90':>10}{'wall median':>13}{'wall p90':>10}"
          + (f"{'bytecodes':>11}" if ops else ""))
    for r in rows:
        print(f"{r['path']:<11}{r['side']:<10}{r['cpu']['median_us']:>12,.1f}{r['cpu']['p90_us']:>10,.1f}"
              f"{r['wall']['median_us']:>13,.1f}{r['wall']['p90_us']:>10,.1f}"
              + (f"{r['bytecodes']['median']:>11,.0f}" if ops else ""))
    # decode and check per kind of request (a new order is most of the corpus, and the median)
    kinds = [d.get("request", "new") if isinstance(d.get("request"), str) else "new" for d in dicts]
    by_request = {}
    for request in sorted(set(kinds)):
        at = [i for i, k in enumerate(kinds) if k == request]
        for p in ("decode", "check"):
            for s in sides:
                by_request.setdefault(request, {}).setdefault(p, {})[s] = figures([cpu[p, s][i] for i in at])["median_us"]
    print(f"CPU medians by request ({', '.join(f'{k} {kinds.count(k)}' for k in sorted(set(kinds)))} orders):")
    for request, paths_of in by_request.items():
        print(f"  {request:<13}" + "; ".join(f"{p} " + " / ".join(f"{s} {x}" for s, x in v.items())
                                             for p, v in paths_of.items()))
    speedups = {rev: {p: round(by[p, rev]["cpu"]["median_us"] / by[p, "after"]["cpu"]["median_us"], 2) for p in names}
                for rev in revs}
    for rev in revs:
        print(f"{rev}/after (cpu medians): " + ", ".join(f"{p} {x}x" for p, x in speedups[rev].items()))
    target = by["check", "after"]["cpu"]["median_us"]
    print(f"Checker.check(dict) after: {target} µs CPU median (target 30 µs: {'met' if target <= 30 else 'not met'})")
    info = machine()
    print(f"{info['python']}, {info['cpu_count']} cpus, load average at start {info['loadavg_at_start']}")
    if args.json:
        out = {"benchmark": "decode", "tariff": tariff.id, "before": revs, "orders": len(dicts),
               "rounds": args.rounds, "seed": args.seed, "machine": info, "rows": rows, "speedups": speedups,
               "generated_reads": quick, "cpu_median_us_by_request": by_request, "check_target_us": 30, "check_target_met": target <= 30,
               "timer": "process_time_ns and perf_counter_ns per call, gc off in a pass; per order the median "
                        "over rounds, per path the median and p90 over orders"}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
