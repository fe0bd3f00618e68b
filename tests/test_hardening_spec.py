"""Issue 12: a spec that cannot mean anything does not load, and no spec crashes the pipeline.

Each test is named after the point of the issue it closes. A spec's problems are diagnostics
(`DiagnosticError`, E-coded, with a span), never a Python exception, at every stage.
"""

from __future__ import annotations

import pytest

from tariffcheck.common.diagnostics import Diagnostic, DiagnosticError, render_all
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text

HEADER = 'tariff demo "Demo"\n  as_of 2026-01-01\n'
HISTORY = 'history {{\n  version 2025-10-01 "v" @附則(令和7年10月1日変更)\n{renames}}}\n'
SERVICE = '''contract svc "サービス" @第1条 {
  dimension item "品目" @第2条 { a "A 型"  b "B 型" }
  quantity seats "席数" @第3条
  option x "X オプション" @第4条
  option y "Y オプション" @第5条
}
contract other "他の契約" @第1条 {
}
'''
RULE = 'rule r @第3条 in svc {\n  require seats >= 1\n  ja "席数は 1 以上です。"\n  en "At least 1 seat."\n}\n'


def _errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(text, "demo.tariff"))
    rendered = render_all(info.value.diagnostics, info.value.sources)
    for python in ("Traceback", "RecursionError", "<class", "NoneType", "object at 0x"):
        assert python not in rendered, rendered
    for d in info.value.diagnostics:
        assert d.span is not None and d.help, rendered
    return info.value.diagnostics


def _at(text: str, d: Diagnostic, needle: str, occurrence: int = 0) -> None:
    """`d` points at the `occurrence`-th `needle` of `text`."""
    lines = text.split("\n")
    found = [(n + 1, line.index(needle) + 1) for n, line in enumerate(lines) if needle in line]
    assert (d.span.line, d.span.column) == found[occurrence], (d, found)


def _renames(*lines: str) -> str:
    body = "".join(f"  rename {x} from 2025-10-01 @附則(令和7年10月1日変更)第{n}項\n" for n, x in enumerate(lines, 2))
    return HEADER + HISTORY.format(renames=body) + SERVICE + RULE


# ---- 4. specs that cannot mean anything -------------------------------------------------------


def test_specs_that_cannot_mean_anything_a_contract_kind_that_is_its_own_parent():
    text = HEADER + 'contract unit "親" @第1条 parent unit {\n}\n' + SERVICE + RULE
    [d] = _errors(text)
    assert d.code == "E013" and d.message == "contract `unit` is its own parent"
    _at(text, d, "unit {")


def test_specs_that_cannot_mean_anything_kinds_whose_parents_form_a_cycle():
    # two kinds, then three; the cycle is told once, from its first kind in the file, and a kind
    # that hangs below a cycle is not a second report
    two = HEADER + ('contract p "P" @第1条 parent q {\n}\ncontract q "Q" @第1条 parent p {\n}\n'
                    'contract below "下" @第1条 parent q {\n}\n') + SERVICE + RULE
    [d] = _errors(two)
    assert d.code == "E013"
    assert d.message == "the parents of contracts `p` and `q` form a cycle: `p` → `q` → `p`"
    _at(two, d, "q {")
    three = HEADER + ('contract p "P" @第1条 parent r {\n}\ncontract q "Q" @第1条 parent p {\n}\n'
                      'contract r "R" @第1条 parent q {\n}\n') + SERVICE + RULE
    [d] = _errors(three)
    assert d.message == "the parents of contracts `p`, `r` and `q` form a cycle: `p` → `r` → `q` → `p`"
    _at(three, d, "r {")
    # a chain that ends is fine
    fine = HEADER + 'contract p "P" @第1条 {\n}\ncontract q "Q" @第1条 parent p {\n}\n' + SERVICE + RULE
    assert resolve(parse_text(fine)).contracts["p"].child_kinds == ["q"]


def test_specs_that_cannot_mean_anything_a_former_name_that_is_a_current_name():
    cases = [  # rename, the message
        ('"B 型" -> a', "the former name `B 型` is the current name of value `b`"),
        ('"b" -> a', "the former name `b` is the current name of value `b`"),  # an id is a name too
        ('"Y オプション" -> x', "the former name `Y オプション` is the current name of option `y`"),
        ('"他の契約" -> svc', "the former name `他の契約` is the current name of contract `other`"),
        ('"A型" -> a', "`A型` is renamed to itself"),  # names compare as official names do
        ('"サービス" -> svc', "`サービス` is renamed to itself"),
    ]
    for rename, message in cases:
        text = _renames(rename)
        [d] = _errors(text)
        assert (d.code, d.message) == ("E014", message), rename
        _at(text, d, rename.split(" ->")[0])  # at the former name


def test_specs_that_cannot_mean_anything_a_rename_chain_that_loops_or_repeats():
    # A → b and B → a: each former name is the other's current name
    text = _renames('"A 型" -> b', '"B 型" -> a')
    assert [(d.code, d.message) for d in _errors(text)] == [
        ("E014", "the former name `A 型` is the current name of value `a`"),
        ("E014", "the former name `B 型` is the current name of value `b`")]
    # one former name for two things, and the same rename twice: the second is at fault
    text = _renames('"旧 X" -> x', '"旧 X" -> y', '"旧 A" -> a', '"旧 A" -> a')
    first, second = _errors(text)
    assert first.message == "the former name `旧 X` is given to both option `x` and `y`"
    assert second.message == "`旧 A` is renamed twice"
    _at(text, first, '"旧 X"', 1)
    _at(text, second, '"旧 A"', 1)
    # renames of the same former name in different places do not collide
    resolve(parse_text(_renames('"旧" -> a', '"旧" -> x', '"旧" -> svc')))
