"""Issue 12: the decoder gives no verdict on an ambiguous order and never crashes.

Each test is named after what it pins down. Orders go in through the two doors a caller uses:
`Checker.check` (a dict, text or bytes) and `read_order_text` (text or bytes); a malformed
order raises OrderError (a DiagnosticError) with O-coded diagnostics, nothing else.
"""

from __future__ import annotations

import json

import pytest

from tariffcheck import Checker, OrderError
from tariffcheck.common.diagnostics import Diagnostic, render_all
from tariffcheck.orders.decode import read_order_text

TARIFF = "secure-endpoint"
CONTRACT = {"id": "se-1", "item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True}
VALID = {"tariff": TARIFF, "application_date": "2026-04-01",
         "contracts": [{"id": "unit-1", "contract": "親たる契約"}, {**CONTRACT, "parent": "unit-1"}]}


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(TARIFF)


def _order(**contract) -> dict:
    return {"tariff": TARIFF, "application_date": "2026-04-01", "contracts": [{**CONTRACT, **contract}]}


def _errors(call, *args) -> list[Diagnostic]:
    with pytest.raises(OrderError) as info:
        call(*args)
    rendered = render_all(info.value.diagnostics, info.value.sources)
    for python in ("Traceback", "<class", "NoneType", "object at 0x", "Error:"):
        assert python not in rendered, rendered
    return info.value.diagnostics


def _text(d: Diagnostic) -> str:
    return " ".join(x for x in (d.message, d.help or "", d.label or "", *d.notes))


# ---- 1. an ambiguous order gets no verdict ----------------------------------------------------


def test_duplicate_json_keys_are_an_error(checker):
    text = ('{"tariff": "secure-endpoint",\n "contracts": [{"item": "IT 資産管理:タイプ L", "accounts": 50,\n'
            '   "licensor_consent": true, "accounts": 5000}]}')
    for call, arg in ((checker.check, text), (checker.check, text.encode("utf-8")), (read_order_text, text)):
        [d] = _errors(call, arg)
        assert d.code == "O012" and d.field == "contracts[0].accounts"
        assert "`accounts` is given twice in `contracts[0]`" in d.message
        # both places: the second at the span, the first in a note
        first, again = (text.splitlines()[n].index('"accounts"') + 1 for n in (1, 2))
        assert (d.span.line, d.span.column) == (3, again)
        assert d.notes == [f"`accounts` is first given at line 2, column {first}"]
        assert d.help


def test_duplicate_json_keys_at_the_top_and_deep_are_each_reported(checker):
    text = ('{"request": "new", "contracts": [{"item": "IT 資産管理:タイプ L", "accounts": 50,'
            ' "options": {"tunnel": {"count": 1, "connections": 5, "count": 2}}}], "request": "change",'
            ' "request": "new"}')
    diags = _errors(read_order_text, text, "order.json")
    assert [(d.code, d.field) for d in diags] == [("O012", "contracts[0].options.tunnel.count"),
                                                  ("O012", "request"), ("O012", "request")]
    assert "in the order" in diags[1].message
    assert all(d.span.file == "order.json" for d in diags)


def test_equal_duplicate_json_keys_are_an_error_too(checker):
    text = json.dumps(_order())[:-1] + ', "application_date": "2026-04-01"}'
    [d] = _errors(checker.check, text)
    assert (d.code, d.field) == ("O012", "application_date")


def test_same_key_in_different_objects_is_not_a_duplicate(checker):
    assert checker.check(json.dumps(VALID, indent=1)).status == "valid"


def test_utf8_bom_is_accepted(checker):
    text = json.dumps(VALID, ensure_ascii=False)
    assert checker.check(text).status == "valid"
    assert checker.check("\ufeff" + text).status == "valid"
    assert checker.check(b"\xef\xbb\xbf" + text.encode("utf-8")).status == "valid"
    assert read_order_text("\ufeff" + text) == json.loads(text)


def test_utf8_bom_does_not_shift_errors(checker):
    [d] = _errors(read_order_text, b"\xef\xbb\xbf{\n  \"a\": 1,\n}", "order.json")
    assert (d.code, d.span.line, d.span.column) == ("O001", 3, 1)
    [d] = _errors(read_order_text, b"\xef\xbb\xbf{\"a\": \"\xff\"}")
    assert d.code == "O011" and "byte 10" in d.message  # counted in the bytes as sent


# a small tariff of its own: an option with a former name (附則), and a contract kind that may be
# its own kind's parent (the spec language allows it)
SMALL_SPEC = '''tariff t "T"
history {
  rename "旧トンネル" -> tunnel from 2025-10-01 @附則第1項
}
contract c "契約" @第4条 parent c {
  quantity accounts "アカウント数" @第1条
  option tunnel "トンネル" @第8条
}
'''


@pytest.fixture(scope="module")
def small() -> Checker:
    from tariffcheck.resolve.resolver import resolve
    from tariffcheck.syntax.parser import parse_text

    return Checker(resolve(parse_text(SMALL_SPEC, "small.tariff")))


@pytest.mark.parametrize("fields, field, keys, why", [
    # id and official name, values equal or not
    ({"item": "IT 資産管理:タイプ L", "accounts": 50, "契約アカウント数": 50}, "contracts[0].契約アカウント数",
     ["accounts", "契約アカウント数"], "`accounts` is its id and `契約アカウント数` its official name"),
    ({"品目": "IT 資産管理:タイプ L", "item": "IT 資産管理:タイプ M", "accounts": 50}, "contracts[0].item",
     ["品目", "item"], "`item` is its id and `品目` its official name"),
    ({"item": "IT 資産管理:タイプ L", "accounts": 50, "options": {"tunnel": True, "トンネル接続オプション": False}},
     "contracts[0].options.トンネル接続オプション", ["tunnel", "トンネル接続オプション"], "its id"),
    ({"item": "IT 資産管理:タイプ L", "accounts": 50, "options": {"web_access": {"accounts": 50, "利用アカウント数": 60}}},
     "contracts[0].options.web_access.利用アカウント数", ["accounts", "利用アカウント数"], "its id"),
    # two spellings of one official name: a trailing space, full-width letters
    ({"item": "IT 資産管理:タイプ L", "契約アカウント数": 50, "契約アカウント数 ": 50}, "contracts[0].契約アカウント数 ",
     ["契約アカウント数", "契約アカウント数 "], "differ only in spacing or character width"),
    ({"item": "IT 資産管理:タイプ L", "accounts": 50, "options": {"EDR オプション": True, "ＥＤＲオプション": True}},
     "contracts[0].options.ＥＤＲオプション", ["EDR オプション", "ＥＤＲオプション"], "differ only in spacing or character width"),
])
def test_one_field_by_id_and_by_official_name_is_an_error(fields, field, keys, why, checker):
    order = {"tariff": TARIFF, "contracts": [{"id": "se-1", "licensor_consent": True, **fields}]}
    [d] = _errors(checker.check, order)
    assert (d.code, d.field) == ("O012", field)
    assert f"`{keys[0]}` and `{keys[1]}` both give" in d.message
    assert why in d.help and "give it once" in d.help


@pytest.mark.parametrize("part, fields", [("current", {"item": "IT 資産管理:タイプ L", "品目": "IT 資産管理:タイプ L"}),
                                         ("changes", {"accounts": 60, "契約アカウント数": 70})])
def test_one_field_twice_in_current_or_changes_is_an_error(part, fields, checker):
    entry = {"id": "se-1", "current": {"item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True},
             "changes": {}}
    entry[part].update(fields)
    order = {"request": "change", "application_date": "2026-05-10", "contracts": [entry]}
    [d] = _errors(checker.check, order)
    assert (d.code, d.field) == ("O012", f"contracts[0].{part}.{list(fields)[1]}")


def test_held_service_dimension_twice_is_an_error():
    order = {"contracts": [{"id": "p", "contract": "親たる契約"}],
             "holdings": [{"service": "secure_endpoint", "item": "IT 資産管理:タイプ L",
                           "品目": "IT 資産管理:タイプ L"}]}
    [d] = _errors(Checker("flex-resilience").check, order)
    assert (d.code, d.field) == ("O012", "holdings[0].品目")
    assert "`item` and `品目` both give the `品目` of `IIJ セキュアエンドポイントサービス`" in d.message


def test_option_designation_twice_is_an_error():
    order = {"contracts": [{"id": "p", "contract": "親たる契約"}, {
        "id": "c", "parent": "p", "contract": "子たる契約", "grade": "Basic", "licences": 10,
        "options": {"rlw": {"accounts": 10, "processing": "リモートロック処理", "代行処理": "リモートワイプ処理"}}}]}
    [d] = _errors(Checker("flex-resilience").check, order)
    assert (d.code, d.field) == ("O012", "contracts[1].options.rlw.代行処理")


def test_option_by_name_and_by_former_name_is_an_error(small):
    [d] = _errors(small.check, {"contracts": [{"accounts": 1, "options": {"旧トンネル": True, "tunnel": False}}]})
    assert (d.code, d.field) == ("O012", "contracts[0].options.tunnel")
    assert "`旧トンネル` is its former name (附則)" in d.help


def test_order_that_is_a_string_holding_an_order_is_an_error(checker):
    once = json.dumps(VALID)
    twice = json.dumps(once)
    assert checker.check(once).status == "valid"
    for arg in (twice, twice.encode("utf-8"), once):
        if arg is once:  # handed to the decoder as a value (a string), not as text
            from tariffcheck.orders.decode import decode_order

            [d] = _errors(decode_order, once, checker.tariff)
        else:
            [d] = _errors(checker.check, arg)
        assert (d.code, d.field) == ("O002", "")
        assert "the order is a string" in d.message and "not a JSON object" in d.message
        assert "encoded as JSON twice" in d.help
    # read_order_text reads the text it is given: the string; the decoder refuses it
    assert read_order_text(twice) == json.dumps(VALID)


def test_order_that_is_any_other_string_keeps_its_message(checker):
    [d] = _errors(checker.check, json.dumps("just text"))
    assert d.message == "an order must be a JSON object, found the text `just text`"
    [d] = _errors(checker.check, json.dumps("{not json"))
    assert d.message == "an order must be a JSON object, found the text `{not json`"
    [d] = _errors(checker.check, json.dumps("x" * 100_000))
    assert len(d.message) < 200 and "100,000 characters" in d.message
