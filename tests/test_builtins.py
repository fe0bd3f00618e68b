"""The table of built-in functions (tariffcheck/resolve/builtins.py): each call with the wrong
number of arguments is an E010 at the call, whose help line is the function's own help text."""

from __future__ import annotations

import pytest

from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.resolve import resolve
from tariffcheck.resolve.builtins import BUILTINS
from tariffcheck.syntax.parser import parse_text

_SPEC = ('tariff t "T"\ncontract c "C" @第4条 {\n  quantity accounts "A" @第1条\n  option o "O" @第8条\n}\n'
         'rule r @第1条 {\n  require {call}\n  ja "x"\n  en "y"\n}\n')


def _wrong_count(name: str) -> int:
    low, high = BUILTINS[name].arity
    return low - 1 if high is None else high + 1


@pytest.mark.parametrize("name", list(BUILTINS))
def test_wrong_number_of_arguments(name):
    n = _wrong_count(name)
    call = f"{name}({', '.join(['o'] * n)})"
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(_SPEC.replace("{call}", call), "t.tariff"))
    [d] = info.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E010", 7, 11)
    assert d.message.startswith(f"`{name}` ") and (f"found {n}" in d.message or "at least" in d.message)
    assert d.help == BUILTINS[name].help and d.help.startswith(f"{name}(")


def test_unknown_function_lists_the_table():
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(_SPEC.replace("{call}", "zzzz(o)"), "t.tariff"))
    [d] = info.value.diagnostics
    assert d.message == "`zzzz` is not a function of the tariff language"
    assert d.help == "functions: " + ", ".join(BUILTINS)
