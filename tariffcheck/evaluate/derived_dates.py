"""The days a tariff defines for one order: billing starts, the ends of minimum usage periods and
contract terms, the last day a non-renewal notice may arrive, the day a cancellation takes effect.
The days on which the request itself takes effect (`derive … takes_effect`) are also given apart,
beside the day the request asked for, for the check result.

Each comes from a `period` or `derive` declaration of the spec (or is a date the order gives),
carries its clause, and is computed with the period arithmetic of `dates.periods` (民法 第140条〜
第143条 as ../shared/READINGS.md reads them). The expressions are compiled with the same code
generator as the concrete validator, so a derived day and a rule that reads the same expression
can never disagree.
"""

from __future__ import annotations

import dataclasses
import linecache
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Callable

from ..dates import periods
from ..model import ir
from ..model import tariff as M
from ..model.citation import Citation
from ..orders.order import ContractEntry, Order
from .concrete import _LOCALS, ValueFn, _Gen, _add_months, _day_fns, compile_value
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
    # for a term and its last notice day, when the order's notice ends the term's subject:
    # True when the notice arrived after the last day for a non-renewal notice (`missed`), so the
    # term renewed and this is the renewed term; False when it arrived in time; None otherwise
    renewed: bool | None = None
    missed: date | None = None
    note: str | None = None
    missing: str | None = None  # why `day` is None: which date the order does not give
    # a derived day the order states (`or_else(ends_on, …)` with `ends_on` given): that field's path
    stated: str | None = None
    missing_ja: str | None = None  # the same in Japanese, for reports in --lang ja


@dataclass(frozen=True)
class EffectiveDay:
    """A day on which the request takes effect (a `derive … takes_effect` that applies to it),
    beside the day the request asked for: the tariff may move it (「…のいずれか遅い日」)."""

    day: DerivedDay
    requested: date | None  # the order's `requested_date`; None when the request names no day
    # the renewing terms of what the request ends (its contract or option): each term's end and
    # its last day for a non-renewal notice, the renewed term when the notice came too late
    terms: tuple[DerivedDay, ...] = ()

    @property
    def moved(self) -> bool:
        """The request asked for a day and takes effect on another one."""
        return self.requested is not None and self.day.day is not None and self.day.day != self.requested


_new = object.__new__
# each field of a DerivedDay with its default (MISSING for the fields every day gives), in order
_DAY_FIELDS = {f.name: f.default for f in dataclasses.fields(DerivedDay)}


def _derived_day(**given) -> DerivedDay:
    """DerivedDay(**given), made without the frozen dataclass's __init__ (a guarded
    object.__setattr__ per field, seventeen of them): a check of a cancellation makes a few on
    every call. The same object: its fields in the class's order, each given or its default."""
    fields = dict(_DAY_FIELDS)
    fields.update(given)
    day = _new(DerivedDay)
    day.__dict__.update(fields)
    return day


def _effective_day(day: DerivedDay, requested: date | None, terms: tuple) -> EffectiveDay:
    """EffectiveDay(day, requested, terms), made as `_derived_day` makes a DerivedDay."""
    made = _new(EffectiveDay)
    made.__dict__.update(day=day, requested=requested, terms=terms)
    return made


def _as_before(entry: ContractEntry) -> ContractEntry:
    """`dataclasses.replace(entry, new=entry.old)` (the contract read as it was, for an option the
    request ends) without a call of ContractEntry's __init__: a shallow copy, as replace's is."""
    was = _new(ContractEntry)
    was.__dict__.update(entry.__dict__)
    was.new = entry.old
    return was


class _Compiled:
    """One declaration for one subject. Its expressions are compiled when first needed (and each
    distinct expression once per calculator): `Checker.check` asks only for the takes-effect days,
    and an option's day only for orders that have the option. Threads may share the calculator: two
    that need one expression at once may both compile it, and either keeps the same function."""

    def __init__(self, decl: M.Period | M.Derived, subject: str | None, label: str, shared: dict):
        self.decl, self.subject, self.label, self._shared = decl, subject, label, shared
        self.node = decl.starts[subject] if isinstance(decl, M.Period) else decl.values[subject]
        self.when_node = decl.whens.get(subject)

    @cached_property
    def reads(self) -> list[ir.Field]:
        """The date fields the value reads."""
        return [f for f in ir.fields_of(self.node) if f.type == "date"]

    @cached_property
    def needs(self) -> list[ir.Field]:
        """Those it cannot do without (`or_else(requested_date, …)` can do without its first)."""
        return _needed_dates(self.node)

    def _fn(self, node: ir.Node, label: str) -> ValueFn:
        fn = self._shared.get(node)
        if fn is None:
            fn = self._shared[node] = compile_value(node, label)[1]
        return fn

    @cached_property
    def stated(self) -> ir.Field | None:
        """`or_else(DAY, …)` over a day of the contract or an option: the day when the order
        states it (a contract's or option's fixed end day), which the result then names."""
        node = self.node
        if isinstance(node, ir.OrElse) and isinstance(node.first, ir.Field) and node.first.kind in ("date", "optdate"):
            return node.first
        return None

    @cached_property
    def stated_before(self) -> ir.Field | None:
        """`stated` as the contract or option is before the request (in `current`): where a
        request that ends it states the day."""
        return None if self.stated is None else dataclasses.replace(self.stated, state="old")

    @cached_property
    def value(self) -> ValueFn:
        """value(order, entry): the start (period) or the day (derive), or None."""
        return self._fn(self.node, self.label)

    @cached_property
    def when(self) -> ValueFn | None:
        """when(order, entry): the declaration's `when` (false, or None, when it reads a date the
        order does not give); None when it has none."""
        return None if self.when_node is None else self._fn(self.when_node, self.label + ":when")


class DateCalculator:
    """One per tariff; `days(order)` computes every day for one order, `effective(order)` the days
    the request takes effect."""

    def __init__(self, tariff: M.Tariff):
        self.tariff = tariff
        self._by_kind: dict[str, list[_Compiled]] = {k: [] for k in tariff.contracts}
        shared: dict[ir.Node, ValueFn] = {}
        for decl in [*tariff.periods, *tariff.derived]:
            for subject in decl.subjects:
                label = f"{tariff.id}:{decl.id}" + (f":{subject}" if subject else "")
                self._by_kind[decl.scope].append(_Compiled(decl, subject, label, shared))
        # the takes-effect days `effective` computes on every check: the contract's, and each option's
        self._effective: dict[str, tuple[list[_Compiled], dict[str, list[_Compiled]]]] = {}
        self._option_at: dict[str, dict[str, int]] = {}
        for kind, cs in self._by_kind.items():
            mine = [c for c in cs if isinstance(c.decl, M.Derived) and c.decl.takes_effect]
            by_option: dict[str, list[_Compiled]] = {}
            for c in mine:
                if c.subject is not None:
                    by_option.setdefault(c.subject, []).append(c)
            self._effective[kind] = ([c for c in mine if c.subject is None], by_option)
            self._option_at[kind] = {o: i for i, o in enumerate(by_option)}  # the spec's order
        # which of them apply to an entry, tested by code generated per kind (`_applies_source`)
        self._applies: dict[str, tuple[list[_Compiled], Callable | None]] = {}
        for kind, (of_contract, by_option) in self._effective.items():
            todo = of_contract + [c for cs in by_option.values() for c in cs]
            self._applies[kind] = (todo, _compile_applies(tariff.id, kind, of_contract, by_option) if todo else None)
        # whether no takes-effect day can apply to a new order whose contracts had no options
        # (the decoders give every contract of a new order an empty state before): then `effective`
        # answers such an order, most of what order entry checks, without a test per contract
        self._none_for_new = all(
            all(_needs_other_request(c.when_node) for c in of_contract)
            and all(_needs_other_request(c.when_node) or _needs_had(c.when_node, name)
                    for name, cs in by_option.items() for c in cs)
            for of_contract, by_option in self._effective.values())
        # the renewing terms a notice can stop, by kind and subject, for the check result
        self._terms: dict[tuple[str, str | None], list[_Compiled]] = {}
        for kind, cs in self._by_kind.items():
            for c in cs:
                if isinstance(c.decl, M.Period) and c.decl.renews and c.decl.notice is not None:
                    self._terms.setdefault((kind, c.subject), []).append(c)

    def effective_as(self, other: "DateCalculator") -> bool:
        """Whether `effective` gives the same days as `other`'s for every order. It reads only the
        takes-effect declarations (by kind, subject and the spec's order of options) and the
        renewing periods beside them; when those are equal, all but where the spec writes them
        (a new version of a tariff moves lines), the two are the same function. impact/judge.py
        then works out a row's days once for both versions."""
        if other is self:
            return True
        return self._days_read() == other._days_read()

    def _days_read(self) -> tuple:
        def declared(cs: list[_Compiled]) -> list:
            return [(dataclasses.replace(c.decl, span=None), c.subject) for c in cs]

        return ({kind: (declared(mine), {o: declared(cs) for o, cs in by_option.items()})
                 for kind, (mine, by_option) in self._effective.items()},
                self._option_at, {key: declared(cs) for key, cs in self._terms.items()})

    def days(self, order: Order, reference: date | None = None) -> list[DerivedDay]:
        """Every day for every contract of the order. `reference` picks the current term of a
        renewing contract term; by default the requested day, else the notice or application day."""
        if reference is None:
            reference = _reference(order)
        out: list[DerivedDay] = []
        for entry in order.contracts:
            out.extend(self._given(entry))
            for c in self._by_kind[entry.kind]:
                out.extend(self._one(c, order, entry, reference))
        return out

    def effective(self, order: Order) -> list[EffectiveDay]:
        """The days on which the request takes effect, contract by contract: each `derive …
        takes_effect` that applies to the order, with the day the request asked for."""
        if self._none_for_new and order.request == "new":
            for entry in order.contracts:
                if entry.old.options:
                    break
            else:
                return []
        out: list[EffectiveDay] = []
        for entry in order.contracts:
            todo, applies = self._applies[entry.kind]
            if applies is None:
                continue
            # most requests take effect on no day (a new order: no cancellation, no option stopped)
            for i in applies(order, entry):
                c = todo[i]
                days = self._one(c, order, entry, None)
                if not days:
                    continue
                requested = order.dates.get("requested_date")
                asked = date.fromordinal(requested) if requested is not None else None
                # the terms are worked out only for a day that is shown beside them
                terms = tuple(t for p in self._terms.get((entry.kind, c.subject), ())
                              for t in self._one(p, order, entry, _reference(order)))
                for d in days:
                    out.append(_effective_day(d, asked, terms))
        return out

    def effective_plain(self, order: Order) -> list[EffectiveDay]:
        """`effective` without the generated test of which declarations apply: every declaration of
        the contract and of the options it has or had is tried in turn. The tests compare the two."""
        requested = order.dates.get("requested_date")
        asked = date.fromordinal(requested) if requested is not None else None
        out: list[EffectiveDay] = []
        for entry in order.contracts:
            of_contract, by_option = self._effective[entry.kind]
            todo = list(of_contract)
            if by_option:  # in the spec's order, for the options the contract has or had
                had = [o for o in (*entry.new.options, *entry.old.options) if o in by_option]
                for o in sorted(set(had), key=self._option_at[entry.kind].__getitem__):
                    todo += by_option[o]
            for c in todo:
                days = self._one(c, order, entry, None)
                if not days:
                    continue
                terms = tuple(t for p in self._terms.get((entry.kind, c.subject), ())
                              for t in self._one(p, order, entry, _reference(order)))
                for d in days:
                    out.append(_effective_day(d, asked, terms))
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
        # does the request end the subject (its contract, or the option)?
        ends = entry.cancelled or (subject is not None and subject not in entry.new.options)
        if ends and isinstance(decl, M.Period) and decl.renews:
            # the term a request ends in is the one its day of taking effect falls in
            reference = self._ending_day(order, entry, subject) or reference
        # an option the request ends is read as it was: its start and dates are in `current`
        if subject is not None and subject not in entry.new.options:
            entry = _as_before(entry)
        value = c.value(order, entry)
        is_period = isinstance(decl, M.Period)
        if value is None:
            absent = [f for f in c.reads if field_value(f, order, entry) is None]
            missing = [field_path(f, entry) for f in ([f for f in c.needs if f in absent] or absent)]
            what = ("term_end" if decl.renews else "period_end") if is_period else "derived"
            named = ", ".join(f"`{m}`" for m in missing)
            # a day the order may state instead (`or_else(service_end, …)`): named too, as the other way
            alts = [p for p in (field_path(f, entry) for f in _stated_days(c.node) if f in absent)
                    if p not in missing]
            alt_en = "".join(f", nor states `{a}`" for a in alts)
            alt_ja = "".join(f"(`{a}` の指定もありません)" for a in alts)
            return [_derived_day(**base, what=what, day=None, missing=f"the order gives no {named}{alt_en}",
                               missing_ja=f"注文に {named} の指定がありません{alt_ja}")]
        day = date.fromordinal(value)
        if not is_period:
            stated = c.stated is not None and field_value(c.stated, order, entry) is not None
            # what a request ends is stated as it is now, in `current`
            where = c.stated_before if stated and ends else c.stated
            return [_derived_day(**base, what="derived", day=day,
                               stated=field_path(where, entry) if stated else None)]
        length = {decl.unit + "s": decl.amount}  # unit: day | month | year
        if not decl.renews:
            return [_derived_day(**base, what="period_end", start=day, day=periods.period_last_day(day, **length))]
        return self._term(decl, day, order, ends, reference, base)

    def _ending_day(self, order: Order, entry: ContractEntry, subject: str | None) -> date | None:
        """The day the request makes the contract (subject None) or an option end, when the spec
        derives it: its `takes_effect` day (an option of a cancelled contract ends with it)."""
        of_contract, by_option = self._effective[entry.kind]
        todo = of_contract if subject is None or entry.cancelled else by_option.get(subject, [])
        days = [d for c in todo if (d := self._takes_effect_day(c, order, entry)) is not None]
        return max(days) if days else None

    @staticmethod
    def _takes_effect_day(c: _Compiled, order: Order, entry: ContractEntry) -> date | None:
        """The day of the DerivedDay `_one` gives for a takes-effect declaration (a `derive`),
        without making it: `_ending_day` wants the day alone, for each term's reference."""
        subject = c.subject
        if subject is not None and subject not in entry.new.options and subject not in entry.old.options:
            return None
        if c.when is not None and not c.when(order, entry):
            return None
        if subject is not None and subject not in entry.new.options:
            entry = _as_before(entry)  # as `_one` reads an option the request ends
        value = c.value(order, entry)
        return None if value is None else date.fromordinal(value)

    def _term(self, decl: M.Period, start: date, order: Order, ends: bool, reference: date | None,
              base: dict) -> list[DerivedDay]:
        """A renewing term that starts on `start`: the term the reference day falls in (the first,
        before it starts). When the request ends the term's subject (a cancellation, an option's
        stop) and its notice arrived after the last day for a non-renewal notice of the term it
        arrived in, the term renewed (「…1ヶ月前までに…通知をした場合を除き…自動的に更新」): the
        renewed term is the one shown, and its own last notice day is the next one."""
        lasts = self._lasts(decl, start, reference) if reference is not None else []
        n = max(1, len(lasts))
        renewed, missed = None, None
        arrived = order.dates.get("notice_arrived")
        if decl.notice is not None and ends and arrived is not None:
            upto = self._lasts(decl, start, date.fromordinal(arrived))
            k = max(1, len(upto))
            deadline = self._last_notice(decl, upto[-1] if upto else self._nth(decl, start, 1))
            renewed = date.fromordinal(arrived) > deadline
            missed = deadline if renewed else None
            n = max(n, k + renewed)
        last = self._nth(decl, start, n)
        first = start if n == 1 else periods.add_days(self._nth(decl, start, n - 1), 1)
        term = _derived_day(**base, what="term_end", start=first, day=last, term=n, renewed=renewed, missed=missed)
        if decl.notice is None:
            return [term]  # nothing stops the renewal: no day for a notice
        notice = _derived_day(**dict(base, id=f"{decl.id}.last_notice", note=None), what="last_notice",
                            day=self._last_notice(decl, last), term=n, renewed=renewed, missed=missed)
        return [term, notice]

    @staticmethod
    def _length(decl: M.Period) -> dict:
        months = decl.amount * (12 if decl.unit == "year" else 1)
        return {"days": decl.amount} if decl.unit == "day" else {"months": months}

    def _lasts(self, decl: M.Period, start: date, until: date) -> list[date]:
        length = self._length(decl)
        if "days" in length:  # a term of days: its terms end every `amount` days
            count = (until - start).days // decl.amount + 1 if until >= start else 0
            return [periods.add_days(start, decl.amount * i - 1) for i in range(1, count + 1)]
        return periods.term_last_days(start, until=until, years=0, months=length["months"])

    def _nth(self, decl: M.Period, start: date, n: int) -> date:
        length = self._length(decl)
        if "days" in length:
            return periods.add_days(start, decl.amount * n - 1)
        last = periods.period_last_day(start, months=length["months"])
        for _ in range(n - 1):
            last = periods.period_last_day(last, months=length["months"], first_day_counted=False)
        return last

    @staticmethod
    def _last_notice(decl: M.Period, last: date) -> date:
        """The last day a notice not to renew may arrive, `notice` before the term's last day."""
        amount, unit = decl.notice
        if unit == "day":
            return periods.add_days(last, -amount)
        return periods.last_notice_day(last, months=amount * (12 if unit == "year" else 1))


def _compile_applies(tariff_id: str, kind: str, of_contract: list[_Compiled],
                     by_option: dict[str, list[_Compiled]]) -> Callable[[Order, ContractEntry], list[int]]:
    """`applies(order, entry)`: the positions, in `of_contract` followed by each option's
    declarations in the spec's order, of the takes-effect declarations whose `when` holds for the
    entry (an option's only when the contract has or had the option), in that order: what `_one`
    tests first. One call per entry tests the contract's, reading the entry once; an option's are
    tested by a function of the option, found by name, so an option the entry neither has nor had
    costs nothing."""
    g = _Gen()
    at = 0

    def tests(cs: list[_Compiled]) -> list[str]:
        nonlocal at
        lines = []
        for c in cs:
            cond = "True" if c.when_node is None else g.truth(ir.And((ir.defined(c.when_node), c.when_node)))
            lines += [f"    if {cond}:  # {c.decl.id}" + (f":{c.subject}" if c.subject else ""),
                      f"        found.append({at})"]
            at += 1
        return lines

    chunks = []
    for name, cs in [(None, of_contract), *by_option.items()]:
        g.used = set()
        body = tests(cs)
        pre = [f"    {n} = {src}" for n, src in _LOCALS.items() if n in g.used]
        head = "def applies(o, e):\n    found = []" if name is None else f"def option_{len(chunks) - 1}(o, e, found):  # {name}"
        chunks.append("\n".join([head, *pre, *body, *(["    return found"] if name is None else [])]))
    src = "\n\n".join(chunks) + "\n"
    filename = f"<tariffcheck.derived_dates {tariff_id}:{kind}:takes_effect>"
    namespace: dict[str, object] = {"_fromordinal": date.fromordinal, "_add_months": _add_months,
                                    "_day_fns": _day_fns, **g.consts}
    exec(compile(src, filename, "exec"), namespace)
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    of_entry = namespace["applies"]
    if not by_option:
        return of_entry
    tests_of = {name: namespace[f"option_{k}"] for k, name in enumerate(by_option)}
    position = {name: k for k, name in enumerate(by_option)}
    # an option whose every declaration applies only when the contract had it (`when removed(it)`
    # requires `it` in the current state) is looked for in the current state alone: a new order
    # has none, and a change request's current options are few
    anywhere = {name for name, cs in by_option.items() if not all(_needs_had(c.when_node, name) for c in cs)}

    def applies(order: Order, entry: ContractEntry) -> list[int]:
        found = of_entry(order, entry)
        old = entry.old.options
        had = [x for x in old if x in position] if old else []
        if anywhere:
            had += [x for x in entry.new.options if x in anywhere and x not in old]
        if not had:
            return found
        if len(had) > 1:
            had.sort(key=position.__getitem__)
        for x in had:
            tests_of[x](order, entry, found)
        return found

    return applies


def _needs_had(when: ir.Node | None, option: str) -> bool:
    """Whether `when` holds only for a contract that had `option` before the request: it is, or
    is a conjunction of, the option in the current state and more."""
    parts = when.operands if isinstance(when, ir.And) else (when,)
    return any(isinstance(p, ir.Field) and p.kind == "opt" and p.state == "old" and p.path == (option,)
               for p in parts)


def _needs_other_request(when: ir.Node | None) -> bool:
    """Whether `when` holds only for a request other than a new order: it is, or is a conjunction
    of, a test of the request's kind (`is_cancellation`, `is_change`) and more."""
    parts = when.operands if isinstance(when, ir.And) else (when,)
    return any(isinstance(p, ir.Field) and p.kind == "request" and p.path[0] != "new" for p in parts)


def _reference(order: Order) -> date | None:
    """The day that picks the current term of a renewing term: the requested day, else the day
    the notice arrived, else the application day."""
    for name in ("requested_date", "notice_arrived", "application_date"):
        if name in order.dates:
            return date.fromordinal(order.dates[name])
    return None


def _needed_dates(node: ir.Node) -> list[ir.Field]:
    """The date fields without which the expression has no value: those its `ir.defined` condition
    requires outright, reading each `or_else` as its fallback (a day the order may leave out,
    `or_else(requested_date, …)` or `or_else(ends_on, …)`, is not among them)."""
    cond = ir.defined(_fallbacks(node))
    parts = cond.operands if isinstance(cond, ir.And) else (cond,)
    return [p.field for p in parts if isinstance(p, ir.Given)]


def _stated_days(node: ir.Node) -> list[ir.Field]:
    """The days of a contract or option that the expression takes when the order states them
    (`or_else(service_end, …)`, `or_else(ends_on, …)`): another way to give the day."""
    out: list[ir.Field] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ir.OrElse) and isinstance(n.first, ir.Field) and n.first.kind in ("date", "optdate"):
            out.append(n.first)
        for f in dataclasses.fields(n):
            value = getattr(n, f.name)
            if isinstance(value, ir.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(x for x in value if isinstance(x, ir.Node))
    return out


def _fallbacks(node: ir.Node) -> ir.Node:
    """The expression with each `or_else(x, fallback)` replaced by its fallback."""
    if isinstance(node, ir.OrElse):
        return _fallbacks(node.fallback)
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, ir.Node):
            changes[f.name] = _fallbacks(value)
        elif isinstance(value, tuple) and value and all(isinstance(x, ir.Node) for x in value):
            changes[f.name] = tuple(_fallbacks(x) for x in value)
    return dataclasses.replace(node, **changes) if changes else node
