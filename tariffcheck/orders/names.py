"""The names an order may use for what a tariff declares, indexed once per tariff.

`model.tariff.lookup` finds an entry of a table by its id or by its official name compared
through `name_key` (spacing and character width ignored): a walk over the table that folds
every label again on each call. The decoder asks it a few dozen times per order, so here each
table is indexed once, by the folded form of each label and of each other spelling the text
uses, and the fold of each name the tariff writes is kept. The answers are those of
`lookup`, `lookup_spelling` and `ContractKind.member`: the first entry in the table's order
whose name matches, the id tried first.

An OrderNames is built whole in its constructor and never changed after, so any number of
threads may read it at once. `order_names(tariff)` keeps one per loaded tariff.
"""

from __future__ import annotations

import threading
import weakref

from ..common.names import name_key
from ..model import tariff as M


class _Index:
    """One table: its entries by folded label, and (entry, spelling) by folded spelling."""

    __slots__ = ("by_key", "by_spelling", "exact")

    def __init__(self, table: dict, fold) -> None:
        self.by_key: dict[str, object] = {}
        self.by_spelling: dict[str, tuple[object, M.Spelling]] = {}
        for entry in table.values():
            self.by_key.setdefault(fold(entry.label), entry)
            for sp in getattr(entry, "spellings", ()):
                self.by_spelling.setdefault(fold(sp.text), (entry, sp))
        # the answer for each id, label and folded label as it stands, without folding again
        self.exact: dict[str, object] = {}
        for entry in table.values():
            for name in (entry.label, fold(entry.label)):
                found = self.by_key.get(fold(name))
                if found is not None:
                    self.exact[name] = found
        self.exact.update(table)  # an id before a name: `lookup` tries the id first


class OrderNames:
    """Every table of `tariff` that an order names things in, indexed (see the module's text)."""

    def __init__(self, tariff: M.Tariff) -> None:
        self._building = True
        self._folded: dict[str, str] = {}
        self._index: dict[int, _Index] = {}  # by id() of the table; the tables live as long as self
        self._tables: list[dict] = []  # kept, so that no id() above is reused while self lives
        self._members: dict[int, dict[str, object]] = {}  # by id() of the contract kind
        self._kinds = list(tariff.contracts.values())  # kept, as the tables are
        t = tariff
        self.title_key = self.fold(t.title)
        self.id_key = self.fold(t.id).replace("-", "_")
        self.fold(t.id.replace("_", "-"))  # `secure-endpoint`, as the command line writes it
        self.primary = t.primary_contract()
        self._add(t.request_flags)
        self._add(t.contracts)
        self._add(t.services)
        for svc in t.services.values():
            self._add(svc.dimensions)
            for dim in svc.dimensions.values():
                self._add(dim.values)
        for kind in t.contracts.values():
            for table in (kind.dimensions, kind.quantities, kind.flags, kind.dates, kind.options, kind.usage):
                self._add(table)
            for dim in kind.dimensions.values():
                self._add(dim.values)
            # `member` for each name of a member as it stands; other names go through the tables
            self._members[id(kind)] = {}
            tables = (kind.dimensions, kind.quantities, kind.flags, kind.dates)
            for name in [n for table in tables for m in table.values() for n in (m.id, m.label, self.fold(m.label))]:
                self._members[id(kind)][name] = self.member(kind, name)
            for o in kind.options.values():
                for table in (o.quantities, o.attributes, o.flags, o.dates):
                    self._add(table)
                for a in o.attributes.values():
                    self._add(a.values)
        for sp in t.title_spellings:
            self.fold(sp.text)
        self._building = False

    def _add(self, table: dict) -> None:
        if id(table) in self._index:
            return
        for name in table:
            self.fold(name)
        self._index[id(table)] = _Index(table, self.fold)
        self._tables.append(table)

    def fold(self, name: str) -> str:
        """`name_key(name)`. The constructor keeps the fold of each name the tariff writes, and of
        each such fold; afterwards nothing is added, and another name is folded on each call."""
        found = self._folded.get(name)
        if found is None:
            found = name_key(name)
            if self._building:
                self._folded[name] = found
                self._folded.setdefault(found, name_key(found))
        return found

    def lookup(self, table: dict, name: str):
        """`model.tariff.lookup(table, name)`."""
        index = self._index.get(id(table))
        if index is None:  # a table made for one call (a filtered copy): the plain walk
            return M.lookup(table, name)
        found = index.exact.get(name)
        return found if found is not None else index.by_key.get(self.fold(name))

    def lookup_spelling(self, table: dict, name: str):
        """`model.tariff.lookup_spelling(table, name)`: (entry, spelling) or None."""
        index = self._index.get(id(table))
        if index is None:
            return M.lookup_spelling(table, name)
        return index.by_spelling.get(self.fold(name)) if index.by_spelling else None

    def member(self, kind: M.ContractKind, name: str):
        """`kind.member(name)`: a dimension, quantity, flag or date field, by id or official name."""
        found = self._members[id(kind)].get(name)
        if found is not None:
            return found
        for table in (kind.dimensions, kind.quantities, kind.flags, kind.dates):
            found = self.lookup(table, name)
            if found is not None:
                return found
        return None


_kept: dict[int, OrderNames] = {}  # by id() of the tariff, dropped when the tariff is
_kept_lock = threading.Lock()


def order_names(tariff: M.Tariff) -> OrderNames:
    """The OrderNames of `tariff`, built on the first call for it and kept while it lives."""
    found = _kept.get(id(tariff))
    if found is None:
        with _kept_lock:
            found = _kept.get(id(tariff))
            if found is None:
                found = _kept[id(tariff)] = OrderNames(tariff)
                weakref.finalize(tariff, _kept.pop, id(tariff), None)
    return found
