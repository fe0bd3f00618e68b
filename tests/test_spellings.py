"""Issue 13, point 7: where a text writes one name two ways, an order may use either spelling;
the result notes the official one, and lint reports the text's other spelling as a defect.
Each spelling is declared in its spec with the clauses that use it (`also spelled`), and each
is checked here against the source text."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from tariffcheck.api import Checker, OrderError, load_tariff
from tariffcheck.common.diagnostics import DiagnosticError

from conftest import ROOT, SPECS, run_cli, spec_variant

SEEDS = ROOT.parent / "shared" / "seeds"

# (tariff, official name, other spelling, the clauses that write it): docs/findings.md
DECLARED = [
    ("fence-mobile", "i-FILTERブラウザサービス", "i-FILTERブラウザーサービス", ["5.(6)", "6.(1)"]),
    ("smart-mobile-manager", "MaaS360", "Maas360", ["第7条第1項"]),
    ("smartkey", "IIJ SmartKey マネージメントサービス", "IIJ Smartkey マネージメントサービス", ["第8条第2項"]),
    ("flex-resilience", "回答期日", "回答期限", ["第17条第3項(2)"]),
    ("flex-resilience", "回答期日", "回答時期日", ["第17条第4項"]),
]


def _spellings(t):
    """(official, spelling) for every `also spelled` of a tariff."""
    out = [(t.title, sp) for sp in t.title_spellings]
    for c in t.contracts.values():
        for d in c.dimensions.values():
            out += [(d.label, sp) for sp in d.spellings]
            out += [(v.label, sp) for v in d.values.values() for sp in v.spellings]
        out += [(q.label, sp) for q in c.quantities.values() for sp in q.spellings]
        for o in c.options.values():
            out += [(o.label, sp) for sp in o.spellings]
            out += [(q.label, sp) for q in o.quantities.values() for sp in q.spellings]
    out += [(d.label, sp) for d in t.derived for sp in d.spellings]
    return out


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_the_specs_declare_exactly_the_spellings_of_findings():
    got = sorted((name, official, sp.text, [str(c) for c in sp.citations])
                 for name in {d[0] for d in DECLARED} for official, sp in _spellings(load_tariff(name)))
    assert got == sorted((n, o, s, c) for n, o, s, c in DECLARED)


@pytest.mark.parametrize("tariff, official, spelling, clauses", DECLARED, ids=[f"{d[3][0]} {d[2]}" for d in DECLARED])
def test_each_spelling_is_in_the_text_beside_the_official_one(tariff, official, spelling, clauses):
    t = load_tariff(tariff)
    text = _compact((SEEDS / t.source).read_text(encoding="utf-8"))
    # the text writes both; the official one more often (the spelling is the exception)
    assert text.count(_compact(spelling)) >= 1
    assert text.count(_compact(official)) > text.count(_compact(spelling))


def test_5_6_i_filter_browser_spelt_with_a_long_vowel_is_accepted_with_a_note():
    order = {"tariff": "fence-mobile", "request": "new", "application_date": "2026-04-01",
             "contracts": [{"id": "fm-1", "base": "基本利用サービス", "devices": 20, "app_consent": True,
                            "ifilter_consent": True,
                            "options": {"i-FILTERブラウザーサービス": {"モバイル端末の数": 20}}}]}
    checker = Checker("fence-mobile")
    for engine in ("concrete", "z3"):
        assert checker.check(order, engine=engine).status == "valid"
    decoded = checker.decode(order)
    assert "ifilter" in decoded.contracts[0].new.options
    [note] = decoded.notes
    assert note == ("contracts[0].options.i-FILTERブラウザーサービス: `i-FILTERブラウザーサービス` is a spelling the "
                    "text also uses (5.(6), 6.(1)); the official name is `i-FILTERブラウザサービス`")


def test_7_1_maas360_spelt_maas360_is_accepted_with_a_note(tmp_path):
    order = {"tariff": "smart-mobile-manager", "request": "new", "application_date": "2026-04-01",
             "contracts": [{"id": "smm-1", "品目": "Maas360", "種別": "アプリ管理", "licensor_consent": True}]}
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(["check", "--tariff", "smart-mobile-manager", str(path), "--format", "json"])
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "valid"
    assert result["notes"] == ["contracts[0].品目: `Maas360` is a spelling the text also uses (第7条第1項); "
                               "the official name is `MaaS360`"]
    code, out, _ = run_cli(["check", "--tariff", "smart-mobile-manager", str(path)])
    assert code == 0 and "the official name is `MaaS360`" in out


def test_8_2_smartkey_spelt_smartkey_names_the_tariff_with_a_note():
    order = {"tariff": "IIJ Smartkey マネージメントサービス", "application_date": "2026-04-01",
             "holdings": [{"service": "IIJ ID サービス"}], "contracts": [{"id": "sk-1", "品目": "エンタープライズ"}]}
    decoded = Checker("smartkey").decode(order)
    assert decoded.notes == ["tariff: `IIJ Smartkey マネージメントサービス` is a spelling the text also uses "
                             "(第8条第2項); the official name is `IIJ SmartKey マネージメントサービス`"]


def test_5_6_both_spellings_in_one_order_name_the_option_twice():
    order = {"tariff": "fence-mobile", "contracts": [{"id": "fm-1", "base": "基本利用サービス", "devices": 20,
                                                      "options": {"i-FILTERブラウザサービス": {"devices": 20},
                                                                  "i-FILTERブラウザーサービス": {"devices": 20}}}]}
    with pytest.raises(OrderError) as info:
        Checker("fence-mobile").decode(order)
    [d] = info.value.diagnostics
    assert d.code == "O012" and "another spelling of its name" in d.help


def test_17_lint_reports_each_spelling_as_a_defect_of_the_text():
    from tariffcheck import lint

    findings = [f for f in lint(str(SPECS / "flex_resilience.tariff"), checks=("names",)).findings
                if f.code == "L011"]
    assert [(f.clause, f.message) for f in findings] == [
        ("第17条第3項(2)", "the text writes the day `回答期日` also as `回答期限` (第17条第3項(2))"),
        ("第17条第4項", "the text writes the day `回答期日` also as `回答時期日` (第17条第4項)"),
    ]
    assert all(f.severity == "warning" and f.span is not None and f.subject == "answer_deadline" for f in findings)


def test_also_spelled_keeps_its_span_in_the_syntax_tree():
    from tariffcheck.syntax.parser import parse_file

    tree = parse_file(str(SPECS / "fence_mobile.tariff"))
    [option] = [o for c in tree.contracts for o in c.options if o.name == "ifilter"]
    [sp] = option.spellings
    line = (SPECS / "fence_mobile.tariff").read_text(encoding="utf-8").splitlines()[sp.span.line - 1]
    assert line[sp.span.column - 1:].startswith('also spelled "i-FILTERブラウザーサービス" @5.(6) @6.(1)')
    assert [c.text for c in sp.cites] == ["5.(6)", "6.(1)"]


def test_a_spelling_that_is_the_official_name_is_an_error(tmp_path):
    path = spec_variant(tmp_path, SPECS / "smart_mobile_manager.tariff", "same",
                        [('also spelled "Maas360"', 'also spelled "MaaS 360"')])
    with pytest.raises(DiagnosticError) as info:
        load_tariff(path)
    [d] = info.value.diagnostics
    assert d.code == "E003" and "is the official name `MaaS360` itself" in d.message


def test_the_order_schema_accepts_the_spellings():
    from tariffcheck.orders.schema import order_schema

    text = json.dumps(order_schema(load_tariff("fence-mobile")), ensure_ascii=False)
    assert "i-FILTERブラウザーサービス" in text and "i-FILTERブラウザサービス" in text
