"""The least repairs found by bounds on one incremental solver (smt/repair.py `_Least`) against
Z3's optimiser, the path before it (`Repairer(..., optimiser=True)`).

Both must give the same answer: the same status, and the same repairs in the same order, each
with the same cost, distance and changes (which of equally good repairs comes first is settled
by `_Ties`, after either search, so it does not depend on the model the search ends on; but
for which parent contract a contract is given, which neither settles). On
every invalid golden case of the bundled specs (weights and locks included on some), and on
synthetic tariffs at 1x and 3x, several orders each.
"""

from __future__ import annotations

import sys

import pytest

from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.evaluate.verdict import VALID
from tariffcheck.orders.decode import decode_order
from tariffcheck.smt.repair import Repairer

from conftest import ROOT, SPECS
from test_explain_cone import _spec_orders

sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402

SPEC_NAMES = sorted(p.name[: -len(".tariff")] for p in SPECS.glob("*.tariff"))


def _answer(result) -> tuple:
    return (result.status, result.locked,
            [(r.cost, r.distance, [(str(c.path), repr(c.before), _after(c), c.weight, c.distance)
                                   for c in r.changes]) for r in result.repairs])


def _after(change) -> str:
    """A change's new value; for a contract's parent, only that it has one. Which parent a
    contract is given, when an existing one and a new one cost the same, is not settled by
    `_Ties` (a structure link is not a field of the order): either path may give either."""
    if change.path.parts and change.path.parts[-1] == "parent" and change.after is not None:
        return "a parent"
    return repr(change.after)


def _compare(tariff, orders, **options) -> int:
    """Repair each order K=3 both ways; the answers are the same as far as both went (a time
    limit may stop one of them on a loaded machine). Returns how many were compared whole."""
    concrete = ConcreteValidator(tariff)
    new, old = Repairer(tariff, concrete=concrete), Repairer(tariff, concrete=concrete, optimiser=True)
    whole = 0
    for name, order in orders:
        a, b = new.repair(order, k=3, **options), old.repair(order, k=3, **options)
        x, y = _answer(a), _answer(b)
        if a.complete and b.complete:
            assert x == y, name
            whole += 1
        else:
            n = min(len(x[2]), len(y[2]))
            assert x[2][:n] == y[2][:n], name
        for r in a.repairs:
            assert concrete.validate(r.order).status == VALID, name
    return whole


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_the_same_repairs_as_the_optimiser_on_the_golden_cases(name):
    tariff, orders = _spec_orders(name)
    assert orders, f"{name} has no invalid golden case"
    assert _compare(tariff, orders) > 0


def test_the_same_repairs_as_the_optimiser_with_weights_and_locks():
    tariff, orders = _spec_orders("secure_endpoint")
    # a dearer kind of field and a lock move the least repair elsewhere: both paths must follow
    assert _compare(tariff, orders[:6], weights={"option": 3}, locks=["accounts"]) > 0


@pytest.mark.parametrize("scale", [1, 3])
def test_the_same_repairs_as_the_optimiser_on_synthetic_tariffs(scale):
    text = synthetic.generate(scale, seed=0)
    tariff = synthetic.load(text, f"<synthetic x{scale}>")
    orders = [(f"x{scale}-{n}-{i}", decode_order(synthetic.invalid_order(text, n, seed=31 + 100 * n + i), tariff))
              for n in range(1, 6) for i in range(2 if scale == 1 else 1)]
    assert _compare(tariff, orders) >= len(orders) // 2
