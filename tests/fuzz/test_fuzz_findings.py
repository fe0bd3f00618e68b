"""What the fuzzers found, each kept as a regression test named after it (docs/testing.md lists
them with the run that found them)."""

from __future__ import annotations

import json

import pytest

from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.report.terminal import render_safely
from tariffcheck.syntax.parser import parse_text

from conftest import run_cli
from fuzzing import assert_terminal_safe


def test_a_spec_text_with_a_lone_surrogate_is_refused_with_e012():
    """Found by test_fuzz_specs: a token replaced by `"\\ud800"` crashed resolution with a
    UnicodeEncodeError (hashing the text). A str can hold half of a UTF-16 pair, no file can."""
    text = 'tariff t "T"\n# a \ud800 in a comment\ncontract c "C" { }\n'
    with pytest.raises(DiagnosticError) as err:
        parse_text(text, "lone.tariff")
    [d] = err.value.diagnostics
    assert d.code == "E012"
    assert "`\\ud800`" in d.message
    assert (d.span.line, d.span.column) == (2, 5)
    assert_terminal_safe(render_safely(err.value.diagnostics, err.value.sources), "the rendered error")


@pytest.mark.parametrize("args", [
    ["repair", "--tariff", "smartkey", "order.json", "--weight", "\x1f=2"],
    ["check", "--tariff", "smartkey", "order.json", "--lang", "\x1b[2J"],
    ["explain", "--tariff", "smartkey", "order.json", "--limit", "\u202e1"],
], ids=["weight", "lang", "limit"])
def test_usage_errors_escape_the_argument_they_quote(args):
    """Found by test_fuzz_cli: `tariff repair --weight $'\\x1f=2'` printed argparse's usage
    error with the argument raw on standard error."""
    code, out, err = run_cli(args)
    assert code == 2 and not out
    assert "error: argument" in err
    assert_terminal_safe(err, "standard error")


def test_an_order_file_holding_a_json_string_of_an_order_is_refused_by_the_cli_too(tmp_path):
    """Found by the long run of test_fuzz_cli: a file whose JSON is a string holding an order's
    JSON text was decoded twice by `tariff check` (valid, exit 0), while the library refuses it
    (O002, issue 12 point 3)."""
    order = {"contracts": [{"item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True}]}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(json.dumps(order)), encoding="utf-8")
    code, out, err = run_cli(["check", "--tariff", "secure-endpoint", str(path)])
    assert code == 2 and not out
    assert "error[O002]" in err and "JSON twice" in err
