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

import dataclasses
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
    # the term's id, read once: what names a choice (problem.py `Choice.key`) on every order that
    # has it, and z3py's get_id costs more than the rest of naming it
    term_id: int = dataclasses.field(init=False, repr=False, compare=False, default=-1)

    def __post_init__(self):
        object.__setattr__(self, "term_id", self.term.get_id())


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
        rows = _rows(enc.slot(entry.kind, entry.index))
        for at, role, fact in _values(enc, entry, None):
            fk, ref, choice = rows[at][0], rows[at][2], rows[at][7]
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
            return Fact(path, term(), ov.z.bool(f"fact:{path}"), role, kind, choice or path,
                        None, number, value if number is not None else None, None, field, vars)
        out.append(enc.memo((None, path, role, value), build))

    request = F.Request.number(order.request)
    add(F.FieldRef(None, "request"), request, lambda: ov.request == request, "given", z["request"].id,
        vars=(ov.request,))
    for name, (day, known) in ov.dates.items():
        fld = ir.Field("odate", (name,), type="date")
        given = order.dates.get(name)
        add(F.ref_of(fld, None), given, lambda: ov.z.Not(known) if given is None else ov.z.And(known, day == given),
            kind=z["odate"].choice, number=day, field=fld, vars=(day, known))
    for name, b in ov.flags.items():
        said = order.flags.get(name, False)
        add(F.FieldRef(None, name), said, lambda: b if said else ov.z.Not(b), kind=z["oflag"].choice,
            field=ir.Field("oflag", (name,)), vars=(b,))
    for s, b in ov.holds.items():
        held = s in order.holdings
        add(F.FieldRef(None, "holdings", s), held, lambda: b if held else ov.z.Not(b), kind=z["holds"].choice,
            field=ir.Field("holds", (s,)), vars=(b,))
    for key, b in ov.holds_value.items():
        held = key in order.holding_values
        # one choice: the service held, and how
        add(F.FieldRef(None, "holdings", *key), held, lambda: b if held else ov.z.Not(b),
            kind=z["holds_value"].choice, choice=F.FieldRef(None, "holdings", key[0]), vars=(b,))
    return out


def entry_facts(enc: "Encoder", entry: ContractEntry, slot: Slot | None = None, kept=None, leave=None) -> list[Fact]:
    """The facts of one contract: its structure and wording, then each field of its new and its
    old state (an option that is not ordered is one fact; its parts have none).

    Over the contract's own slot by default; over its kind's template slot (`enc.template`),
    the facts are the same for every contract that gives the same values, wherever it stands
    in the order, and their paths and `slot` say so (`contracts[?]`, None). A slot's facts not
    built yet are the template's, copied (slots.py `copy_terms`): one call into Z3 for them all.
    `kept` (smt/cone.py `Kept`): the options and wordings whose facts are wanted (None: all).
    `leave(choice)`: facts left out (`order_facts`)."""
    slot = slot or enc.slot(entry.kind, entry.index)
    values = _values(enc, entry, kept)
    if leave is not None:
        rows = _rows(slot)
        values = [v for v in values if not leave(rows[v[0]][7] or rows[v[0]][2])]
    return _facts(enc, entry.kind, slot, values)


def _facts(enc: "Encoder", kind: str, slot: Slot, values: list[tuple]) -> list[Fact]:
    """The facts of `values` (`_values`) over `slot`, each built once (`Encoder.memo`, by its
    kind, path, role and value). Those not built yet are built over the kind's template (the
    same facts in the same order) and copied, in one call into Z3."""
    rows = _rows(slot)
    keys = [(kind, rows[at][2], role, fact.value) for at, role, fact in values]
    known = enc.known_facts(keys)
    missing = [i for i, x in enumerate(known) if x is None]
    if not missing:  # every fact built before: most contracts of a stream of orders
        return known
    template = enc.template(kind)
    terms: dict[int, z3.BoolRef] = {}
    if slot is not template:
        over_template = _facts(enc, kind, template, [values[i] for i in missing])
        terms = dict(zip(missing, copy_terms([f.term for f in over_template], template, slot)))
    index = slot.index if slot.index >= 0 else None
    out: list[Fact] = known
    for i in missing:  # in order
        at, role, fact = values[i]
        fk, field, ref, vars, under, choice = rows[at][0], rows[at][1], rows[at][2], rows[at][3], rows[at][6], rows[at][7]
        term = terms[i] if i in terms else fact.build(slot.z, *vars)
        out[i] = enc.memo(keys[i], lambda: Fact(
            ref, term, slot.z.bool(f"fact:{ref}"), role, fk.choice or fk.id, choice or ref, under,
            vars[0] if fact.number else None, fact.value if fact.number else None, index, field, vars))
    return out


def _values(enc: "Encoder", entry: ContractEntry, kept=None) -> list[tuple]:
    """What each fact of a contract pins, in a fixed order: (its row in `_rows`, its role, the
    value as `F.Fact`). The same over every slot of the contract's kind: the rows are numbered
    alike in each. First the contract's structure and wording, then each state's own fields,
    then each option's, in declaration order (of the options and wordings `kept` keeps).

    An option that is not ordered is most of a contract's fields, and its facts depend on
    nothing else: they are made once per kind (`_absent`)."""
    template = enc.template(entry.kind)
    rows = _rows(template)
    z, plan = template.kind, template.fact_plan
    given = "given"
    out = [(0, given, F._pick(entry.cancelled)), (1, "choice", F._pick(entry.parent is not None))]
    out += [(at, "choice", F._equal(entry.children.get(k, 0))) for k, at in plan["children"]]
    out += [(at, "choice", F._pick(path in entry.former)) for path, at in plan["former"]
            if kept is None or path in kept.former]
    options = z.options if kept is None else [o for o in z.options if o in kept.options]
    for state, st in (("new", entry.new), ("old", entry.old)):
        # a contract as it is now, and one that the request ends, are given, not chosen
        role = given if state == "old" or entry.cancelled else "choice"
        own, by_option = plan[state]
        for at in own:
            fact = rows[at][0].fact(entry, st, z, rows[at][4])
            if fact is not None:
                out.append((at, role, fact))
        for o in options:
            if o not in st.options:
                out += _absent(template, entry, st, state, role, o)
                continue
            for at in by_option[o]:
                fact = rows[at][0].fact(entry, st, z, rows[at][4])
                if fact is not None:
                    out.append((at, role, fact))
    return out


def _absent(template: Slot, entry: ContractEntry, st, state: str, role: str, option: str) -> list[tuple]:
    """`_values` of an option that `st` does not order: its parts have no fact, the rest pin it
    absent. Made once per kind, state, role and option (kept on the template slot)."""
    key = (state, role, option)
    got = template.absent_values.get(key)
    if got is None:
        rows = _rows(template)
        got = template.absent_values[key] = [
            (at, role, fact) for at in template.fact_plan[state][1][option] if not rows[at][5]
            for fact in [rows[at][0].fact(entry, st, template.kind, rows[at][4])] if fact is not None]
    return got


def _rows(slot: Slot) -> list[tuple]:
    """Where each fact of a slot goes: per row its kind of field, IR field, order path,
    variables, the field's path in its state, whether it is part of an option, the option it
    belongs to and the choice it is part of. Numbered alike in every slot of a kind (the
    structure and wording first, then the new state's fields, then the old state's), with the
    plan of which rows are which in `Slot.fact_plan`. The same for every order: built once
    per slot."""
    if slot.fact_rows is not None:
        return slot.fact_rows
    index = slot.index if slot.index >= 0 else None
    rows: list[tuple] = []
    plan: dict = {}

    def row(fk, field, ref, vars, path=(), part=False, under=None, choice=None) -> int:
        rows.append((fk, field, ref, vars, path, part, under, choice))
        return len(rows) - 1

    base = F.contract_ref(index)
    row(F.KINDS["cancelled"], None, base.child("cancelled"), (slot.cancelled,))
    has_parent, field = F.KINDS["has_parent"], ir.Field("has_parent", ())
    row(has_parent, field, has_parent.ref(field, index), (slot.has_parent,))
    plan["children"] = []
    for k, n in slot.children.items():
        field = ir.Field("children", (k,), type="int")
        plan["children"].append((k, row(F.KINDS["children"], field, F.ref_of(field, index), (n,))))
    plan["former"] = []
    for path, b in slot.former.items():
        field = ir.Field("former", path)
        plan["former"].append((path, row(F.KINDS["former"], field, F.ref_of(field, index), (b,))))
    for state in ("new", "old"):
        own, by_option = [], {o: [] for o in slot.kind.options}
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
            at = row(fk, None if fk.id == "optattr" else field, ref, vars, path, part, under, choice)
            (by_option[path[0]] if fk.where == "option" else own).append(at)
        plan[state] = (own, by_option)
    slot.fact_plan = plan
    slot.fact_rows = rows
    return rows
