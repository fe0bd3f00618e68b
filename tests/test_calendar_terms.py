"""The Z3 calendar terms (smt/calendar_terms.py) agree with the Python period arithmetic
(dates/periods.py) on every day of the solver's range: evaluated on constants, read from a model,
and inverted by the solver against a brute-force search of the Python functions."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import pytest
import z3
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tariffcheck.dates import periods as P
from tariffcheck.model.limits import FIRST_DAY, LAST_DAY
from tariffcheck.smt import calendar_terms as C
from tariffcheck.smt.calendar_terms import day_of_month

D = date
ONE = timedelta(days=1)
MIN_DAY, MAX_DAY = FIRST_DAY.toordinal(), LAST_DAY.toordinal()

# where the calendar changes its rhythm: the range's ends, the skipped and kept century leap days
EDGES = [D(1900, 1, 1), D(1900, 2, 28), D(1900, 3, 1), D(1903, 2, 28), D(1904, 2, 29), D(1999, 12, 31),
         D(2000, 2, 29), D(2000, 3, 1), D(2024, 2, 29), D(2026, 1, 31), D(2099, 12, 31), D(2100, 2, 28),
         D(2100, 3, 1), D(2199, 3, 1), D(2200, 2, 28), D(2200, 3, 1), D(2200, 11, 30), D(2200, 12, 31)]
# the window beyond the range where the terms stay exact (month arithmetic may leave the range)
WINDOW_EDGES = [D(1800, 1, 1), D(1800, 2, 28), D(1800, 3, 1), D(1899, 12, 31), D(2201, 1, 31),
                D(2300, 2, 28), D(2300, 3, 1), D(2300, 12, 31)]


def value(term) -> int:
    return z3.simplify(term).as_long()


@st.composite
def day_numbers(draw, first=FIRST_DAY, last=LAST_DAY):
    """A day number of the range, often at a month's end, on a 1st or on a calendar edge."""
    kind = draw(st.sampled_from(["any", "month end", "first", "edge"]))
    if kind == "any":
        day = draw(st.dates(first, last))
    elif kind == "edge":
        day = draw(st.sampled_from(EDGES))
    else:
        year, month = draw(st.integers(first.year, last.year)), draw(st.integers(1, 12))
        day = D(year, month, 1) if kind == "first" else P.end_of_month(D(year, month, 1)) - draw(st.integers(0, 3)) * ONE
    return min(max(day, first), last).toordinal()


def in_range(d: date) -> bool:
    return FIRST_DAY <= d <= LAST_DAY


def in_window(d: date) -> bool:
    """Where the terms are exact: the range and a century on either side."""
    return C.EXACT_FIRST <= d <= C.EXACT_LAST


def expected(n: int, k: int) -> dict[str, int]:
    """The Python module's results for day n and month count k, as day numbers."""
    d = D.fromordinal(n)
    out = {"end_of_month": P.end_of_month(d), "first_of_next_month": P.first_of_next_month(d),
           "add_months": P.add_months(d, k)}
    if k >= 1:
        out["period_last_day"] = P.period_last_day(d, months=k)
        out["period_last_day_from_next"] = P.period_last_day(d, months=k, first_day_counted=False)
    out["data_erasure_day"] = P.data_erasure_day(d)
    return {name: day.toordinal() for name, day in out.items() if in_window(day)}


def terms(n, k: int, names) -> dict[str, z3.ArithRef]:
    builders = {
        "end_of_month": lambda: C.end_of_month(n),
        "first_of_next_month": lambda: C.first_of_next_month(n),
        "add_months": lambda: C.add_months(n, k),
        "period_last_day": lambda: C.period_last_day_months(n, k),
        "period_last_day_from_next": lambda: C.period_last_day_months(n, k, first_day_counted=False),
        "data_erasure_day": lambda: C.data_erasure_day(n),
    }
    return {name: builders[name]() for name in names}


X = z3.Int("n")
NAMES = ("end_of_month", "first_of_next_month", "add_months", "period_last_day", "period_last_day_from_next",
         "data_erasure_day")


@lru_cache(maxsize=None)
def terms_over_x(k: int) -> dict[str, z3.ArithRef]:
    """The terms over one variable, built once per k (building is the slow part; Z3 evaluates fast)."""
    return terms(X, k, NAMES if k >= 1 else NAMES[:3] + NAMES[5:])


def evaluate(n: int, k: int, names) -> dict[str, int]:
    """Each term with the day number n put in for the variable, simplified to a numeral."""
    built = terms_over_x(k)
    return {name: value(z3.substitute(built[name], (X, z3.IntVal(n)))) for name in names}


SIMPLIFY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


Y, M, DAY = z3.Ints("y m d")
CIVIL = C.civil_from_days(X) + (day_of_month(X),)  # the day of the month the rules read
DAYS = C.days_from_civil(Y, M, DAY), C.days_in_month(Y, M)


@SIMPLIFY
@given(day_numbers())
def test_civil_from_days_and_back(n):
    d = D.fromordinal(n)
    assert tuple(value(z3.substitute(t, (X, z3.IntVal(n)))) for t in CIVIL) == (d.year, d.month, d.day, d.day)
    ymd = [(Y, z3.IntVal(d.year)), (M, z3.IntVal(d.month)), (DAY, z3.IntVal(d.day))]
    assert tuple(value(z3.substitute(t, *ymd)) for t in DAYS) == (n, P.days_in_month(d.year, d.month))


@SIMPLIFY
@given(day_numbers(), st.integers(-30, 30))
def test_terms_equal_the_python_module_on_constants(n, k):
    want = expected(n, k)
    assert evaluate(n, k, want) == want


@pytest.mark.parametrize("day", EDGES + WINDOW_EDGES, ids=str)
def test_terms_at_calendar_edges(day):
    n = day.toordinal()
    assert tuple(value(t) for t in C.civil_from_days(n)) == (day.year, day.month, day.day)
    assert value(C.days_from_civil(day.year, day.month, day.day)) == n
    for k in (-13, -1, 1, 2, 12, 13):
        want = expected(n, k)
        assert evaluate(n, k, want) == want
        # and built directly on the constant, as a caller with a known day would
        assert {name: value(t) for name, t in terms(n, k, want).items()} == want


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day_numbers(), st.integers(1, 24))
def test_terms_read_from_a_model(n, k):
    """The same terms over a variable: assert which day it is and read the results from the model."""
    want = expected(n, k)
    results = terms_over_x(k)
    s = z3.Solver()
    s.add(X == n)
    assert s.check() == z3.sat
    m = s.model()
    assert {name: m.eval(results[name], model_completion=True).as_long() for name in want} == want


def test_lengths_of_a_period_must_be_whole_months():
    with pytest.raises(ValueError, match="at least one month"):
        C.period_last_day_months(z3.Int("n"), 0)
    with pytest.raises(TypeError):
        C.add_months(z3.Int("n"), 1.0)


# ---- the solver inverts the terms -----------------------------------------------------------------

def solutions(term_of, target: date, limit: int = 10) -> set[date]:
    """Every day n of the range with term_of(n) == target, by blocking each model found."""
    x = z3.Int("n")
    s = z3.Solver()
    s.add(x >= MIN_DAY, x <= MAX_DAY, term_of(x) == target.toordinal())
    found = set()
    while len(found) < limit and s.check() == z3.sat:
        n = s.model()[x].as_long()
        found.add(D.fromordinal(n))
        s.add(x != n)
    return found


def brute_force(function, target: date, window: int = 400) -> set[date]:
    days = (target - i * ONE for i in range(-40, window))
    return {d for d in days if in_range(d) and function(d) == target}


@pytest.mark.parametrize("target", [D(2026, 2, 28), D(2024, 2, 29), D(2026, 3, 31), D(2100, 2, 28)], ids=str)
def test_solver_inverts_add_months(target):
    found = solutions(lambda x: C.add_months(x, 1), target)
    assert found == brute_force(lambda d: P.add_months(d, 1), target)
    if target == D(2026, 2, 28):
        assert found == {D(2026, 1, 28), D(2026, 1, 29), D(2026, 1, 30), D(2026, 1, 31)}
    if target == D(2026, 3, 31):
        assert found == set()  # no 31 February


@pytest.mark.parametrize("target, months, counted", [
    (D(2026, 2, 28), 1, True),  # billing starts 01-29 … 02-01
    (D(2027, 3, 31), 12, True),  # a 1-year term from 2026-04-01
    (D(2026, 5, 31), 1, False),  # Flex 第17条: presented 2026-04-30
    (D(2026, 2, 28), 1, False),  # presented 2026-01-28 … 01-31
], ids=str)
def test_solver_inverts_period_last_day(target, months, counted):
    found = solutions(lambda x: C.period_last_day_months(x, months, first_day_counted=counted), target)
    assert found == brute_force(lambda d: P.period_last_day(d, months=months, first_day_counted=counted), target)
    assert found


def test_solver_bounds_the_service_ends_of_an_erasure_day():
    """Every service that ends in October … December 2026 is erased on 2027-03-31, and no other."""
    x = z3.Int("n")
    s = z3.Solver()
    s.add(x >= MIN_DAY, x <= MAX_DAY, C.data_erasure_day(x) == D(2027, 3, 31).toordinal())
    for bound, outside in ((D(2026, 10, 1), x < D(2026, 10, 1).toordinal()),
                           (D(2026, 12, 31), x > D(2026, 12, 31).toordinal())):
        assert s.check(outside) == z3.unsat
        assert s.check(x == bound.toordinal()) == z3.sat
