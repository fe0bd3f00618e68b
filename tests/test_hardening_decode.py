"""Issue 12: the decoder gives no verdict on an ambiguous order and never crashes.

Each test is named after what it pins down. Orders go in through the two doors a caller uses:
`Checker.check` (a dict, text or bytes) and `read_order_text` (text or bytes); a malformed
order raises OrderError (a DiagnosticError) with O-coded diagnostics, nothing else.
"""

from __future__ import annotations

import datetime
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tariffcheck import Checker, OrderError
from tariffcheck.common.diagnostics import Diagnostic, render_all
from tariffcheck.evaluate.verdict import Verdict
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


# a small tariff of its own: an option with a former name (附則)
SMALL_SPEC = '''tariff t "T"
history {
  rename "旧トンネル" -> tunnel from 2025-10-01 @附則第1項
}
contract c "契約" @第4条 {
  quantity accounts "アカウント数" @第1条
  option tunnel "トンネル" @第8条
}
'''


@pytest.fixture(scope="module")
def small() -> Checker:
    from tariffcheck.resolve import resolve
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


# ---- 2. values JSON cannot hold are OrderErrors, in plain words --------------------------------


class Money:
    def __init__(self, yen: int):
        self.yen = yen


NOT_JSON = [
    (datetime.date(2026, 4, 1), "a date (`2026-04-01`), not text", '`"2026-04-01"`'),
    (datetime.datetime(2026, 4, 1, 9, 30), "a date and time (`2026-04-01T09:30:00`), not text", '`"2026-04-01"`'),
    (Decimal("50"), "a decimal number (`50`)", "`50`"),
    (Decimal("NaN"), "the decimal `NaN`", "objects, lists, text"),
    (b"50", "bytes", "decode the bytes"),
    (bytearray(b"50"), "bytes", "decode the bytes"),
    ({50}, "a set", "a list"),
    (frozenset({50}), "a set", "a list"),
    ((50,), "a tuple", "a list"),
    (1 + 2j, "a complex number", "objects, lists, text"),
    (object(), "a value that is not JSON", "objects, lists, text"),
    (Money(50), "a `Money` object", "objects, lists, text"),
    (float("nan"), "`NaN`", "finite"),
    (float("inf"), "`Infinity`", "finite"),
    (float("-inf"), "`-Infinity`", "finite"),
]


@pytest.mark.parametrize("value, kind, help", NOT_JSON, ids=lambda x: type(x).__name__)
@pytest.mark.parametrize("place", ["accounts", "item", "billing_start", "options.tunnel", "options.web_access.accounts",
                                   "description", "application_date", "holdings", "contracts"])
def test_non_json_value_in_a_dict_is_an_order_error(value, kind, help, place, checker):
    order = _order(options={"web_access": {"accounts": 50}})
    if place in ("description", "application_date", "holdings", "contracts"):
        order[place], field = value, place
    else:
        *parents, last = place.split(".")
        node = order["contracts"][0]
        for p in parents:
            node = node[p]
        node[last], field = value, f"contracts[0].{place}"
    [d] = _errors(checker.check, order)
    assert (d.code, d.field) == ("O002", field)
    assert d.message == f"`{field}` must hold a JSON value, found {kind}"
    assert help in d.help


def test_non_json_values_deep_inside_are_all_reported(checker):
    order = _order(options={"tunnel": {"count": 1, "connections": [1, {2}]}}, extra=[(1, 2)])
    order["description"] = {"notes": [b"x", {"when": datetime.date(2026, 4, 1)}]}
    diags = _errors(checker.check, order)
    # in the order they stand in; nothing else of the order is reported (`extra` is no field)
    assert [(d.code, d.field, d.message.rsplit("found ", 1)[1]) for d in diags] == [
        ("O002", "contracts[0].options.tunnel.connections[1]", "a set"),
        ("O002", "contracts[0].extra[0]", "a tuple"),
        ("O002", "description.notes[0]", "bytes"),
        ("O002", "description.notes[1].when", "a date (`2026-04-01`), not text")]


@pytest.mark.parametrize("value, kind", [({1, 2}, "a set"), ((1, 2), "a tuple"), (b"{}", "bytes"),
                                         (datetime.date(2026, 4, 1), "a date (`2026-04-01`), not text"),
                                         (None, "`null`"), (float("nan"), "`NaN`")])
def test_set_or_tuple_as_the_whole_order_says_what_it_is(value, kind):
    from tariffcheck.orders.decode import decode_order

    checker = Checker(TARIFF)
    if not isinstance(value, bytes):  # bytes given to Checker.check are text: that is O001
        [d] = _errors(checker.check, value)
        assert d.message == f"an order must be a JSON object, found {kind}"
    [d] = _errors(decode_order, value, checker.tariff)
    assert (d.code, d.field) == ("O002", "")
    assert d.message == f"an order must be a JSON object, found {kind}"


@pytest.mark.parametrize("key, kind, help", [(1, "the number `1`", '`"1"`'), (None, "`null`", "text"),
                                             ((1, 2), "a tuple", "text"), (True, "`true`/`false`", "text"),
                                             (2.5, "the number `2.5`", "text")])
def test_non_string_keys_are_an_order_error(key, kind, help, checker):
    for order, field, where in [({**_order(), key: 1}, "", "an order"),
                                (_order(options={key: True}), "contracts[0].options", "`contracts[0].options`")]:
        [d] = _errors(checker.check, order)
        assert (d.code, d.field) == ("O002", field)
        assert d.message == f"the names of the fields of {where} are text, found {kind}"
        assert help in d.help


def test_integer_over_the_digit_limit_is_an_order_error(checker):
    # in text, json.loads raised a bare ValueError (Python's 4,300-digit limit)
    text = '{"count": 1' + "0" * 5000 + "}"
    for call in (checker.check, read_order_text):
        [d] = _errors(call, text)
        assert d.code == "O011" and "thousands of digits" in d.message and d.span.column == 11
    # in a dict, the decoder raised it while writing its message
    for place in ("accounts", "description"):
        order = _order()
        (order["contracts"][0] if place == "accounts" else order)[place] = 10 ** 5000
        [d] = _errors(checker.check, order)
        assert (d.code, d.field) == ("O011", "contracts[0].accounts" if place == "accounts" else "description")
        assert "thousands of digits" in d.message and "10,000,000" in d.help
    # a long number Python can still write is a count too large, as before
    [d] = _errors(checker.check, _order(accounts=10 ** 4000))
    assert d.code == "O005"


def test_nan_and_infinity_in_text_are_not_json_numbers(checker):
    for literal, kind in (("NaN", "`NaN`"), ("Infinity", "`Infinity`"), ("-Infinity", "`-Infinity`"),
                          ("1e999", "`Infinity`")):
        text = json.dumps(_order())[:-1] + f', "description": {literal}}}'
        [d] = _errors(checker.check, text)
        assert (d.code, d.field) == ("O002", "description")
        assert d.message.endswith(f"found {kind}")


def test_value_that_contains_itself_is_an_order_error(checker):
    order = _order()
    order["description"] = loop = []
    loop.append(loop)
    [d] = _errors(checker.check, order)
    assert (d.code, d.field) == ("O002", "description[0]")
    assert "found a list that contains itself" in d.message
    shared = {"note": "x"}
    ok = _order()
    ok["description"] = [shared, shared]  # the same object twice is not a loop
    assert checker.check(ok).status == "invalid"


def test_nesting_deeper_than_any_order_is_an_order_error(checker):
    deep: list = []
    node = deep
    for _ in range(5000):
        node.append([])
        node = node[0]
    order = _order()
    order["description"] = deep
    [d] = _errors(checker.check, order)
    assert d.code == "O001" and "nested too deeply" in d.message
    assert d.field.startswith("description[0][0]")
    text = json.dumps(_order())[:-1] + ', "description": ' + "[" * 200 + "]" * 200 + "}"
    [d] = _errors(checker.check, text)
    assert d.code == "O001" and "nested too deeply" in d.message


# ---- 3. a byte order mark is accepted (above); only ASCII digits are a date ------------------------


@pytest.mark.parametrize("written", ["２０２６-０５-０１", "2026-０５-01", "٢٠٢٦-٠٥-٠١", "2026-05-0１"])
def test_full_width_digits_in_a_date_are_the_wrong_format(written, checker):
    for order, field in ((dict(_order(), application_date=written), "application_date"),
                         (_order(billing_start=written), "contracts[0].billing_start"),
                         (_order(options={"web_access": {"accounts": 50, "billing_start": written}}),
                          "contracts[0].options.web_access.billing_start")):
        [d] = _errors(checker.check, order)
        assert (d.code, d.field) == ("O002", field)
        assert d.message == f"`{written}` is not a date in the form `YYYY-MM-DD`"  # not "not a day of the calendar"
        assert d.help == 'write e.g. `"2026-04-01"`'


def test_ascii_dates_are_still_read(checker):
    assert checker.check(dict(VALID, application_date="2026-05-01")).status == "valid"
    [d] = _errors(checker.check, dict(_order(), application_date="2026-02-30"))
    assert d.code == "O006" and "not a day of the calendar" in d.message


# ---- 4. parent links that form a cycle ---------------------------------------------------------


def _parents(*links: tuple[str, str | None], **fields) -> dict:
    return {"contracts": [{"id": cid, **({"parent": parent} if parent else {}), **fields} for cid, parent in links]}


def test_parent_cycle_is_an_error(checker):
    # a contract kind cannot be its own parent (E013, tests/test_hardening_spec.py), but an order can
    # still link its contracts in a cycle: each cycle is one error, from its first contract
    child = {k: v for k, v in CONTRACT.items() if k != "id"}
    [d] = _errors(checker.check, _parents(("a", "a"), **child))
    assert (d.code, d.field, d.message) == ("O010", "contracts[0].parent", "contract `a` is its own parent")
    assert "another contract" in d.help
    # a longer cycle, entered from a contract outside it, is reported once, from its first contract
    d, *rest = _errors(checker.check, _parents(("x", "c"), ("b", "a"), ("c", "b"), ("a", "c"), **child))
    assert (d.code, d.field) == ("O010", "contracts[1].parent")
    assert [x.message for x in rest] == ["`c` is a `子たる契約`, not a `親たる契約`"]  # x's own link, outside the cycle
    assert d.message == "the parents of `b`, `a` and `c` form a cycle: `b` → `a` → `c` → `b`"


def test_parent_cycle_in_secure_endpoint_names_the_contracts(checker):
    child = {k: v for k, v in CONTRACT.items() if k != "id"}
    [d] = _errors(checker.check, {"contracts": [{**CONTRACT, "parent": "se-1"}]})
    assert (d.code, d.message) == ("O010", "contract `se-1` is its own parent")
    diags = _errors(checker.check, _parents(("a", "b"), ("b", "a"), **child))
    assert [(d.code, d.field, d.message) for d in diags] == [
        ("O010", "contracts[0].parent", "the parents of `a` and `b` form a cycle: `a` → `b` → `a`")]
    diags = _errors(checker.check, _parents(("a", "b"), ("b", "a"), contract="親たる契約"))
    assert [(d.code, d.field) for d in diags] == [("O010", "contracts[0].parent")]
    # in a change request too
    current = {"current": {"item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True}}
    [d] = _errors(checker.check, {"request": "change", "contracts": [{"id": "se-1", "parent": "se-1", **current}]})
    assert (d.code, d.message) == ("O010", "contract `se-1` is its own parent")


def test_parent_errors_outside_a_cycle_keep_their_messages(checker):
    child = {k: v for k, v in CONTRACT.items() if k != "id"}
    [d] = _errors(checker.check, _parents(("se-1", "unit-9"), **child))
    assert d.message == "no contract in the order has the id `unit-9`"
    [d] = _errors(checker.check, _parents(("a", None), ("b", "a"), **child))
    assert d.message == "`a` is a `子たる契約`, not a `親たる契約`"


# ---- any Python value: a verdict or an OrderError, nothing else --------------------------------

EXAMPLES = [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((Path(__file__).resolve().parent.parent / "examples").glob("secure_endpoint_*.json"))]
# TARIFF_FUZZ_EXAMPLES=5000 for a longer hunt, as in test_robustness.py
FUZZ = settings(max_examples=int(os.environ.get("TARIFF_FUZZ_EXAMPLES", "200")), deadline=None,
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def _too_long_to_write() -> int:
    return 10 ** 5000  # Python refuses to write it as text (4,300 digits); hypothesis may not repr it


names = st.sampled_from([
    "tariff", "request", "application_date", "notice_arrived", "requested_date", "holdings", "contracts",
    "description", "id", "contract", "parent", "current", "changes", "options", "service", "item", "品目",
    "accounts", "契約アカウント数", "契約アカウント数 ", "licensor_consent", "billing_start", "count", "connections",
    "接続数", "tunnel", "トンネル接続オプション", "web_access", "Web アクセス管理オプション", "利用アカウント数", "storage",
    "new", "change", "cancellation", "secure-endpoint", "IT 資産管理:タイプ L", "アンチウイルス:Cylance", "unit-1",
    "se-1", "親たる契約", "子たる契約", "IIJ ID サービス", "2026-04-01", "２０２６-０４-０１", "2026-02-30", "\ufeff"])
json_scalars = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats() | st.text(max_size=8)
                | names)
not_json_scalars = st.one_of(
    st.dates(), st.datetimes(), st.decimals(), st.binary(max_size=4), st.complex_numbers(),
    st.builds(_too_long_to_write), st.builds(object), st.builds(Money, st.integers()),
    st.frozensets(json_scalars.filter(lambda x: x == x), max_size=3),  # NaN is never equal: not hashable usefully
    st.sets(st.integers() | names, max_size=3))
keys = names | st.text(max_size=6) | st.integers() | st.none() | st.tuples(st.integers()) | st.booleans()
values = st.recursive(
    json_scalars | not_json_scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(names | st.text(max_size=6), inner, max_size=5)
                   | st.dictionaries(keys, inner, max_size=3)),
    max_leaves=25)
contract_like = st.dictionaries(names, values, max_size=6)
order_like = st.fixed_dictionaries(
    {"contracts": st.lists(contract_like, max_size=3)},
    optional={"tariff": values, "request": st.sampled_from(["new", "change", "cancellation"]) | values,
              "application_date": values, "requested_date": values, "holdings": values, "description": values})


def _verdict_or_order_error(checker: Checker, order) -> None:
    try:
        verdict = checker.check(order)
    except OrderError as exc:
        assert exc.diagnostics and all(d.code.startswith("O") for d in exc.diagnostics)
        rendered = render_all(exc.diagnostics, exc.sources)
        for python in ("Traceback", "<class", "NoneType", "object at 0x", "Error:"):
            assert python not in rendered, rendered
    else:
        assert isinstance(verdict, Verdict)


@FUZZ
@given(value=values | order_like)
@example(value={1, 2})
@example(value=(1, 2))
@example(value={"contracts": [{"accounts": {1}}], (1,): 2})
@example(value={"contracts": [], "description": [float("nan"), 10 ** 5000]})
@example(value=json.dumps(json.dumps({"contracts": []})))
def test_random_python_values_give_a_verdict_or_an_order_error(value, checker):
    _verdict_or_order_error(checker, value)


@FUZZ
@given(which=st.sampled_from(range(len(EXAMPLES))), data=st.data())
def test_real_orders_with_one_random_python_value_give_a_verdict_or_an_order_error(which, data, checker):
    """A real order, one value inside it (or a new key) replaced by an arbitrary Python value."""
    order = json.loads(json.dumps(EXAMPLES[which]))
    node = order
    while True:
        keys_here = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys_here:
            break
        k = data.draw(st.sampled_from(keys_here) | (names if isinstance(node, dict) else st.nothing()))
        child = node.get(k) if isinstance(node, dict) else node[k]
        if not isinstance(child, (dict, list)) or data.draw(st.booleans()):
            node[k] = data.draw(json_scalars | values)  # JSON scalars as often as the rest: verdicts too
            break
        node = child
    _verdict_or_order_error(checker, order)
