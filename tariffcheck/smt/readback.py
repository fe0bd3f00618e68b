"""A Z3 model back into an order: the values a model gives a slot's fields, as a contract state,
and a whole order in a template's shape.

Each kind of field says how its value is written into a contract's state (model/fields.py
`FieldKind.put`), so reading a model back is one loop over a slot's fields.
"""

from __future__ import annotations

import z3

from ..orders.order import ContractEntry, ContractState, Order
from .encode import Encoder
from .slots import Slot


def state_of(slot: Slot, m: z3.ModelRef, state: str = "new") -> ContractState:
    """A contract's state as the model gives it: the state the request leaves ("new") or the
    one before it ("old")."""
    def val(x):
        return m.eval(x, model_completion=True)

    st = ContractState()
    for fk, path in slot.fields():
        if fk.where == "option" and fk.id != "opt" and path[0] not in st.options:
            continue  # the parts of an option the model does not order
        key = (fk.id, path, state)
        if fk.dated and not z3.is_true(val(slot.known[key])):
            continue  # a day the model leaves unstated
        x = val(slot.vars[key])
        value = z3.is_true(x) if fk.sort == "bool" else x.as_long()
        fk.put(st, path, fk.from_model(value, slot.kind, path))
    return st


def order_from_model(enc: Encoder, template_order: Order, m: z3.ModelRef) -> Order:
    """The order a model gives, in the template's shape (its contracts, parents and children)."""
    def val(x):
        return m.eval(x, model_completion=True)

    ov = enc.order_vars
    request = template_order.request
    dates = {n: val(day).as_long() for n, (day, known) in ov.dates.items() if z3.is_true(val(known))}
    holdings = {s for s, b in ov.holds.items() if z3.is_true(val(b))}
    values = {k for k, b in ov.holds_value.items() if z3.is_true(val(b))}
    entries = []
    for e in template_order.contracts:
        slot = enc.slot(e.kind, e.index)
        old = state_of(slot, m, "old") if request != "new" else ContractState()
        new = old if request == "cancellation" else state_of(slot, m, "new")
        former = {key for key, b in slot.former.items() if z3.is_true(val(b))}
        entries.append(ContractEntry(e.id, e.kind, e.parent, new, old, e.cancelled, e.index, former,
                                     dict(e.children)))
    flags = {f: z3.is_true(val(b)) for f, b in ov.flags.items()}
    return Order(None, request, dates, holdings, values, entries, flags=flags)


def truths(m: z3.ModelRef, terms: list[z3.BoolRef]) -> list[bool]:
    """Is each formula true in the model? (Asked of Z3 directly: through `m.eval` and
    `is_true`, wrapping each answer in Python cost more than the answers, and repair asks
    for hundreds of them a model.)"""
    ctx = m.ctx.ref()
    r = (z3.Ast * 1)()
    out = []
    for t in terms:
        ok = z3.Z3_model_eval(ctx, m.model, t.as_ast(), True, r)
        out.append(bool(ok) and z3.Z3_get_bool_value(ctx, r[0]) == z3.Z3_L_TRUE)
    return out


def all_true(m: z3.ModelRef, terms) -> bool:
    """Does the model make every one of `terms` true? (Stops at the first that is not.)"""
    ctx = m.ctx.ref()
    r = (z3.Ast * 1)()
    for t in terms:
        if not z3.Z3_model_eval(ctx, m.model, t.as_ast(), True, r) or z3.Z3_get_bool_value(ctx, r[0]) != z3.Z3_L_TRUE:
            return False
    return True
