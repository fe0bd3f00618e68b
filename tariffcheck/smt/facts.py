"""The order's values as solver constraints: one fact for each value the order gives a field.

A fact is what explanations and repairs work in: `role` says whether the customer chose it
("choice") or the request itself gives it ("given": the kind of request, which contracts it
ends, a contract as it is now); `kind` is the name users weigh and lock such a field by
(model/fields.py `FieldKind.choice`); `choice` is the order field it belongs to (an option's
designations of one attribute are one field). A fact about part of an option holds only while
the option is present (`under`). `number` and `value` are the field's number (a count, a
quantity, a day) and its value in the order, for distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import z3

from ..model import fields as F
from ..model import ir
from ..orders.order import ContractEntry, Order
from .slots import Slot, copy_terms

if TYPE_CHECKING:
    from .encode import Encoder


@dataclass(frozen=True)
class Fact:
    path: str  # a FieldRef
    term: z3.BoolRef
    literal: z3.BoolRef
    role: str = "choice"
    kind: str = ""
    choice: str = ""
    under: z3.BoolRef | None = None
    number: z3.ArithRef | None = None
    value: int | None = None
    slot: int | None = None
    field: ir.Field | None = None  # the field it fixes, to show its value (None: designations)
    vars: tuple = ()  # the variables it fixes, to pin them to another value


def order_facts(enc: "Encoder", order: Order, kept: dict | None = None, leave=None) -> list[Fact]:
    """Every fact of an order: its own fields, then each contract's (of its options and
    wordings, only those `kept[index]` keeps when given: smt/cone.py `Kept`). `leave(choice)`:
    the facts of the choices it is true of are left out, and their terms never built."""
    out = own_facts(enc, order)
    if leave is not None:
        out = [f for f in out if not leave(f.choice)]
    for entry in order.contracts:
        out.extend(entry_facts(enc, entry, kept=None if kept is None else kept.get(entry.index), leave=leave))
    return out


def fact_choices(enc: "Encoder", order: Order) -> list[tuple[str, str, str]]:
    """(choice, kind, role) of each fact `order_facts` gives, without building its term: what
    lint needs of the facts of an order whose fields it leaves open (analyse/space.py)."""
    out = [(f.choice, f.kind, f.role) for f in own_facts(enc, order)]
    for entry in order.contracts:
        for fk, ref, fact, vars, role, field, under, choice in _specs(entry, enc.slot(entry.kind, entry.index)):
            out.append((choice or ref, fk.choice or fk.id, role))
    return out


def own_facts(enc: "Encoder", order: Order) -> list[Fact]:
    """The facts of the order's own fields: the kind of request, its days, its holdings."""
    ov = enc.order_vars
    z = F.KINDS
    out: list[Fact] = []

    def add(path, value, term, role="choice", kind="", choice=None, number=None, field=None, vars=()):
        # `value` is what the term depends on; `term` builds it
        def build():
            return Fact(path, term(), z3.Bool(f"fact:{path}", enc.ctx), role, kind, choice or path,
                        None, number, value if number is not None else None, None, field, vars)
        out.append(enc.memo((None, path, role, value), build))

    request = F.Request.number(order.request)
    add(F.FieldRef(None, "request"), request, lambda: ov.request == request, "given", z["request"].id,
        vars=(ov.request,))
    for name, (day, known) in ov.dates.items():
        fld = ir.Field("odate", (name,), type="date")
        given = order.dates.get(name)
        add(F.ref_of(fld, None), given, lambda: z3.Not(known) if given is None else z3.And(known, day == given),
            kind=z["odate"].choice, number=day, field=fld, vars=(day, known))
    for name, b in ov.flags.items():
        said = order.flags.get(name, False)
        add(F.FieldRef(None, name), said, lambda: b if said else z3.Not(b), kind=z["oflag"].choice,
            field=ir.Field("oflag", (name,)), vars=(b,))
    for s, b in ov.holds.items():
        held = s in order.holdings
        add(F.FieldRef(None, "holdings", s), held, lambda: b if held else z3.Not(b), kind=z["holds"].choice,
            field=ir.Field("holds", (s,)), vars=(b,))
    for key, b in ov.holds_value.items():
        held = key in order.holding_values
        # one choice: the service held, and how
        add(F.FieldRef(None, "holdings", *key), held, lambda: b if held else z3.Not(b),
            kind=z["holds_value"].choice, choice=F.FieldRef(None, "holdings", key[0]), vars=(b,))
    return out


def entry_facts(enc: "Encoder", entry: ContractEntry, slot: Slot | None = None, kept=None, leave=None,
                _mask: list[bool] | None = None) -> list[Fact]:
    """The facts of one contract: its structure and wording, then each field of its new and its
    old state (an option that is not ordered is one fact; its parts have none).

    Over the contract's own slot by default; over its kind's template slot (`enc.template`),
    the facts are the same for every contract that gives the same values, wherever it stands
    in the order, and their paths and `slot` say so (`contracts[?]`, None). A slot's facts not
    built yet are the template's, copied (slots.py `copy_terms`): one call into Z3 for them all.
    `kept` (smt/cone.py `Kept`): the options and wordings whose facts are wanted (None: all).
    `leave(choice)`: facts left out (`order_facts`); over the template, `_mask` says which of
    the slot's were left out, since the template's choices have other paths."""
    slot = slot or enc.slot(entry.kind, entry.index)
    template = enc.template(entry.kind)
    index = slot.index if slot.index >= 0 else None
    specs = list(_specs(entry, slot, kept))
    if leave is not None and _mask is None:
        _mask = [not leave(choice or ref) for fk, ref, fact, vars, role, field, under, choice in specs]
    if _mask is not None:
        specs = [x for x, keep in zip(specs, _mask) if keep]
    keys = [(entry.kind, ref, role, fact.value) for fk, ref, fact, vars, role, field, under, choice in specs]
    missing = [i for i, key in enumerate(keys) if not enc.memoised(key)]
    terms: dict[int, z3.BoolRef] = {}
    if missing and slot is not template:
        over_template = entry_facts(enc, entry, template, kept, _mask=_mask)  # the same facts in the same order
        terms = dict(zip(missing, copy_terms([over_template[i].term for i in missing], template, slot)))
    out: list[Fact] = []
    for i, (fk, ref, fact, vars, role, field, under, choice) in enumerate(specs):
        def build():
            term = terms[i] if i in terms else fact.build(slot.z, *vars)
            return Fact(ref, term, z3.Bool(f"fact:{ref}", enc.ctx), role, fk.choice or fk.id, choice or ref, under,
                        vars[0] if fact.number else None, fact.value if fact.number else None, index, field, vars)
        out.append(enc.memo(keys[i], build))
    return out


def _specs(entry: ContractEntry, slot: Slot, kept=None):
    """What each fact of a contract is made of, in a fixed order: its kind of field, path, the
    value it pins (`F.Fact`), variables, role, IR field, the option it belongs to, its choice."""
    index = slot.index if slot.index >= 0 else None
    base = F.contract_ref(index)
    yield F.KINDS["cancelled"], base.child("cancelled"), F._pick(entry.cancelled), (slot.cancelled,), "given", \
        None, None, None
    has_parent = F.KINDS["has_parent"]
    field = ir.Field("has_parent", ())
    yield has_parent, has_parent.ref(field, index), F._pick(entry.parent is not None), (slot.has_parent,), \
        "choice", field, None, None
    for k, n in slot.children.items():
        field = ir.Field("children", (k,), type="int")
        yield F.KINDS["children"], F.ref_of(field, index), F._equal(entry.children.get(k, 0)), (n,), "choice", \
            field, None, None
    for path, b in slot.former.items():
        if kept is not None and path not in kept.former:
            continue  # read by no rule, and not written so (smt/cone.py)
        field = ir.Field("former", path)
        yield F.KINDS["former"], F.ref_of(field, index), F._pick(path in entry.former), (b,), "choice", field, \
            None, None
    for state, st in (("new", entry.new), ("old", entry.old)):
        # a contract as it is now, and one that the request ends, are given, not chosen
        role = "given" if state == "old" or entry.cancelled else "choice"
        for fk, path, part, field, ref, vars, under, choice in _rows(slot, state, None if kept is None else kept.options):
            if part and path[0] not in st.options:
                continue  # the parts of an option that is not ordered
            fact = fk.fact(entry, st, slot.kind, path)
            if fact is not None:
                yield fk, ref, fact, vars, role, field, under, choice


def _rows(slot: Slot, state: str, options: frozenset[str] | None) -> list[tuple]:
    """`_places(slot)[state]`, of the options only those in `options` (None: all), in the same
    order: the contract's own fields, then each option's in declaration order."""
    rows = _places(slot)[state]
    if options is None:
        return rows
    own, by_option = slot.fact_places_by_option[state]
    out = list(own)
    for o in slot.kind.options:
        if o in options:
            out += by_option[o]
    return out


def _places(slot: Slot) -> dict[str, list[tuple]]:
    """Where each field of a slot's states goes as a fact: its kind, path, whether it is part of
    an option, its IR field, order path, variables, the option it belongs to and the choice it
    is part of. The same for every order, so built once per slot (`Slot.fact_places`)."""
    if slot.fact_places is not None:
        return slot.fact_places
    index = slot.index if slot.index >= 0 else None
    out: dict[str, list[tuple]] = {}
    for state in ("new", "old"):
        rows = out[state] = []
        for fk, path in slot.fields():
            key = (fk.id, path, state)
            field = ir.Field(fk.id, path, state, fk.type)
            ref = F.ref_of(field, index)
            if fk.id == "optcount":  # the option, ordered with its count or not ordered
                ref = F.ref_of(ir.Field("opt", path, state), index)
                vars = (slot.vars[key], slot.option(path[0], state))
            elif fk.dated:
                vars = (slot.vars[key], slot.known[key])
            else:
                vars = (slot.vars[key],)
            under = slot.option(path[0], state) if fk.where == "option" and fk.id != "optcount" else None
            choice = ref.parent if fk.id == "optattr" else None  # an attribute's designations are one choice
            part = fk.where == "option" and fk.id not in ("opt", "optcount")
            rows.append((fk, path, part, None if fk.id == "optattr" else field, ref, vars, under, choice))
    grouped = {}
    for state, rows in out.items():
        own, by_option = [], {o: [] for o in slot.kind.options}
        for row in rows:
            (by_option[row[1][0]] if row[0].where == "option" else own).append(row)
        grouped[state] = (own, by_option)
    slot.fact_places_by_option = grouped
    slot.fact_places = out
    return out
