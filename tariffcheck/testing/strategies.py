"""Hypothesis strategies that generate orders for any tariff, as the JSON an order-entry
system would send. Test suites use them to look for orders a tariff handles badly; our own
differential tests use them to make the concrete validator and the Z3 encoding disagree.

    from hypothesis import given
    from tariffcheck import load_tariff
    from tariffcheck.testing.strategies import order_dicts

    @given(order_dicts(load_tariff("secure-endpoint")))
    def test_every_order_gets_a_verdict(order): ...

Numbers are drawn from a small pool around the tariff's own constants (so "accounts equal",
"at least 50" and "at most 4" are hit often), and days cluster at month ends.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from ..model import ir
from ..model.limits import REQUESTS
from ..model import tariff as M

_BASE_DAYS = [date(2024, 1, 31), date(2024, 2, 28), date(2024, 2, 29), date(2025, 3, 31), date(2026, 4, 1),
              date(2026, 4, 15), date(2026, 12, 31)]


def _constants(t: M.Tariff) -> list[int]:
    """Every integer constant the rules mention, with its neighbours."""
    found: set[int] = {0, 1, 2}

    def walk(n):
        if isinstance(n, ir.Const) and n.type == "int" and isinstance(n.value, int):
            found.update({n.value - 1, n.value, n.value + 1})
        for child in getattr(n, "operands", ()) or ():
            walk(child)
        for name in ("left", "right", "operand", "field"):
            child = getattr(n, name, None)
            if isinstance(child, ir.Node):
                walk(child)

    for r in t.rules:
        for s in r.subjects:
            walk(r.condition(s))
    return sorted(x for x in found if x >= 0)


def days() -> st.SearchStrategy[str]:
    return st.builds(lambda base, delta: (base + timedelta(days=delta)).isoformat(),
                     st.sampled_from(_BASE_DAYS), st.integers(-40, 400))


def _contract_state(t: M.Tariff, kind: M.ContractKind, numbers: list[int], partial: bool):
    # former names (附則) an order may still write, by the id they now mean
    former_values = {(r.target[1], r.target[2]): r.old for r in t.renames
                     if r.kind == "value" and r.target[0] == kind.id}
    former_options = {r.target[1]: r.old for r in t.renames if r.kind == "option" and r.target[0] == kind.id}

    @st.composite
    def build(draw):
        out: dict = {}
        for d in kind.dimensions.values():
            values = [v.id for v in d.values.values()] + ([None] if d.optional else [])
            if not partial or draw(st.booleans()):
                v = draw(st.sampled_from(values))
                if (d.id, v) in former_values and draw(st.booleans()):
                    v = former_values[(d.id, v)]
                out[d.id] = v
        for q in kind.quantities.values():
            # a count with a default is often left out: such counts say what makes an order
            # invalid (devices of an OS the tariff does not allow), and with every one drawn at
            # random a valid order would be rare
            if q.default is not None and not partial and draw(st.integers(0, 2)) > 0:
                continue
            if not partial or draw(st.integers(0, 3)) == 0:
                out[q.id] = draw(st.sampled_from(numbers))
        for f in kind.flags.values():
            if not partial or draw(st.integers(0, 5)) == 0:
                out[f.id] = draw(st.booleans()) if partial else draw(st.sampled_from([True, True, True, False]))
        for dfield in kind.dates.values():
            if draw(st.integers(0, 2)) == 0:
                out[dfield.id] = draw(days())
        options = {}
        option_ids = list(kind.options)
        chosen = draw(st.lists(st.sampled_from(option_ids), max_size=min(6, len(option_ids)), unique=True)) \
            if option_ids else []
        for oid in chosen:
            o = kind.options[oid]
            if partial and draw(st.integers(0, 2)) == 0:
                options[oid] = False
                continue
            if not o.quantities and not o.attributes and not o.flags and not o.counted and draw(st.booleans()):
                options[oid] = True
                continue
            body: dict = {}
            if o.counted:
                body["count"] = draw(st.sampled_from([1, 1, 2, 3, 4, 5, 6]))
            for q in o.quantities.values():
                if q.default is None or draw(st.booleans()):
                    body[q.id] = draw(st.sampled_from(numbers))
            for a in o.attributes.values():
                picked = draw(st.lists(st.sampled_from(list(a.values)), max_size=len(a.values), unique=True))
                if picked:
                    body[a.id] = picked
            for f in o.flags.values():
                if draw(st.integers(0, 2)) > 0:
                    body[f.id] = draw(st.booleans())
            for dfield in o.dates.values():
                if draw(st.integers(0, 3)) == 0:
                    body[dfield.id] = draw(days())
            key = former_options[oid] if oid in former_options and draw(st.booleans()) else oid
            options[key] = body
        if options or not partial:
            out["options"] = options
        return out

    return build()


def order_dicts(t: M.Tariff, max_contracts: int = 3, requests=REQUESTS):
    """Orders for tariff `t`, as JSON-ready dicts that decode without error."""
    numbers = _constants(t) + [120]
    kinds = [k for k in t.contracts.values() if k.has_choices]

    @st.composite
    def build(draw):
        request = draw(st.sampled_from(list(requests)))
        order: dict = {"tariff": t.id, "request": request}
        for name in ir.ORDER_DATES:
            if draw(st.integers(0, 2)) > 0:
                order[name] = draw(days())
        for name in t.request_flags:
            if draw(st.integers(0, 2)) == 0:
                order[name] = draw(st.booleans())
        holdings = []
        for s in t.services.values():
            if draw(st.booleans()):
                h = {"service": s.id}
                for d in s.dimensions.values():
                    if draw(st.booleans()):
                        h[d.id] = draw(st.sampled_from(list(d.values)))
                holdings.append(h)
        if holdings:
            order["holdings"] = holdings
        contracts = []
        parents: dict[str, list[str]] = {}  # parent kind -> ids of its contracts in this order
        for kind in t.contracts.values():
            if kind.child_kinds and draw(st.booleans()):
                ids = [f"{kind.id}-{j}" for j in range(draw(st.integers(1, 2)))]
                parents[kind.id] = ids
                for pid in ids:
                    entry = {"id": pid, "contract": kind.id}
                    if request != "new":
                        entry["current"] = draw(_contract_state(t, kind, numbers, partial=False))
                    elif kind.has_choices:
                        entry.update(draw(_contract_state(t, kind, numbers, partial=False)))
                    contracts.append(entry)
        for i in range(draw(st.integers(1, max_contracts))):
            kind = draw(st.sampled_from(kinds))
            entry: dict = {"id": f"c{i}", "contract": kind.id}
            if kind.parent in parents and draw(st.integers(0, 3)) > 0:
                entry["parent"] = draw(st.sampled_from(parents[kind.parent]))
            if request == "new":
                entry.update(draw(_contract_state(t, kind, numbers, partial=False)))
            else:
                entry["current"] = draw(_contract_state(t, kind, numbers, partial=False))
                if request == "change":
                    entry["changes"] = draw(_contract_state(t, kind, numbers, partial=True))
            contracts.append(entry)
        order["contracts"] = contracts
        return order

    return build()
