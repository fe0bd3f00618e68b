"""References to another bundled tariff (a holding of its item) are checked against that
tariff's own names, renames included (issue: cross-tariff references)."""

from __future__ import annotations

import pytest

from tariffcheck import catalog
from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import DiagnosticError

from conftest import FIXTURES

LINKS = FIXTURES / "links"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(catalog.load(str(LINKS / "links_secure_endpoint.tariff")))


def order(*holdings: dict) -> dict:
    return {"request": "new", "holdings": list(holdings), "contracts": [{"id": "m", "grade": "B"}]}


def verdict(checker: Checker, o: dict) -> tuple[str, set[str]]:
    a, b = checker.check(o), checker.check(o, engine="z3")
    assert (a.status, a.keys) == (b.status, b.keys)
    return a.status, {v.key.rule for v in a.violations}


def test_the_linked_tariff_lends_its_dimensions(checker):
    se = checker.tariff.services["se"]
    assert se.linked and "セキュアエンドポイント" in se.linked
    assert "av_c" in se.dimensions["item"].values
    assert se.dimensions["item"].values["av_symantec"].legacy


def test_a_reference_through_a_rename_resolves_with_a_warning(checker):
    [w] = [w for w in checker.tariff.warnings if w.code == "W001"]
    assert w.severity == "warning"
    assert "`アンチウイルス:Cylance` was renamed `アンチウイルス:タイプ C` on 2025-10-01" in w.message
    assert w.span.line == 15  # the line of the reference in the fixture


def test_holdings_are_read_with_the_linked_names(checker):
    assert verdict(checker, order({"service": "se", "item": "アンチウイルス:タイプ C"})) == ("valid", set())
    assert verdict(checker, order({"service": "se", "item": "アンチウイルス:Symantec"})) == ("valid", set())
    assert verdict(checker, order({"service": "se", "item": "IT 資産管理:タイプ L"})) == (
        "invalid", {"needs_designated"})
    assert verdict(checker, order({"service": "ztna"})) == ("valid", set())
    assert verdict(checker, order()) == ("invalid", {"needs_designated"})


def test_a_held_item_by_its_former_name_resolves_and_is_noted(checker):
    o = order({"service": "se", "item": "アンチウイルス:Cylance"})
    assert verdict(checker, o) == ("valid", set())
    notes = checker.decode(o).notes
    assert any("holdings[0].item" in n and "アンチウイルス:タイプ C" in n for n in notes)


def test_an_item_the_linked_tariff_lacks_is_an_error():
    with pytest.raises(DiagnosticError) as info:
        catalog.load(str(LINKS / "links_unknown_item.tariff"))
    [d] = info.value.diagnostics
    assert d.code == "E004"
    assert "`\"アンチウイルス:Norton\"`" in d.message or "アンチウイルス:Norton" in d.message
    assert "linked tariff `secure_endpoint`" in d.message


def test_a_link_to_a_tariff_that_is_not_bundled_is_a_warning():
    t = catalog.load(str(LINKS / "links_not_bundled.tariff"))
    [w] = t.warnings
    assert (w.code, w.severity) == ("W002", "warning")
    assert "flex_mobility" in w.message
