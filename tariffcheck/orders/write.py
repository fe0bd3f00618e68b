"""Order to JSON: the inverse of decode.py, for tools that build orders and hand them on.

`order_to_json(order, tariff)` writes the documented order format (docs/orders.md) so that
`decode_order(order_to_json(order, tariff), tariff)` gives an equal Order. Every name is
written by its id and every day as `YYYY-MM-DD`; a new request lists each contract's fields
directly, a change request gives `current` and only what differs in `changes`, and a
cancellation gives `current`.

The writer writes current names. A name the order gave by a former name (附則) comes back as
the current one, so after a round trip `ContractEntry.former` is empty and the note about the
rename in `Order.notes` is gone; a spec rule that rejects former names no longer sees them.

An order that breaks a clause by what it writes (an item the tariff does not list, two items, a
count left out: `Order.breaches`) is written as it was given there, so it decodes to the same
breaches; the JSON Schema rejects most such orders, as it should.
"""

from __future__ import annotations

from datetime import date

from ..model import ir
from ..model import tariff as M
from ..model.fields import day_text
from .order import Breach, ContractEntry, ContractState, OptionState, Order


def order_to_json(order: Order, tariff: M.Tariff) -> dict:
    """The order as a JSON-ready dict that decodes, against `tariff`, to an equal Order.

    Raises ValueError for an Order no JSON decodes to: a name the tariff does not define, or a
    change that `changes` cannot say: one that removes a dimension, quantity or flag, or a
    quantity or date of an option it keeps (a change clears only a contract's dates, with
    `null`, and an option's designations, with `[]`).
    """
    out: dict = {}
    if order.tariff is not None:
        out["tariff"] = order.tariff
    out["request"] = order.request
    for key in ir.ORDER_DATES:
        if key in order.dates:
            out[key] = day_text(order.dates[key])
    unknown = order.flags.keys() - tariff.request_flags.keys()
    if unknown:
        raise ValueError(f"`{min(unknown)}` is not a request flag of tariff `{tariff.id}`")
    out.update({f: True for f, said in order.flags.items() if said})  # left out, a flag is false
    holdings = _holdings(order.holdings, order.holding_values, tariff)
    if holdings:
        out["holdings"] = holdings
    out["contracts"] = [_entry(c, order.request, tariff) for c in order.contracts]
    for b in order.breaches:
        _write_back(out["contracts"], b)
    return out


def _write_back(contracts: list[dict], b: Breach) -> None:
    """Put back what the order wrote where it breaks a clause by what it writes (an item the
    tariff does not list, two items, a count left out): the Order keeps it only in the breach, and
    without it the JSON would lose the customer's words, or say a count of 0 they never gave."""
    if b.unset is not None:
        # where the order's spelling and the writer's part (`品目` against `item`, an option by its
        # official name against its id), the writer's key goes: the order's value replaces it whole
        written, ours = b.path.split("."), b.unset.split(".")
        for depth, (a, w) in enumerate(zip(written, ours)):
            if a != w:
                _place(contracts, ".".join(ours[:depth + 1]), None)
                break
    _place(contracts, b.path, b.value)


def _place(contracts: list[dict], path: str, value) -> None:
    """Set `value` at an order path (`contracts[0].options.foo`); None leaves the key out."""
    head, _, rest = path.partition(".")
    at = contracts[int(head[len("contracts["):-1])]
    *parents, key = rest.split(".")
    for part in parents:
        at = at.setdefault(part, {})
    if value is None:
        at.pop(key, None)
    else:
        at[key] = value


def _holdings(held: set[str], values: set[tuple[str, str, str]], t: M.Tariff) -> list[dict]:
    """One `{"service": id, dim: value}` per service; a dimension held with several values
    takes as many objects as it has values, since one object gives each dimension once."""
    out = []
    for sid in sorted(held | {s for s, _, _ in values}):
        svc = t.services.get(sid)
        if svc is None:
            raise ValueError(f"`{sid}` is not a service tariff `{t.id}` refers to")
        by_dim: dict[str, list[str]] = {}
        for s, dim, value in sorted(values):
            if s == sid:
                if dim not in svc.dimensions or value not in svc.dimensions[dim].values:
                    raise ValueError(f"service `{sid}` has no value `{value}` of `{dim}`")
                by_dim.setdefault(dim, []).append(value)
        for i in range(max((len(v) for v in by_dim.values()), default=1)):
            h = {"service": sid}
            h.update({dim: vs[i] for dim, vs in by_dim.items() if i < len(vs)})
            out.append(h)
    return out


def _entry(c: ContractEntry, request: str, t: M.Tariff) -> dict:
    kind = t.contracts.get(c.kind)
    if kind is None:
        raise ValueError(f"`{c.kind}` is not a contract of tariff `{t.id}`")
    out: dict = {"id": c.id, "contract": kind.id}
    if c.parent is not None:
        out["parent"] = c.parent
    if request == "new":
        out.update(_state(c.new, kind))
    else:
        out["current"] = _state(c.old, kind)
        if request == "change":
            out["changes"] = _changes(c.old, c.new, kind, c.id)
    if c.usage_month is not None:
        out["usage"] = {"month": f"{date.fromordinal(c.usage_month):%Y-%m}",
                        **{k: list(v) if isinstance(v, list) else v for k, v in c.usage.items()}}
        if c.option_usage:
            out["usage"]["options"] = {o: dict(counts) for o, counts in c.option_usage.items()}
    return out


def _state(st: ContractState, kind: M.ContractKind) -> dict:
    """A complete contract: every dimension, quantity and flag, the dates it has, its options."""
    _check_names(st, kind)
    out: dict = {}
    out.update(st.dims)
    out.update(st.quantities)
    out.update(st.flags)
    out.update({d: day_text(n) for d, n in st.dates.items()})
    if st.options:
        out["options"] = {o: _option(opt, kind.options[o]) for o, opt in st.options.items()}
    return out


def _changes(old: ContractState, new: ContractState, kind: M.ContractKind, cid: str) -> dict:
    """What `changes` must say to turn `old` into `new`, and nothing more."""
    _check_names(new, kind)
    out: dict = {}
    for before, after in ((old.dims, new.dims), (old.quantities, new.quantities), (old.flags, new.flags)):
        lost = before.keys() - after.keys()
        if lost:
            raise ValueError(f"contract `{cid}`: a change cannot remove `{min(lost)}`, only give it a new value")
        out.update({k: v for k, v in after.items() if k not in before or before[k] != v})
    out.update({d: day_text(n) for d, n in new.dates.items() if old.dates.get(d) != n})
    out.update({d: None for d in old.dates.keys() - new.dates.keys()})  # a date the change clears
    options: dict = {}
    for o, opt in new.options.items():
        prev = old.options.get(o)
        if prev == opt:
            continue
        body = _option(opt, kind.options[o])
        if prev is not None:
            lost = (prev.dates.keys() - opt.dates.keys()) | (prev.quantities.keys() - opt.quantities.keys())
            if lost:
                raise ValueError(f"contract `{cid}`: a change cannot remove `{min(lost)}` of option `{o}` "
                                 "and keep the option")
            # `changes` overlays the option as it was: an attribute no longer designated is cleared
            held = {a for a, _ in opt.designations}
            body.update({a: [] for a, _ in sorted(prev.designations) if a not in held})
        options[o] = body
    options.update({o: False for o in old.options if o not in new.options})
    if options:
        out["options"] = options
    return out


def _option(opt: OptionState, o: M.Option) -> dict:
    out: dict = {"count": opt.count}
    out.update(opt.quantities)
    attributes: dict[str, list[str]] = {}
    for a, v in sorted(opt.designations):
        attributes.setdefault(a, []).append(v)
    out.update({a: vs[0] if len(vs) == 1 else vs for a, vs in attributes.items()})
    out.update(opt.flags)
    out.update({d: day_text(n) for d, n in opt.dates.items()})
    unknown = ((opt.quantities.keys() - o.quantities.keys()) | (attributes.keys() - o.attributes.keys())
               | (opt.flags.keys() - o.flags.keys()) | (opt.dates.keys() - o.dates.keys()))
    if unknown:
        raise ValueError(f"option `{o.id}` has no `{min(unknown)}`")
    return out


def _check_names(st: ContractState, kind: M.ContractKind) -> None:
    """Ids the decoder would not read back as the same field are a mistake in the Order."""
    for have, table in ((st.dims, kind.dimensions), (st.quantities, kind.quantities), (st.flags, kind.flags),
                        (st.dates, kind.dates), (st.options, kind.options)):
        unknown = have.keys() - table.keys()
        if unknown:
            raise ValueError(f"`{min(unknown)}` is not a field of contract `{kind.id}` in the place the Order has it")
    for d, v in st.dims.items():
        if v is not None and v not in kind.dimensions[d].values:
            raise ValueError(f"`{v}` is not a value of `{d}` of contract `{kind.id}`")
