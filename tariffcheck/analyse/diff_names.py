"""The names half of `tariff diff`: which name of the new version is which of the old, and what
changed in names.

Two versions' contract kinds, options and dimension values are paired by id. A 附則 of the new
version, `rename "OLD" -> X`, also pairs X with the old version's contract kind, option or value
whose official name (or id) is OLD, when nothing of the old version has X's id: an id changed
together with the official name. What stays unpaired exists in one version only. The names
section lists it, and the comparison of meaning keeps it out: an order that needs it is not
compared (diff.py says which shapes of order that leaves out, and why).

Dimensions, quantities, flags, dates and option attributes are paired by id only: a 附則 renames
values and options (and contract kinds), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..common.names import name_key
from ..model import tariff as M


@dataclass
class NameChange:
    what: str  # contract, dimension, value, quantity, flag, date, option, attribute, service, rule
    change: str  # added | removed | renamed | reworded
    path: str  # e.g. service.options.tunnel, service.item.itam_l (the new version's ids when it has them)
    old: str | None = None  # official name (or rule text) before
    new: str | None = None
    note: str | None = None


@dataclass
class Matching:
    """The new version's names, each with the old version's name it pairs with."""

    kinds: dict[str, str] = field(default_factory=dict)  # new contract kind -> old
    options: dict[tuple[str, str], str] = field(default_factory=dict)  # (new kind, new option) -> old option
    values: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (new kind, dim, new value) -> old
    # the pairs a rename made: ("contract", kind), ("option", kind, option), ("value", kind, dim, value)
    via: dict[tuple[str, ...], M.Rename] = field(default_factory=dict)

    def new_kind(self, old_kind: str) -> str | None:
        return next((n for n, o in self.kinds.items() if o == old_kind), None)

    def old_option(self, kind: str, option: str) -> str | None:
        return self.options.get((kind, option))

    def new_option(self, kind: str, old_option: str) -> str | None:
        return next((n for (k, n), o in self.options.items() if k == kind and o == old_option), None)

    def old_value(self, kind: str, dim: str, value: str) -> str | None:
        return self.values.get((kind, dim, value))


def _former(table: dict, name: str, taken) -> str | None:
    """The id of the entry of `table` (not yet paired) whose id or official name is `name`."""
    key = name_key(name)
    for k, obj in table.items():
        if k not in taken and (k == name or name_key(obj.label) == key):
            return k
    return None


def match_names(old: M.Tariff, new: M.Tariff) -> Matching:
    m = Matching()
    renames = new.renames
    m.kinds = {k: k for k in new.contracts if k in old.contracts}
    for r in renames:
        if r.kind == "contract" and r.target[0] not in m.kinds:
            k = _former(old.contracts, r.old, set(m.kinds.values()))
            if k is not None:
                m.kinds[r.target[0]] = k
                m.via[("contract", r.target[0])] = r
    for kn, ko in m.kinds.items():
        a, b = old.contracts[ko], new.contracts[kn]
        for o in b.options:
            if o in a.options:
                m.options[(kn, o)] = o
        for r in renames:
            if r.kind == "option" and r.target[0] == kn and (kn, r.target[1]) not in m.options:
                o = _former(a.options, r.old, {v for (k, _), v in m.options.items() if k == kn})
                if o is not None:
                    m.options[(kn, r.target[1])] = o
                    m.via[("option", kn, r.target[1])] = r
        for d in b.dimensions.keys() & a.dimensions.keys():
            va, vb = a.dimensions[d].values, b.dimensions[d].values
            for v in vb:
                if v in va:
                    m.values[(kn, d, v)] = v
            for r in renames:
                if r.kind == "value" and r.target[:2] == (kn, d) and (kn, d, r.target[2]) not in m.values:
                    v = _former(va, r.old, {x for (k, dd, _), x in m.values.items() if (k, dd) == (kn, d)})
                    if v is not None:
                        m.values[(kn, d, r.target[2])] = v
                        m.via[("value", kn, d, r.target[2])] = r
    return m


def _by_rename(r: M.Rename) -> str:
    return f"by a supplementary provision (附則) of {r.day.isoformat()}"


class _Changes:
    """Collects the name changes, table by table."""

    def __init__(self):
        self.out: list[NameChange] = []

    def table(self, what: str, prefix: str, a: dict, b: dict, pairs: dict | None = None,
              via=lambda k: None, label=lambda x: x.label) -> None:
        """`a` the old version's entries, `b` the new one's; `pairs` maps a new id to the old id it
        pairs with (by default: the same id)."""
        if pairs is None:
            pairs = {k: k for k in b if k in a}
        paired = set(pairs.values())
        unpaired_old = {name_key(label(a[k])): k for k in a if k not in paired}
        for k in a:
            if k not in paired:
                self.out.append(NameChange(what, "removed", prefix + k, old=label(a[k])))
        for k in b:
            if k not in pairs:
                twin = unpaired_old.get(name_key(label(b[k]))) if what != "rule" else None
                note = (f"the old version's `{twin}` has this official name, but no 附則 `rename` pairs them"
                        if twin is not None else None)
                self.out.append(NameChange(what, "added", prefix + k, new=label(b[k]), note=note))
                continue
            ko, r = pairs[k], via(k)
            if ko != k or label(a[ko]) != label(b[k]) or r is not None:
                notes = ([f"was `{ko}`"] if ko != k else []) + ([_by_rename(r)] if r is not None else [])
                self.out.append(NameChange(what, "renamed", prefix + k, old=label(a[ko]), new=label(b[k]),
                                           note="; ".join(notes) or None))


def name_changes(old: M.Tariff, new: M.Tariff, match: Matching | None = None) -> list[NameChange]:
    m = match or match_names(old, new)
    c = _Changes()
    c.table("contract", "", old.contracts, new.contracts, m.kinds, lambda k: m.via.get(("contract", k)))
    for kn, ko in m.kinds.items():
        ka, kb = old.contracts[ko], new.contracts[kn]
        c.table("dimension", f"{kn}.", ka.dimensions, kb.dimensions)
        for d in ka.dimensions.keys() & kb.dimensions.keys():
            c.table("value", f"{kn}.{d}.", ka.dimensions[d].values, kb.dimensions[d].values,
                    {v: o for (k, dd, v), o in m.values.items() if (k, dd) == (kn, d)},
                    lambda v, d=d: m.via.get(("value", kn, d, v)))
        c.table("quantity", f"{kn}.", ka.quantities, kb.quantities)
        c.table("flag", f"{kn}.", ka.flags, kb.flags)
        c.table("date", f"{kn}.", ka.dates, kb.dates)
        pairs = {o: x for (k, o), x in m.options.items() if k == kn}
        c.table("option", f"{kn}.options.", ka.options, kb.options, pairs, lambda o: m.via.get(("option", kn, o)))
        for on, oo in pairs.items():
            oa, ob = ka.options[oo], kb.options[on]
            c.table("quantity", f"{kn}.options.{on}.", oa.quantities, ob.quantities)
            c.table("attribute", f"{kn}.options.{on}.", oa.attributes, ob.attributes)
            c.table("flag", f"{kn}.options.{on}.", oa.flags, ob.flags)
            for at in oa.attributes.keys() & ob.attributes.keys():
                c.table("value", f"{kn}.options.{on}.{at}.", oa.attributes[at].values, ob.attributes[at].values)
            if oa.counted != ob.counted:
                c.out.append(NameChange("option", "reworded", f"{kn}.options.{on}",
                                        note="counted" if ob.counted else "no longer counted"))
    c.table("service", "", old.services, new.services)
    c.table("flag", "request.", old.request_flags, new.request_flags)
    out = c.out
    # a 附則 new in this version: noted on the change of name it explains, or listed on its own
    # when the old version already had the new name (the text still records a change)
    olds = {(r.kind, r.old, r.target) for r in old.renames}
    listed = {(n.what, n.path): n for n in out if n.change == "renamed"}
    for r in new.renames:
        if (r.kind, r.old, r.target) in olds:
            continue
        seen = listed.get((r.kind, _rename_path(r)))
        if seen is None:
            out.append(NameChange(r.kind, "renamed", _rename_path(r), old=r.old, new=_label_of(new, r),
                                  note=_by_rename(r)))
        elif _by_rename(r) not in (seen.note or ""):
            seen.note = "; ".join(x for x in (seen.note, _by_rename(r)) if x)
    ra, rb = {r.id: r for r in old.rules}, {r.id: r for r in new.rules}
    c.table("rule", "", ra, rb, label=lambda r: str(r.citation))
    for k in ra.keys() & rb.keys():
        if _rule_text(ra[k]) != _rule_text(rb[k]) and str(ra[k].citation) == str(rb[k].citation):
            out.append(NameChange("rule", "reworded", k, old=_rule_text(ra[k]), new=_rule_text(rb[k])))
    return out


def _rename_path(r: M.Rename) -> str:
    if r.kind == "option":
        return f"{r.target[0]}.options.{r.target[1]}"
    return ".".join(r.target)


def _label_of(t: M.Tariff, r: M.Rename) -> str | None:
    kind = t.contracts.get(r.target[0])
    if kind is None:
        return None
    if r.kind == "contract":
        return kind.label
    if r.kind == "option":
        o = kind.options.get(r.target[1])
        return o.label if o else None
    dim = kind.dimensions.get(r.target[1])
    v = dim.values.get(r.target[2]) if dim else None
    return v.label if v else None


def _rule_text(r: M.Rule) -> str:
    return " ".join(r.source_text.split())
