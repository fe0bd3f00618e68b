"""The days a tariff defines for one order: billing starts, the ends of minimum usage periods and
contract terms, the last day a non-renewal notice may arrive, the day a cancellation takes effect.

Each comes from a `period` or `derive` declaration of the spec (or is a date the order gives),
carries its clause, and is computed with the period arithmetic of `dates.periods` (民法 第140条〜
第143条 as ../shared/READINGS.md reads them). The expressions are compiled with the same code
generator as the concrete validator, so a derived day and a rule that reads the same expression
can never disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from ..dates import periods
from ..model import ir
from ..model import tariff as M
from ..model.citation import Citation
from ..orders.order import ContractEntry, Order
from .concrete import ValueFn, compile_value
from .verdict import field_path, field_value


@dataclass(frozen=True)
class DerivedDay:
    """One day the tariff defines for one contract (and perhaps one of its options)."""

    id: str  # the declaration's id; for a term's notice day, `<id>.last_notice`
    label: str  # the tariff's own word for it
    what: str  # given | derived | period_end | term_end | last_notice
    citation: Citation | None
    contract: str  # the contract's id in the order
    contract_index: int
    subject: str | None  # the option it is about, if any
    day: date | None
    start: date | None = None  # the first day of a period or term
    term: int | None = None  # for a renewing term: which term (1 = the first)
    note: str | None = None
    missing: str | None = None  # why `day` is None: which date the order does not give
    missing_ja: str | None = None  # the same in Japanese, for reports in --lang ja


@dataclass
class _Compiled:
    decl: M.Period | M.Derived
    subject: str | None
    value: ValueFn  # the start (period) or the day (derive)
    when: ValueFn | None
    reads: list[ir.Field]  # the date fields the value reads


class DateCalculator:
    """Compiled once per tariff; `days(order)` computes every day for one order."""

    def __init__(self, tariff: M.Tariff):
        self.tariff = tariff
        self._by_kind: dict[str, list[_Compiled]] = {k: [] for k in tariff.contracts}
        for decl in [*tariff.periods, *tariff.derived]:
            nodes = decl.starts if isinstance(decl, M.Period) else decl.values
            for subject in decl.subjects:
                node = nodes[subject]
                when = decl.whens.get(subject)
                label = f"{tariff.id}:{decl.id}" + (f":{subject}" if subject else "")
                self._by_kind[decl.scope].append(_Compiled(
                    decl, subject, compile_value(node, label)[1],
                    compile_value(when, label + ":when")[1] if when is not None else None,
                    [f for f in ir.fields_of(node) if f.type == "date"]))

    def days(self, order: Order, reference: date | None = None) -> list[DerivedDay]:
        """Every day for every contract of the order. `reference` picks the current term of a
        renewing contract term; by default the requested day, else the notice or application day."""
        if reference is None:
            for name in ("requested_date", "notice_arrived", "application_date"):
                if name in order.dates:
                    reference = date.fromordinal(order.dates[name])
                    break
        out: list[DerivedDay] = []
        for entry in order.contracts:
            out.extend(self._given(entry))
            for c in self._by_kind[entry.kind]:
                out.extend(self._one(c, order, entry, reference))
        return out

    def _given(self, entry: ContractEntry) -> list[DerivedDay]:
        kind = self.tariff.contracts[entry.kind]
        state = entry.new
        out = []
        for d in kind.dates.values():
            if d.id in state.dates:
                out.append(DerivedDay(d.id, d.label, "given", d.citation, entry.id, entry.index, None,
                                      date.fromordinal(state.dates[d.id])))
        for oid, o in state.options.items():
            for did, day in o.dates.items():
                d = kind.options[oid].dates[did]
                out.append(DerivedDay(did, d.label, "given", d.citation, entry.id, entry.index, oid,
                                      date.fromordinal(day)))
        return out

    def _one(self, c: _Compiled, order: Order, entry: ContractEntry, reference: date | None) -> list[DerivedDay]:
        decl, subject = c.decl, c.subject
        if subject is not None and subject not in entry.new.options and subject not in entry.old.options:
            return []
        if c.when is not None and not c.when(order, entry):
            return []  # does not apply (or reads a date the order does not give)
        base = dict(id=decl.id, label=decl.label, citation=decl.citation, contract=entry.id,
                    contract_index=entry.index, subject=subject, note=decl.note)
        # an option the request ends is read as it was: its start and dates are in `current`
        if subject is not None and subject not in entry.new.options:
            entry = dataclasses.replace(entry, new=entry.old)
        value = c.value(order, entry)
        is_period = isinstance(decl, M.Period)
        if value is None:
            missing = [field_path(f, entry) for f in c.reads if field_value(f, order, entry) is None]
            what = ("term_end" if decl.renews else "period_end") if is_period else "derived"
            named = ", ".join(f"`{m}`" for m in missing)
            return [DerivedDay(**base, what=what, day=None, missing=f"the order gives no {named}",
                               missing_ja=f"注文に {named} の指定がありません")]
        day = date.fromordinal(value)
        if not is_period:
            return [DerivedDay(**base, what="derived", day=day)]
        length = {decl.unit + "s": decl.amount}  # unit: day | month | year
        if not decl.renews:
            return [DerivedDay(**base, what="period_end", start=day, day=periods.period_last_day(day, **length))]
        # a renewing term: the term the reference day falls in (the first, before it starts)
        lasts = periods.term_last_days(day, until=reference, years=decl.amount) if (
            reference is not None and decl.unit.startswith("year")) else []
        if lasts:
            n, last = len(lasts), lasts[-1]
            first = day if n == 1 else periods.add_days(lasts[-2], 1)
        else:
            n, first, last = 1, day, periods.period_last_day(day, **length)
        notice = periods.last_notice_day(last)
        return [DerivedDay(**base, what="term_end", start=first, day=last, term=n),
                DerivedDay(**dict(base, id=f"{decl.id}.last_notice", note=None), what="last_notice", day=notice,
                           term=n)]
