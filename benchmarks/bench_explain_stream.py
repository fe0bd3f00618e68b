"""Explain over a stream of orders the explainer has not met, warm workspace against cold.

    .venv/bin/python benchmarks/bench_explain_stream.py --scale 10 --per-count 8

bench_explain_scale.py times each order's second explanation; a service mostly explains orders
it has not seen. Here each of `5 * per-count` synthetic invalid orders (synthetic.py seed 0,
`invalid_order(text, n)` for n = 1..5, interleaved) is explained once, in sequence, by one kept
Explainer: first `warm=False`, then `warm=True`, each building its own encoding on the first
order, which is left out of the figures. CPU by `time.process_time`; the median over the
stream and over each half of it (does an explainer get slower as it takes in more orders?).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def run(tariff, orders, warm: bool) -> dict:
    from tariffcheck.smt.explain import Explainer  # noqa: PLC0415

    ex = Explainer(tariff, warm=warm)
    ex.explain(orders[0])  # builds the encoding
    cpu = []
    for order in orders[1:]:
        c0 = time.process_time()
        ex.explain(order)
        cpu.append((time.process_time() - c0) * 1e3)
    h = len(cpu) // 2
    return {"warm": warm, "orders": len(cpu), "cpu_median_ms": statistics.median(cpu),
            "first_half_ms": statistics.median(cpu[:h]), "second_half_ms": statistics.median(cpu[h:]),
            "known_sat_hits": ex.known.hits, "cpu_ms": cpu}


def main(argv: list[str] | None = None) -> int:
    import synthetic  # noqa: PLC0415

    from tariffcheck.orders.decode import decode_order  # noqa: PLC0415

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--per-count", type=int, default=8)
    ap.add_argument("--seed", type=int, default=555)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    text = synthetic.generate(args.scale, seed=0)
    tariff = synthetic.load(text, f"<synthetic x{args.scale}>")
    orders = [decode_order(synthetic.invalid_order(text, n, seed=args.seed + 100 * n + i), tariff)
              for i in range(args.per_count) for n in range(1, 6)]
    out = []
    for warm in (False, True):
        r = run(tariff, orders, warm)
        out.append(r)
        print(f"x{args.scale} {'warm' if warm else 'cold'}: {r['orders']} new orders, CPU median {r['cpu_median_ms']:.1f} ms"
              f" (first half {r['first_half_ms']:.1f}, second half {r['second_half_ms']:.1f}),"
              f" KnownSat hits {r['known_sat_hits']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"scale": args.scale, "runs": out}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
