"""A decoder generated per tariff for the common order: the quick path in front of decode.py.

Most orders an order-entry system sends are well formed and write each name as the tariff
spells it (an id, an official name, or that name folded). For those, decode.py's general walk
(names looked up table by table, every value questioned, messages ready for every mistake) is
most of the cost of a check. Here each contract kind's reading is written out once, at Checker
construction, as Python source (the way evaluate/concrete.py compiles the rules): the names the
kind's fields, options and values may be written by, in dicts; one branch per field, with its
id, default and kind of value inline; the defaults of what a contract leaves out, written out.

It reads only what it recognises exactly: names as the tariff writes them (the answers of
OrderNames, so the same entry as decode.py finds), values of exactly the JSON types expected,
counts as Python ints within the limits, dates decode.py reads. On anything else (an unknown or
repeated name, another spelling, a former name, a float, a list for a dimension, a missing
piece, a parent that is not there, holdings, usage, a value of a subclass) it gives up and
`decode` answers None: the caller then runs decode.py, which gives the Order or every error.
So the quick path never refuses an order and never writes a message; when it answers, its
Order equals decode.py's (tests/fuzz/test_fuzz_decoder_quick_paths.py compares the two).

A contract of a new order (most orders) is read by `new_entry`, one pass over its keys straight
into its ContractEntry, and its options by `new_options`, where an option written `true` is made
from its defaults found by its name. What costs here is not looking names up but making the
Order: about sixty dicts, sets and objects for an order of two contracts and six options. So the
Order's objects are made bare and their fields set one by one (`_made`), which costs about half
of a call of a dataclass's __init__, and nothing is built that the Order does not keep.
"""

from __future__ import annotations

import dataclasses

from ..model import tariff as M
from ..model.limits import MAX_CONTRACTS, MAX_COUNT, REQUESTS
from .decode import ENTRY_KEYS, ORDER_KEYS, _day_number
from .names import OrderNames
from .order import EMPTY, ContractEntry, ContractState, OptionState, Order

_NOTHING_RESERVED: frozenset = frozenset()
_new = object.__new__
_MADE = {"OptionState": OptionState, "ContractState": ContractState, "ContractEntry": ContractEntry, "Order": Order}
_ENTRY_KEYS = frozenset(ENTRY_KEYS)
_ORDER_KEYS = frozenset(ORDER_KEYS)


class _Unusual(Exception):
    """The order holds something the generated decoder does not read: decode.py reads it."""


class GeneratedDecoder:
    """The quick decoder of one tariff (see the module's text). Built whole in the constructor
    and only read after, so threads share it."""

    def __init__(self, tariff: M.Tariff, names: OrderNames):
        self.tariff = tariff
        self.primary = names.primary
        self.source: dict[str, str] = {}  # the generated code of each contract kind
        self.constants: dict[str, dict] = {}  # the constants that code reads, per kind
        # the tariff's names an order may write in `tariff`, exactly as accepted by decode.py
        candidates = {tariff.id, tariff.id.replace("_", "-"), tariff.id.replace("-", "_"), tariff.title}
        self.titles = frozenset(n for n in candidates if names.fold(n).replace("-", "_") == names.id_key
                                or names.fold(n) == names.title_key)
        self.flag_names: dict[str, str] = {}
        for flag in tariff.request_flags.values():
            for n in _written(flag, names):
                if n not in ORDER_KEYS:
                    self.flag_names[n] = names.lookup(tariff.request_flags, n).id
        self.flag_ids = list(tariff.request_flags)
        self.kinds: dict[str, M.ContractKind] = {}
        for kind in tariff.contracts.values():
            for n in _written(kind, names):
                self.kinds[n] = names.lookup(tariff.contracts, n)
        self.parent_of = {k.id: k.parent for k in tariff.contracts.values()}
        # whether the kinds' parent links form no cycle (a spec that loads has none: E013). Then a
        # contract's parent is of a kind above its own, so no chain of parents the order gives
        # that pass the kinds' test can come back to where it started: none is walked
        self.kinds_acyclic = all(_kind_chain_ends(k, self.parent_of) for k in self.parent_of)
        self.states = {}  # state(d, base, complete, reserved) of each kind: a change's `changes`
        self.current_states = {}  # current_state(d) of each kind: a change's or a cancellation's `current`
        self.new_entries = {}  # new_entry(raw, i) of each kind: a new order's contract
        for kind in tariff.contracts.values():
            source, env = _kind_source(kind, names)
            self.source[kind.id] = source
            self.constants[kind.id] = env
            namespace = dict(env, ContractState=ContractState, OptionState=OptionState, _option_copy=_option_copy,
                             _day_number=_day_number, _Unusual=_Unusual, MAX_COUNT=MAX_COUNT,
                             ContractEntry=ContractEntry, EMPTY=EMPTY, _new=object.__new__)
            exec(compile(source, f"<decoder of {tariff.id}:{kind.id}>", "exec"), namespace)
            self.states[kind.id] = namespace["state"]
            self.current_states[kind.id] = namespace["current_state"]
            self.new_entries[kind.id] = namespace["new_entry"]
        # a new order's contract by the name its `contract` gives (None: the primary kind's)
        self._new_entry_of = {n: self.new_entries[k.id] for n, k in self.kinds.items()}
        if self.primary is not None:
            self._new_entry_of[None] = self.new_entries[self.primary.id]

    def reads_as(self, other: "GeneratedDecoder") -> bool:
        """Whether `other` gives the same answer as this decoder for every input: both read only
        what is compared here (the names of the tariff, the request flags and the contract kinds,
        the kinds' parents, and each kind's generated code with its constants), so when all of it
        is equal the two are the same function. Two versions of a tariff that change rules but
        not the order format share their decoding (impact/judge.py decodes a row once)."""
        if other is self:
            return True
        return (self.titles == other.titles and self.flag_names == other.flag_names
                and self.flag_ids == other.flag_ids and getattr(self.primary, "id", None) == getattr(other.primary, "id", None)
                and {n: k.id for n, k in self.kinds.items()} == {n: k.id for n, k in other.kinds.items()}
                and self.parent_of == other.parent_of and self.source == other.source
                and self.constants == other.constants)

    def decode(self, d: object) -> Order | None:
        """The Order decode_order gives for `d`, or None when `d` is not an order this decoder reads."""
        if type(d) is not dict:
            return None
        try:
            return self._order(d)
        except _Unusual:
            return None

    def _order(self, d: dict) -> Order:
        flags: dict[str, bool] | None = None  # the request flags the order states
        if not d.keys() <= _ORDER_KEYS:  # most orders state none: one test of the keys, in C
            flags = {}
            for key, value in d.items():
                if key in ORDER_KEYS:
                    continue
                flag = self.flag_names.get(key)
                if flag is None or flag in flags or (value is not True and value is not False):
                    raise _Unusual
                flags[flag] = value
        tariff_name = d.get("tariff")
        if tariff_name is not None and (type(tariff_name) is not str or tariff_name not in self.titles):
            raise _Unusual
        if "description" in d and type(d["description"]) is not str:
            raise _Unusual
        request = d.get("request", "new")
        if type(request) is not str or request not in REQUESTS:
            raise _Unusual
        dates = {}
        value = d.get("application_date")  # the three days written out: no loop over their names
        if value is not None:
            dates["application_date"] = n = _day_number(value) if type(value) is str else None
            if n is None:
                raise _Unusual
        value = d.get("notice_arrived")
        if value is not None:
            dates["notice_arrived"] = n = _day_number(value) if type(value) is str else None
            if n is None:
                raise _Unusual
        value = d.get("requested_date")
        if value is not None:
            dates["requested_date"] = n = _day_number(value) if type(value) is str else None
            if n is None:
                raise _Unusual
        if "holdings" in d:  # only an empty list: decode.py reads holdings (no list made to compare)
            holdings = d["holdings"]
            if type(holdings) is not list or holdings:
                raise _Unusual
        raw_contracts = d.get("contracts")
        if type(raw_contracts) is not list or not 0 < len(raw_contracts) <= MAX_CONTRACTS:
            raise _Unusual
        if request == "new":
            new_entry_of = self._new_entry_of
            contracts = []
            for i, raw in enumerate(raw_contracts):
                if type(raw) is not dict:
                    raise _Unusual
                kind_name = raw.get("contract")
                read = new_entry_of.get(kind_name) if kind_name is None or type(kind_name) is str else None
                if read is None:
                    raise _Unusual
                contracts.append(read(raw, i))
        else:
            contracts = [self._entry(raw, i, request) for i, raw in enumerate(raw_contracts)]
        self._structure(contracts)
        order = _new(Order)  # as Order(...) would make it, for half the cost (see _made)
        order.tariff = tariff_name
        order.request = request
        order.dates = dates
        order.holdings = set()
        order.holding_values = set()
        order.contracts = contracts
        order.notes = []
        order.open = set()
        order.flags = dict.fromkeys(self.flag_ids, False) if flags is None else \
            {f: flags.get(f, False) for f in self.flag_ids}
        order.breaches = []
        order.unset = set()
        return order

    def _entry(self, raw, i: int, request: str) -> ContractEntry:
        if type(raw) is not dict or "usage" in raw:
            raise _Unusual
        cid = raw.get("id", f"#{i + 1}")
        if type(cid) is not str:
            raise _Unusual
        kind_name = raw.get("contract")
        if kind_name is None:
            kind = self.primary
        else:
            kind = self.kinds.get(kind_name) if type(kind_name) is str else None
            if kind is None:
                raise _Unusual
        parent = raw.get("parent")
        if parent is not None and type(parent) is not str:
            raise _Unusual
        if request == "new":
            if "current" in raw or "changes" in raw:
                raise _Unusual
            return _entry_made(cid, kind.id, parent, self.states[kind.id](raw, None, True, _ENTRY_KEYS), EMPTY,
                               False, i)
        if not raw.keys() <= _ENTRY_KEYS:
            raise _Unusual
        current = raw.get("current")
        if type(current) is not dict:
            raise _Unusual
        old = self.current_states[kind.id](current)
        if request == "cancellation":
            if "changes" in raw:
                raise _Unusual
            return _entry_made(cid, kind.id, parent, old, old, True, i)
        changes = raw.get("changes", {})
        if type(changes) is not dict:
            raise _Unusual
        new = self.states[kind.id](changes, old, False, _NOTHING_RESERVED) if changes else _copied(old)
        return _entry_made(cid, kind.id, parent, new, old, False, i)

    def _structure(self, contracts: list[ContractEntry]) -> None:
        """decode.py's `structure` for an order it finds nothing wrong in; anything else is unusual.
        (The children it counts are thrown away with the Order when it is.)"""
        if len(contracts) == 1:  # one contract: the parent it may name is not in the order (or is itself)
            if contracts[0].parent is not None:
                raise _Unusual
            return
        ids = {}
        for c in contracts:
            ids[c.id] = c
        if len(ids) != len(contracts):
            raise _Unusual
        parent_of = self.parent_of
        for c in contracts:
            if c.parent is None:
                continue
            p = ids.get(c.parent)
            if p is None or parent_of[c.kind] is None or p.kind != parent_of[c.kind]:
                raise _Unusual
            if not self.kinds_acyclic:
                steps, up = 0, p
                while up.parent is not None:  # a cycle of parents is decode.py's to report
                    steps += 1
                    if steps > len(contracts) or up is c:
                        raise _Unusual
                    up = ids.get(up.parent)
                    if up is None:
                        raise _Unusual
            p.children[c.kind] = p.children.get(c.kind, 0) + 1


def _kind_chain_ends(kind: str, parent_of: dict[str, str | None]) -> bool:
    """Whether following `parent_of` up from `kind` ends (at a kind with no parent)."""
    seen = set()
    while kind is not None:
        if kind in seen or kind not in parent_of:
            return kind is None
        seen.add(kind)
        kind = parent_of[kind]
    return True


def _entry_made(cid: str, kind: str, parent: str | None, new: ContractState, old: ContractState, cancelled: bool,
                i: int) -> ContractEntry:
    """ContractEntry(cid, kind, parent, new, old, cancelled, i), made as `_made` makes an object."""
    e = _new(ContractEntry)
    e.id = cid
    e.kind = kind
    e.parent = parent
    e.new = new
    e.old = old
    e.cancelled = cancelled
    e.index = i
    e.former = set()
    e.children = {}
    e.usage_month = None
    e.usage = {}
    e.option_usage = {}
    return e


def _option_copy(o: OptionState) -> OptionState:
    """decode.py's `_copy_option` (a copy that shares nothing it could change), made as `_made`
    makes an object: a change request copies every option of each contract's current state."""
    c = _new(OptionState)
    c.count = o.count
    c.quantities = o.quantities.copy()
    c.designations = o.designations.copy()
    c.dates = o.dates.copy()
    c.flags = o.flags.copy()
    return c


def _copied(st: ContractState) -> ContractState:
    """What `state({}, st, False, ...)` gives: a copy of `st` that shares nothing it could change."""
    new = _new(ContractState)
    new.dims = st.dims.copy()
    new.quantities = st.quantities.copy()
    new.flags = st.flags.copy()
    new.dates = st.dates.copy()
    new.options = {k: _option_copy(v) for k, v in st.options.items()}
    return new


def _written(entry, names: OrderNames) -> list[str]:
    """The names an order may write `entry` by, exactly: its id, its official name, that folded."""
    return list(dict.fromkeys((entry.id, entry.label, names.fold(entry.label))))


def _kind_source(kind: M.ContractKind, names: OrderNames) -> tuple[str, dict]:
    """The source of `state(d, base, complete, reserved)` for `kind`: decode.py's `_Decoder.state`
    (and its `options` and `option_fields`) for what it finds nothing wrong in, raising _Unusual
    on anything else. Returns (source, the constants it reads)."""
    env: dict[str, object] = {}
    members = (list(kind.dimensions.values()) + list(kind.quantities.values()) + list(kind.flags.values())
               + list(kind.dates.values()))
    # each name an order may write a field by, to the slot of the field decode.py finds by it
    slots: dict[str, int] = {}
    slot_of = {id(m): s for s, m in enumerate(members)}
    for m in members:
        for n in _written(m, names):
            found = names.member(kind, n)
            if found is not None and n != "options":
                slots[n] = slot_of[id(found)]
    env["FIELDS"] = slots
    lines = ["def state(d, base, complete, reserved):",
             "    if base is None:",
             "        dims, qty, flags, dates, options = {}, {}, {}, {}, {}",
             "    else:",
             "        dims, qty, flags, dates = base.dims.copy(), base.quantities.copy(), base.flags.copy(), base.dates.copy()",
             "        options = {k: _option_copy(v) for k, v in base.options.items()}",
             "    seen = set()",
             "    for key, value in d.items():",
             "        if key in reserved:",
             "            continue",
             "        if key == 'options':",
             "            if type(value) is not dict:",
             "                raise _Unusual",
             "            read_options(value, options)",
             "            continue",
             "        slot = FIELDS.get(key)",
             "        if slot is None or slot in seen:",
             "            raise _Unusual",
             "        seen.add(slot)"]
    for s, m in enumerate(members):
        lines.append(f"        {'if' if s == 0 else 'elif'} slot == {s}:  # {m.id}")
        if isinstance(m, M.Dimension):
            env[f"VALUES_{s}"] = {n: names.lookup(m.values, n).id for v in m.values.values() for n in _written(v, names)}
            lines += [f"            if type(value) is str and value in VALUES_{s}:",
                      f"                dims[{m.id!r}] = VALUES_{s}[value]"]
            if m.optional:
                lines += ["            elif value is None:",
                          f"                dims[{m.id!r}] = None"]
            lines += ["            else:", "                raise _Unusual"]
        elif isinstance(m, M.Quantity):
            lines += ["            if type(value) is not int or not 0 <= value <= MAX_COUNT:",
                      "                raise _Unusual",
                      f"            qty[{m.id!r}] = value"]
        elif isinstance(m, M.Flag):
            lines += ["            if value is not True and value is not False:",
                      "                raise _Unusual",
                      f"            flags[{m.id!r}] = value"]
        else:
            lines += ["            if value is None:",
                      f"                dates.pop({m.id!r}, None)",
                      "            else:",
                      "                n = _day_number(value) if type(value) is str else None",
                      "                if n is None:",
                      "                    raise _Unusual",
                      f"                dates[{m.id!r}] = n"]
    if not members:
        lines += ["        raise _Unusual"]
    else:
        lines += ["        else:", "            raise _Unusual"]
    lines.append("    if complete:")
    lines += _contract_defaults(kind, "        ")
    lines += ["        pass",
              "    return ContractState(dims, qty, flags, dates, options)",
              ""]
    lines += _options_source(kind, names, env)
    lines += _new_entry_source(kind, members, env)
    return "\n".join(lines) + "\n", env


# the keys of a contract of a new order that are not fields of its kind; `contract` is read
# before the kind's code runs, the others are read by it
_ID, _PARENT, _CONTRACT, _OPTIONS = "id", "parent", "contract", "options"


def _new_entry_source(kind: M.ContractKind, members: list, env: dict) -> list[str]:
    """`new_entry(raw, i)`: a contract of a new order, read straight into its ContractEntry
    (what `_entry` and `state` give for it, with nothing built in between). One pass over the
    contract's keys; each key's slot picks its branch in a tree of comparisons; a field given
    twice (by its id and its name) is found in the dict it goes to. A date given as null is left
    to decode.py, which is the one place a field is given and leaves nothing."""
    slots = {n: s for n, s in env["FIELDS"].items() if n not in _ENTRY_KEYS}
    special = [_ID, _PARENT, _CONTRACT, _OPTIONS]
    first = len(members)
    for j, key in enumerate(special):
        slots[key] = first + j
    env["NEW_SLOTS"] = slots
    branches: dict[int, list[str]] = {}
    for s, m in enumerate(members):
        if isinstance(m, M.Dimension):
            body = [f"v = VALUES_{s}.get(value) if type(value) is str else None",
                    f"if v is None and value is not None or {m.id!r} in dims:" if m.optional else
                    f"if v is None or {m.id!r} in dims:",
                    "    raise _Unusual",
                    f"dims[{m.id!r}] = v"]
        elif isinstance(m, M.Quantity):
            body = [f"if type(value) is not int or not 0 <= value <= MAX_COUNT or {m.id!r} in qty:",
                    "    raise _Unusual",
                    f"qty[{m.id!r}] = value"]
        elif isinstance(m, M.Flag):
            body = [f"if value is not True and value is not False or {m.id!r} in flags:", "    raise _Unusual",
                    f"flags[{m.id!r}] = value"]
        else:
            body = ["n = _day_number(value) if type(value) is str else None",
                    f"if n is None or {m.id!r} in dates:", "    raise _Unusual",
                    f"dates[{m.id!r}] = n"]
        branches[s] = body
    branches[first] = ["if type(value) is not str:", "    raise _Unusual", "cid = value"]
    branches[first + 1] = ["if value is not None and type(value) is not str:", "    raise _Unusual", "parent = value"]
    branches[first + 2] = ["pass  # the kind, read already"]
    branches[first + 3] = ["if type(value) is not dict:", "    raise _Unusual", "new_options(value, options)"]
    lines = ["def new_entry(raw, i):",
             "    dims, qty, flags, dates, options = {}, {}, {}, {}, {}",
             "    cid = parent = None",
             "    for key, value in raw.items():",
             "        slot = NEW_SLOTS.get(key)",
             "        if slot is None:",
             "            raise _Unusual"]
    lines += _tree(list(range(first + 4)), branches, "slot", 2)
    lines += _contract_defaults(kind, "    ")
    lines += _made("st", "ContractState", dims="dims", quantities="qty", flags="flags", dates="dates",
                   options="options")
    lines += _made("e", "ContractEntry", id="f'#{i + 1}' if cid is None else cid", kind="KIND", parent="parent",
                   new="st", old="EMPTY", cancelled="False", index="i", former="set()", children="{}",
                   usage_month="None", usage="{}", option_usage="{}")
    lines += ["    return e", ""]
    env["KIND"] = kind.id
    # the state a change or a cancellation gives as `current`: the same pass over the fields and
    # options, with no id, parent or kind among them (decode.py reserves no key there)
    env["STATE_SLOTS"] = dict(env["FIELDS"], **{_OPTIONS: first + 3})
    lines += ["def current_state(d):",
              "    dims, qty, flags, dates, options = {}, {}, {}, {}, {}",
              "    for key, value in d.items():",
              "        slot = STATE_SLOTS.get(key)",
              "        if slot is None:",
              "            raise _Unusual"]
    lines += _tree([*range(first), first + 3], branches, "slot", 2)
    lines += _contract_defaults(kind, "    ")
    lines += _made("st", "ContractState", dims="dims", quantities="qty", flags="flags", dates="dates",
                   options="options")
    lines += ["    return st", ""]
    lines += _new_options_source(kind, env)
    return lines


def _new_options_source(kind: M.ContractKind, env: dict) -> list[str]:
    """`new_options(d, options)`: read_options and option_k for a new order's contract, whose
    options start empty, in one function. An option written `true` (the common case) is made
    from its defaults, found by its name; any other value takes its branch in a tree. An option
    given twice is found in `options`, where one given as not ordered stands as None until the
    end."""
    opts = list(kind.options.values())
    env["ORDERED_TRUE"] = {
        name: (o.id, {q.id: q.default for q in o.quantities.values()}, {f.id: False for f in o.flags.values()})
        for name, k in env["OPTION_NAMES"].items() for o in (opts[k],)
        if all(q.default is not None for q in o.quantities.values())}
    lines = ["def new_options(d, options):",
             "    dropped = False",
             "    for name, value in d.items():",
             "        if value is True:",
             "            made = ORDERED_TRUE.get(name)",
             "            if made is not None:",
             "                oid, quantities, flags = made",
             "                if oid in options:",
             "                    raise _Unusual",
             *("            " + line for line in _made("opt", "OptionState", 1, count="1",
                                                      quantities="quantities.copy()", designations="set()",
                                                      dates="{}", flags="flags.copy()")),
             "                options[oid] = opt",
             "                continue",
             "        k = OPTION_NAMES.get(name)",
             "        if k is None:",
             "            raise _Unusual"]
    branches: dict[int, list[str]] = {}
    for k, o in enumerate(opts):
        required = any(q.default is None for q in o.quantities.values())
        quantities = "{" + ", ".join(f"{q.id!r}: {q.default!r}" for q in o.quantities.values()) + "}"
        flags = "{" + ", ".join(f"{f.id!r}: False" for f in o.flags.values()) + "}"
        top = MAX_COUNT if o.counted else 1
        body = [f"if {o.id!r} in options:", "    raise _Unusual",
                "if value is False or value is None or value == 0 and type(value) is int:",
                f"    options[{o.id!r}] = None  # given, not ordered",
                "    dropped = True"]
        if not required:
            made = _made("opt", "OptionState", 0, count="1 if value is True else value", quantities=quantities,
                         designations="set()", dates="{}", flags=flags)
            body += ["elif value is True or type(value) is int and 0 < value <= " + str(top) + ":",
                     *("    " + line for line in made),
                     f"    options[{o.id!r}] = opt"]
        inline = _new_option_fields(k, o, env)
        if inline is None:
            body += ["elif type(value) is dict:",
                     *("    " + line for line in _made("opt", "OptionState", 0, count="1", quantities="{}",
                                                       designations="set()", dates="{}", flags="{}")),
                     f"    option_fields_{k}(value, opt)",
                     "    if opt.count == 0:",
                     f"        options[{o.id!r}] = None",
                     "        dropped = True",
                     "    else:"]
            body += _option_defaults(o, "        ")
            body += [f"        options[{o.id!r}] = opt", "else:", "    raise _Unusual"]
        else:
            body += ["elif type(value) is dict:", *("    " + line for line in inline), "else:", "    raise _Unusual"]
        branches[k] = body
    if opts:
        lines += _tree(list(range(len(opts))), branches, "k", 2)
    else:
        lines += ["        raise _Unusual"]
    lines += ["    if dropped:",
              "        for oid in [oid for oid, opt in options.items() if opt is None]:",
              "            del options[oid]"]
    return lines + [""]


def _new_option_fields(k: int, o: M.Option, env: dict) -> list[str] | None:
    """For `new_options`: option `o` (the k-th) written as an object, read inline, with no call
    of `option_fields_k`: the same names (OPTION_FIELDS_k, found each as a slot of a tree), the
    same tests of each value, the same defaults after, into dicts that start empty, so a field
    written twice under two names is found in its dict (`count` has one name). None for an
    option with attributes: those keep `option_fields_k`."""
    if o.attributes:
        return None
    named = env[f"OPTION_FIELDS_{k}"]  # name -> (what, field id)
    fields = list(dict.fromkeys(named.values()))
    env[f"NEW_OPTION_SLOTS_{k}"] = {n: fields.index(slot) for n, slot in named.items()}
    top = MAX_COUNT if o.counted else 1
    branches: dict[int, list[str]] = {}
    for j, (what, fid) in enumerate(fields):
        if what == "count":
            branches[j] = [f"if type(v) is not int or not 0 <= v <= {top}:", "    raise _Unusual", "count = v"]
        elif what == "quantity":
            branches[j] = [f"if type(v) is not int or not 0 <= v <= MAX_COUNT or {fid!r} in quantities:",
                           "    raise _Unusual", f"quantities[{fid!r}] = v"]
        elif what == "flag":
            branches[j] = [f"if v is not True and v is not False or {fid!r} in flags:", "    raise _Unusual",
                           f"flags[{fid!r}] = v"]
        else:
            branches[j] = ["n = _day_number(v) if type(v) is str else None",
                           f"if n is None or {fid!r} in dates:", "    raise _Unusual", f"dates[{fid!r}] = n"]
    lines = ["count, quantities, dates, flags = 1, {}, {}, {}",
             "for key, v in value.items():",
             f"    j = NEW_OPTION_SLOTS_{k}.get(key)",
             "    if j is None:",
             "        raise _Unusual"]
    lines += _tree(list(range(len(fields))), branches, "j", 1)
    lines += ["if count == 0:",
              f"    options[{o.id!r}] = None",
              "    dropped = True",
              "else:"]
    for q in o.quantities.values():
        if q.default is None:
            lines += [f"    if {q.id!r} not in quantities:", "        raise _Unusual"]
        else:
            lines.append(f"    quantities.setdefault({q.id!r}, {q.default!r})")
    for f in o.flags.values():
        lines.append(f"    flags.setdefault({f.id!r}, False)")
    lines += _made("opt", "OptionState", 1, count="count", quantities="quantities", designations="set()",
                   dates="dates", flags="flags")
    return lines + [f"    options[{o.id!r}] = opt"]


def _made(var: str, cls: str, depth: int = 1, **fields: str) -> list[str]:
    """Source making `var` an instance of the dataclass `cls` with `fields` (each field's source,
    in the order the class declares them): its fields set one by one on a bare instance, which
    costs about half of a call of the dataclass's __init__ (a frame, and a test per default).
    The instance is the one __init__ would make: the same class, fields and values."""
    declared = [f.name for f in dataclasses.fields(_MADE[cls])]
    if list(fields) != declared:
        raise TypeError(f"{cls} has the fields {declared}, not {list(fields)}")
    pad = "    " * depth
    return [f"{pad}{var} = _new({cls})"] + [f"{pad}{var}.{name} = {src}" for name, src in fields.items()]


def _tree(keys: list[int], branches: dict[int, list[str]], var: str, depth: int) -> list[str]:
    """The branch of `branches` whose key `var` holds (one of `keys`, ascending), found by
    halving: a key costs about log2(len(keys)) comparisons, not a walk down a chain of elifs."""
    pad = "    " * depth
    if len(keys) == 1:
        return [pad + line for line in branches[keys[0]]]
    if len(keys) <= 3:  # a short chain: as cheap as another halving
        out = []
        for j, key in enumerate(keys):
            head = "if" if j == 0 else "elif"
            out.append(f"{pad}{head} {var} == {key}:" if j < len(keys) - 1 else f"{pad}else:  # {var} == {key}")
            out += ["    " + pad + line for line in branches[key]]
        return out
    mid = len(keys) // 2
    return ([f"{pad}if {var} < {keys[mid]}:"] + _tree(keys[:mid], branches, var, depth + 1)
            + [f"{pad}else:"] + _tree(keys[mid:], branches, var, depth + 1))


def _options_source(kind: M.ContractKind, names: OrderNames, env: dict) -> list[str]:
    """`read_options(d, options)`: decode.py's `options` for the common case, with one function
    per option (`option_k(value, options)`), found by the name the order writes."""
    opts = list(kind.options.values())
    position = {id(o): k for k, o in enumerate(opts)}
    env["OPTION_NAMES"] = {n: position[id(names.lookup(kind.options, n))] for o in opts for n in _written(o, names)}
    lines = ["def read_options(d, options):",
             "    given = set()",
             "    for name, value in d.items():",
             "        read = OPTIONS.get(name)",
             "        if read is None or read in given:",
             "            raise _Unusual",
             "        given.add(read)",
             "        read(value, options)",
             ""]
    for k, o in enumerate(opts):
        lines += [f"def option_{k}(value, options):  # {o.id}",
                  "    if value is False or value is None or value == 0 and type(value) is int:",
                  f"        options.pop({o.id!r}, None)",
                  "        return",
                  f"    prev = options.get({o.id!r})",
                  # `prev` is state's own copy (of the base's option): changed in place, not copied again
                  "    opt = prev if prev is not None else OptionState(1, {}, set(), {}, {})",
                  "    if value is True:",
                  "        pass",
                  "    elif type(value) is int:",
                  f"        if not 0 <= value <= {MAX_COUNT if o.counted else 1}:",
                  "            raise _Unusual",
                  "        opt.count = value",
                  "    elif type(value) is dict:",
                  f"        option_fields_{k}(value, opt)",
                  "        if opt.count == 0:",
                  f"            options.pop({o.id!r}, None)",
                  "            return",
                  "    else:",
                  "        raise _Unusual"]
        lines += _option_defaults(o, "    ")
        lines += [f"    options[{o.id!r}] = opt", ""]
    for k, o in enumerate(opts):
        lines += _option_fields_source(k, o, names, env)
    lines += ["OPTIONS = {name: globals()[f'option_{k}'] for name, k in OPTION_NAMES.items()}", ""]
    return lines


def _option_fields_source(k: int, o: M.Option, names: OrderNames, env: dict) -> list[str]:
    """`option_fields_k(d, opt)`: decode.py's `option_fields` of option `o` for the common case.
    A name decode.py reads as another spelling of a quantity is left to decode.py."""
    slots: dict[str, tuple[str, str]] = {"count": ("count", "")}
    for table in (o.quantities, o.attributes, o.flags, o.dates):
        for entry in table.values():
            for n in _written(entry, names):
                if n in slots:
                    continue
                q = names.lookup(o.quantities, n)
                if q is not None:
                    slots[n] = ("quantity", q.id)
                elif names.lookup_spelling(o.quantities, n) is not None:
                    continue
                elif names.lookup(o.attributes, n) is not None:
                    slots[n] = ("attribute", names.lookup(o.attributes, n).id)
                elif names.lookup(o.flags, n) is not None:
                    slots[n] = ("flag", names.lookup(o.flags, n).id)
                elif names.lookup(o.dates, n) is not None:
                    slots[n] = ("date", names.lookup(o.dates, n).id)
    env[f"OPTION_FIELDS_{k}"] = slots
    for j, a in enumerate(o.attributes.values()):
        env[f"ATTRIBUTE_{k}_{j}"] = {n: names.lookup(a.values, n).id for v in a.values.values()
                                     for n in _written(v, names)}
    lines = [f"def option_fields_{k}(d, opt):  # {o.id}",
             "    given = set()",
             "    for key, value in d.items():",
             f"        slot = OPTION_FIELDS_{k}.get(key)",
             "        if slot is None or slot in given:",
             "            raise _Unusual",
             "        given.add(slot)",
             "        what, field = slot",
             "        if what == 'count':",
             f"            if type(value) is not int or not 0 <= value <= {MAX_COUNT if o.counted else 1}:",
             "                raise _Unusual",
             "            opt.count = value",
             "        elif what == 'quantity':",
             "            if type(value) is not int or not 0 <= value <= MAX_COUNT:",
             "                raise _Unusual",
             "            opt.quantities[field] = value",
             "        elif what == 'flag':",
             "            if value is not True and value is not False:",
             "                raise _Unusual",
             "            opt.flags[field] = value",
             "        elif what == 'date':",
             "            n = _day_number(value) if type(value) is str else None",
             "            if n is None:",
             "                raise _Unusual",
             "            opt.dates[field] = n"]
    for j, a in enumerate(o.attributes.values()):
        lines += [f"        elif field == {a.id!r}:",
                  "            chosen = value if type(value) is list else [value]",
                  f"            opt.designations = {{x for x in opt.designations if x[0] != {a.id!r}}}",
                  "            for v in chosen:",
                  f"                if type(v) is not str or v not in ATTRIBUTE_{k}_{j}:",
                  "                    raise _Unusual",
                  f"                opt.designations.add(({a.id!r}, ATTRIBUTE_{k}_{j}[v]))"]
    lines += ["        else:", "            raise _Unusual", ""]
    return lines


def _option_defaults(o, indent: str) -> list[str]:
    """Source lines (at `indent`) that complete an option `opt` read from an object: a quantity
    the order left out takes its default, or the order is not one for the quick path when the
    quantity has none; a flag left out is false."""
    lines = []
    for q in o.quantities.values():
        if q.default is None:
            lines += [f"{indent}if {q.id!r} not in opt.quantities:", f"{indent}    raise _Unusual"]
        else:
            lines.append(f"{indent}opt.quantities.setdefault({q.id!r}, {q.default!r})")
    for f in o.flags.values():
        lines.append(f"{indent}opt.flags.setdefault({f.id!r}, False)")
    return lines


def _contract_defaults(kind, indent: str) -> list[str]:
    """Source lines (at `indent`) that complete a contract's `dims`, `qty` and `flags` read from an
    object: an optional dimension left out is None, a quantity left out takes its default (the
    order is not one for the quick path when it has none, nor when a required dimension is
    missing), a flag left out is false."""
    lines = []
    for dim in kind.dimensions.values():
        lines += [f"{indent}if {dim.id!r} not in dims:",
                  f"{indent}    {'dims[' + repr(dim.id) + '] = None' if dim.optional else 'raise _Unusual'}"]
    for q in kind.quantities.values():
        lines += [f"{indent}if {q.id!r} not in qty:",
                  f"{indent}    {'raise _Unusual' if q.default is None else f'qty[{q.id!r}] = {q.default!r}'}"]
    for f in kind.flags.values():
        lines.append(f"{indent}flags.setdefault({f.id!r}, False)")
    return lines
