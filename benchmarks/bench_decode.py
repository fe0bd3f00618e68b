"""Benchmark the order path of the library before and after, side by side in one run:
decoding an order, `Checker.check(dict)` end to end, and the one-shot `tariffcheck.check()`.

    .venv/bin/python benchmarks/bench_decode.py [--before dfa04a5] [--orders 200] [--rounds 7] [--json PATH]

The code "before" is read from git (`git show REV:PATH`) and run in this same process beside
the working tree's: orders/decode.py as `tariffcheck.orders._decode_before`,
evaluate/derived_dates.py and evaluate/concrete.py as `tariffcheck.evaluate._derived_dates_before`
and `_concrete_before`, and api.py as `tariffcheck._api_before` with its imports of those three
pointed at the old copies. Everything
else (the model, the concrete validator) is shared, so the two sides differ only in what
changed. Paths, all on the Secure Endpoint corpus of bench_check.py:

  decode      old decode_order(dict, tariff)       vs  Checker.decode(dict)
  check       old Checker.check(dict)              vs  Checker.check(dict)   (decode, validate, effective days)
  one-shot    old tariffcheck.check(name, dict)    vs  tariffcheck.check(name, dict)
  validate    old ConcreteValidator.validate(Order) vs  ConcreteValidator.validate(Order)

A third side, "fastdecode", times decode and check with the working tree's Checker told to skip
the decoder generated per tariff (orders/generated.py): decode.py alone, as branch fastdecode
left it. "after" is the Checker as it is (the generated decoder, decode.py when it declines).

Before timing, every order must decode to equal Orders and check to equal verdicts on both
sides. Each call is timed alone, in CPU time (time.process_time_ns) and in wall time
(time.perf_counter_ns), with the garbage collector off during a pass; the paths are interleaved
round by round and the one that goes first rotates. An order's time is its median over the
rounds; a path's figure is the median (and p90) over the orders. The machine is shared: compare
the two sides of one run, not runs.
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


def before(rev: str):
    """(old decode module, old api module) at `rev`."""
    decode = load_before(rev, "tariffcheck/orders/decode.py", "tariffcheck.orders._decode_before")
    load_before(rev, "tariffcheck/evaluate/derived_dates.py", "tariffcheck.evaluate._derived_dates_before")
    load_before(rev, "tariffcheck/evaluate/concrete.py", "tariffcheck.evaluate._concrete_before")
    api = load_before(rev, "tariffcheck/api.py", "tariffcheck._api_before", (
        ("from .orders.decode import", "from .orders._decode_before import"),
        ("from .evaluate.concrete import", "from .evaluate._concrete_before import"),
        ("from .evaluate.derived_dates import", "from .evaluate._derived_dates_before import")))
    return decode, api


class _Declines:
    """A generated decoder that reads nothing: every order goes to decode.py."""

    @staticmethod
    def decode(data):
        return None


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


def figures(samples: list[list[int]]) -> dict:
    per_order = [statistics.median(s) / 1000 for s in samples]
    return {"median_us": round(statistics.median(per_order), 1), "p90_us": round(quantile(per_order, 0.9), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="dfa04a5", help="the git revision to compare with (default dfa04a5)")
    ap.add_argument("--orders", type=int, default=200, help="orders in the corpus (default 200)")
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    ap.add_argument("--seed", type=int, default=20251001, help="corpus seed (default 20251001)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = ap.parse_args(argv)

    old_decode, old_api = before(args.before)
    tariff = catalog.load(TARIFF)
    new = Checker(tariff)
    old = old_api.Checker(tariff)
    plain = Checker(tariff)
    plain.quick_decoder = _Declines()
    dicts = [o for o, _ in make_corpus(tariff, args.orders, args.seed)]
    decoded = [new.decode(d) for d in dicts]
    for i, d in enumerate(dicts):  # the same answers, or timing means nothing
        if old_decode.decode_order(d, tariff) != decoded[i] or decode_order(d, tariff) != decoded[i]:
            raise SystemExit(f"order {i}: the decoders give different Orders")
        if repr(plain.check(d)) != repr(new.check(d)):
            raise SystemExit(f"order {i}: the check without the generated decoder gives another verdict")
        # by repr: the old derived_dates module has classes of its own, which never compare equal
        if repr(old.check(d)) != repr(new.check(d)):
            raise SystemExit(f"order {i}: the two checks give different verdicts")
        if repr(old_api.check(TARIFF, d)) != repr(tariffcheck.check(TARIFF, d)):
            raise SystemExit(f"order {i}: the two one-shot checks give different verdicts")
    quick = sum(new.quick_decoder.decode(d) is not None for d in dicts)
    print(f"{len(dicts)} {TARIFF} orders: equal Orders and verdicts before ({args.before}), fastdecode and after;"
          f" the generated decoder reads {quick} of them", flush=True)

    paths = [  # (path, side, function, inputs)
        ("decode", "before", lambda d: old_decode.decode_order(d, tariff), dicts),
        ("decode", "fastdecode", plain.decode, dicts),
        ("decode", "after", new.decode, dicts),
        ("check", "before", old.check, dicts),
        ("check", "fastdecode", plain.check, dicts),
        ("check", "after", new.check, dicts),
        ("one-shot", "before", lambda d: old_api.check(TARIFF, d), dicts),
        ("one-shot", "after", lambda d: tariffcheck.check(TARIFF, d), dicts),
        ("validate", "before", old.concrete.validate, decoded),
        ("validate", "after", new.concrete.validate, decoded),
    ]
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

    rows = []
    for p, s, _, _ in paths:
        rows.append({"path": p, "side": s, "cpu": figures(cpu[p, s]), "wall": figures(wall[p, s])})
    by = {(r["path"], r["side"]): r for r in rows}
    print(f"\nper-order µs over {len(dicts)} orders x {args.rounds} rounds ({elapsed:.0f} s of timing)")
    print(f"{'path':<10}{'side':<12}{'cpu median':>12}{'cpu p90':>10}{'wall median':>13}{'wall p90':>10}")
    for r in rows:
        print(f"{r['path']:<10}{r['side']:<12}{r['cpu']['median_us']:>12,.1f}{r['cpu']['p90_us']:>10,.1f}"
              f"{r['wall']['median_us']:>13,.1f}{r['wall']['p90_us']:>10,.1f}")
    speedups = {p: round(by[p, "before"]["cpu"]["median_us"] / by[p, "after"]["cpu"]["median_us"], 2)
                for p in ("decode", "check", "one-shot", "validate")}
    over_fastdecode = {p: round(by[p, "fastdecode"]["cpu"]["median_us"] / by[p, "after"]["cpu"]["median_us"], 2)
                       for p in ("decode", "check")}
    one_shot_over_kept = round(by["one-shot", "after"]["cpu"]["median_us"] / by["check", "after"]["cpu"]["median_us"], 2)
    print("\nbefore/after (cpu medians): " + ", ".join(f"{p} {x}x" for p, x in speedups.items()))
    print("fastdecode/after (cpu medians): " + ", ".join(f"{p} {x}x" for p, x in over_fastdecode.items()))
    print(f"one-shot / kept Checker (after, cpu medians): {one_shot_over_kept}x; "
          f"before: {round(by['one-shot', 'before']['cpu']['median_us'] / by['check', 'before']['cpu']['median_us'], 2)}x")
    info = machine()
    print(f"{info['python']}, {info['cpu_count']} cpus, load average at start {info['loadavg_at_start']}")
    if args.json:
        out = {"benchmark": "decode", "tariff": tariff.id, "before": args.before, "orders": len(dicts),
               "rounds": args.rounds, "seed": args.seed, "machine": info, "rows": rows, "speedups": speedups,
               "over_fastdecode": over_fastdecode, "generated_reads": quick,
               "one_shot_over_kept": one_shot_over_kept,
               "timer": "process_time_ns and perf_counter_ns per call, gc off in a pass; per order the median "
                        "over rounds, per path the median and p90 over orders"}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
