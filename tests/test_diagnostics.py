"""Negative fixtures: every diagnostic code, at the right place, with a helpful message.

Each spec fixture in tests/fixtures/specs/ starts with a `# expect:` comment for a human
reader; the table below is what the tests assert. Order fixtures are for the bundled
Secure Endpoint tariff (`--tariff secure-endpoint`).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import CODES, Diagnostic, DiagnosticError, render_all
from tariffcheck.syntax.parser import MAX_SPEC_BYTES, parse_text
from tariffcheck.resolve import load_tariff_file, resolve
from tariffcheck.model.limits import MAX_CONTRACTS
from tariffcheck.orders.decode import MAX_ORDER_BYTES, read_order_text

from conftest import EXAMPLES, FIXTURES, ROOT, SPECS, run_cli_process, run_python

SPEC_FIXTURES = FIXTURES / "specs"
ORDERS = FIXTURES / "orders"
TARIFF = "secure-endpoint"

# fixture -> (code, line, column, words the message or help must contain)
SPEC_CASES: dict[str, tuple[str, int, int, list[str]]] = {
    "E001_missing_header.tariff": ("E001", 3, 1, ["unexpected `contract`", "starts with a header"]),
    "E001_bad_escape.tariff": ("E001", 3, 10, ["malformed escape", "`\\\\` for a backslash"]),
    "E001_single_equals.tariff": ("E001", 19, 38, ["unexpected `=`", "compare with `==`"]),
    "E002_misspelt_option.tariff": ("E002", 19, 7, ["option `tunel` is not defined", "did you mean `tunnel`?"]),
    "E002_misspelt_name.tariff": ("E002", 19, 11, ["`acounts` is not defined", "did you mean `accounts`?"]),
    "E003_duplicate_option.tariff": ("E003", 12, 3, ["`tunnel` is defined twice", "first definition is at line 10"]),
    "E004_number_as_condition.tariff": ("E004", 19, 11, ["expected a condition, found a number", "accounts >= 50"]),
    "E005_no_citation.tariff": ("E005", 18, 1, ["rule `r1` cites no clause", "rule r1 @第5条第2項"]),
    "E006_malformed_citation.tariff": ("E006", 18, 9, ["`Article5` is not a citation", "第N条第M項"]),
    "E007_missing_english.tariff": ("E007", 18, 1, ["no English (`en`) message", "both languages"]),
    "E008_ambiguous_contract.tariff": ("E008", 13, 1, ["several contracts with choices", "add `in a`"]),
    "E009_product_of_two_counts.tariff": ("E009", 19, 11, ["a product needs a number on one side"]),
    "E010_misspelt_function.tariff": ("E010", 19, 11, ["`exactly_on` is not a function",
                                                       "did you mean `exactly_one`?"]),
    "E010_wrong_arity.tariff": ("E010", 19, 11, ["`later_of` takes 2 arguments, found 1", "later_of(d1, d2)"]),
    "E011_february_30.tariff": ("E011", 19, 28, ["`2026-02-30` is not a day of the calendar", "YYYY-MM-DD"]),
    "E011_as_of_leap_day.tariff": ("E011", 3, 9, ["`2025-02-29` is not a day of the calendar", "YYYY-MM-DD"]),
    "E013_parent_cycle.tariff": ("E013", 4, 38, ["the parents of contracts `unit` and `service` form a cycle",
                                                 "drop or change one link"]),
    "E014_former_name_in_use.tariff": ("E014", 6, 10, ["the former name `IT 資産管理:タイプ X` is the current name "
                                                       "of value `itam_x`", "would mean `itam_x`"]),
    "E015_nested_too_deeply.tariff": ("E015", 9, 211, ["nested more than 50 levels deep", "level 51 starts here",
                                                       "counts one level per operator"]),
}

# fixture -> (code, field path, words the message or help must contain)
ORDER_CASES: dict[str, tuple[str, str, list[str]]] = {
    "O001_trailing_comma.json": ("O001", None, ["not valid JSON", "double quotes", "missing comma"]),
    "O002_string_count.json": ("O002", "contracts[0].accounts", ["whole number", '"fifty"', '"accounts": 50']),
    # a misspelt option or item is no longer bad input but a violation of the clause that lists
    # them (model/order_rules.py, tests/test_order_rules.py); a field the format lacks still is
    "O003_misspelt_field.json": ("O003", "contracts[0].acounts", ["is not a field", "did you mean `accounts`?"]),
    "O004_negative_count.json": ("O004", "contracts[0].accounts", ["negative", "-5", "0 or more"]),
    "O005_absurd_count.json": ("O005", "contracts[0].accounts", ["20000000", "10,000,000", "larger"]),
    "O006_february_30.json": ("O006", "application_date", ["`2026-02-30` is not a day of the calendar"]),
    "O007_no_item.json": ("O007", "contracts[0].item", ["gives no `品目`", "IT 資産管理:タイプ L"]),
    "O008_unknown_top_level_field.json": ("O008", "customer", ["`customer` is not a field of an order",
                                                                "application_date"]),
    "O009_other_tariff.json": ("O009", "tariff", ["for `ip-vpn`", "secure_endpoint", "--tariff ip-vpn"]),
    "O010_bad_parent.json": ("O010", "contracts[1].parent", ["`unit-9`", "did you mean `unit-1`?"]),
    "O011_not_utf8.json": ("O011", "", ["not UTF-8", "byte 57"]),
    "O012_repeated_key.json": ("O012", "contracts[0].accounts", ["`accounts` is given twice in `contracts[0]`",
                                                                 "first given at line 9, column 7", "once"]),
}


def _text(d: Diagnostic) -> str:
    return " ".join(x for x in (d.message, d.help or "", d.label or "", *d.notes))


def _assert_words(d: Diagnostic, words: list[str]) -> None:
    text = _text(d)
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"


def _no_python_in(text: str) -> None:
    assert "Traceback" not in text
    for word in ("NoneType", "KeyError", "TypeError", "AttributeError", "<class", "object at 0x"):
        assert word not in text, text


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(TARIFF)


# ---- the fixtures cover the codes -------------------------------------------------------------


def test_fixtures_exist_for_every_code():
    spec_codes = {v[0] for v in SPEC_CASES.values()} | {"E012"}  # E012 is made in tmp_path below
    order_codes = {v[0] for v in ORDER_CASES.values()}
    assert spec_codes == {c for c in CODES if c.startswith("E")}
    assert order_codes == {c for c in CODES if c.startswith("O")}
    assert sorted(p.name for p in SPEC_FIXTURES.glob("*.tariff")) == sorted(SPEC_CASES)
    assert sorted(p.name for p in ORDERS.glob("*.json")) == sorted(ORDER_CASES)


@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_spec_fixture_header_agrees_with_table(name):
    code, line, column, _ = SPEC_CASES[name]
    first = (SPEC_FIXTURES / name).read_text(encoding="utf-8").splitlines()[0]
    m = re.match(r"# expect: (\w+) line (\d+) col (\d+) ", first)
    assert m, first
    assert (m[1], int(m[2]), int(m[3])) == (code, line, column)
    assert name.startswith(code + "_")


# ---- specs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_spec_fixture(name):
    code, line, column, words = SPEC_CASES[name]
    path = str(SPEC_FIXTURES / name)
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(path)
    diags = info.value.diagnostics
    assert [d.code for d in diags] == [code], render_all(diags, info.value.sources)
    d = diags[0]
    assert d.span is not None
    assert (d.span.file, d.span.line, d.span.column) == (path, line, column)
    _assert_words(d, words)
    assert d.help, "every diagnostic says what to do"

    rendered = render_all(diags, info.value.sources)
    assert rendered == str(info.value)
    assert rendered.startswith(f"error[{code}]: ")
    assert f"  --> {path}:{line}:{column}" in rendered
    src = (SPEC_FIXTURES / name).read_text(encoding="utf-8").splitlines()[line - 1]
    assert f"{line} | {src}" in rendered, "the source line is shown"
    assert "^" in rendered and "= help: " in rendered
    _no_python_in(rendered)


def test_did_you_mean_for_misspelt_option():
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(SPEC_FIXTURES / "E002_misspelt_option.tariff"))
    assert info.value.diagnostics[0].help == "did you mean `tunnel`?"
    assert "= help: did you mean `tunnel`?" in str(info.value)


def test_did_you_mean_for_misspelt_builtin():
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(SPEC_FIXTURES / "E010_misspelt_function.tariff"))
    assert info.value.diagnostics[0].help == "did you mean `exactly_one`?"
    assert "= help: did you mean `exactly_one`?" in str(info.value)


def test_caret_sits_under_the_mistake():
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(SPEC_FIXTURES / "E002_misspelt_option.tariff"))
    lines = str(info.value).splitlines()
    src = next(i for i, x in enumerate(lines) if x.startswith("19 | "))
    caret = lines[src + 1]
    assert caret.index("^") == lines[src].index("tunel")
    assert "^^^^^ " in caret  # as wide as the name


def test_all_errors_of_a_spec_are_reported_at_once(tmp_path):
    text = (SPEC_FIXTURES / "E002_misspelt_option.tariff").read_text(encoding="utf-8")
    text += '\nrule r2 {\n  require exactly_on(tunnel)\n  ja "x"\n}\n'
    p = tmp_path / "several.tariff"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(p))
    assert sorted(d.code for d in info.value.diagnostics) == ["E002", "E005", "E007", "E010"]


# ---- regressions: inputs that used to crash or mislead ----------------------------------------

_HEAD = 'tariff t "T"\ncontract c "C" @第4条 {\n  quantity accounts "A" @第1条\n  option o "O" @第8条\n}\n'


def _spec_error(text: str) -> Diagnostic:
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(text, "t.tariff"))
    assert len(info.value.diagnostics) == 1, str(info.value)
    return info.value.diagnostics[0]


@pytest.mark.parametrize("text, code, line, column, words", [
    # a number Python will not convert (more than 4,300 digits) was a ValueError
    (_HEAD + "rule r @第1条 {\n  require accounts < " + "9" * 5000 + '\n  ja "x" en "y"\n}\n', "E001", 7, 22,
     ["5000 digits is too long"]),
    (_HEAD.replace('"A" @第1条', '"A" @第1条 default ' + "1" * 200), "E001", 3, 38, ["200 digits"]),
    # ... and so was a citation with such a number
    (_HEAD + "rule r @第" + "9" * 5000 + '条 {\n  require true\n  ja "x" en "y"\n}\n', "E006", 6, 8,
     ["is not a citation", "第N条第M項"]),
    # a malformed escape was a SyntaxError inside a lark VisitError
    ('tariff t "\\N{NO SUCH NAME}"\n', "E001", 1, 10, ["malformed escape"]),
    # the help of E006 was cut at the first "; " of the citation itself
    (_HEAD + 'rule r @"a; b" {\n  require true\n  ja "x" en "y"\n}\n', "E006", 6, 8,
     ["`a; b` is not a citation", "write `第N条`"]),
])
def test_spec_regressions(text, code, line, column, words):
    d = _spec_error(text)
    assert (d.code, d.span.line, d.span.column) == (code, line, column)
    _assert_words(d, words)


def test_E006_help_is_the_list_of_shapes():
    d = _spec_error(_HEAD + 'rule r @"a; b" {\n  require true\n  ja "x" en "y"\n}\n')
    assert d.help.startswith("write `第N条`")


def test_form_feed_does_not_shift_the_source_line():
    # text extracted from a PDF keeps its page breaks (\f); the parser does not count them as lines
    text = _HEAD.replace("\n", "\r\n") + "# page\fbreak\r\nrule r @第1条 {\r\n  require acounts >= 1\r\n  ja \"x\" en \"y\"\r\n}\r\n"
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(text, "t.tariff"))
    rendered = str(info.value)
    assert "--> t.tariff:8:11" in rendered
    assert "8 |   require acounts >= 1\n" in rendered


@pytest.mark.parametrize("text, wanted", [
    # a `for` clause, a `when` clause or a citation used to hide the help (lark matched stack depth)
    (_HEAD + 'rule r @第1条 {\n  for o require it.count = 2\n  ja "x" en "y"\n}\n', "compare with `==`"),
    (_HEAD + 'rule r @第1条 {\n  when accounts = 2 require true\n  ja "x" en "y"\n}\n', "compare with `==`"),
    (_HEAD + 'rule r @第1条 {\n  for o require o and (it.count = 2)\n  ja "x" en "y"\n}\n', "compare with `==`"),
    (_HEAD + 'rule r @第1条 {\n  for o require accounts in 3\n  ja "x" en "y"\n}\n', "written in braces"),
    (_HEAD + 'rule r {\n  require true\n  ja "x" en "y"\n} @第1条\n', "right after its id"),
    ('tariff t "T"\ncontract c "C" @第4条 {\n  option トンネル "トンネル"\n}\n', "ids are ASCII"),
    ('tariff t "T"\ncontract c "C" @第4条 {\n  quantity a "A"\n  option "トンネル"\n}\n', "needs an id"),
    (_HEAD + 'rule r @第1条 {\n  for o require true\n  ja "x }\n', "closing `\"`"),
])
def test_common_mistakes_get_their_help(text, wanted):
    d = _spec_error(text)
    assert d.code == "E001"
    assert wanted in d.help


def test_E012_missing_file(tmp_path):
    path = str(tmp_path / "nowhere.tariff")
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(path)
    [d] = info.value.diagnostics
    assert d.code == "E012"
    _assert_words(d, [f"cannot read `{path}`", "No such file", "check the path"])


def test_E012_not_utf8(tmp_path):
    p = tmp_path / "sjis.tariff"
    p.write_bytes('tariff t "IIJ セキュアエンドポイントサービス"\n'.encode("shift_jis"))
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(p))
    [d] = info.value.diagnostics
    assert d.code == "E012"
    _assert_words(d, ["is not UTF-8", "byte", "save the spec as UTF-8"])


def test_E012_directory(tmp_path):
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(tmp_path))
    assert [d.code for d in info.value.diagnostics] == ["E012"]


def test_E012_too_large(tmp_path):
    p = tmp_path / "huge.tariff"
    p.write_bytes(b"#" * (MAX_SPEC_BYTES + 10))
    with pytest.raises(DiagnosticError) as info:
        load_tariff_file(str(p))
    [d] = info.value.diagnostics
    assert d.code == "E012" and "larger than" in d.message


def test_bundled_spec_loads():
    t = load_tariff_file(str(SPECS / "secure_endpoint.tariff"))
    assert t.id == "secure_endpoint" and t.rules


# ---- orders -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ORDER_CASES))
def test_order_fixture(name, checker):
    code, field, words = ORDER_CASES[name]
    raw = (ORDERS / name).read_bytes()
    with pytest.raises(DiagnosticError) as info:
        checker.decode(raw)
    diags = info.value.diagnostics
    assert [d.code for d in diags] == [code], render_all(diags, info.value.sources)
    d = diags[0]
    assert d.field == field
    _assert_words(d, words)
    assert d.help
    rendered = render_all(diags, info.value.sources)
    assert rendered.startswith(f"error[{code}]: ")
    _no_python_in(rendered)


def test_O001_has_line_and_column(checker):
    text = (ORDERS / "O001_trailing_comma.json").read_text(encoding="utf-8")
    with pytest.raises(DiagnosticError) as info:
        read_order_text(text, "order.json")
    [d] = info.value.diagnostics
    assert d.code == "O001"
    bad_line = text.splitlines()[3]
    assert (d.span.file, d.span.line, d.span.column) == ("order.json", 4, bad_line.index("}") + 1)
    rendered = str(info.value)
    assert "--> order.json:4:" in rendered and bad_line in rendered
    # the same through Checker.decode on text
    with pytest.raises(DiagnosticError) as info:
        checker.decode(text)
    assert info.value.diagnostics[0].code == "O001"


@pytest.mark.parametrize("text", ["", "   ", "{", '{"contracts": [}', "nul", '{"a": 1} x', "[1, 2,]"])
def test_O001_other_malformed_json(text, checker):
    with pytest.raises(DiagnosticError) as info:
        checker.decode(text)
    assert [d.code for d in info.value.diagnostics] == ["O001"]
    assert info.value.diagnostics[0].span.line >= 1


def test_O001_deep_nesting(checker):
    with pytest.raises(DiagnosticError) as info:
        checker.decode("[" * 100_000 + "]" * 100_000)
    assert [d.code for d in info.value.diagnostics] == ["O001"]


def _order(**contract):
    c = {"id": "se-1", "item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True}
    c.update(contract)
    return {"tariff": TARIFF, "contracts": [c]}


@pytest.mark.parametrize("order, code, field, words", [
    (_order(options={"tunnel": -1}), "O004", "contracts[0].options.tunnel", ["negative"]),
    (_order(options={"tunnel": {"count": 1, "connections": -3}}), "O004",
     "contracts[0].options.tunnel.connections", ["negative"]),
    (_order(options={"tunnel": 10_000_001}), "O005", "contracts[0].options.tunnel", ["10,000,000"]),
    (_order(accounts=1e300), "O005", "contracts[0].accounts", ["larger"]),
    (_order(accounts=2.5), "O002", "contracts[0].accounts", ["whole number"]),
    (_order(accounts=True), "O002", "contracts[0].accounts", ["whole number"]),
    (_order(accounts=None), "O002", "contracts[0].accounts", ["whole number", "null"]),
    (_order(licensor_consent="yes"), "O002", "contracts[0].licensor_consent", ["true or false"]),
    (_order(item=3), "O002", "contracts[0].item", ["one of its values"]),
    (_order(billing_start="2026-02-30"), "O006", "contracts[0].billing_start", ["not a day"]),
    (_order(billing_start="2026/04/01"), "O002", "contracts[0].billing_start", ["YYYY-MM-DD"]),
    (_order(billing_start=20260401), "O002", "contracts[0].billing_start", ["YYYY-MM-DD"]),
    (_order(tunnel=True), "O008", "contracts[0].tunnel", ["list it under `options`"]),
    (_order(acounts=5), "O003", "contracts[0].acounts", ["did you mean `accounts`?"]),
    (_order(contract="孫たる契約"), "O003", "contracts[0].contract", ["not a contract"]),
    (_order(parent=7), "O002", "contracts[0].parent", ["`parent`"]),
    (dict(_order(), aplication_date="2026-04-01"), "O008", "aplication_date",
     ["did you mean `application_date`?"]),
    (dict(_order(), request="renew"), "O002", "request", ["`new`, `change`, `cancellation`"]),
    (dict(_order(), tariff=5), "O002", "tariff", ["tariff's name"]),
    (dict(_order(), holdings={}), "O002", "holdings", ["must be a list"]),
    (dict(_order(), holdings=[{"service": "IIJ ID"}]), "O003", "holdings[0].service", ["not a service"]),
    ({"tariff": TARIFF}, "O007", "contracts", ["no `contracts`"]),
    ({"tariff": TARIFF, "contracts": []}, "O007", "contracts", ["lists no contract"]),
    ({"tariff": TARIFF, "contracts": {}}, "O002", "contracts", ["must be a list"]),
    ([], "O002", "", ["must be a JSON object", "a list"]),
    ("just text", "O002", "", ["must be a JSON object"]),
    ({"request": "change", "contracts": [{"id": "se-1"}]}, "O007", "contracts[0].current", ["`current`"]),
    ({"tariff": "IIJ セキュアエンドポイントサービス (旧)", "contracts": [_order()["contracts"][0]]}, "O009",
     "tariff", ["not `secure_endpoint`"]),
])
def test_order_mistakes(order, code, field, words, checker):
    with pytest.raises(DiagnosticError) as info:
        checker.decode(order if not isinstance(order, str) else json.dumps(order))
    diags = info.value.diagnostics
    assert [d.code for d in diags] == [code], render_all(diags, info.value.sources)
    assert diags[0].field == field
    _assert_words(diags[0], words)
    _no_python_in(render_all(diags, info.value.sources))


def test_order_accepts_official_and_id_names(checker):
    assert checker.decode(_order(options={"tunnel": {"count": 1, "connections": 5}}))
    assert checker.decode(json.loads((EXAMPLES / "secure_endpoint_valid.json").read_text(encoding="utf-8")))
    assert checker.decode({"tariff": "secure_endpoint", **{k: v for k, v in _order().items() if k != "tariff"}})


def test_all_order_errors_are_reported_at_once(checker):
    order = {"tariff": TARIFF, "customer": 1,
             "contracts": [{"item": "アンチウイルス:Cylance", "accounts": -1, "acount": 1}]}
    with pytest.raises(DiagnosticError) as info:
        checker.decode(order)
    # the former name `アンチウイルス:Cylance` is not a mistake: it resolves through its rename
    assert sorted(d.code for d in info.value.diagnostics) == ["O003", "O004", "O008"]


def test_O011_number_with_thousands_of_digits(checker):
    # valid JSON, but json.loads raised a bare ValueError (Python's 4,300-digit limit)
    text = '{"contracts": [\n  {"item": "IT 資産管理:タイプ L", "accounts": ' + "9" * 5000 + "}]}"
    with pytest.raises(DiagnosticError) as info:
        checker.decode(text)
    [d] = info.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("O011", 2, text.splitlines()[1].index("9") + 1)
    assert "digits" in d.message and "10,000,000" in d.help


def test_bad_value_is_not_also_reported_missing(checker):
    # a required field given with a bad value used to get a second, false "gives no ..." (O007)
    with pytest.raises(DiagnosticError) as info:
        checker.decode(_order(item=5, accounts="many"))
    assert sorted((d.code, d.field) for d in info.value.diagnostics) == [
        ("O002", "contracts[0].accounts"), ("O002", "contracts[0].item")]


def test_order_wide_diagnostic_is_rendered_without_empty_field(checker):
    with pytest.raises(DiagnosticError) as info:
        checker.decode([])
    assert "order field ``" not in str(info.value)
    assert "--> the order as a whole" in str(info.value)


def test_O005_too_many_contracts(checker):
    order = {"tariff": TARIFF, "contracts": [{"item": "IT 資産管理:タイプ L", "accounts": 1}] * (MAX_CONTRACTS + 1)}
    with pytest.raises(DiagnosticError) as info:
        checker.decode(order)
    [d] = info.value.diagnostics
    assert (d.code, d.field) == ("O005", "contracts")
    assert f"{MAX_CONTRACTS:,}" in d.help


def test_O011_oversize_order(checker):
    blob = json.dumps({"tariff": TARIFF, "description": "x" * MAX_ORDER_BYTES, "contracts": []})
    for raw in (blob, blob.encode("utf-8")):
        with pytest.raises(DiagnosticError) as info:
            checker.decode(raw)
        [d] = info.value.diagnostics
        assert d.code == "O011" and "larger than" in d.message and d.help


def test_T001_unknown_tariff():
    with pytest.raises(DiagnosticError) as info:
        Checker("secure-endpiont")
    [d] = info.value.diagnostics
    assert d.code == "T001"
    _assert_words(d, ["`secure-endpiont`", "did you mean `secure-endpoint`?"])
    with pytest.raises(DiagnosticError) as info:
        Checker("ip-vpn")
    assert "secure-endpoint" in info.value.diagnostics[0].help


# ---- the command line -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Run every CLI case once, in parallel, from a directory that is not the project."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    valid = str(EXAMPLES / "secure_endpoint_valid.json")
    sjis = cwd / "sjis.tariff"
    sjis.write_bytes('tariff t "サービス"\n'.encode("shift_jis"))
    jobs: dict[str, tuple[list[str], bytes | None]] = {}
    for name in ORDER_CASES:
        jobs[f"order:{name}"] = (["check", "--tariff", TARIFF, str(ORDERS / name)], None)
    for name in SPEC_CASES:
        jobs[f"spec:{name}"] = (["check", "--tariff", str(SPEC_FIXTURES / name), valid], None)
    jobs["spec:missing"] = (["check", "--tariff", str(cwd / "missing.tariff"), valid], None)
    jobs["spec:not-utf8"] = (["check", "--tariff", "sjis.tariff", valid], None)
    jobs["tariff:unknown"] = (["check", "--tariff", "no-such-tariff", valid], None)
    jobs["order:missing"] = (["check", "--tariff", TARIFF, str(cwd / "missing.json")], None)
    jobs["valid"] = (["check", "--tariff", TARIFF, valid], None)
    jobs["valid:underscore"] = (["check", "--tariff", "secure_endpoint", valid], None)
    jobs["invalid"] = (["check", "--tariff", TARIFF, str(EXAMPLES / "secure_endpoint_invalid.json")], None)
    jobs["invalid:json"] = (["check", "--tariff", TARIFF, "--format", "json",
                             str(EXAMPLES / "secure_endpoint_invalid.json")], None)
    jobs["stdin:valid"] = (["check", "--tariff", TARIFF, "-"], Path(valid).read_bytes())
    jobs["stdin:invalid"] = (["check", "--tariff", TARIFF, "-"],
                             (EXAMPLES / "secure_endpoint_invalid.json").read_bytes())
    jobs["stdin:malformed"] = (["check", "--tariff", TARIFF, "-"], (ORDERS / "O001_trailing_comma.json").read_bytes())
    jobs["stdin:empty"] = (["check", "--tariff", TARIFF, "-"], b"")
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {k: pool.submit(run_cli_process, args, cwd=cwd, stdin=stdin, text=False)
                   for k, (args, stdin) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


def _stderr(run) -> str:
    return run.stderr.decode("utf-8")


@pytest.mark.parametrize("name", sorted(ORDER_CASES))
def test_cli_order_fixture(name, cli_runs):
    run = cli_runs[f"order:{name}"]
    err = _stderr(run)
    assert run.returncode == 2, err
    assert f"error[{ORDER_CASES[name][0]}]" in err
    assert run.stdout == b""
    _no_python_in(err)


@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_cli_spec_fixture(name, cli_runs):
    run = cli_runs[f"spec:{name}"]
    err = _stderr(run)
    code, line, column, _ = SPEC_CASES[name]
    assert run.returncode == 2, err
    assert f"error[{code}]" in err
    assert f"{name}:{line}:{column}" in err
    assert "= help: " in err
    _no_python_in(err)


@pytest.mark.parametrize("key, code", [("spec:missing", "E012"), ("spec:not-utf8", "E012"),
                                       ("tariff:unknown", "T001"), ("order:missing", "O011"),
                                       ("stdin:malformed", "O001"), ("stdin:empty", "O001")])
def test_cli_bad_input(key, code, cli_runs):
    run = cli_runs[key]
    err = _stderr(run)
    assert run.returncode == 2, err
    assert f"error[{code}]" in err
    _no_python_in(err)


def test_cli_stdin_malformed_names_stdin(cli_runs):
    assert "--> <stdin>:4:" in _stderr(cli_runs["stdin:malformed"])


@pytest.mark.parametrize("key, status", [("valid", 0), ("valid:underscore", 0), ("invalid", 1),
                                         ("invalid:json", 1), ("stdin:valid", 0), ("stdin:invalid", 1)])
def test_cli_examples(key, status, cli_runs):
    run = cli_runs[key]
    assert run.returncode == status, _stderr(run)
    assert _stderr(run) == ""
    out = run.stdout.decode("utf-8")
    assert ("valid" if status == 0 else "invalid") in out


def test_cli_json_report(cli_runs):
    report = json.loads(cli_runs["invalid:json"].stdout.decode("utf-8"))
    assert isinstance(report, dict)
    assert "invalid" in json.dumps(report)


def test_every_code_is_documented():
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    missing = [c for c in CODES if f"| {c} |" not in text]
    assert not missing, f"docs/errors.md lacks {missing}"


def test_O001_deep_nesting_under_a_raised_recursion_limit_is_an_error_not_a_crash():
    """json's C decoder recurses per level; a program that raised Python's recursion limit far
    (an ANTLR user does) would see it overflow the C stack and crash. The depth is checked first."""
    code = """
import sys
sys.setrecursionlimit(1_000_000)
import tariffcheck
from tariffcheck.common.diagnostics import DiagnosticError
checker = tariffcheck.Checker("secure-endpoint")
for text in ("[" * 200_000 + "]" * 200_000, '{"a": ' * 100_000 + "1" + "}" * 100_000):
    try:
        checker.decode(text)
    except DiagnosticError as err:
        print([d.code for d in err.diagnostics], err.diagnostics[0].message)
try:  # brackets inside a string are text, not nesting
    checker.decode('{"tariff": "' + "[{" * 5_000 + '"}')
except DiagnosticError as err:
    print([d.code for d in err.diagnostics], err.diagnostics[0].message[:40])
"""
    r = run_python(["-c", code])
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    assert lines[:2] == ["['O001'] the order is nested too deeply to be an order"] * 2, r.stdout
    assert len(lines) == 3 and "nested too deeply" not in lines[2], r.stdout
