"""FENCE 16.: the data-erasure day counts from the day the service ends. The text leaves that day
to 本規約, so an order states it (`service_end`); a cancellation request that does not is read as
ending the service on the day it asks for."""

from __future__ import annotations

from datetime import date

import pytest

from tariffcheck import Checker
from tariffcheck.dates.periods import data_erasure_day


def cancellation(**fields) -> dict:
    current = {"base": "基本利用サービス", "devices": 10, "app_consent": True, **fields.pop("current", {})}
    return {"request": "cancellation", **fields, "contracts": [{"id": "f", "current": current}]}


@pytest.fixture(scope="module")
def fence() -> Checker:
    return Checker("fence-mobile")


@pytest.mark.parametrize("end", [date(2027, 3, 31), date(2027, 4, 1), date(2027, 9, 30), date(2027, 12, 31)])
def test_the_stated_end_of_the_service_decides_the_erasure_day(fence, end):
    # the request asks for another quarter's day: the stated end is the one 16. counts from
    order = cancellation(requested_date="2027-07-15", current={"本サービスの終了日": end.isoformat()})
    got = {x.id: x.day for x in fence.dates(order)}
    assert got["data_erasure"] == data_erasure_day(end)


def test_without_a_stated_end_the_requested_day_stands_in(fence):
    got = {x.id: x.day for x in fence.dates(cancellation(requested_date="2027-07-15"))}
    assert got["data_erasure"] == data_erasure_day(date(2027, 7, 15)) == date(2027, 12, 31)


def test_with_neither_day_the_erasure_day_names_both_as_missing(fence):
    [day] = [x for x in fence.dates(cancellation()) if x.id == "data_erasure"]
    assert day.day is None
    assert "`contracts[0].service_end`" in day.missing and "`requested_date`" in day.missing
