"""The name checks of `tariff lint` (tariffcheck/analyse/names.py): each finding kind on a small
spec built to trigger it (tests/fixtures/lint/), a spec where it must stay silent, and the
findings on the five bundled tariffs, each checked against the seed text."""

from __future__ import annotations

import pytest

from tariffcheck import catalog
from tariffcheck.analyse.finding import CODES, SEVERITIES
from tariffcheck.analyse.names import lookalike_key, name_findings
from tariffcheck.resolve import load_tariff_file

from conftest import FIXTURES

LINT = FIXTURES / "lint"


def findings(name: str, code: str, linked: bool = False):
    path = str(LINT / name if "/" not in name else FIXTURES / name)
    tariff = catalog.load(path) if linked else load_tariff_file(path)
    return [f for f in name_findings(tariff) if f.code == code]


def by_subject(fs) -> dict:
    return {f.subject: f for f in fs}


def test_every_finding_is_well_formed():
    for name in ("unused.tariff", "lookalike.tariff", "renamed.tariff"):
        for f in name_findings(load_tariff_file(str(LINT / name))):
            assert f.code in CODES and f.severity in SEVERITIES
            assert f.span is not None and f.span.file.endswith(name)
            assert "\n" not in f.message and "`" in f.message
            assert f.message_ja and f.explanation and f.subject


# ---- L010 ---------------------------------------------------------------------------------------

def test_unused_names_are_reported_once_each():
    found = by_subject(findings("unused.tariff", "L010"))
    assert set(found) == {"spare", "colour", "spare_seats", "newsletter", "handover", "it.start", "lonely",
                          "y.spare", "y.mode", "y.delivered"}
    assert all(f.severity == "info" for f in found.values())
    lonely = found["lonely"]
    assert (lonely.span.line, lonely.clause) == (23, "第8条")
    assert "option `孤立オプション` (`lonely`)" in lonely.message
    assert "孤立オプション" in lonely.message_ja
    # an `option_date` is one declaration, reported once, not once per option
    assert found["it.start"].span.line == 21


def test_an_unmentioned_value_is_not_a_finding():
    # `c "C 型"` of the used dimension `item` appears in no rule: customers pick values
    assert all(f.subject not in ("c", "item") for f in findings("unused.tariff", "L010"))


@pytest.mark.parametrize("subject", ["x", "y", "z", "w", "v", "iij_id", "other", "seats", "consent",
                                     "billing_start", "item", "y.seats"])
def test_a_name_used_in_any_one_way_is_used(subject):
    # x: a rule's `for`; z: a fee's subject; w: a period's subject; v: a derived day's `when`;
    # other: `holds(other, item in {...})`
    assert subject not in by_subject(findings("unused.tariff", "L010"))


def test_no_unused_name_where_each_is_used_once():
    # former_name, a period's start and `when`, a derived day's value and `when`, a message's
    # `{day}`, a fee's `when`, `per` and formula, `it.` of an option date, a designation
    assert findings("all_used.tariff", "L010") == []


# ---- L011 ---------------------------------------------------------------------------------------

def test_lookalike_names_in_one_scope():
    found = by_subject(findings("lookalike.tariff", "L011"))
    assert set(found) == {"fm2", "card2", "type_0", "server2", "app2", "voice2", "setup2", "filter2", "help2",
                          "lock2"}
    assert all(f.severity == "warning" for f in found.values())
    server = found["server2"]
    assert (server.span.line, server.clause) == (23, "第4条(2)")
    assert "`サーバー監視オプション` (`server2`)" in server.message and "`サーバ監視オプション` (`server`)" in server.message
    assert "options of `svc`" in server.explanation and "line 22" in server.explanation
    # a kanji for a katakana shows only in its code point
    assert "U+529B" in found["card2"].explanation


def test_real_letters_and_other_scopes_are_not_lookalikes():
    assert "type_m" not in by_subject(findings("lookalike.tariff", "L011"))
    assert "plan" not in by_subject(findings("lookalike.tariff", "L011"))  # an option named like a value
    assert "tunnel_device" not in by_subject(findings("lookalike.tariff", "L011"))
    assert findings("distinct.tariff", "L011") == []


@pytest.mark.parametrize("a, b", [
    ("サーバ", "サーバー"), ("サーバ", "サーバ−"), ("i-FILTERブラウザサービス", "i-FILTERブラウザーサービス"),
    ("カ", "力"), ("ロック", "口ック"), ("ニ", "二"), ("ヘルプ", "へルプ"), ("エンタープライズ", "工ンタープライズ"),
    ("タイプ O", "タイプ 0"), ("タイプ l", "タイプ 1"), ("タイプ I", "タイプ l"), ("セット", "セツト"),
    ("ファイル", "フアイル"), ("デバイス・アプリ", "デバイス アプリ"), ("デバイス・アプリ", "デバイスアプリ"),
    ("ヴィデオ", "ビデオ"), ("ＩＩＪ", "IIJ"), ("A-B", "A‐B"),
    ("MaaS360", "Maas360"), ("IIJ SmartKey", "IIJ Smartkey"), ("ｉ－ＦＩＬＴＥＲ", "i-FILTER"),  # case and width
])
def test_lookalike_key_folds_variants(a, b):
    assert lookalike_key(a) == lookalike_key(b)


@pytest.mark.parametrize("a, b", [
    ("タイプ L", "タイプ M"), ("Standard/同時", "Standard/単独"), ("タイプ C", "タイプ D"),
    ("導入支援オプション", "教育支援オプション"), ("タイプ L", "タイプ I"), ("タイプ L", "タイプ 1"),
])
def test_lookalike_key_keeps_real_letters(a, b):
    assert lookalike_key(a) != lookalike_key(b)


# ---- L012, L013 ---------------------------------------------------------------------------------

def test_a_reference_through_a_rename():
    [f] = findings("renamed.tariff", "L012")
    assert (f.severity, f.span.line, f.clause, f.subject) == ("warning", 21, "第5条第6項", "r5_6_edr")
    assert "`アンチウイルス:Cylance` was renamed `アンチウイルス:タイプ C`" in f.message
    assert "附則(令和7年10月1日変更)第2項" in f.explanation
    assert "アンチウイルス:タイプ C" in f.message_ja


def test_a_reference_through_a_rename_in_a_linked_tariff():
    [f] = [x for x in findings("links/links_secure_endpoint.tariff", "L012", linked=True) if "renamed" in x.message]
    assert (f.span.line, f.subject) == (15, "needs_designated")
    assert "in `secure_endpoint`" in f.message


def test_a_reference_to_a_value_the_linked_tariff_withdrew():
    [f] = [x for x in findings("links/links_secure_endpoint.tariff", "L012", linked=True) if "withdrew" in x.message]
    assert (f.severity, f.subject, f.clause) == ("warning", "needs_designated", "第4条")
    assert "`アンチウイルス:Symantec`" in f.message and "附則(令和4年5月1日変更)第2項" in f.message


def test_a_reference_to_a_current_value_is_not_stale():
    assert not [x for x in findings("renamed.tariff", "L012") if "withdrew" in x.message]


def test_current_names_and_links_are_not_warned_about():
    assert findings("unused.tariff", "L012") == []
    assert findings("links/links_secure_endpoint.tariff", "L013", linked=True) == []
    assert findings("unlinked.tariff", "L013", linked=True) == []


def test_a_link_to_a_tariff_that_is_not_bundled():
    [f] = findings("links/links_not_bundled.tariff", "L013", linked=True)
    assert (f.severity, f.span.line, f.subject) == ("warning", 5, "zt")
    assert "`flex_mobility`" in f.message and "not checked" in f.message


def test_a_link_not_followed_when_loaded_without_the_catalog():
    [f] = findings("unlinked.tariff", "L013")
    assert (f.span.line, f.subject) == (7, "se")
    assert "`secure_endpoint` was not linked" in f.message


# ---- the bundled tariffs ----------------------------------------------------------------------

# Each verified against the seed text (../shared/seeds/):
# - flex-resilience 第4条 names "アンチウイルス:Cylance", which Secure Endpoint's
#   附則(令和7年10月1日変更)第2項 renamed アンチウイルス:タイプ C before this version (令和8年3月1日).
# - flex-resilience 第4条 also names "アンチウイルス:Symantec", which Secure Endpoint withdrew
#   (附則(令和4年5月1日変更)第2項: only contracts made on or before 2022-04-30 keep it).
# - smart-mobile-manager `billing_start`: 課金開始日 occurs once in the text, in 第11条, as the day
#   the monthly fee falls due, which the language cannot state; there is no minimum period (第4条,
#   第8条第6項 "オプションサービスにおける最低利用期間はありません"), so nothing else reads it.
# - smart-mobile-manager `it.billing_start`: the text gives options no 課金開始日 at all (第11条
#   speaks of the service's); the spec's `option_date` is unused, an artefact of the spec.
# - secure-endpoint 第5条第18項 and 別紙1 1(2) name "IT 資産管理:タイプ A 教育支援オプション", which
#   第8条第2項's closed list of 45 options never defines (it has (37) タイプ A 導入支援 and (38)
#   タイプ A 導入・教育支援).
# - the other spellings the texts use, declared with `also spelled` (docs/findings.md, checked
#   against the texts by tests/test_spellings.py): FENCE 5.(6)/6.(1), Flex 第17条第3項(2) and
#   第4項, Smart Mobile Manager 第7条第1項, SmartKey 第8条第2項.
BUNDLED = {
    "secure-endpoint": {("L015", "r5_18_type_a_support", "第5条第18項"), ("L015", "option_initial_quoted", "別紙1 1(2)")},
    "fence-mobile": {("L011", "ifilter", "5.(6)")},
    "flex-resilience": {("L012", "r4_designated_service", "第4条"), ("L011", "answer_deadline", "第17条第3項(2)"),
                        ("L011", "answer_deadline", "第17条第4項")},
    "smart-mobile-manager": {("L010", "billing_start", "第11条"), ("L010", "it.billing_start", "第11条"),
                             ("L011", "maas360", "第7条第1項")},
    "smartkey": {("L011", None, "第8条第2項")},
}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_tariffs(name):
    found = {(f.code, f.subject, f.clause) for f in name_findings(catalog.load(name))}
    assert found == BUNDLED[name]


def test_flex_resilience_names_both_stale_items():
    found = sorted(f.message for f in name_findings(catalog.load("flex-resilience")) if f.code == "L012")
    assert len(found) == 2
    assert "アンチウイルス:Cylance" in found[0] + found[1] and "アンチウイルス:Symantec" in found[0] + found[1]
