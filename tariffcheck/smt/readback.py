"""A Z3 model back into an order: the values a model gives a slot's fields, as a contract state,
and a whole order in a template's shape.

Each kind of field says how its value is written into a contract's state (model/fields.py
`FieldKind.put`), so reading a model back is one loop over a slot's fields.

Values are read from Z3 directly (`Values`): z3py's `m.eval(x).as_long()` wraps every answer in
a Python object, checks its sort and goes through a second call for the number, which made
reading a repair's model back a third of repair's time.
"""

from __future__ import annotations

import z3

from ..orders.order import ContractEntry, ContractState, Order
from .encode import Encoder
from .slots import Slot


class Values:
    """What one model gives terms (every variable has a value: model completion)."""

    __slots__ = ("m", "_ctx", "_model", "_r")

    def __init__(self, m: z3.ModelRef):
        self.m = m
        self._ctx = m.ctx.ref()
        self._model = m.model
        self._r = (z3.Ast * 1)()

    def _eval(self, x: z3.ExprRef):
        if not z3.Z3_model_eval(self._ctx, self._model, x.as_ast(), True, self._r):
            raise z3.Z3Exception(f"the model gives no value to {x}")
        return self._r[0]

    def true(self, x: z3.BoolRef) -> bool:
        return z3.Z3_get_bool_value(self._ctx, self._eval(x)) == z3.Z3_L_TRUE

    def false(self, x: z3.BoolRef) -> bool:
        return z3.Z3_get_bool_value(self._ctx, self._eval(x)) == z3.Z3_L_FALSE

    def int(self, x: z3.ArithRef) -> int:
        return int(z3.Z3_get_numeral_string(self._ctx, self._eval(x)))


def state_of(slot: Slot, m: z3.ModelRef | Values, state: str = "new",
             options: frozenset[str] | None = None) -> ContractState:
    """A contract's state as the model gives it: the state the request leaves ("new") or the
    one before it ("old"). `options`: the options the solver had (smt/cone.py); every other
    one is not ordered (None: it had all)."""
    v = m if isinstance(m, Values) else Values(m)
    st = ContractState()
    for fk, path in slot.fields():
        if fk.where == "option" and (fk.id != "opt" or options is not None) and path[0] not in st.options:
            if fk.id != "opt" or path[0] not in options:
                continue  # the parts of an option the model does not order, or one outside the cone
        key = (fk.id, path, state)
        if fk.dated and not v.true(slot.known[key]):
            continue  # a day the model leaves unstated
        x = slot.vars[key]
        value = v.true(x) if fk.sort == "bool" else v.int(x)
        fk.put(st, path, fk.from_model(value, slot.kind, path))
    return st


def order_from_model(enc: Encoder, template_order: Order, m: z3.ModelRef) -> Order:
    """The order a model gives, in the template's shape (its contracts, parents and children)."""
    v = Values(m)
    ov = enc.order_vars
    request = template_order.request
    dates = {n: v.int(day) for n, (day, known) in ov.dates.items() if v.true(known)}
    holdings = {s for s, b in ov.holds.items() if v.true(b)}
    values = {k for k, b in ov.holds_value.items() if v.true(b)}
    entries = []
    for e in template_order.contracts:
        slot = enc.slot(e.kind, e.index)
        old = state_of(slot, v, "old") if request != "new" else ContractState()
        new = old if request == "cancellation" else state_of(slot, v, "new")
        former = {key for key, b in slot.former.items() if v.true(b)}
        entries.append(ContractEntry(e.id, e.kind, e.parent, new, old, e.cancelled, e.index, former,
                                     dict(e.children)))
    flags = {f: v.true(b) for f, b in ov.flags.items()}
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
