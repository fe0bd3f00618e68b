"""Do two trees give the same repairs? Every repair of every order, old and new side by side.

    .venv/bin/python benchmarks/bench_repair_same.py --old 30f65b6 --json benchmarks/results/repaircore_same.json
    .venv/bin/python benchmarks/bench_repair_same.py --old 30f65b6 --synthetic 1:20,3:10,10:20 --drawn 40

bench_explain_scale.py compares only the cost and distance of each repair; this compares the
whole answer: the status, the locked fields, and per repair its cost, distance and every change
(the field, its value before and after, weight, distance), in order, with K=3. The old side is
the package at a commit (`git archive`), the new side the working tree, each in a process of
its own. The corpus, the same on both sides and on every run:

- every invalid golden case of the five bundled tariffs (specs/*.tests.json);
- `--drawn` generated invalid orders per bundled tariff, each with up to three random locks,
  drawn as tests/test_repair_least.py draws them (Hypothesis, derandomized), repaired with K=2
  as tests/test_explain_repair.py does;
- `--synthetic SCALE:N,...`: per scale, synthetic.py's tariff and `invalid_order(text, n)` for
  n = 1..5 broken rule instances, N orders in all, seeds from 20251001 (the first 10 at 10x are
  bench_explain_scale.py's orders).

An order either side did not finish (a time limit, `complete` false) is compared as far as both
went and counted apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 20251001


def _answer(result) -> dict:
    def after(c):  # which parent a contract is given is not settled between equal repairs
        if c.path.parts and c.path.parts[-1] == "parent" and c.after is not None:
            return "a parent"
        return repr(c.after)

    return {"status": result.status, "complete": result.complete, "locked": list(result.locked),
            "repairs": [[r.cost, r.distance, [[str(c.path), repr(c.before), after(c), c.weight, c.distance]
                                              for c in r.changes]] for r in result.repairs]}


def _drawn(tariff, n: int) -> list[tuple]:
    """Invalid generated orders with random locks, the same on every run and on both sides."""
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    from tariffcheck.api import Checker  # noqa: PLC0415
    from tariffcheck.common.diagnostics import DiagnosticError  # noqa: PLC0415
    from tariffcheck.smt.encode import Encoder  # noqa: PLC0415
    from tariffcheck.smt.problem import Workspace  # noqa: PLC0415
    from tariffcheck.testing.strategies import order_dicts  # noqa: PLC0415

    checker, own = Checker(tariff), Workspace(Encoder(tariff))
    out = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(order_dicts(tariff, max_contracts=2), st.randoms(use_true_random=False))
    def draw(data, rnd):
        try:
            order = checker.decode(data)
        except DiagnosticError:
            return
        if checker.check(order).status != "invalid":
            return
        with own.open(order) as p:
            paths = [str(c.path) for c in p.choices]
        out.append((json.dumps(data, sort_keys=True, default=str), order,
                    rnd.sample(paths, min(len(paths), rnd.randint(0, 3)))))

    draw()
    seen, unique = set(), []  # Hypothesis may draw an order twice: each is compared once
    for key, order, locks in out:
        if (key, tuple(locks)) not in seen:
            seen.add((key, tuple(locks)))
            unique.append((order, locks))
    return unique


def worker(drawn: int, synthetic_spec: str) -> dict:
    """Run in the child process, with PYTHONPATH pointing at one side's package."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT / "tests"))
    import synthetic  # noqa: PLC0415

    from tariffcheck.orders.decode import decode_order  # noqa: PLC0415
    from tariffcheck.smt.repair import Repairer  # noqa: PLC0415
    from test_explain_cone import SPEC_NAMES, _spec_orders  # noqa: PLC0415

    out: dict = {"answers": {}, "cpu_s": {}}
    for name in SPEC_NAMES:
        c0 = time.process_time()
        tariff, golden = _spec_orders(name)
        repairer = Repairer(tariff)
        for case, order in golden:
            out["answers"][f"{name}/golden/{case}"] = _answer(repairer.repair(order, k=3))
        for i, (order, locks) in enumerate(_drawn(tariff, drawn) if drawn else []):
            out["answers"][f"{name}/drawn/{i}"] = _answer(repairer.repair(order, k=2, locks=locks))
        out["cpu_s"][name] = time.process_time() - c0
        print(f"  {name}: {len(out['answers'])} orders so far", file=sys.stderr, flush=True)
    for part in filter(None, synthetic_spec.split(",")):
        scale, count = (int(x) for x in part.split(":"))
        c0 = time.process_time()
        text = synthetic.generate(scale, seed=0)
        tariff = synthetic.load(text, f"<synthetic x{scale}>")
        repairer = Repairer(tariff)
        per = -(-count // 5)
        for i in range(per):
            for n in range(1, 6):
                if i * 5 + n > count:
                    break
                order = decode_order(synthetic.invalid_order(text, n, seed=SEED + 100 * n + i), tariff)
                out["answers"][f"x{scale}/{n}/{i}"] = _answer(repairer.repair(order, k=3))
        out["cpu_s"][f"x{scale}"] = time.process_time() - c0
        print(f"  x{scale}: {len(out['answers'])} orders so far", file=sys.stderr, flush=True)
    return out


def compare(a: dict, b: dict) -> dict:
    """Orders compared whole (both complete), as far as both went (either cut short), and the
    keys of those that differ."""
    whole, partial, differ = 0, 0, []
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        if x["complete"] and y["complete"]:
            whole += 1
            if x != y:
                differ.append(key)
        else:
            partial += 1
            n = min(len(x["repairs"]), len(y["repairs"]))
            if x["repairs"][:n] != y["repairs"][:n] or x["locked"] != y["locked"]:
                differ.append(key)
    return {"orders": len(set(a) & set(b)), "compared_whole": whole, "compared_as_far_as_both_went": partial,
            "differ": differ,
            "cut_short": {"old": sum(not x["complete"] for x in a.values()),
                          "new": sum(not y["complete"] for y in b.values())}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default="30f65b6", help="the commit of the old side")
    ap.add_argument("--drawn", type=int, default=40, help="generated orders with random locks drawn per bundled tariff")
    ap.add_argument("--synthetic", default="1:20,3:10,10:20", help="SCALE:ORDERS,... of synthetic.py's tariff")
    ap.add_argument("--json")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(worker(args.drawn, args.synthetic)))
        return 0
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "old": args.old,
                     "load_average": os.getloadavg()[0], "drawn": args.drawn, "synthetic": args.synthetic}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.old], stdout=subprocess.PIPE, check=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        got = {}
        for side, root in (("old", old), ("new", ROOT)):
            print(f"{side} ...", file=sys.stderr, flush=True)
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--drawn", str(args.drawn),
                   "--synthetic", args.synthetic]
            done = subprocess.run(cmd, env=dict(os.environ, PYTHONPATH=str(root)), stdout=subprocess.PIPE,
                                  text=True, check=True)
            got[side] = json.loads(done.stdout)
    results["cpu_s"] = {side: r["cpu_s"] for side, r in got.items()}
    results["same"] = compare(got["old"]["answers"], got["new"]["answers"])
    results["answers"] = {side: r["answers"] for side, r in got.items()}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    s = results["same"]
    print(f"{s['orders']} orders: {s['compared_whole']} compared whole, {s['compared_as_far_as_both_went']} as far as "
          f"both went (cut short: old {s['cut_short']['old']}, new {s['cut_short']['new']}); "
          f"differ: {len(s['differ'])} {s['differ'][:10]}")
    for side, cpu in results["cpu_s"].items():
        print(f"  {side} CPU s: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    return 1 if s["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
