"""The lint checks that find a text's defects in a faithful encoding (issue 13, point 10): an option
the text names but never defines (L015), an item or option no fee prices (L016), a fee for the
period of a clause that sets none (L017), and names alike but for case, width or word order (L011).
Each on a small spec built to show it, and silent where the spec is sound."""

from __future__ import annotations

import pytest

from tariffcheck.analyse.fee_findings import fee_findings
from tariffcheck.analyse.names import name_findings
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text

HEAD = '''tariff t "T"
contract svc "サービス契約" @第1条 {
  dimension item "品目" @第1条 { a "A 型"  b "B 型" }
  date billing_start "課金開始日" @第3条
  option_date billing_start "課金開始日" @第8条第6項
  option x "X オプション" @第8条第2項(1)
  option y "Y 教育支援オプション" @第5条第3項 undefined
}
'''


def load(body: str, head: str = HEAD):
    return resolve(parse_text(head + body, "t.tariff"))


def codes(findings, code: str) -> list[tuple[str | None, str | None]]:
    return sorted((f.subject, f.clause) for f in findings if f.code == code)


# ---- L015: named but never defined ----------------------------------------------------------------

def test_l015_each_rule_and_fee_that_speaks_of_an_undefined_option():
    t = load('''
rule r5_3 @第5条第3項 { for y require item == a  ja "A 型が必要です。" en "Needs A 型." }
rule r5_4 @第5条第4項 { for x require not y  ja "Y とは併用できません。" en "Not with Y." }
fee initial fx "初期費用" @"別紙1 1" for x, y { quoted }
fee monthly fa "月額費用" @"別紙1 2" { 0 yen }
''')
    found = [f for f in name_findings(t) if f.code == "L015"]
    assert sorted((f.subject, f.clause) for f in found) == [("fx", "別紙1 1"), ("r5_3", "第5条第3項"),
                                                            ("r5_4", "第5条第4項")]
    fee = next(f for f in found if f.subject == "fx")
    assert "gives an amount for `Y 教育支援オプション` (`y`), an option the text names (第5条第3項) but never defines" \
        in fee.message
    assert all(f.severity == "warning" and f.message_ja for f in found)


def test_l015_an_undefined_option_nothing_speaks_of_is_reported_where_it_is_declared():
    assert codes(name_findings(load('fee monthly fa "月額費用" @"別紙1 2" { 0 yen }\n')), "L015") == [
        ("y", "第5条第3項")]


def test_an_option_without_undefined_is_no_l015():
    t = load('fee monthly fa "月額費用" @"別紙1 2" for x { 0 yen }\n',
             HEAD.replace(' @第5条第3項 undefined', ' @第8条第2項(2)'))
    assert codes(name_findings(t), "L015") == []


# ---- L016: no fee, and nothing says it is free ----------------------------------------------------

def test_l016_an_option_and_an_item_that_no_fee_prices():
    t = load('''
fee monthly base "月額費用" @"別紙1 2" { when item == a quoted }
''')
    assert codes(fee_findings(t), "L016") == [("b", "第1条"), ("x", "第8条第2項(1)")]  # y: undefined, L015's


@pytest.mark.parametrize("fees", [
    'fee monthly base "月額費用" @"別紙1 2" { quoted }\nfee initial ox "初期費用" @"別紙1 1" for x { 0 yen }',
    'fee monthly base "月額費用" @"別紙1 2" { when item in {a, b} quoted\n  when x 100 yen }',
    'fee monthly base "月額費用" @"別紙1 2" { when item == a quoted\n  when not item == a and x 0 yen }',
])
def test_l016_silent_when_each_item_and_option_is_priced_or_free(fees):
    assert codes(fee_findings(load(fees + "\n")), "L016") == []


def test_l016_an_early_termination_charge_prices_nothing():
    t = load('''
period min_use "最低利用期間" @第3条 = 1 month from billing_start
derive stop "効力が生じる日" @第10条 = requested_date
fee monthly base "月額費用" @"別紙1 2" { quoted }
fee early_termination early "解除調定金" @"別紙2 1" for x { remaining min_use @第3条 after stop times base }
''')
    assert codes(fee_findings(t), "L016") == [("x", "第8条第2項(1)")]


def test_l016_silent_on_a_tariff_without_any_fee():
    # a tariff with rules and options but no price table at all (as a UVL import gives)
    t = load('rule r1 @第5条 { for x require item == a  ja "A 型が必要です。" en "Needs A 型." }\n')
    assert t.fees == [] and "x" in t.contracts["svc"].options
    assert codes(fee_findings(t), "L016") == []
    # the same tariff with one fee somewhere is asked again, option by option
    priced = load('fee monthly base "月額費用" @"別紙1 2" { quoted }\n')
    assert codes(fee_findings(priced), "L016") == [("x", "第8条第2項(1)")]


def test_a_contract_kind_without_fees_is_not_asked_for_prices():
    t = load("", HEAD + 'contract unit "管理単位" @第4条 { dimension kind "種類" @第4条 { k "K" } }\n')
    assert all(f.subject != "k" for f in fee_findings(t))


# ---- L017: a period the text cites that no clause sets ----------------------------------------------

PERIODS = '''
period min_use "最低利用期間" @第3条第1項 = 1 month from billing_start
period option_min_use "最低利用期間" @第8条第6項 for x = 1 month from it.billing_start
derive stop "効力が生じる日" @第10条 = requested_date
fee monthly base "月額費用" @"別紙1 2" { quoted }
fee monthly om "月額費用" @"別紙1 2" for x { quoted }
'''


def test_l017_a_fee_for_the_period_of_a_clause_that_sets_none():
    t = load(PERIODS + '''
fee early_termination e1 "解除調定金" @"別紙2 2" for x { remaining option_min_use @第8条第5項 after stop times om }
fee early_termination e2 "解除調定金" @"別紙2 2" for x { remaining option_min_use @第8条第5項 after stop times om }
''')
    [f] = [f for f in fee_findings(t) if f.code == "L017"]
    assert (f.subject, f.clause, f.severity) == ("e1", "別紙2 2", "warning")
    assert f.message == ("別紙2 2 gives fees `e1`, `e2` for the period set under 第8条第5項, which sets no "
                         "period; the spec reads it as `option_min_use` (第8条第6項)")


@pytest.mark.parametrize("cite", ["@第3条", "@第3条第1項", ""])
def test_l017_silent_when_the_cited_clause_sets_a_period_or_none_is_cited(cite):
    t = load(PERIODS + f'fee early_termination e "解除調定金" @"別紙2 1" {{ remaining min_use {cite} after stop '
                       'times base }\n')
    assert codes(fee_findings(t), "L017") == []


def test_the_cited_clause_of_a_period_must_be_a_citation():
    with pytest.raises(DiagnosticError) as info:
        load(PERIODS + 'fee early_termination e "解除調定金" @"別紙2 1" { remaining min_use @"three" after stop '
                       'times base }\n')
    assert [d.code for d in info.value.diagnostics] == ["E006"]


# ---- L011: case, width and word order ---------------------------------------------------------------

def test_l011_names_that_differ_in_case_width_or_word_order():
    head = '''tariff t "T"
contract svc "サービス契約" @第1条 {
  dimension item "品目" @第1条 { m "MaaS360"  m2 "Maas360"  i "IIJ ID"  i2 "ＩＩＪ Id" }
  option w "Web アクセス管理タイプ X for SBC 方式仮想デスクトップオプション" @第8条第2項(17)
  option w2 "Web アクセス管理 for SBC 方式仮想デスクトップタイプ X オプション" @"別紙1 2(2)"
  option c "タイプ CD" @第8条第2項(1)
  option d "タイプ DC" @第8条第2項(2)
}
'''
    found = {f.subject: f for f in name_findings(load("", head)) if f.code == "L011"}
    assert set(found) == {"m2", "i2", "w2"}  # タイプ CD / タイプ DC: too short to be one name reordered
    assert "differ only in the order of their words" in found["w2"].explanation
    assert "`S` against `s`" in found["m2"].explanation
    assert "`D` against `d`" in found["i2"].explanation  # ＩＩＪ is IIJ: width alone is one name (E003)


# ---- L018: a citation the source text does not have -------------------------------------------------

TEXT = """個別規程 テスト

第 1 条(品目)

本サービスには、次の品目があります。

2 品目の変更は、次の事項に限ります。

- (1) 席数
- (2) 期間

第2条(オプション)

オプションは次のとおりです。

附則

令和 7 年 10 月 1 日変更

1 この契約約款は、令和 7 年 10 月 1 日から実施します。

2 旧品目は新品目として存続します。

別紙 1 料金表
"""


def test_the_clause_index_reads_articles_paragraphs_items_supplements_and_annexes():
    from tariffcheck.model.citation import parse_citation
    from tariffcheck.model.clauses import index_text

    index = index_text(TEXT)
    has = {c: index.has(parse_citation(c)) for c in [
        "第1条", "第1条第2項", "第1条第2項(2)", "第1条第2項(3)", "第1条第3項", "第2条", "第2条第1項", "第3条",
        "附則(令和7年10月1日変更)第2項", "附則(令和7年10月1日変更)第3項", "附則(令和6年1月1日変更)", "別紙1 2(1)",
        "別紙2"]}
    assert [c for c, ok in has.items() if ok] == [
        "第1条", "第1条第2項", "第1条第2項(2)", "第2条", "第2条第1項", "附則(令和7年10月1日変更)第2項", "別紙1 2(1)"]


@pytest.mark.parametrize("source,present,absent", [
    ("003_4e2883f6cd111e59.txt", ["第5条第20項", "第8条第2項(45)", "第8条第4項(1)(iv)", "第10条第5項",
                                  "附則(令和7年10月1日変更)第8項", "別紙2 2"],
     ["第5条第21項", "第8条第2項(46)", "第8条第9項", "第14条", "附則(令和7年10月1日変更)第9項"]),
    ("002_760b4dfc23283cbd.txt", ["第8条(2)", "第10条第3項(12)", "第17条第4項"], ["第8条(4)", "第17条第5項"]),
    ("004_d8987e9f485e5a49.txt", ["2.(7)", "5.(7)", "16.", "18.(5)"], ["5.(8)", "20."]),
])
def test_the_clause_index_of_the_seed_texts(source, present, absent):
    from tariffcheck.model.citation import parse_citation
    from tariffcheck.model.clauses import load_index

    from conftest import SPECS

    index = load_index(source, str(SPECS / "x.tariff"))
    if index is None:
        pytest.skip("the source texts (../shared/seeds) are not beside this checkout")
    assert [c for c in present if not index.has(parse_citation(c))] == []
    assert [c for c in absent if index.has(parse_citation(c))] == []


def test_l018_a_citation_to_a_clause_the_source_text_does_not_have(tmp_path):
    from tariffcheck.analyse.lint import lint_tariff

    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    head = '''tariff t "T"
  source "t.txt"
contract svc "サービス契約" @第1条 {
  dimension item "品目" @第1条 { a "A 型" }
  quantity seats "席数" @第1条第2項(1)
  quantity days "期間" @第1条第2項(3)
}
rule r1 @第1条第3項 also @第1条第2項(2) { require seats >= 1  ja "1 席以上です。" en "At least 1 seat." }
'''
    found = [f for f in lint_tariff(load("", head), checks=("citations",), sources=str(tmp_path)).findings]
    assert sorted((f.code, f.subject, f.clause) for f in found) == [
        ("L018", "days", "第1条第2項(3)"), ("L018", "r1", "第1条第3項")]
    assert all(f.severity == "warning" and "which the source text does not have" in f.message for f in found)
    # without the text, nothing is checked
    assert lint_tariff(load("", head), checks=("citations",), sources=str(tmp_path / "none")).findings == []
