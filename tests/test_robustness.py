"""No input crashes the checker: a spec or an order either loads or is rejected with diagnostics.

Anything but a DiagnosticError escaping `parse_text` + `resolve` or `Checker.decode` is a bug
(a user would see a Python traceback instead of `error[...]`).
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import DiagnosticError, render_all
from tariffcheck.syntax.parser import parse_text
from tariffcheck.resolve import resolve
from tariffcheck.orders.decode import read_order_text

from conftest import EXAMPLES, SPECS

SPEC_TEXT = (SPECS / "secure_endpoint.tariff").read_text(encoding="utf-8")
EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("secure_endpoint_*.json"))]

# TARIFF_FUZZ_EXAMPLES=5000 for a longer hunt; the default keeps the file under ~30 s
SETTINGS = settings(max_examples=int(os.environ.get("TARIFF_FUZZ_EXAMPLES", "200")), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CHECKER = Checker("secure-endpoint")

# pieces of the tariff language (and near misses) to splice into a spec
SPEC_PIECES = [
    "tariff", "contract", "dimension", "quantity", "flag", "date", "option", "option_date", "counted",
    "attribute", "service", "history", "version", "rename", "->", "from", "rule", "also", "in", "for",
    "when", "require", "forbid", "ja", "en", "period", "renews", "derive", "fee", "monthly", "yen", "per",
    "quoted", "formula", "note", "default", "optional", "parent", "implies", "and", "or", "not", "true",
    "false", "it", "it.count", "it.accounts", "contract", "{", "}", "(", ")", ",", ".", "=", "==", "<=", "+",
    "-", "*", "%", "@第5条", "@第5条第2項(3)", "@附則(令和7年10月1日変更)第2項", "@別紙1 2(1)", "@Article5",
    '@"第 8 条"', "@", '"', '""', '"x"', '"\\x"', '"\\N"', '"\\u12"', '"\\777"', '"\\q"', "0", "1", "-1",
    "9" * 5000, "2025-10-01", "2026-02-30", "0000-01-01", "9999-12-31", "1 month", "30 days", "2 years",
    "exactly_one", "at_most_one", "any_of", "old", "changed", "added", "removed", "applied_together",
    "ends_with", "holds", "later_of", "earlier_of", "or_else", "first_of_month", "multiple_of", "abs", "count",
    "takes_effect", "usage", "each", "per usage", "over", "due", "whole_months", "one_off",
    "item", "accounts", "tunnel", "storage", "web_access", "itam_l", "av_c", "billing_start",
    "application_date", "notice_arrived", "requested_date", "is_change", "is_new", "is_cancellation",
    "cancelled", '"トンネル接続オプション"', "トンネル", "\n", " ", "#", "\t", "\x00", "\ufeff", "\r",
]

piece = st.sampled_from(SPEC_PIECES)
spliced = st.lists(piece, max_size=12).map(" ".join)
insert_text = st.one_of(spliced, st.text(max_size=20))


def _load(text: str) -> None:
    try:
        resolve(parse_text(text, "fuzz.tariff"))
    except DiagnosticError as exc:
        assert exc.diagnostics
        render_all(exc.diagnostics, exc.sources)  # rendering must not crash either


@st.composite
def mutated(draw, text: str, pieces=insert_text):
    """`text` with one to three slices deleted, replaced or inserted."""
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 120)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        new = "" if op == "delete" else draw(pieces)
        text = text[:i] + new + (text[i:] if op == "insert" else text[j:])
    return text


# ---- specs ------------------------------------------------------------------------------------


@SETTINGS
@given(st.text(max_size=300))
@example("")
@example("tariff")
@example('tariff t "T"')
@example('tariff t "\\x"')
@example('tariff t "\\N{NO SUCH NAME}"')
@example('tariff t "T" as_of 2026-02-30')
def test_arbitrary_text_never_crashes_the_spec_loader(text):
    _load(text)


@SETTINGS
@given(st.builds(lambda body: 'tariff t "T"\ncontract c "C" @第4条 { quantity accounts "A" @第1条 option o "O" '
                              'counted { quantity q "Q" } }\n' + body, spliced))
@example('tariff t "T"\ncontract c "C" { quantity q "Q" default ' + "9" * 5000 + " }")
@example('tariff t "T"\ncontract c "C" { quantity q "Q" }\nrule r @第1条 { require q < ' + "9" * 5000 + ' ja "" en "" }')
@example('tariff t "T"\ncontract c "C" { quantity q "Q" }\nderive d "D" = 2025-01-01 + ' + "9" * 5000 + " days")
@example('tariff t "T"\ncontract c "C" { }\nrule r @第' + "9" * 5000 + '条 { require true ja "" en "" }')
@example('tariff t "T"\ncontract c "C" { quantity q "Q" }\nrule r @第1条 { for it require true ja "" en "" }')
@example('tariff t "T"\ncontract c "C" { option o "O" }\nrule r @第1条 { require it.count == 0 ja "" en "" }')
@example('tariff t "T"\nhistory { rename "x" -> a.b from 2025-01-01 }\ncontract c "C" { }')
def test_spliced_declarations_never_crash_the_spec_loader(text):
    _load(text)


@SETTINGS
@given(mutated(SPEC_TEXT))
def test_mutated_spec_never_crashes_the_spec_loader(text):
    _load(text)


def test_the_real_spec_loads():
    t = resolve(parse_text(SPEC_TEXT, "secure_endpoint.tariff"))
    assert t.rules


# ---- orders -----------------------------------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=12)
                | st.sampled_from(["new", "change", "cancellation", "secure-endpoint", "2026-04-01", "2026-02-30",
                                   "IT 資産管理:タイプ L", "アンチウイルス:Cylance", "unit-1", "se-1", "親たる契約",
                                   "子たる契約", "tunnel", "トンネル接続オプション", "IIJ ID サービス"]))
json_keys = st.text(max_size=10) | st.sampled_from([
    "tariff", "request", "application_date", "notice_arrived", "requested_date", "holdings", "contracts",
    "description", "id", "contract", "parent", "current", "changes", "options", "service", "item", "品目",
    "accounts", "licensor_consent", "billing_start", "count", "connections", "tunnel", "web_access",
    "storage", "recovery_storage", "トンネル接続オプション"])
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(json_keys, inner, max_size=5), max_leaves=30)


def _decode(order) -> None:
    try:
        CHECKER.decode(order)
    except DiagnosticError as exc:
        assert exc.diagnostics
        render_all(exc.diagnostics, exc.sources)


@SETTINGS
@given(json_values)
def test_arbitrary_json_values_never_crash_the_decoder(value):
    _decode(value)


order_like = st.fixed_dictionaries(
    {"contracts": st.lists(st.dictionaries(json_keys, json_values, max_size=6), max_size=3)},
    optional={"tariff": json_scalars, "request": json_scalars, "application_date": json_scalars,
              "notice_arrived": json_scalars, "requested_date": json_scalars, "holdings": json_values})


@SETTINGS
@given(order_like)
def test_order_shaped_values_never_crash_the_decoder(value):
    _decode(value)


json_pieces = st.one_of(st.text(max_size=12), st.sampled_from([
    "{", "}", "[", "]", ",", ":", '"', "null", "true", "false", "NaN", "Infinity", "-Infinity", "1e999", "-0",
    "9" * 5000, '"2026-02-30"', '"count"', '"options"', '"contracts"', '"request": "change"', '"current": {}',
    '"parent": "unit-1"', "\\u0000", "\\ud800", "\x00", "\ufeff"]))


@SETTINGS
@given(st.sampled_from(EXAMPLE_TEXTS).flatmap(lambda t: mutated(t, json_pieces)))
@example('{"contracts": [{"item": "IT 資産管理:タイプ L", "accounts": ' + "9" * 5000 + "}]}")
@example('{"contracts": [], "x": 1' + "0" * 5000 + "}")
def test_mutated_example_orders_never_crash_the_decoder(text):
    _decode(text)
    _decode(text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.sampled_from(EXAMPLE_TEXTS), st.data())
def test_mutated_example_values_never_crash_the_decoder(text, data):
    """Replace one value somewhere inside a real order by an arbitrary JSON value."""
    order = json.loads(text)
    node = order
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        k = data.draw(st.sampled_from(keys))
        child = node[k]
        if not isinstance(child, (dict, list)) or data.draw(st.booleans()):
            node[k] = data.draw(json_values)
            break
        node = child
    _decode(order)


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", "\ud800".encode("utf-8", "surrogatepass"),
                                 b'{"contracts": [' + b"9" * 5000 + b"]}"])
def test_odd_bytes_are_diagnosed(raw):
    with pytest.raises(DiagnosticError):
        read_order_text(raw)
