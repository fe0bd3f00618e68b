"""The period arithmetic of the tariffs: notice periods, minimum usage periods, contract terms
and their renewal, answer deadlines, data-erasure days and early-termination months.

Every function counts the way the project reads the texts (../shared/READINGS.md, "Counting
periods"), and that reading follows 民法 第140条〜第143条:

- 第140条: in a period of days, weeks, months or years, the day it is counted from is not
  counted; the period starts the next day. A text can make a day count as day 1 instead
  (「その起算日は、課金開始日とします」 makes the billing start day 1).
- 第141条: the period is over at the end of its last day.
- 第143条: months and years follow the calendar. A period that does not start at the beginning
  of a month ends on the day before the day of its last month that corresponds to its first day,
  or on that month's last day when the month has no such day.

第142条 (a period whose last day is a holiday ends the next business day, where that is the
custom) is not applied: READINGS.md does not read it into any tariff.

A day is a `datetime.date`. Every "last day" this module returns is inclusive: the period is over
at the end of that day. Where READINGS.md names another reading of a text, a `reading=` keyword
selects it; the default is always the project's reading. Impossible input (a negative length, a
period of no length, a reading that does not exist) raises ValueError.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal, get_args

NoticeReading = Literal["last_day_of_period", "day_after_period", "arrival_day_counted"]
"""How 「到達した日から30日を経過する日」 is read: A + 30 (the default), A + 31, A + 29."""

NoticeDeadlineReading = Literal["clamp", "whole_month"]
"""How 「契約期間満了の1ヶ月前までに」 is read at month ends; see `last_notice_day`."""

ChargeReading = Literal["started_month_whole", "prorated_days"]
"""How the remaining period of an early-termination charge is measured; see `remaining_months`."""

# FENCE-Mobile RemoteManager 16.: the month the service ends → the month whose last day is the
# data-erasure day, and how many years after the end that month falls.
DATA_ERASURE: tuple[tuple[tuple[int, ...], int, int], ...] = (
    # end months    erasure month  years later
    ((1, 2, 3), 6, 0),  # 終了月 1～3月   → 6月末日
    ((4, 5, 6), 9, 0),  # 終了月 4～6月   → 9月末日
    ((7, 8, 9), 12, 0),  # 終了月 7～9月   → 12月末日
    ((10, 11, 12), 3, 1),  # 終了月 10～12月 → 翌年3月末日
)


# ---- plain calendar arithmetic -------------------------------------------------------------

def days_in_month(year: int, month: int) -> int:
    """The number of days of a month of the Gregorian calendar (2000 is a leap year, 2100 not)."""
    return calendar.monthrange(year, month)[1]


def add_days(d: date, k: int) -> date:
    """The day k days after d (before it when k is negative)."""
    _day(d, "d")
    _int(k, "k")
    try:
        return d + timedelta(days=k)
    except OverflowError:
        raise ValueError(f"`{d}` + {k} days is outside the calendar (years 1–9999)") from None


def add_months(d: date, k: int) -> date:
    """The day with d's day number k calendar months after d (before it when k is negative),
    clamped to that month's last day when the month is shorter: 2026-01-31 + 1 → 2026-02-28,
    2024-01-31 + 1 → 2024-02-29, 2026-03-31 - 1 → 2026-02-28.

    This is plain calendar arithmetic, not a period: a period of k months counted from d ends
    on a different day (see `period_last_day`)."""
    _day(d, "d")
    _int(k, "k")
    year, month0 = divmod(d.year * 12 + d.month - 1 + k, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"`{d}` + {k} months is outside the calendar (years 1–9999)")
    month = month0 + 1
    return date(year, month, min(d.day, days_in_month(year, month)))


def add_years(d: date, k: int) -> date:
    """The same day k years later (earlier when k is negative); 29 February becomes the 28th
    in a year that is not a leap year."""
    _int(k, "k")
    return add_months(d, 12 * k)


def end_of_month(d: date) -> date:
    """The last day of d's month."""
    _day(d, "d")
    return d.replace(day=days_in_month(d.year, d.month))


def end_of_quarter(d: date) -> date:
    """The last day of d's calendar quarter (31 March, 30 June, 30 September, 31 December)."""
    return end_of_month(date(d.year, (d.month - 1) // 3 * 3 + 3, 1))


def first_of_next_month(d: date) -> date:
    """The first day of the month after d's month."""
    return add_days(end_of_month(d), 1)


def first_of_month(d: date) -> bool:
    """Whether d is the first day of its month: a change made "only by calendar month"
    (暦月単位でのみ変更) takes effect on such a day (READINGS.md, "Changes")."""
    _day(d, "d")
    return d.day == 1


# ---- periods (民法 第140条, 第143条) ---------------------------------------------------------

def period_last_day(start: date, *, months: int = 0, years: int = 0, days: int = 0,
                    first_day_counted: bool = True) -> date:
    """The last day of a period of `years` years, `months` months and `days` days.

    first_day_counted=True: `start` is day 1 of the period, as the texts make the billing start
    day 1 of a minimum usage period or a contract term (「その起算日は、課金開始日とします」).
    first_day_counted=False: `start` is the day the period is counted from and is not counted
    (第140条); the period starts the next day. Flex Resilience 第17条's 「当該提示から1ヶ月」 is
    such a period (see `answer_deadline`).

    Months and years follow 第143条第2項: with F the period's first day, a period of k months
    ends on the day before the day of the k-th following month that has F's day number, or on
    that month's last day when the month has no such day (F = 2026-04-15, 1 month → 2026-05-14;
    F = 2026-01-31, 1 month → 2026-02-28; F = 2026-04-01, 1 year → 2027-03-31). The months are
    counted from F each time, not chained: F = 2026-01-31, 2 months → 2026-03-30. A period of
    only days ends `days - 1` days after F. When a period has both months and days (no text
    uses one), the days follow the months: it ends `days` days after the months part does.
    """
    _day(start, "start")
    for name, value in (("months", months), ("years", years), ("days", days)):
        _length(value, name)
    total_months = 12 * years + months
    if total_months == 0 and days == 0:
        raise ValueError("a period needs a length: give `months`, `years` or `days` above 0")
    first = start if first_day_counted else add_days(start, 1)
    last = add_days(first, -1)
    if total_months:
        year, month0 = divmod(first.year * 12 + first.month - 1 + total_months, 12)
        month = month0 + 1
        if not 1 <= year <= 9999:
            raise ValueError(f"a period of {total_months} months from `{first}` ends outside the calendar")
        if first.day <= days_in_month(year, month):
            last = add_days(date(year, month, first.day), -1)
        else:
            last = date(year, month, days_in_month(year, month))
    return add_days(last, days)


def notice_effective_day(arrived: date, days: int = 30, requested: date | None = None,
                         term_end: date | None = None, *,
                         reading: NoticeReading = "last_day_of_period") -> date:
    """The day a cancellation (or the end of an option) takes effect when the customer's notice
    arrived on `arrived`: 「当該通知が当社に到達した日から30日を経過する日又は契約者が当該通知において
    解除の効力が生じる日として指定した日のいずれか遅い日」 (Smart Mobile Manager 第8条第7項 and
    第10条, SmartKey 第6条, Flex Resilience 第10条第5項 and 第11条, Secure Endpoint 第8条第8項
    and 第10条).

    The arrival day A is not counted (第140条): the 30 days are A+1 … A+30, and the day on which
    they "have passed" is their last day, A + 30. The cancellation takes effect on the later of
    that day and the day the customer designated:

    - `requested`: the day written in the notice, or
    - `term_end`: the last day of the contract term, where the text lets the customer designate
      it (Secure Endpoint 第8条第8項, 第10条第2項: 「当該サービスの契約期間満了日を含みます」).

    The customer designates one day, so giving both is an error. Readings (READINGS.md):
    "last_day_of_period" A + 30 (default); "day_after_period" A + 31, the first day after the
    30 days; "arrival_day_counted" A + 29.

    >>> notice_effective_day(date(2026, 4, 10))
    datetime.date(2026, 5, 10)
    >>> notice_effective_day(date(2026, 4, 10), requested=date(2026, 6, 30))
    datetime.date(2026, 6, 30)
    """
    _day(arrived, "arrived")
    _length(days, "days", minimum=1)
    _reading(reading, NoticeReading, "notice_effective_day")
    if requested is not None and term_end is not None:
        raise ValueError("the customer designates one day: give `requested` or `term_end`, not both")
    shift = {"last_day_of_period": 0, "day_after_period": 1, "arrival_day_counted": -1}[reading]
    earliest = add_days(arrived, days + shift)
    designated = requested if requested is not None else term_end
    if designated is None:
        return earliest
    _day(designated, "requested" if requested is not None else "term_end")
    return max(earliest, designated)


def within_days_deadline(day: date, days: int = 30) -> date:
    """The last day permitted by 「…日から30日以内」: `day` is not counted (第140条), so the
    deadline is day + 30 (Flex Resilience 第10条第3項(4)'s アカウント数変更期日 and
    第16条第2項's 変更期日, both 「通知を受けた日から30日以内」; Secure Endpoint 第8条第4項(2)'s 「終了日から30日以内」 to return a VPN
    device and (4)'s 「到着日から30日以内」)."""
    _day(day, "day")
    _length(days, "days", minimum=1)
    return add_days(day, days)


# ---- contract terms and their renewal (Secure Endpoint 第3条第2項, 第8条第7項) --------------

def nth_term_last_day(start: date, n: int, *, years: int = 1) -> date:
    """The last day of the n-th term (n = 1 is the first) of a contract term of `years` years
    that starts on the billing start `start` (day 1) and renews automatically 「契約期間満了日から
    さらに1年間」.

    A renewed term is counted from the previous term's last day, which is not counted (第140条),
    so it starts the day after it and is a period of its own (第143条). The terms are chained,
    not counted from `start`: from start 2024-02-29 the terms end 2025-02-28, 2026-02-28,
    2027-02-28 and then 2028-02-29 (the second term starts 2025-03-01), where a 4-year period
    from 2024-02-29 would end 2028-02-28.
    """
    _day(start, "start")
    _length(n, "n", minimum=1)
    _length(years, "years", minimum=1)
    last = period_last_day(start, years=years)
    for _ in range(n - 1):
        last = period_last_day(last, years=years, first_day_counted=False)
    return last


def term_last_days(start: date, *, until: date, years: int = 1, months: int = 0) -> list[date]:
    """The last days of the terms (see `nth_term_last_day`) that start on or before `until`, in
    order; the last one is the last day of the term `until` falls in. Empty when `until` is
    before `start`. A term given in `months` (years=0) is chained the same way."""
    _day(start, "start")
    _day(until, "until")
    _length(years, "years")
    _length(months, "months")
    if 12 * years + months == 0:
        raise ValueError("a term needs a length: give `years` or `months` above 0")
    out: list[date] = []
    first = start
    while first <= until:
        last = period_last_day(first, years=years, months=months)
        out.append(last)
        first = add_days(last, 1)
    return out


def last_notice_day(term_last_day: date, months: int = 1, *,
                    reading: NoticeDeadlineReading = "clamp") -> date:
    """The last day on which a notice not to renew may arrive: 「契約期間満了の1ヶ月前までに」
    (Secure Endpoint 第3条第2項 and 第8条第7項), for a term whose last day is M.

    "clamp" (default): the day with M's day number one month (`months` months) before M,
    clamped to that month's last day: M = 2026-10-14 → 2026-09-14; M = 2026-03-31 → 2026-02-28;
    M = 2026-09-30 → 2026-08-30.

    "whole_month" (READINGS.md's alternative "at month ends"): when M is the last day of its
    month, the whole calendar month(s) up to M must remain after the notice day, so the notice
    may arrive up to the last day of the month before: M = 2026-09-30 → 2026-08-31;
    M = 2026-02-28 → 2026-01-31. On any other M it is the same as "clamp".
    """
    _day(term_last_day, "term_last_day")
    _length(months, "months", minimum=1)
    _reading(reading, NoticeDeadlineReading, "last_notice_day")
    clamped = add_months(term_last_day, -months)
    if reading == "whole_month" and term_last_day == end_of_month(term_last_day):
        return end_of_month(clamped)
    return clamped


# ---- FENCE-Mobile RemoteManager 16. ----------------------------------------------------------

def data_erasure_day(service_end: date) -> date:
    """The day the provider erases the customer's data after the service ends (FENCE-Mobile
    RemoteManager 16.): by the quarter of the month the service ends in, the last day of June,
    September, December, or March of the next year (the table `DATA_ERASURE`).

    `service_end` is the service's last day; its month is the text's 終了月. 2026-03-31 →
    2026-06-30; 2026-04-01 → 2026-09-30; 2026-12-31 → 2027-03-31.
    """
    _day(service_end, "service_end")
    for end_months, erasure_month, years_later in DATA_ERASURE:
        if service_end.month in end_months:
            return end_of_month(date(service_end.year + years_later, erasure_month, 1))
    raise AssertionError("DATA_ERASURE covers every month")  # pragma: no cover


# ---- Flex Resilience 第17条 (the designated service is cancelled) -------------------------------

def answer_deadline(presented: date) -> date:
    """The 回答期日 of Flex Resilience 第17条第2項, 「当該提示から1ヶ月を経過する日」: the
    presentation day P is not counted, the month starts at P + 1 and ends by 第143条
    (P = 2026-04-10 → 2026-05-10; P = 2026-01-30 → 2026-02-28; P = 2026-04-30 → 2026-05-31).
    The customer's answer must arrive on or before this day."""
    return period_last_day(presented, months=1, first_day_counted=False)


def switch_day(deadline: date) -> date:
    """The day the contract becomes Standard/単独 when the customer answers that way in time
    (第17条第3項(1)): 「回答期日の属する月の翌月1日」, the first day of the month after the
    deadline's month, however early the answer came."""
    return first_of_next_month(deadline)


def end_day_without_answer(deadline: date) -> date:
    """The last day of the Standard/同時 contract when no answer arrives by the deadline
    (第17条第4項) or when the customer answers that it is cancelled (第17条第3項(2)):
    「回答期日の属する月の末日」, the last day of the deadline's month."""
    return end_of_month(deadline)


# ---- early-termination charges (Flex Resilience 別紙2, Secure Endpoint 別紙2) ----------------

def remaining_months(termination_effective: date, last_day: date, *, start: date,
                     reading: ChargeReading = "started_month_whole") -> Fraction:
    """How many months of a minimum usage period or contract term remain when the contract (or
    option) ends early: the factor of the monthly fee in the early-termination charge
    (「最低利用期間の残余の期間に対応する…月額費用」).

    The period runs from `start` (day 1, the billing start or a renewed term's first day) to
    `last_day`, which must be the last day of a period of whole months from `start`. Its months
    are the spans between its monthly anniversaries: month i runs from the day after
    period_last_day(start, months=i-1) (from `start` for i = 1) to
    period_last_day(start, months=i). `termination_effective` E is the day the termination takes
    effect, the contract's last day; the remaining period is E+1 … last_day, and nothing remains
    when E is on or after `last_day` (READINGS.md: terminated before the minimum period has
    passed means E is before its last day).

    "started_month_whole" (default; these tariffs do not prorate monthly fees): the number of
    the period's months that end after E. The month E falls in counts whole unless E is its last
    day. "prorated_days": each month counts the fraction of its days that remain after E.

    With start 2026-04-15 and a 12-month period (last day 2027-04-14), the months end on the
    14th; E = 2026-06-20 leaves the months ending 2026-07-14 … 2027-04-14: 10 months, or
    9 + 24/30 prorated (24 of the 30 days 2026-06-15 … 2026-07-14 remain). E = 2026-07-14 leaves
    9; E = 2026-04-20, in the first month, leaves all 12. A 1-month minimum period from
    2026-04-15 ended on E = 2026-05-01 leaves 1 month, or 13/30.

    Months are counted from `start` because the last day alone does not fix the anniversaries:
    the 2-month periods from 2025-12-30 and from 2026-01-01 both end on 2026-02-28, but their
    first months end on 2026-01-29 and 2026-01-31, so E = 2026-01-30 leaves 1 and 2 months.
    A renewed term's months are counted from its own first day.
    """
    _day(termination_effective, "termination_effective")
    _day(last_day, "last_day")
    _day(start, "start")
    _reading(reading, ChargeReading, "remaining_months")
    months = _months_between(start, last_day)
    remaining = Fraction(0)
    month_first = start
    for i in range(1, months + 1):
        month_last = period_last_day(start, months=i)
        if month_last > termination_effective:
            if reading == "started_month_whole":
                remaining += 1
            else:
                left = (month_last - max(termination_effective, add_days(month_first, -1))).days
                remaining += Fraction(left, (month_last - month_first).days + 1)
        month_first = add_days(month_last, 1)
    return remaining


def _months_between(start: date, last_day: date) -> int:
    """k such that last_day == period_last_day(start, months=k), or ValueError."""
    if last_day >= start:
        # the k-th month ends in the k-th following month, or at the end of the one before
        estimate = (last_day.year - start.year) * 12 + last_day.month - start.month
        for k in (estimate, estimate + 1):
            if k >= 1 and period_last_day(start, months=k) == last_day:
                return k
    raise ValueError(f"`{last_day}` is not the last day of a period of whole months starting `{start}`")


# ---- argument checks ---------------------------------------------------------------------------

def _day(value, name: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"`{name}` must be a datetime.date, not `{value!r}`")


def _int(value, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"`{name}` must be an integer, not `{value!r}`")


def _length(value, name: str, minimum: int = 0) -> None:
    _int(value, name)
    if value < minimum:
        bound = "negative" if minimum == 0 else f"below {minimum}"
        raise ValueError(f"`{name}` cannot be {bound}: `{name}={value}`")


def _reading(value, kind, function: str) -> None:
    allowed = get_args(kind)
    if value not in allowed:
        raise ValueError(f"`{value}` is not a reading of {function}; expected one of "
                         + ", ".join(f"`{a}`" for a in allowed))
