"""The fees a tariff defines for one order: initial, monthly and one-off amounts, and the
early-termination charge, each with its clause.

Amounts the text gives are computed; amounts "quoted separately" (当社が別途契約者に示す金額)
come from a price book the caller supplies, and one the book lacks is reported as such, never as
zero. Monthly fees are whole-month amounts: the tariffs here say that no daily proration applies
(日割計算が適用されません), except SmartKey's account fee, whose daily factor is `daily_factor`.
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from ..dates import periods
from ..model import tariff as M
from ..model.citation import Citation
from ..common.diagnostics import Diagnostic, DiagnosticError
from ..orders.order import ContractEntry, Order
from .concrete import ValueFn, compile_value
from .derived_dates import DerivedDay


@dataclass(frozen=True)
class QuoteLine:
    fee: str  # the fee's id in the spec
    label: str
    kind: str  # initial | monthly | one_off | early_termination
    citation: Citation | None
    contract: str
    contract_index: int
    subject: str | None
    amount: int | None  # yen; None when it cannot be computed (see `missing`)
    basis: str  # how the amount is made, e.g. "300 yen × 12"
    missing: str | None = None
    note: str | None = None
    basis_ja: str = ""  # `basis` and `missing` in Japanese, for reports in --lang ja
    missing_ja: str | None = None
    due: M.Due | None = None  # when the tariff says this kind of fee falls due
    due_day: date | None = None  # that day, when it is a day the order gives


def daily_factor(days_used: int, days_in_month: int) -> Decimal:
    """SmartKey 別紙1 備考(1): an account's daily factor, its days of use over the month's days,
    with the fourth decimal place and beyond cut off (小数点第四位を切り捨て): 3 decimals."""
    if not 0 <= days_used <= days_in_month or days_in_month not in (28, 29, 30, 31):
        raise ValueError(f"`{days_used}` days of use in a month of `{days_in_month}` days is impossible")
    return (Decimal(days_used) / Decimal(days_in_month)).quantize(Decimal("0.001"), rounding=ROUND_DOWN)


def month_of(text: str) -> date:
    """The first day of the month `YYYY-MM` names."""
    try:
        year, month = (int(x) for x in text.split("-"))
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        return date(year, month, 1)
    except ValueError:
        raise ValueError(f"`{text}` is not a month; write it `YYYY-MM`, e.g. `2026-05`") from None


def read_price_book(data: object, tariff: M.Tariff, source: str = "price book") -> dict[str, int]:
    """{"tariff": ID, "prices": {KEY: yen}}; every key must be a price the tariff quotes."""
    keys = quoted_keys(tariff)
    diags = []
    if not isinstance(data, dict) or not isinstance(data.get("prices"), dict):
        raise DiagnosticError([Diagnostic("P001", f"the {source} is not `{{\"prices\": {{KEY: yen}}}}`", field="",
                                          help="keys: " + ", ".join(sorted(keys)))])
    out = {}
    for key, value in data["prices"].items():
        if key not in keys:
            from ..common.diagnostics import did_you_mean
            diags.append(Diagnostic("P001", f"`{key}` is not a price `{tariff.id}` quotes", field=f"prices.{key}",
                                    help=did_you_mean(key, keys) or "keys: " + ", ".join(sorted(keys))))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            diags.append(Diagnostic("P001", f"the price of `{key}` must be a whole number of yen, 0 or more",
                                    field=f"prices.{key}"))
        else:
            out[key] = value
    if diags:
        raise DiagnosticError(diags)
    return out


def quoted_keys(tariff: M.Tariff) -> set[str]:
    return {line.price_key for f in tariff.fees for lines in f.by_subject.values() for line in lines
            if line.kind == "quoted"}


class FeeCalculator:
    """Compiled once per tariff; `quote(order, days, prices)` computes the amounts for one order."""

    def __init__(self, tariff: M.Tariff):
        self.tariff = tariff
        self._fns: dict[int, ValueFn] = {}
        self._takes_effect = {d.id for d in tariff.derived if d.takes_effect}
        for f in tariff.fees:
            for subject, lines in f.by_subject.items():
                for i, line in enumerate(lines):
                    label = f"{tariff.id}:fee:{f.id}:{subject}:{i}"
                    for part in (line.when, line.per, line.formula):
                        if part is not None:
                            self._fns[id(part)] = compile_value(part, label)[1]

    def quote(self, order: Order, days: list[DerivedDay], prices: dict[str, int],
              month: date | None = None) -> list[QuoteLine]:
        """Every fee of the order; with `month` (its first day), the monthly fees owed for that
        month only, each on the contract as it stands on the month's first day."""
        out: list[QuoteLine] = []
        for entry in order.contracts:
            monthly: dict[tuple[str, str | None], list[QuoteLine]] = {}
            later = []
            on_first = self._state_on(order, entry, month) if month is not None else entry
            for f in self.tariff.fees:
                if f.scope != entry.kind or (month is not None and f.kind != "monthly"):
                    continue
                due = next((d for d in self.tariff.dues if d.kind == f.kind and d.scope == entry.kind), None)
                for subject, lines in f.by_subject.items():
                    ended = subject is not None and subject not in entry.new.options
                    if ended and subject not in entry.old.options:
                        continue
                    if f.kind == "initial" and not _applies_for(order, entry, subject):
                        continue  # 第11条 and the like: owed on the application that orders it, once
                    # an option the request ends: its fees as they were, for the charge of ending it
                    was = dataclasses.replace(entry, new=entry.old) if ended else entry
                    if month is not None and not ended and (subject is None or subject in on_first.new.options):
                        was = on_first  # 18.(3) and the like: the contract as it is on the month's 1st
                    for line in lines:
                        if line.kind == "remaining":
                            if month is None and (line.when is None or self._fns[id(line.when)](order, entry)):
                                later.append((f, subject, line))
                            continue
                        if line.when is not None and not self._fns[id(line.when)](order, was):
                            continue
                        q = self._line(f, subject, line, order, was, prices, month)
                        if q is None:
                            continue  # a one-off fee whose cause the usage record does not give
                        q = dataclasses.replace(q, due=due, due_day=_due_day(due, was, subject))
                        if f.kind == "monthly":
                            monthly.setdefault((f.id, subject), []).append(q)
                        if month is not None:
                            q = self._in_month(q, f, entry, subject, order, days, month)
                            if q is not None:
                                out.append(q)
                        elif not ended:
                            out.append(q)
            for f, subject, line in later:
                q = self._remaining(f, subject, line, entry, days, monthly)
                if q is not None:
                    out.append(q)
        return out

    def _state_on(self, order: Order, entry: ContractEntry, first: date) -> ContractEntry:
        """The contract as it stands on a month's first day: a change applies from the day it
        asks for (`requested_date`); one that names no day is read as in effect."""
        if order.request != "change":
            return entry
        asked = order.dates.get("requested_date")
        if asked is None or asked <= first.toordinal():
            return entry
        return dataclasses.replace(entry, new=entry.old)

    def _in_month(self, q: QuoteLine, f: M.Fee, entry: ContractEntry, subject: str | None, order: Order,
                  days: list[DerivedDay], first: date) -> QuoteLine | None:
        """A monthly amount as owed for the month starting `first`: nothing before billing starts
        or after the contract or option ended, and a part month billed whole (the texts'
        日割計算が適用されません; READINGS.md). None: the option is not in the order that month."""
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        start = q.due_day
        end = _end_day(order, entry, subject, days, self._takes_effect)
        ym = f"{first:%Y-%m}"
        if start is not None and start > last:
            return dataclasses.replace(q, amount=0, missing=None, missing_ja=None,
                                       basis=f"not owed for {ym}: billing starts {start}",
                                       basis_ja=f"{ym} は対象外: 課金開始日は {start}")
        if end is not None and end < first:
            if subject is not None and subject not in entry.new.options:
                return None  # an option that stopped before the month: not in the order any more
            return dataclasses.replace(q, amount=0, missing=None, missing_ja=None,
                                       basis=f"not owed for {ym}: ended {end}", basis_ja=f"{ym} は対象外: {end} に終了")
        if subject is not None and subject not in entry.new.options and end is None:
            return None
        part = (start is not None and start > first) or (end is not None and end < last)
        if part:
            since, until = max(start or first, first), min(end or last, last)
            span, span_ja = f"{since} to {until}", f"{since}〜{until}"
            if f.whole_months is not None:
                why_en, why_ja = f"日割計算が適用されません ({f.whole_months})", f"日割計算が適用されません ({f.whole_months})"
            else:
                why_en, why_ja = "not prorated (READINGS.md)", "日割計算なし (READINGS.md)"
            q = dataclasses.replace(q, basis=_join(q.basis, f"{ym}: billed {span}, a whole month: {why_en}"),
                                    basis_ja=_join(q.basis_ja or q.basis, f"{ym}: {span_ja} の利用、1 か月分: {why_ja}"))
        elif start is None and q.due is not None and q.due.start is not None:
            q = dataclasses.replace(q, basis=_join(q.basis, f"if billed in {ym} (the order gives no {q.due.start})"),
                                    basis_ja=_join(q.basis_ja or q.basis, f"{ym} に課金される場合 (注文に {q.due.start} がありません)"))
        return q

    def _base(self, f: M.Fee, subject, line: M.FeeLine, entry: ContractEntry) -> dict:
        return dict(fee=f.id, label=f.label, kind=f.kind, citation=f.citation, contract=entry.id,
                    contract_index=entry.index, subject=subject, note=line.note)

    def _line(self, f, subject, line, order, entry, prices, month: date | None = None) -> QuoteLine | None:
        base = self._base(f, subject, line, entry)
        if line.usage is not None:
            return self._per_usage(f, line, order, entry, prices, base, month)
        units = self._fns[id(line.per)](order, entry) if line.per is not None else None
        if line.kind == "formula":
            value = self._fns[id(line.formula)](order, entry)
            return QuoteLine(**base, amount=value, basis="formula", basis_ja="計算式")
        if line.kind == "yen":
            price, basis, basis_ja = line.yen, f"{line.yen:,} yen", f"{line.yen:,} 円"
        else:
            price = prices.get(line.price_key)
            if price is None:
                key = line.price_key
                return QuoteLine(**base, amount=None, basis="quoted separately", basis_ja="当社が別途契約者に示す金額",
                                 missing=f"price quoted separately: the price book has no `{key}`",
                                 missing_ja=f"当社が別途契約者に示す金額: 価格表に `{key}` がありません")
            basis = f"{price:,} yen (price book `{line.price_key}`)"
            basis_ja = f"{price:,} 円 (価格表の `{line.price_key}`)"
        if units is None:
            return QuoteLine(**base, amount=price, basis=basis, basis_ja=basis_ja)
        return QuoteLine(**base, amount=price * units, basis=f"{basis} × {units}", basis_ja=f"{basis_ja} × {units}")

    def _per_usage(self, f, line, order, entry, prices, base, month) -> QuoteLine | None:
        """An amount per the month's usage (別紙1 2(1) 備考(1), SmartKey 別紙1 備考(1), Secure
        Endpoint 別紙1 3): the count the contract's usage record gives for the month; without one,
        the line's fallback (`or REF`), else nothing for a one-off fee (no cause recorded) and a
        missing amount for any other. A usage `per option` is the count the record gives for the
        fee's option (別紙1 2(2) なお)."""
        u = self.tariff.contracts[entry.kind].usage[line.usage]
        where = f" ({u.citation})" if u.citation is not None else ""
        of_month = entry.usage_month is not None and (month is None or entry.usage_month == month.toordinal())
        record = entry.option_usage.get(base["subject"], {}) if u.per_option else entry.usage
        value = record.get(line.usage) if of_month else None
        ym = f"{date.fromordinal(entry.usage_month):%Y-%m}" if entry.usage_month is not None else None
        if line.usage_over:
            if value is None:
                return None  # nothing detected for the month: no amount beyond the contract's
            limit = self._fns[id(line.per)](order, entry)
            if limit is None:
                return QuoteLine(**base, amount=None, basis="", missing=f"the order gives no count to set `{u.id}` against",
                                 missing_ja=f"注文に `{u.id}` と比べる数量がありません")
            over = max(0, value - limit)
            value_text = f"{over} ({value} used in {ym} beyond {limit}{where})"
            value_text_ja = f"{over} ({ym} の利用 {value} のうち {limit} を超える分{where})"
            if line.kind != "yen" and prices.get(line.price_key) is None:
                return QuoteLine(**base, amount=None, basis=f"quoted separately × {value_text}",
                                 basis_ja=f"当社が別途契約者に示す金額 × {value_text_ja}",
                                 missing=f"price quoted separately: the price book has no `{line.price_key}`",
                                 missing_ja=f"当社が別途契約者に示す金額: 価格表に `{line.price_key}` がありません")
            price = line.yen if line.kind == "yen" else prices[line.price_key]
            return QuoteLine(**base, amount=price * over, basis=f"{price:,} yen × {value_text}",
                             basis_ja=f"{price:,} 円 × {value_text_ja}")
        if value is None:
            if line.per is not None:
                units = self._fns[id(line.per)](order, entry)
                q = self._line(f, base["subject"], dataclasses.replace(line, usage=None), order, entry, prices)
                why = f"no usage `{u.id}`{where} for the month: the count the order states"
                why_ja = f"当月の `{u.id}`{where} の利用実績がないため、注文の数量"
                return dataclasses.replace(q, basis=_join(q.basis, why), basis_ja=_join(q.basis_ja or q.basis, why_ja)) \
                    if units is not None else q
            if f.kind == "one_off":
                return None
            return QuoteLine(**base, amount=None, basis="", missing=f"the order's usage gives no `{u.id}`{where} for the month",
                             missing_ja=f"注文の usage に当月の `{u.id}`{where} がありません")
        if line.kind == "yen":
            price, key_en, key_ja = line.yen, f"{line.yen:,} yen", f"{line.yen:,} 円"
        else:
            price = prices.get(line.price_key)
            key_en = f"{price:,} yen (price book `{line.price_key}`)" if price is not None else ""
            key_ja = f"{price:,} 円 (価格表の `{line.price_key}`)" if price is not None else ""
        if u.each:
            days = calendar.monthrange(date.fromordinal(entry.usage_month).year,
                                       date.fromordinal(entry.usage_month).month)[1]
            factors = [daily_factor(d, days) for d in value]
            total = sum(factors, Decimal(0))
            terms = " + ".join(str(x) for x in factors) or "0"
            made = f"daily factors of {len(value)} account(s) in {ym}, {terms} = {total}{where}"
            made_ja = f"{ym} の {len(value)} アカウントの日割係数 {terms} = {total}{where}"
            if price is None:
                return QuoteLine(**base, amount=None, basis=made, basis_ja=made_ja,
                                 missing=f"price quoted separately: the price book has no `{line.price_key}`",
                                 missing_ja=f"当社が別途契約者に示す金額: 価格表に `{line.price_key}` がありません")
            amount = total * price
            cut = "" if amount == amount.to_integral_value() else "; cut to whole yen (the text does not say how)"
            cut_ja = "" if not cut else "; 円未満切り捨て (本文に定めなし)"
            return QuoteLine(**base, amount=int(amount), basis=f"{key_en} × {total} ({made}){cut}",
                             basis_ja=f"{key_ja} × {total} ({made_ja}){cut_ja}")
        made, made_ja = f"usage `{u.id}` in {ym}{where}", f"{ym} の利用実績 `{u.id}`{where}"
        if price is None:
            return QuoteLine(**base, amount=None, basis=f"quoted separately × {value} ({made})",
                             basis_ja=f"当社が別途契約者に示す金額 × {value} ({made_ja})",
                             missing=f"price quoted separately: the price book has no `{line.price_key}`",
                             missing_ja=f"当社が別途契約者に示す金額: 価格表に `{line.price_key}` がありません")
        return QuoteLine(**base, amount=price * value, basis=f"{key_en} × {value} ({made})",
                         basis_ja=f"{key_ja} × {value} ({made_ja})")

    def _remaining(self, f, subject, line, entry, days, monthly) -> QuoteLine | None:
        """The charge for ending early, or None when nothing ends (the derived day does not apply)."""
        base = self._base(f, subject, line, entry)
        period_id, day_id, monthly_id = line.remaining
        mine = [d for d in days if d.contract_index == entry.index]
        period = next((d for d in mine if d.id == period_id and d.subject == subject
                       and d.what in ("period_end", "term_end")), None)
        end = next((d for d in mine if d.id == day_id and d.subject in (subject, None)), None)
        fee_lines = monthly.get((monthly_id, subject), [])
        if end is None:
            return None
        if end.day is None:
            return QuoteLine(**base, amount=None, basis="", missing=f"`{day_id}`: {end.missing}",
                             missing_ja=f"`{day_id}`: {end.missing_ja or end.missing}")
        if period is None:
            return None  # the period does not apply to this contract or option
        if period.day is None or period.start is None:
            return QuoteLine(**base, amount=None, basis="", missing=f"`{period_id}`: {period.missing}",
                             missing_ja=f"`{period_id}`: {period.missing_ja or period.missing}")
        months = periods.remaining_months(end.day, period.day, start=period.start)
        if months == 0:
            return QuoteLine(**base, amount=0, basis=f"{period_id} ends {period.day.isoformat()}, "
                             f"before {end.day.isoformat()}",
                             basis_ja=f"{period_id} は {end.day.isoformat()} より前の {period.day.isoformat()} に満了")
        if not fee_lines or any(q.amount is None for q in fee_lines):
            return QuoteLine(**base, amount=None, basis=f"{_months(months)} month(s) × `{monthly_id}`",
                             missing=f"the monthly fee `{monthly_id}` is not known",
                             basis_ja=f"{_months(months)} か月 × `{monthly_id}`",
                             missing_ja=f"月額費用 `{monthly_id}` が分かりません")
        fee = sum(q.amount for q in fee_lines)
        return QuoteLine(**base, amount=int(months * fee),
                         basis=f"{_months(months)} remaining month(s) of {period_id} (to "
                               f"{period.day.isoformat()}) × {fee:,} yen",
                         basis_ja=f"{period_id} の残り {_months(months)} か月 ({period.day.isoformat()} まで) × {fee:,} 円")


def _applies_for(order: Order, entry: ContractEntry, subject: str | None) -> bool:
    """Does the request apply for the contract (a new order) or the option (one it adds)? The
    initial fee falls due when the provider accepts that application, so only such a request
    owes it: a change request does not owe again the initial fee of what the contract has."""
    if subject is None:
        return order.request == "new"
    return not entry.cancelled and subject in entry.new.options and subject not in entry.old.options


def _due_day(due: M.Due | None, entry: ContractEntry, subject: str | None) -> date | None:
    """The day a fee falls due when the tariff makes it a date of the order: an option's own date
    of that name for the option's fee, else the contract's."""
    if due is None or due.start is None:
        return None
    st = entry.new
    opt = st.options.get(subject) if subject is not None else None
    day = opt.dates.get(due.start) if opt is not None else None
    if day is None:
        day = st.dates.get(due.start)
    return date.fromordinal(day) if day is not None else None


def _end_day(order: Order, entry: ContractEntry, subject: str | None, days: list[DerivedDay],
             takes_effect: set[str]) -> date | None:
    """The day a cancellation (subject None) or an option's stop takes effect: the tariff's
    `takes_effect` day, else the day the request asks for; None when nothing ends."""
    stopped = subject is not None and subject in entry.old.options and subject not in entry.new.options
    if not entry.cancelled and not stopped:
        return None
    mine = [d for d in days if d.contract_index == entry.index and d.what == "derived" and d.day is not None]
    for want in ((subject,), (None,)) if subject is not None else ((None,),):
        found = [d.day for d in mine if d.subject in want and d.id in takes_effect]
        if found:
            return found[0]
    asked = order.dates.get("requested_date")
    return date.fromordinal(asked) if asked is not None else None


def _join(basis: str, more: str) -> str:
    return f"{basis}; {more}" if basis else more


def _months(m: Fraction) -> str:
    return str(m.numerator) if m.denominator == 1 else f"{float(m):.3f}"


__all__ = ["FeeCalculator", "QuoteLine", "daily_factor", "month_of", "read_price_book", "quoted_keys"]
