"""Whether `Checker.check(dict)` answers alike in this tree and at an older revision, on many
orders: generated ones for every bundled tariff (new orders, changes and cancellations) and real
orders mutated into bad ones (wrong types, unknown names, keys dropped or doubled).

    .venv/bin/python benchmarks/compare_check_trees.py --before 30f65b6 [--examples 300]

The old code is loaded beside this tree's as bench_decode.py loads it (`--before` there). An
answer is the verdict (its repr, every violation's fields and message values, the days the
request takes effect) or, for an order that does not decode, every diagnostic's code, path,
message and help (its repr). Stops at the first difference; prints how many orders of each kind agreed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "fuzz"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bench_decode import before  # noqa: E402
from tariffcheck import OrderError, catalog  # noqa: E402
from tariffcheck.api import Checker  # noqa: E402
from tariffcheck.testing.strategies import order_dicts  # noqa: E402


def answer(checker, data) -> tuple:
    try:
        verdict = checker.check(data)
    except OrderError as exc:  # every diagnostic whole: code, message, field path, help
        return "errors", [repr(d) for d in exc.diagnostics]
    return ("verdict", repr(verdict), [(v.fields, v.values) for v in verdict.violations],
            repr(verdict.effective))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="30f65b6", help="the git revision to compare with (default 30f65b6)")
    ap.add_argument("--examples", type=int, default=300, help="generated orders per tariff and kind of input")
    args = ap.parse_args(argv)
    _, old_api = before(args.before, args.before[:12])
    seen: Counter = Counter()
    for name in catalog.bundled_names():
        tariff = catalog.load(name)
        new, old = Checker(tariff), old_api.Checker(tariff)

        def same(data, what: str) -> None:
            a, b = answer(new, data), answer(old, data)
            if a != b:
                raise SystemExit(f"{name}: {what} answered differently\n  order {data!r}\n  here  {a!r}\n  then  {b!r}")
            seen[name, what, a[0]] += 1

        run = settings(max_examples=args.examples, deadline=None, derandomize=True, database=None,
                       suppress_health_check=list(HealthCheck))
        run(given(order_dicts(tariff))(lambda data: same(data, "generated")))()
        run(given(order_dicts(tariff, requests=("change", "cancellation")))(
            lambda data: same(data, "generated change or cancellation")))()
        from mutations import real_order  # the fuzz tests' mutations of the specs' real orders

        def mutated(drawn):
            owner, data = drawn
            if owner == name:
                same(data, "mutated real order")

        run(given(real_order(tariffs=[name]))(mutated))()
    total = sum(seen.values())
    for (name, what, kind), n in sorted(seen.items()):
        print(f"{name:<22}{what:<36}{kind:<8}{n:>6}")
    print(f"{total} orders, the same answers here and at {args.before}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
