"""What options keeps or writes once gives what it gave before:

- options_report writes a reason's rule as explain_report.tie_json does (its clauses and source
  are worked out once per rule of an answer): the same JSON for every rule of every reason;
- an invalid order's conflict, asked again with the satisfiable trials of the first answer kept
  (`Propagator.known`), is the same conflict, and the trials kept are used.

On Secure Endpoint's seeded partial orders (benchmarks/bench_check.py's, made partial as the
benchmarks do)."""

from __future__ import annotations

import sys

from conftest import ROOT
from tariffcheck import catalog
from tariffcheck.orders.decode import decode_partial_order
from tariffcheck.report import options_report
from tariffcheck.report.explain_report import tie_json
from tariffcheck.smt.propagate import Propagator

TARIFF = catalog.load("secure-endpoint")


def partial_orders(count: int, seed: int, parent: bool) -> list[dict]:
    """Seeded partial orders: with a parent contract (the options' slowest), or any."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_explain import partials
    finally:
        sys.path.pop(0)
    return partials(TARIFF, count, seed, parent=parent, tries=5000)


def test_reasons_rules_written_as_explain_writes_them():
    propagator = Propagator(TARIFF)
    ties = 0
    for data in partial_orders(3, 20251001, parent=True):
        order = decode_partial_order(data, TARIFF)
        result = propagator.propagate(order)
        written = options_report.to_json(TARIFF, order, result)
        reasons = [(v.reason, w["reason"]) for f, fw in zip(result.fields, written["fields"]) if f.kind != "number"
                   for v, w in zip(f.values, fw["values"]) if v.reason is not None]
        reasons += [(f.low_reason, fw["below_low"]) for f, fw in zip(result.fields, written["fields"])
                    if f.kind == "number" and f.low_reason is not None]
        for conflict, got in reasons:
            assert [tie_json(TARIFF, order, tie) for tie in conflict.rules] == got["rules"]
            ties += len(conflict.rules)
    assert ties > 50  # the orders have their hundred-odd impossible values, each with a rule


def test_an_invalid_orders_conflict_with_the_trials_kept():
    invalid = []
    fresh = Propagator(TARIFF)
    for data in partial_orders(40, 20261203, parent=False):
        order = decode_partial_order(data, TARIFF)
        result = fresh.propagate(order)
        if result.status == "invalid":
            invalid.append((order, options_report.to_json(TARIFF, order, result)))
        if len(invalid) == 5:
            break
    assert len(invalid) == 5
    again = Propagator(TARIFF)
    for order, _ in invalid:
        again.propagate(order)
    hits = again.known.hits
    for order, first in invalid:  # answered again: every satisfiable trial is known now
        assert options_report.to_json(TARIFF, order, again.propagate(order)) == first
    assert again.known.hits > hits
