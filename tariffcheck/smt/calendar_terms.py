"""The month arithmetic of `tariffcheck.dates.periods` as Z3 integer terms over day numbers
(`date.toordinal()`: 0001-01-01 is 1), so that rules about month ends, periods and erasure days
can be solved over, not only evaluated.

The conversion between a day number and (year, month, day) follows H. Hinnant's civil-calendar
arithmetic ("chrono-compatible low-level date algorithms"), as `encode.day_of_month` does: years
are counted from 1 March, so a leap day is the last day of its year and the month lengths from
March on follow the fixed pattern that `(153 * m + 2) / 5` reproduces. Every division is by a
constant (Z3 rounds it down), so the terms stay in linear integer arithmetic; the only other
constructs are `If` and comparisons.

Hinnant's 400-year eras cost four more divisions per conversion than the solver needs for the
day range it works in (`orders.decode.FIRST_DAY` … `LAST_DAY`, 1900-01-01 … 2200-12-31). Here the
days are counted in 4-year cycles that all end on a leap day, and the day number is first
shifted past the leap days that the Gregorian calendar skips (1900-02-29, 2100-02-29, …), as if
they existed; a real date never lands on one. Inverting the terms is then several times faster.
The skipped days are listed for a century on either side of the range, so the terms are exact
on `EXACT_FIRST` … `EXACT_LAST` (1800-01-01 … 2300-12-31): month arithmetic on a day of the range
stays exact even when its result leaves the range. Beyond that window they are wrong, so a
caller bounds its day variables (encode's axioms do).

Each function takes a day number as a Z3 integer term (or a Python int) and returns terms in the
term's context. Month counts (`k`) are Python ints: they come from the tariff, not from an order.
"""

from __future__ import annotations

import calendar
from datetime import date

import z3

from ..dates.periods import DATA_ERASURE
from ..model.limits import FIRST_DAY, LAST_DAY

EXACT_FIRST, EXACT_LAST = date(FIRST_DAY.year - 100, 1, 1), date(LAST_DAY.year + 100, 12, 31)

# the century years of the window that are not leap years: their 29 February is skipped
_SKIPPED_YEARS = tuple(y for y in range(EXACT_FIRST.year, EXACT_LAST.year + 1)
                       if y % 100 == 0 and not calendar.isleap(y))
_SKIPPED = tuple(date(y, 3, 1).toordinal() for y in _SKIPPED_YEARS)  # 1 March, where each would be
# a March 1 before the window that starts a 4-year cycle (its 4th year ends on a leap day)
_CYCLE_BASE_YEAR = EXACT_FIRST.year - EXACT_FIRST.year % 4 - 4
_CYCLE_BASE = date(_CYCLE_BASE_YEAR, 3, 1).toordinal()
_DAYS_PER_CYCLE = 4 * 365 + 1


def civil_from_days(n) -> tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]:
    """The (year, month, day) of the day number n; month 1 is January."""
    n = _term(n)
    shifted = n + z3.Sum([z3.If(n >= s, 1, 0) for s in _SKIPPED] + [z3.IntVal(0, n.ctx)])
    z = shifted - _CYCLE_BASE
    cycle = z / _DAYS_PER_CYCLE
    doc = z - cycle * _DAYS_PER_CYCLE  # day of the cycle, 0 … 1460
    yoc = (doc - doc / 1460) / 365  # year of the cycle, 0 … 3
    doy = doc - 365 * yoc  # day of the March-based year, 0 … 365
    mp = (5 * doy + 2) / 153  # March-based month, 0 = March … 11 = February
    day = doy - (153 * mp + 2) / 5 + 1
    month = z3.If(mp < 10, mp + 3, mp - 9)
    year = _CYCLE_BASE_YEAR + 4 * cycle + yoc + z3.If(mp < 10, 0, 1)
    return year, month, day


def days_from_civil(year, month, day) -> z3.ArithRef:
    """The day number of (year, month, day); the date is taken as valid."""
    ctx = _context(year, month, day)
    year, month, day = _term(year, ctx), _term(month, ctx), _term(day, ctx)
    y = year - z3.If(month <= 2, 1, 0) - _CYCLE_BASE_YEAR  # March-based years since the base
    cycle = y / 4
    yoc = y - 4 * cycle
    mp = z3.If(month > 2, month - 3, month + 9)
    doy = (153 * mp + 2) / 5 + day - 1
    shifted = _CYCLE_BASE + cycle * _DAYS_PER_CYCLE + 365 * yoc + doy
    # the i-th skipped leap day moves the days after it by i + 1 in the shifted count
    return shifted - z3.Sum([z3.If(shifted >= s + i + 1, 1, 0) for i, s in enumerate(_SKIPPED)]
                            + [z3.IntVal(0, ctx)])


def is_leap_year(year) -> z3.BoolRef:
    """Whether the year (in the window) is a leap year: 2000 is, 1900, 2100 and 2200 are not."""
    year = _term(year)
    return z3.And([year % 4 == 0] + [year != y for y in _SKIPPED_YEARS])


def days_in_month(year, month) -> z3.ArithRef:
    """The number of days of the month (in the window)."""
    ctx = _context(year, month)  # data_erasure_day gives the month as an int
    year, month = _term(year, ctx), _term(month, ctx)
    return z3.If(month == 2, z3.If(is_leap_year(year), 29, 28),
                 z3.If(z3.Or(month == 4, month == 6, month == 9, month == 11), 30, 31))


def add_months(n, k: int) -> z3.ArithRef:
    """periods.add_months: the day with n's day number k months later (earlier for k < 0),
    clamped to that month's last day."""
    year, month, day = civil_from_days(n)
    first, length = _month_k_later(year, month, k)
    return first + z3.If(day <= length, day, length) - 1


def end_of_month(n) -> z3.ArithRef:
    """periods.end_of_month: the last day of n's month."""
    n = _term(n)
    year, month, day = civil_from_days(n)
    return n - day + days_in_month(year, month)


def day_of_month(n) -> z3.ArithRef:
    """The day of the month of n (1 … 31)."""
    return civil_from_days(n)[2]


def end_of_quarter(n) -> z3.ArithRef:
    """periods.end_of_quarter: the last day of n's calendar quarter."""
    year, month, _ = civil_from_days(n)
    last_month = (month - 1) / 3 * 3 + 3
    return days_from_civil(year, last_month, days_in_month(year, last_month))


def first_of_next_month(n) -> z3.ArithRef:
    """periods.first_of_next_month."""
    return end_of_month(n) + 1


def period_last_day_months(n, k: int, first_day_counted: bool = True) -> z3.ArithRef:
    """periods.period_last_day(n, months=k): the last day of a k-month period (民法 第143条) whose
    first day is n (first_day_counted, the billing start) or the day after n (第140条)."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"a period needs at least one month: `k={k}`")
    first_day = _term(n) if first_day_counted else _term(n) + 1
    year, month, day = civil_from_days(first_day)
    first, length = _month_k_later(year, month, k)
    # the day before the corresponding day, or the month's last day when it has none
    return first - 1 + z3.If(day <= length, day - 1, length)


def data_erasure_day(n) -> z3.ArithRef:
    """periods.data_erasure_day: FENCE-Mobile RemoteManager 16., from the table DATA_ERASURE."""
    year, month, _ = civil_from_days(n)
    out = None
    for end_months, erasure_month, years_later in reversed(DATA_ERASURE):
        y = year + years_later
        last = days_from_civil(y, erasure_month, 1) + days_in_month(y, erasure_month) - 1
        out = last if out is None else z3.If(z3.Or([month == m for m in end_months]), last, out)
    return out


def _month_k_later(year, month, k: int) -> tuple[z3.ArithRef, z3.ArithRef]:
    """The first day and the length of the month k months after (year, month)."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"`k` must be an integer, not `{k!r}`")
    months = year * 12 + (month - 1) + k
    y = months / 12
    m = months - 12 * y + 1
    return days_from_civil(y, m, 1), days_in_month(y, m)


def _context(*xs) -> z3.Context | None:
    """The context of the first Z3 term among xs, for the ints beside it."""
    return next((x.ctx for x in xs if isinstance(x, z3.ExprRef)), None)


def _term(x, ctx: z3.Context | None = None) -> z3.ArithRef:
    if isinstance(x, z3.ArithRef):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return z3.IntVal(x, ctx)
    raise TypeError(f"expected a Z3 integer term or an int, not `{x!r}`")
