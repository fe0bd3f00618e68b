"""interop/uvl_read.py keeps uvlparser's lexer start state once away from the start of the input
(`_start_cached`): the tokens must be exactly those of uvlparser's own lexer, on the fixtures, on
texts where the lexer's one predicate (`atStartOfInput`) holds, and on the small shared models."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, ROOT

pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")

from antlr4 import CommonTokenStream, InputStream  # noqa: E402
from uvl.UVLCustomLexer import UVLCustomLexer  # noqa: E402

from tariffcheck.interop.uvl_read import _start_cached, read_uvl  # noqa: E402

SHARED = ROOT.parent / "shared" / "uvl"


def _tokens(text: str, kept: bool) -> list[tuple]:
    lexer = UVLCustomLexer(InputStream(text))
    if kept:
        lexer._interp = _start_cached(lexer)
    stream = CommonTokenStream(lexer)
    stream.fill()
    return [(t.type, t.text, t.line, t.column, t.channel, t.start, t.stop) for t in stream.tokens]


def _texts() -> list:
    out = [pytest.param(p.read_text(encoding="utf-8"), id=p.name) for p in sorted((FIXTURES / "uvl").glob("*.uvl"))]
    # the predicate holds at line 1, column 0: indentation, a blank line or a comment first
    out += [pytest.param(t, id=f"start{i}") for i, t in enumerate([
        "  features\n    A\n", "\nfeatures\n    A\n        optional\n            B\n",
        "\t\nfeatures\n    A\n", "// c\nfeatures\n    A\n", "features\n\tA\n\t\tmandatory\n\t\t\tB\n  \n"])]
    if SHARED.is_dir():
        out += [pytest.param(p.read_text(encoding="utf-8"), id=p.name)
                for p in sorted(SHARED.glob("*.uvl")) if p.stat().st_size < 40_000]
    return out


@pytest.mark.parametrize("text", _texts())
def test_the_kept_start_state_gives_uvlparsers_tokens(text):
    assert _tokens(text, True) == _tokens(text, False)


def test_a_model_reads_the_same_twice():
    text = (FIXTURES / "uvl" / "constraints.uvl").read_text(encoding="utf-8")
    a, b = read_uvl(text), read_uvl(text)
    assert [f.name for f in a.features()] == [f.name for f in b.features()] and a.constraints == b.constraints
