"""The period arithmetic of tariffcheck.dates.periods: the examples of READINGS.md ("Counting
periods") verbatim, month ends and leap years, and Hypothesis properties against naive
definitions that walk the calendar day by day or month by month instead of computing."""

from __future__ import annotations

import ast
import doctest
from datetime import date, timedelta
from fractions import Fraction
from math import ceil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tariffcheck.dates import periods as P
from tariffcheck.dates.periods import (
    add_days,
    add_months,
    add_years,
    answer_deadline,
    data_erasure_day,
    end_day_without_answer,
    end_of_month,
    first_of_month,
    first_of_next_month,
    last_notice_day,
    notice_effective_day,
    nth_term_last_day,
    period_last_day,
    remaining_months,
    switch_day,
    term_last_days,
    within_days_deadline,
)

D = date
ONE = timedelta(days=1)


# ---- READINGS.md, "Counting periods", verbatim ------------------------------------------------

BILLING_START = [  # the billing start S is day 1 (第143条第2項)
    pytest.param(D(2026, 4, 15), {"months": 1}, D(2026, 5, 14), id="S=2026-04-15,1-month->2026-05-14"),
    pytest.param(D(2026, 1, 31), {"months": 1}, D(2026, 2, 28), id="S=2026-01-31,1-month->2026-02-28"),
    pytest.param(D(2026, 4, 1), {"years": 1}, D(2027, 3, 31), id="S=2026-04-01,1-year->2027-03-31"),
]


@pytest.mark.parametrize("start, length, last", BILLING_START)
def test_readings_period_counted_from_billing_start(start, length, last):
    assert period_last_day(start, **length) == last


PRESENTATION = [  # Flex Resilience 第17条: the presentation day P is not counted
    pytest.param(D(2026, 4, 10), D(2026, 5, 10), id="P=2026-04-10->2026-05-10"),
    pytest.param(D(2026, 1, 30), D(2026, 2, 28), id="P=2026-01-30->2026-02-28"),
    pytest.param(D(2026, 4, 30), D(2026, 5, 31), id="P=2026-04-30->2026-05-31"),
]


@pytest.mark.parametrize("presented, deadline", PRESENTATION)
def test_readings_one_month_from_a_presentation(presented, deadline):
    assert answer_deadline(presented) == deadline
    assert period_last_day(presented, months=1, first_day_counted=False) == deadline


def test_readings_notice_by_one_month_before_expiry():
    assert last_notice_day(D(2026, 10, 14)) == D(2026, 9, 14)  # M = 2026-10-14 → 2026-09-14
    # the alternative at month ends: the whole preceding month must remain
    assert last_notice_day(D(2026, 9, 30), reading="whole_month") == D(2026, 8, 31)
    assert last_notice_day(D(2026, 9, 30)) == D(2026, 8, 30)
    assert last_notice_day(D(2026, 10, 14), reading="whole_month") == D(2026, 9, 14)


def test_readings_notice_period_arrival_day_not_counted():
    arrived = D(2026, 4, 10)
    assert notice_effective_day(arrived) == D(2026, 5, 10)  # A + 30
    assert notice_effective_day(arrived, reading="day_after_period") == D(2026, 5, 11)  # A + 31
    assert notice_effective_day(arrived, reading="arrival_day_counted") == D(2026, 5, 9)  # A + 29
    # the later of A + 30 and the day the customer asked for
    assert notice_effective_day(arrived, requested=D(2026, 6, 30)) == D(2026, 6, 30)
    assert notice_effective_day(arrived, requested=D(2026, 4, 20)) == D(2026, 5, 10)
    # or the contract term's expiry, where the text allows it (Secure Endpoint 第10条第2項)
    assert notice_effective_day(arrived, term_end=D(2027, 3, 31)) == D(2027, 3, 31)


def test_readings_within_30_days():
    assert within_days_deadline(D(2026, 4, 10)) == D(2026, 5, 10)
    assert within_days_deadline(D(2026, 12, 15)) == D(2027, 1, 14)


def test_readings_early_termination_charge():
    # a started month counts as a whole month; alternative: prorated by days
    start, last = D(2026, 4, 15), D(2026, 5, 14)  # a 1-month minimum period
    assert remaining_months(D(2026, 5, 1), last, start=start) == 1
    assert remaining_months(D(2026, 5, 1), last, start=start, reading="prorated_days") == Fraction(13, 30)
    # "terminated before the minimum period has passed": the termination takes effect before its last day
    assert remaining_months(D(2026, 5, 13), last, start=start) == 1
    assert remaining_months(D(2026, 5, 14), last, start=start) == 0


# ---- the texts' own cases -----------------------------------------------------------------------

def test_fence_data_erasure_by_quarter():
    assert data_erasure_day(D(2026, 1, 1)) == D(2026, 6, 30)
    assert data_erasure_day(D(2026, 3, 31)) == D(2026, 6, 30)
    assert data_erasure_day(D(2026, 4, 1)) == D(2026, 9, 30)
    assert data_erasure_day(D(2026, 9, 30)) == D(2026, 12, 31)
    assert data_erasure_day(D(2026, 10, 1)) == D(2027, 3, 31)
    assert data_erasure_day(D(2026, 12, 31)) == D(2027, 3, 31)


def test_flex_17_switch_and_end():
    deadline = answer_deadline(D(2026, 4, 10))  # 2026-05-10
    assert switch_day(deadline) == D(2026, 6, 1)  # 3(1): the 1st of the month after the deadline's
    assert end_day_without_answer(deadline) == D(2026, 5, 31)  # 3(2), 4: the deadline month's last day
    deadline = answer_deadline(D(2026, 11, 30))  # 2026-12-31
    assert (deadline, switch_day(deadline), end_day_without_answer(deadline)) == (
        D(2026, 12, 31), D(2027, 1, 1), D(2026, 12, 31))


def test_secure_endpoint_term_renewal():
    start = D(2026, 4, 1)
    assert [nth_term_last_day(start, n) for n in (1, 2, 3)] == [D(2027, 3, 31), D(2028, 3, 31), D(2029, 3, 31)]
    assert term_last_days(start, until=D(2028, 4, 1)) == [D(2027, 3, 31), D(2028, 3, 31), D(2029, 3, 31)]
    assert term_last_days(start, until=D(2028, 3, 31)) == [D(2027, 3, 31), D(2028, 3, 31)]
    assert term_last_days(start, until=D(2026, 3, 31)) == []
    # the non-renewal notice for the first term, and the early-termination months of the second
    assert last_notice_day(D(2027, 3, 31)) == D(2027, 2, 28)
    assert remaining_months(D(2027, 8, 20), D(2028, 3, 31), start=D(2027, 4, 1)) == 8  # Aug … Mar


def test_remaining_months_docstring_examples():
    start, last = D(2026, 4, 15), D(2027, 4, 14)
    assert remaining_months(D(2026, 6, 20), last, start=start) == 10
    assert remaining_months(D(2026, 6, 20), last, start=start, reading="prorated_days") == 9 + Fraction(24, 30)
    assert remaining_months(D(2026, 7, 14), last, start=start) == 9
    assert remaining_months(D(2026, 4, 20), last, start=start) == 12
    # the anniversaries come from the start, not from the last day
    assert remaining_months(D(2026, 1, 30), D(2026, 2, 28), start=D(2025, 12, 30)) == 1
    assert remaining_months(D(2026, 1, 30), D(2026, 2, 28), start=D(2026, 1, 1)) == 2


# ---- month ends and leap years ----------------------------------------------------------------

def test_month_ends_and_leap_years():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2096, 2, 29), 4) == D(2100, 2, 28)  # 2100 is not a leap year
    assert add_years(D(1996, 2, 29), 4) == D(2000, 2, 29)  # 2000 is
    assert end_of_month(D(2100, 2, 1)) == D(2100, 2, 28)
    assert end_of_month(D(2000, 2, 10)) == D(2000, 2, 29)
    assert end_of_month(D(1900, 2, 10)) == D(1900, 2, 28)
    assert first_of_next_month(D(2024, 2, 29)) == D(2024, 3, 1)
    assert first_of_next_month(D(2026, 12, 31)) == D(2027, 1, 1)
    assert first_of_month(D(2026, 5, 1)) and not first_of_month(D(2026, 5, 2))
    assert add_days(D(2024, 2, 28), 1) == D(2024, 2, 29)


def test_periods_at_month_ends_and_leap_days():
    assert period_last_day(D(2024, 2, 29), years=1) == D(2025, 2, 28)
    assert period_last_day(D(2023, 3, 1), years=1) == D(2024, 2, 29)
    assert period_last_day(D(2099, 3, 1), years=1) == D(2100, 2, 28)
    assert period_last_day(D(2024, 1, 30), months=1) == D(2024, 2, 29)  # no 30 February: its last day
    assert period_last_day(D(2024, 1, 29), months=1) == D(2024, 2, 28)  # the day before 29 February
    assert period_last_day(D(2026, 1, 31), months=2) == D(2026, 3, 30)  # counted from S, not chained
    assert period_last_day(D(2026, 4, 10), days=30) == D(2026, 5, 9)
    assert period_last_day(D(2026, 4, 10), days=30, first_day_counted=False) == D(2026, 5, 10)
    assert answer_deadline(D(2024, 1, 29)) == D(2024, 2, 29)
    assert answer_deadline(D(2100, 1, 29)) == D(2100, 2, 28)


def test_renewed_terms_are_chained():
    # the second term starts 2025-03-01, so the fourth ends on 29 February, not on the 28th
    start = D(2024, 2, 29)
    assert [nth_term_last_day(start, n) for n in (1, 2, 3, 4)] == [
        D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)]
    assert period_last_day(start, years=4) == D(2028, 2, 28)


def test_whole_month_reading_at_february():
    assert last_notice_day(D(2026, 2, 28), reading="whole_month") == D(2026, 1, 31)
    assert last_notice_day(D(2024, 2, 29), reading="whole_month") == D(2024, 1, 31)
    assert last_notice_day(D(2024, 2, 28)) == D(2024, 1, 28)
    assert last_notice_day(D(2024, 2, 28), reading="whole_month") == D(2024, 1, 28)  # not a month end
    assert last_notice_day(D(2026, 3, 31), reading="whole_month") == D(2026, 2, 28)


# ---- impossible input ---------------------------------------------------------------------------

@pytest.mark.parametrize("call, words", [
    (lambda: period_last_day(D(2026, 4, 1), months=-1), "`months` cannot be negative"),
    (lambda: period_last_day(D(2026, 4, 1)), "a period needs a length"),
    (lambda: notice_effective_day(D(2026, 4, 1), days=0), "`days` cannot be below 1"),
    (lambda: notice_effective_day(D(2026, 4, 1), reading="A+30"), "`A+30` is not a reading"),
    (lambda: notice_effective_day(D(2026, 4, 1), requested=D(2026, 6, 1), term_end=D(2027, 3, 31)),
     "not both"),
    (lambda: last_notice_day(D(2026, 9, 30), 0), "`months` cannot be below 1"),
    (lambda: last_notice_day(D(2026, 9, 30), reading="whole"), "expected one of `clamp`, `whole_month`"),
    (lambda: nth_term_last_day(D(2026, 4, 1), 0), "`n` cannot be below 1"),
    (lambda: remaining_months(D(2026, 5, 1), D(2026, 5, 15), start=D(2026, 4, 15)),
     "`2026-05-15` is not the last day of a period of whole months starting `2026-04-15`"),
    (lambda: remaining_months(D(2026, 5, 1), D(2026, 4, 1), start=D(2026, 4, 15)), "is not the last day"),
    (lambda: add_months(D(9999, 12, 1), 1), "outside the calendar"),
    (lambda: add_days(D(1, 1, 1), -1), "outside the calendar"),
])
def test_impossible_input_raises_value_error(call, words):
    with pytest.raises(ValueError) as e:
        call()
    assert words in str(e.value)


def test_wrong_types_raise_type_error():
    from datetime import datetime
    with pytest.raises(TypeError):
        add_months(datetime(2026, 4, 1, 12, 0), 1)
    with pytest.raises(TypeError):
        period_last_day(D(2026, 4, 1), months=1.5)
    with pytest.raises(TypeError):
        add_days("2026-04-01", 1)


def test_docstring_examples_run():
    assert doctest.testmod(P).failed == 0


def test_the_dates_package_is_plain_python():
    """The solver builds on dates (smt/calendar_terms.py), never the other way round."""
    for path in (Path(P.__file__).parent).glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        assert not {m for m in names if m.split(".")[0] in {"z3", "tariffcheck"}}, path.name


# ---- naive definitions: walk the calendar ----------------------------------------------------

def naive_days_in_month(year, month):
    d, n = date(year, month, 1), 0
    while d.month == month:
        d, n = d + ONE, n + 1
    return n


def naive_end_of_month(d):
    while (d + ONE).month == d.month:
        d += ONE
    return d


def naive_add_months(d, k):
    year, month = d.year, d.month
    for _ in range(abs(k)):
        if k > 0:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return date(year, month, min(d.day, naive_days_in_month(year, month)))


def is_anniversary(first, d):
    """d (after first's month starts) begins a new month of a period whose first day is first:
    it has first's day number, or it is a 1st and the month before had no such day."""
    return d.day == first.day or (d.day == 1 and (d - ONE).day < first.day)


def naive_period_last_day(start, months=0, days=0, first_day_counted=True):
    first = start if first_day_counted else start + ONE
    d, passed = first, 0
    while passed < months:
        d += ONE
        passed += is_anniversary(first, d)
    last = d - ONE  # the day before the months-th anniversary (or first - 1 for no months)
    for _ in range(days):
        last += ONE
    return last


def naive_period_months(start, last_day):
    """The month index (1, 2, …) of each day of start … last_day, by walking."""
    out, index, d = {}, 1, start
    while d <= last_day:
        if d != start and is_anniversary(start, d):
            index += 1
        out[d] = index
        d += ONE
    return out


def naive_data_erasure_day(end):
    """The end of the quarter after the quarter the service ends in: the second quarter end
    reached when walking from the end day on."""
    d, seen = end, 0
    while True:
        if d.month in (3, 6, 9, 12) and (d + ONE).day == 1:
            seen += 1
            if seen == 2:
                return d
        d += ONE


FIRST, LAST = date(1900, 1, 1), date(2200, 12, 31)


@st.composite
def days(draw, first=FIRST, last=LAST):
    """Any day of the range, often near a month's end or on a 1st."""
    kind = draw(st.sampled_from(["any", "month end", "first"]))
    if kind == "any":
        return draw(st.dates(first, last))
    year = draw(st.integers(first.year, last.year))
    month = draw(st.integers(1, 12))
    if kind == "first":
        day = date(year, month, 1)
    else:
        day = date(year, month, naive_days_in_month(year, month)) - draw(st.integers(0, 3)) * ONE
    return min(max(day, first), last)


SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(days(), st.integers(-40, 40))
def test_add_months_steps_month_by_month(d, k):
    assert add_months(d, k) == naive_add_months(d, k)


@SETTINGS
@given(days(), st.integers(-5, 5))
def test_add_years_is_twelve_months(d, k):
    assert add_years(d, k) == naive_add_months(d, 12 * k)


@SETTINGS
@given(days())
def test_month_boundaries_by_walking(d):
    assert end_of_month(d) == naive_end_of_month(d)
    assert first_of_next_month(d) == naive_end_of_month(d) + ONE
    assert first_of_month(d) == ((d - ONE).month != d.month)


@SETTINGS
@given(days(), st.integers(0, 26), st.integers(0, 40), st.booleans())
def test_period_last_day_by_counting_anniversaries(start, months, n_days, first_day_counted):
    if months == 0 and n_days == 0:
        n_days = 1
    assert period_last_day(start, months=months, days=n_days, first_day_counted=first_day_counted) == \
        naive_period_last_day(start, months, n_days, first_day_counted)


@SETTINGS
@given(days(), st.integers(1, 3))
def test_period_of_years_is_twelve_months_each(start, years):
    assert period_last_day(start, years=years) == naive_period_last_day(start, months=12 * years)


@SETTINGS
@given(days(), st.integers(1, 400), st.one_of(st.none(), days()),
       st.sampled_from(["last_day_of_period", "day_after_period", "arrival_day_counted"]))
def test_notice_effective_day_counts_the_days_after_arrival(arrived, n, requested, reading):
    d, counted = arrived, 0  # 第140条: the arrival day is not counted
    if reading == "arrival_day_counted":
        counted = 1
    while counted < n:
        d, counted = d + ONE, counted + 1
    if reading == "day_after_period":
        d += ONE
    expected = d if requested is None else max(d, requested)
    assert notice_effective_day(arrived, n, requested, reading=reading) == expected
    assert within_days_deadline(arrived, n) == notice_effective_day(arrived, n)


@SETTINGS
@given(days(), st.integers(1, 3))
def test_last_notice_day_readings(term_last_day, months):
    clamped = naive_add_months(term_last_day, -months)
    assert last_notice_day(term_last_day, months) == clamped
    whole = last_notice_day(term_last_day, months, reading="whole_month")
    if (term_last_day + ONE).day == 1:  # at a month end the whole months up to it remain
        assert whole == naive_end_of_month(clamped)
        assert naive_period_last_day(whole, months=months, first_day_counted=False) == term_last_day
    else:
        assert whole == clamped
    assert whole >= clamped


@SETTINGS
@given(days(FIRST, date(2199, 12, 31)))
def test_data_erasure_day_against_quarter_walk(end):
    assert data_erasure_day(end) == naive_data_erasure_day(end)


@SETTINGS
@given(days(FIRST, date(2199, 12, 31)))
def test_flex_17_days(presented):
    deadline = answer_deadline(presented)
    assert deadline == naive_period_last_day(presented, months=1, first_day_counted=False)
    assert switch_day(deadline) == end_day_without_answer(deadline) + ONE == naive_end_of_month(deadline) + ONE


@SETTINGS
@given(days(FIRST, date(2150, 1, 1)), st.integers(1, 6), st.integers(1, 2))
def test_renewed_terms_are_contiguous_periods(start, n, years):
    lasts = [nth_term_last_day(start, i, years=years) for i in range(1, n + 1)]
    first = start
    for last in lasts:
        assert last == naive_period_last_day(first, months=12 * years)
        first = last + ONE
    assert term_last_days(start, until=lasts[-1], years=years) == lasts
    assert term_last_days(start, until=lasts[-1] + ONE, years=years)[-1] > lasts[-1]


@SETTINGS
@given(days(FIRST, date(2150, 1, 1)), st.sampled_from([1, 2, 3, 12, 13]), st.data())
def test_remaining_months_by_walking_the_period(start, months, data):
    last = naive_period_last_day(start, months=months)
    ended = data.draw(st.dates(start - 5 * ONE, last + 5 * ONE), label="termination_effective")
    index = naive_period_months(start, last)
    assert max(index.values()) == months
    remaining_days = [d for d in index if d > ended]
    whole = remaining_months(ended, last, start=start)
    prorated = remaining_months(ended, last, start=start, reading="prorated_days")
    assert whole == len({index[d] for d in remaining_days})
    sizes = {i: sum(1 for d in index if index[d] == i) for i in range(1, months + 1)}
    left = {i: sum(1 for d in remaining_days if index[d] == i) for i in range(1, months + 1)}
    assert prorated == sum(Fraction(left[i], sizes[i]) for i in sizes)
    assert ceil(prorated) == whole
    assert (whole == 0) == (ended >= last)
