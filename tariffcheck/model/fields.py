"""The vocabulary of order fields: one descriptor for each kind of field an order has.

A rule reads an order through typed fields (`ir.Field`): a contract's item, an option's account
count, the day the notice arrived. Every layer needs something of each kind of field, and each
kind says it here, once:

- where the field stands in an order (`ref`: a `FieldRef`, such as `contracts[1].options.tunnel.count`);
- its value in a decoded order, in the form a user wrote it (`shown`), and how to read and write it
  in a contract's state (`get`, `put`);
- the Python expression the concrete validator inlines to read it (`source`);
- its Z3 variables and their axioms, and its value in a Z3 model (`declare`, `axioms`, `term`):
  written against the small `Terms` interface that `smt/slots.py` implements, so this module
  never imports z3;
- the fact that pins it to the order's value (`fact`), and the name by which a user weighs or
  locks it (`choice`, as in `tariff repair --weight option=5`).

Adding a kind of field means adding one class here and registering it in `KINDS`.

Kinds are grouped by where they live: the order itself (`request`, `odate`, `oflag`, `holds`,
`holds_value`); a contract's state, new and old (`dim`, `qty`, `flag`, `date`); an option of a
contract, new and old (`opt`, `optcount`, `optqty`, `optattr`, `optflag`, `optdate`); the order's structure,
the same in both states (`has_parent`, `children`); and the request's wording, new state only
(`cancelled`, `former`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Protocol

from .limits import MAX_CONTRACTS, MAX_COUNT, REQUESTS

if TYPE_CHECKING:
    from . import tariff as M
    from .ir import Field

STATES = ("new", "old")


class FieldRef(str):
    """Where a value stands in an order, as the path users read (`contracts[1].options.tunnel`),
    keeping its parts: the contract's index (None for the order itself) and the steps below it.

    It is a string so that every path a report or a JSON result shows is plain text, and it keeps
    its parts so that no layer has to parse a path back."""

    parts: tuple[str, ...]
    _index: int | None  # the contract's index; -1 for a contract not known yet (`contracts[?]`)

    def __new__(cls, contract: int | None, *parts: str) -> "FieldRef":
        head = [] if contract is None else [f"contracts[{'?' if contract < 0 else contract}]"]
        self = super().__new__(cls, ".".join(head + list(parts)))
        self._index = contract
        self.parts = tuple(parts)
        return self

    @property
    def contract(self) -> int | None:
        """The index of the contract the path is in; None for the order itself or an unknown one."""
        return None if self._index is None or self._index < 0 else self._index

    def __reduce__(self):  # pickling keeps the parts
        return (FieldRef, (self._index, *self.parts))

    def child(self, *parts: str) -> "FieldRef":
        return FieldRef(self._index, *self.parts, *parts)

    def within(self, other: "FieldRef") -> bool:
        """Is this a part of `other` (`contracts[1].options.tunnel.accounts` of `contracts[1].options.tunnel`)?"""
        n = len(other.parts)
        return self._index == other._index and len(self.parts) > n and self.parts[:n] == other.parts

    @property
    def parent(self) -> "FieldRef":
        return FieldRef(self._index, *self.parts[:-1])

    @property
    def option(self) -> str | None:
        """The option the path is in (`contracts[1].options.tunnel.count` → `tunnel`)."""
        return self.parts[1] if len(self.parts) >= 2 and self.parts[0] == "options" else None


def contract_ref(index: int | None, state: str = "new") -> FieldRef:
    """The path of a contract, or of its state before the request (`.current`)."""
    base = FieldRef(-1 if index is None else index)
    return base.child("current") if state == "old" else base


class Terms(Protocol):
    """What a kind of field needs of the solver to declare its variables (smt/slots.py)."""

    def int(self, name: str) -> Any: ...
    def bool(self, name: str) -> Any: ...
    def false(self) -> Any: ...
    def And(self, *xs) -> Any: ...
    def Not(self, x) -> Any: ...
    def Implies(self, a, b) -> Any: ...


@dataclass(frozen=True)
class Fact:
    """What pins a field to the value an order gives it, before it becomes a solver term:
    `value` is what the term depends on (for memoising); `build(z, *vars)` makes the term over
    the field's variables (`(x,)`; a day and whether it is known; an option's count and whether
    it is ordered); `number` says the field is a number (for distances)."""

    value: object
    build: Callable
    number: bool = False


class FieldKind:
    """One kind of order field (see the module's docstring for what each method is for)."""

    id: str = ""
    type: str = "bool"  # the IR type of its value
    where: str = "contract"  # order | contract | option | structure | wording
    choice: str | None = None  # the name users weigh and lock it by; None: the request gives it
    dated = False  # a day that an order may leave out: its variable has a `known` companion
    sort = "bool"  # its Z3 variable: "bool" or "int"

    def lacks(self, what: str) -> TypeError:
        """A kind has each method only where it applies (a request's wording is not kept in a
        contract's state, so `cancelled` has no `get`): asking for one it lacks is a bug of the
        caller, said plainly."""
        return TypeError(f"a `{self.id}` field has no `{what}`")

    @property
    def stateful(self) -> bool:
        """Does it have a value before the request (`old(x)`) as well as after?"""
        return self.where in ("contract", "option")

    # ---- the fields a contract kind has --------------------------------------------------------
    def paths(self, kind: "M.ContractKind", option: "M.Option | None" = None) -> list[tuple[str, ...]]:
        return []

    # ---- in an order ---------------------------------------------------------------------------
    def ref(self, f: "Field", index: int | None) -> FieldRef:
        raise self.lacks("ref")

    def shown(self, f: "Field", order, entry) -> object:
        """The value the order gives the field, in the form a user wrote it."""
        raise self.lacks("shown")

    def get(self, st, path: tuple):
        """Its value in a contract's state (ContractState), as the validators read it."""
        raise self.lacks("get")

    def put(self, st, path: tuple, value) -> None:
        """Set its value in a contract's state; a part of an absent option is not set."""
        raise self.lacks("put")

    # ---- the concrete validator ----------------------------------------------------------------
    def source(self, f: "Field", gen) -> str:
        """Python source reading the field, over the generated function's locals (`gen.local`)."""
        raise self.lacks("source")

    # ---- the solver ----------------------------------------------------------------------------
    def var_name(self, path: tuple) -> str:
        """The variable's name below its slot and state (`options.tunnel.count`)."""
        return ".".join(path)

    def axioms(self, z: Terms, var, slot, path: tuple, state: str) -> list:
        """What holds of its variable in every order (`slot.var` gives the others of the slot)."""
        return []

    def from_model(self, value, kind: "M.ContractKind", path: tuple):
        """The field's value as `put` takes it, from the model's value of its variable (a Python
        bool or int; None for a day the model leaves unknown)."""
        return value

    def fact(self, entry, st, kind: "M.ContractKind", path: tuple) -> Fact | None:
        """The fact that pins the field to the order's value, or None when another kind's fact
        covers it (an option's presence is pinned with its count)."""
        return None


def _pick(value: bool) -> Fact:
    return Fact(value, lambda z, x: x if value else z.Not(x))


def _equal(value: int, number: bool = True) -> Fact:
    return Fact(value, lambda z, x: x == value, number)


def _day(day: int | None) -> Fact:
    return Fact(day, lambda z, x, known: z.Not(known) if day is None else z.And(known, x == day), True)


def day_text(day: int | None) -> str | None:
    """A day number as the order format writes it (`2026-05-01`)."""
    return None if day is None else date.fromordinal(day).isoformat()


# ---- a contract's state -------------------------------------------------------------------------
class _StateKind(FieldKind):
    where = "contract"
    table = ""  # the ContractState dict it lives in
    local = ""  # the generated function's local for that dict, after n_ / p_
    default: object = None

    def paths(self, kind, option=None):
        return [(x,) for x in getattr(kind, self.table)]

    def ref(self, f, index):
        return contract_ref(index, f.state).child(f.path[0])

    def get(self, st, path):
        return getattr(st, self.table).get(path[0], self.default)

    def put(self, st, path, value):
        getattr(st, self.table)[path[0]] = value

    def shown(self, f, order, entry):
        return self.get(entry.new if f.state == "new" else entry.old, f.path)

    def source(self, f, gen):
        pre = "n_" if f.state == "new" else "p_"
        default = "" if self.default is None else f", {self.default!r}"
        return f"{gen.local(pre + self.local)}.get({gen.const(f.path[0])}{default})"


class Dim(_StateKind):
    id, type, choice, sort, table, local = "dim", "enum", "dim", "int", "dimensions", "dims"

    def get(self, st, path):
        return st.dims.get(path[0])

    def put(self, st, path, value):
        st.dims[path[0]] = value

    def axioms(self, z, var, slot, path, state):
        return [z.And(var >= -1, var < len(slot.kind.dimensions[path[0]].values))]

    def from_model(self, value, kind, path):
        return list(kind.dimensions[path[0]].values)[value] if value >= 0 else None

    def fact(self, entry, st, kind, path):
        value = st.dims.get(path[0])
        i = -1 if value is None else list(kind.dimensions[path[0]].values).index(value)
        return _equal(i, number=False)


class Qty(_StateKind):
    id, type, choice, sort, table, local, default = "qty", "int", "qty", "int", "quantities", "qty", 0

    def axioms(self, z, var, slot, path, state):
        return [z.And(var >= 0, var <= MAX_COUNT)]

    def fact(self, entry, st, kind, path):
        return _equal(st.quantities.get(path[0], 0))


class Flag(_StateKind):
    id, type, choice, table, local, default = "flag", "bool", "flag", "flags", "flags", False

    def fact(self, entry, st, kind, path):
        return _pick(st.flags.get(path[0], False))


class Date(_StateKind):
    id, type, choice, sort, table, local, dated = "date", "date", "date", "int", "dates", "dates", True

    def shown(self, f, order, entry):
        return day_text(super().shown(f, order, entry))

    def fact(self, entry, st, kind, path):
        return _day(st.dates.get(path[0]))


# ---- an option of a contract --------------------------------------------------------------------
class _OptionKind(FieldKind):
    where = "option"
    absent: object = 0  # its value while the option is not ordered

    def ref(self, f, index):
        return contract_ref(index, f.state).child("options", *f.path)

    def shown(self, f, order, entry):
        st = entry.new if f.state == "new" else entry.old
        return self.get(st, f.path)

    def get(self, st, path):
        opt = st.options.get(path[0])
        return self.absent if opt is None else self.get_in(opt, path)

    def get_in(self, opt, path):
        raise self.lacks("get_in")

    def put(self, st, path, value):
        opt = st.options.get(path[0])
        if opt is not None:
            self.put_in(opt, path, value)

    def put_in(self, opt, path, value) -> None:
        raise self.lacks("put_in")

    def source(self, f, gen):
        opts = gen.local(("n_" if f.state == "new" else "p_") + "opts")
        # `_x` is bound and read within the one conditional expression, never across operands
        return self.source_in(f"(_x := {opts}.get({gen.const(f.path[0])})) is not None", f.path, gen)

    def source_in(self, present: str, path, gen) -> str:
        raise self.lacks("source_in")

    def var_name(self, path):
        return "options." + ".".join(path)

    def present(self, slot, path, state):
        return slot.var(OPT, (path[0],), state)


class Opt(_OptionKind):
    """An option ordered or not (its count is `optcount`)."""

    id, choice, absent = "opt", "option", False

    def paths(self, kind, option=None):
        return [(option.id,)]

    def ref(self, f, index):
        return contract_ref(index, f.state).child("options", f.path[0])

    def get_in(self, opt, path):
        return True

    def put(self, st, path, value):
        if not value:
            st.options.pop(path[0], None)
        else:
            st.add_option(path[0])

    def source(self, f, gen):
        return f"({gen.const(f.path[0])} in {gen.local(('n_' if f.state == 'new' else 'p_') + 'opts')})"


class OptCount(_OptionKind):
    id, type, choice, sort = "optcount", "int", "option", "int"

    def paths(self, kind, option=None):
        return [(option.id,)]

    def ref(self, f, index):
        return contract_ref(index, f.state).child("options", f.path[0], "count")

    def var_name(self, path):
        return f"options.{path[0]}.count"

    def get_in(self, opt, path):
        return opt.count

    def put_in(self, opt, path, value):
        opt.count = value

    def source_in(self, present, path, gen):
        return f"(_x.count if {present} else 0)"

    def axioms(self, z, var, slot, path, state):
        option = slot.kind.options[path[0]]
        present = self.present(slot, path, state)
        return [present == (var >= 1), z.And(var >= 0, var <= (MAX_COUNT if option.counted else 1))]

    def fact(self, entry, st, kind, path):
        """An option is pinned by one fact: ordered with its count, or not ordered."""
        ost = st.options.get(path[0])
        if ost is None:
            return Fact(0, lambda z, count, present: z.And(z.Not(present), count == 0), True)
        n = ost.count
        return Fact(n, lambda z, count, present: z.And(present, count == n), True)


class OptQty(_OptionKind):
    id, type, choice, sort = "optqty", "int", "optqty", "int"

    def paths(self, kind, option=None):
        return [(option.id, q) for q in option.quantities]

    def get_in(self, opt, path):
        return opt.quantities.get(path[1], 0)

    def put_in(self, opt, path, value):
        opt.quantities[path[1]] = value

    def source_in(self, present, path, gen):
        return f"(_x.quantities.get({gen.const(path[1])}, 0) if {present} else 0)"

    def axioms(self, z, var, slot, path, state):
        present = self.present(slot, path, state)
        return [z.And(var >= 0, var <= MAX_COUNT, z.Implies(z.Not(present), var == 0))]

    def fact(self, entry, st, kind, path):
        return _equal(st.options[path[0]].quantities.get(path[1], 0))


class OptAttr(_OptionKind):
    """One value of an option's attribute, designated or not (`(o, attribute, value)`)."""

    id, choice, absent = "optattr", "optattr", False

    def paths(self, kind, option=None):
        return [(option.id, a.id, v) for a in option.attributes.values() for v in a.values]

    def get_in(self, opt, path):
        return (path[1], path[2]) in opt.designations

    def put_in(self, opt, path, value):
        if value:
            opt.designations.add((path[1], path[2]))
        else:
            opt.designations.discard((path[1], path[2]))

    def source_in(self, present, path, gen):
        return f"({present} and {gen.const((path[1], path[2]))} in _x.designations)"

    def axioms(self, z, var, slot, path, state):
        return [z.Implies(var, self.present(slot, path, state))]

    def fact(self, entry, st, kind, path):
        return _pick((path[1], path[2]) in st.options[path[0]].designations)


class OptFlag(_OptionKind):
    """A yes/no the order states of an option (`(o, flag)`): false while the option is not ordered."""

    id, choice, absent = "optflag", "optflag", False

    def paths(self, kind, option=None):
        return [(option.id, f) for f in option.flags]

    def get_in(self, opt, path):
        return opt.flags.get(path[1], False)

    def put_in(self, opt, path, value):
        opt.flags[path[1]] = bool(value)

    def source_in(self, present, path, gen):
        return f"({present} and _x.flags.get({gen.const(path[1])}, False))"

    def axioms(self, z, var, slot, path, state):
        return [z.Implies(var, self.present(slot, path, state))]

    def fact(self, entry, st, kind, path):
        return _pick(st.options[path[0]].flags.get(path[1], False))


class OptDate(_OptionKind):
    id, type, choice, sort, dated, absent = "optdate", "date", "optdate", "int", True, None

    def paths(self, kind, option=None):
        return [(option.id, d) for d in option.dates]

    def shown(self, f, order, entry):
        return day_text(super().shown(f, order, entry))

    def get_in(self, opt, path):
        return opt.dates.get(path[1])

    def put_in(self, opt, path, value):
        if value is None:
            opt.dates.pop(path[1], None)
        else:
            opt.dates[path[1]] = value

    def source_in(self, present, path, gen):
        return f"(_x.dates.get({gen.const(path[1])}) if {present} else None)"

    def axioms(self, z, var, slot, path, state):
        return [z.Implies(slot.known_of(self, path, state), self.present(slot, path, state))]

    def fact(self, entry, st, kind, path):
        return _day(st.options[path[0]].dates.get(path[1]))


# ---- the order's structure and the request's wording --------------------------------------------
class Cancelled(FieldKind):
    """Does the request end this contract? (Given by the request; false before it.)"""

    id, where = "cancelled", "wording"

    def ref(self, f, index):
        return FieldRef(None, "request")

    def shown(self, f, order, entry):
        return entry.cancelled if f.state == "new" else False

    def source(self, f, gen):
        return "False" if f.state == "old" else gen.local("e_cancelled")


class HasParent(FieldKind):
    id, where, choice = "has_parent", "structure", "parent"

    def ref(self, f, index):
        return contract_ref(index).child("parent")

    def shown(self, f, order, entry):
        return entry.parent

    def source(self, f, gen):
        return f"({gen.local('e_parent')} is not None)"


class Children(FieldKind):
    """How many contracts of a kind name this one as their parent."""

    id, type, where, choice, sort = "children", "int", "structure", "children", "int"

    def paths(self, kind, option=None):
        return [(k,) for k in kind.child_kinds]

    def ref(self, f, index):
        return contract_ref(index).child("children", f.path[0])

    def shown(self, f, order, entry):
        return entry.children.get(f.path[0], 0)

    def source(self, f, gen):
        return f"{gen.local('e_children')}.get({gen.const(f.path[0])}, 0)"

    def axioms(self, z, var, slot, path, state):
        return [z.And(var >= 0, var <= MAX_CONTRACTS)]


class Former(FieldKind):
    """Was a dimension's value or an option written by its former name (附則)? `("dim", d)` or
    `("opt", o)`; only the request's new part has wording."""

    id, where, choice = "former", "wording", "former"

    def paths(self, kind, option=None):
        return [("dim", d) for d in kind.dimensions] + [("opt", o) for o in kind.options]

    def ref(self, f, index):
        what, name = f.path
        base = contract_ref(index)
        return base.child(name, "former_name") if what == "dim" else base.child("options", name, "former_name")

    def shown(self, f, order, entry):
        return f.state == "new" and tuple(f.path) in entry.former

    def source(self, f, gen):
        return "False" if f.state == "old" else f"({gen.const(tuple(f.path))} in {gen.local('e_former')})"

    def var_name(self, path):
        return f"former.{path[1]}" if path[0] == "dim" else f"former.options.{path[1]}"


# ---- the order itself -----------------------------------------------------------------------------
class Request(FieldKind):
    """Is the request of this kind (`(kind,)`)?"""

    id, where = "request", "order"

    def ref(self, f, index):
        return FieldRef(None, "request")

    def shown(self, f, order, entry):
        return order.request

    def source(self, f, gen):
        return f"({gen.local('o_request')} == {gen.const(f.path[0])})"

    @staticmethod
    def number(request: str) -> int:
        """The request kind as the solver's integer."""
        return REQUESTS.index(request)


class OrderDate(FieldKind):
    id, type, where, choice, sort, dated = "odate", "date", "order", "odate", "int", True

    def ref(self, f, index):
        return FieldRef(None, f.path[0])

    def shown(self, f, order, entry):
        return day_text(order.dates.get(f.path[0]))

    def source(self, f, gen):
        return f"{gen.local('o_dates')}.get({gen.const(f.path[0])})"


class OrderFlag(FieldKind):
    """A yes/no the request states about itself (`request flag`): false when the order leaves it out."""

    id, where, choice = "oflag", "order", "oflag"

    def ref(self, f, index):
        return FieldRef(None, f.path[0])

    def shown(self, f, order, entry):
        return order.flags.get(f.path[0], False)

    def source(self, f, gen):
        return f"{gen.local('o_flags')}.get({gen.const(f.path[0])}, False)"


class Holds(FieldKind):
    """Does the customer hold a service of another tariff (`(service,)`)?"""

    id, where, choice = "holds", "order", "holding"

    def ref(self, f, index):  # one path per service, as explain and repair name it (smt/facts.py)
        return FieldRef(None, "holdings", f.path[0])

    def shown(self, f, order, entry):
        return f.path[0] in order.holdings

    def source(self, f, gen):
        return f"({gen.const(f.path[0])} in {gen.local('o_holdings')})"


class HoldsValue(FieldKind):
    """Does the customer hold that service with a dimension's value (`(service, dim, value)`)?"""

    id, where, choice = "holds_value", "order", "holding"

    def ref(self, f, index):  # `holdings.secure_endpoint.item.av_c`: the service held with that value
        return FieldRef(None, "holdings", *f.path)

    def shown(self, f, order, entry):
        return tuple(f.path) in order.holding_values

    def source(self, f, gen):
        return f"({gen.const(tuple(f.path))} in {gen.local('o_holding_values')})"


OPT = Opt()
KINDS: dict[str, FieldKind] = {k.id: k for k in (
    Dim(), Qty(), Flag(), Date(), OPT, OptCount(), OptQty(), OptAttr(), OptFlag(), OptDate(),
    Cancelled(), HasParent(), Children(), Former(), Request(), OrderDate(), OrderFlag(), Holds(), HoldsValue())}
# the fields of one contract's state, in the order the solver declares them
STATE_KINDS = tuple(KINDS[k] for k in ("dim", "qty", "flag", "date"))
OPTION_KINDS = tuple(KINDS[k] for k in ("opt", "optcount", "optqty", "optattr", "optflag", "optdate"))
# the names users weigh and lock fields by (tariff repair --weight NAME=N), in the docs' order
CHOICES = tuple(dict.fromkeys(["dim", "qty", "flag", "date", "option", "optqty", "optattr", "optflag", "optdate", "holding",
                               "odate", "oflag", "parent", "children", "former"]))
assert set(CHOICES) == {d.choice for d in KINDS.values() if d.choice}, "every choice name is some kind's"


def kind_of(f: "Field") -> FieldKind:
    return KINDS[f.kind]


def ref_of(f: "Field", index: int | None) -> FieldRef:
    """Where a field stands in an order, for the contract at `index` (None: not known)."""
    return KINDS[f.kind].ref(f, index)


def shown_value(f: "Field", order, entry) -> object:
    """The value an order gives a field, in the form a user wrote it."""
    return KINDS[f.kind].shown(f, order, entry)
