"""The fees a tariff defines for one order: initial, monthly and one-off amounts, and the
early-termination charge, each with its clause.

Amounts the text gives are computed; amounts "quoted separately" (当社が別途契約者に示す金額)
come from a price book the caller supplies, and one the book lacks is reported as such, never as
zero. Monthly fees are whole-month amounts: the tariffs here say that no daily proration applies
(日割計算が適用されません), except SmartKey's account fee, whose daily factor is `daily_factor`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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


def daily_factor(days_used: int, days_in_month: int) -> Decimal:
    """SmartKey 別紙1 備考(1): an account's daily factor, its days of use over the month's days,
    with the fourth decimal place and beyond cut off (小数点第四位を切り捨て): 3 decimals."""
    if not 0 <= days_used <= days_in_month or days_in_month not in (28, 29, 30, 31):
        raise ValueError(f"`{days_used}` days of use in a month of `{days_in_month}` days is impossible")
    return (Decimal(days_used) / Decimal(days_in_month)).quantize(Decimal("0.001"), rounding=ROUND_DOWN)


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
        for f in tariff.fees:
            for subject, lines in f.by_subject.items():
                for i, line in enumerate(lines):
                    label = f"{tariff.id}:fee:{f.id}:{subject}:{i}"
                    for part in (line.when, line.per, line.formula):
                        if part is not None:
                            self._fns[id(part)] = compile_value(part, label)[1]

    def quote(self, order: Order, days: list[DerivedDay], prices: dict[str, int]) -> list[QuoteLine]:
        out: list[QuoteLine] = []
        for entry in order.contracts:
            monthly: dict[tuple[str, str | None], list[QuoteLine]] = {}
            later = []
            for f in self.tariff.fees:
                if f.scope != entry.kind:
                    continue
                for subject, lines in f.by_subject.items():
                    ended = subject is not None and subject not in entry.new.options
                    if ended and subject not in entry.old.options:
                        continue
                    # an option the request ends: its fees as they were, for the charge of ending it
                    was = dataclasses.replace(entry, new=entry.old) if ended else entry
                    for line in lines:
                        if line.kind == "remaining":
                            if line.when is None or self._fns[id(line.when)](order, entry):
                                later.append((f, subject, line))
                            continue
                        if line.when is not None and not self._fns[id(line.when)](order, was):
                            continue
                        q = self._line(f, subject, line, order, was, prices)
                        if f.kind == "monthly":
                            monthly.setdefault((f.id, subject), []).append(q)
                        if not ended:
                            out.append(q)
            for f, subject, line in later:
                q = self._remaining(f, subject, line, entry, days, monthly)
                if q is not None:
                    out.append(q)
        return out

    def _base(self, f: M.Fee, subject, line: M.FeeLine, entry: ContractEntry) -> dict:
        return dict(fee=f.id, label=f.label, kind=f.kind, citation=f.citation, contract=entry.id,
                    contract_index=entry.index, subject=subject, note=line.note)

    def _line(self, f, subject, line, order, entry, prices) -> QuoteLine:
        base = self._base(f, subject, line, entry)
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


def _months(m: Fraction) -> str:
    return str(m.numerator) if m.denominator == 1 else f"{float(m):.3f}"


__all__ = ["FeeCalculator", "QuoteLine", "daily_factor", "read_price_book", "quoted_keys"]
