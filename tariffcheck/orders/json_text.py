"""JSON text to a JSON value: the layer under the order decoder that reads what arrives as text.

Text is refused here with the line and column (O001), when it is too large or not UTF-8 (O011),
or when an object gives a key twice (O012, at both places: JSON readers differ in which value
they keep). What it gives back is a JSON value for orders/decode.py to read as an order.
"""

from __future__ import annotations

import dataclasses
import json
import re

from ..common.diagnostics import Diagnostic, DiagnosticError
from ..model.limits import MAX_COUNT
from .json_values import join_path as _join

MAX_ORDER_BYTES = 5_000_000
MAX_TEXT_DEPTH = 900  # objects and lists inside each other: an order needs fewer than ten
_UTF8_BOM = b"\xef\xbb\xbf"


def read_order_text(text: str | bytes, source: str = "<order>", what: str = "order", code: str | None = None) -> object:
    """Parse JSON text, or raise DiagnosticError O001/O011 with the line and column, or O012 for
    each key an object repeats. A UTF-8 byte order mark in front of the text is dropped.
    Another JSON file read with the same limits (a price book) names itself by `what`, and its
    errors carry its own `code` instead of the order's."""
    if what != "order" or code is not None:
        try:
            return read_order_text(text, source)
        except DiagnosticError as err:
            raise DiagnosticError([_as_other(d, what, code) for d in err.diagnostics], err.sources) from None
    if isinstance(text, bytes):
        if len(text) > MAX_ORDER_BYTES:
            raise DiagnosticError([Diagnostic("O011", f"the order is larger than {MAX_ORDER_BYTES:,} bytes",
                                              field="", help="send one order at a time")])
        bom = len(_UTF8_BOM) if text.startswith(_UTF8_BOM) else 0  # editors on Windows write one
        try:
            text = text[bom:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DiagnosticError([Diagnostic("O011", f"the order is not UTF-8 text (byte {exc.start + bom})",
                                              field="", help="send the order as UTF-8 JSON")]) from None
    if len(text) > MAX_ORDER_BYTES:
        raise DiagnosticError([Diagnostic("O011", f"the order is larger than {MAX_ORDER_BYTES:,} bytes",
                                          field="", help="send one order at a time")])
    text = text.removeprefix("\ufeff")
    repeated = False

    def pairs_to_object(pairs: list[tuple[str, object]]) -> dict:
        nonlocal repeated
        obj = dict(pairs)
        repeated = repeated or len(obj) < len(pairs)
        return obj

    if (text.count("[") + text.count("{") > MAX_TEXT_DEPTH) and _deeper_than(text, MAX_TEXT_DEPTH):
        # json's C decoder recurses per level; under a recursion limit a program raised far, it
        # would overflow the C stack (a crash) before raising RecursionError
        raise DiagnosticError([Diagnostic("O001", "the order is nested too deeply to be an order", field="",
                                          help="see docs/orders.md for the shape of an order")])
    try:
        data = json.loads(text, object_pairs_hook=pairs_to_object)
    except json.JSONDecodeError as exc:
        from ..common.span import Span

        span = Span(source, exc.lineno, exc.colno, exc.lineno, exc.colno + 1)
        raise DiagnosticError([Diagnostic("O001", f"the order is not valid JSON: {exc.msg.lower()}", span=span,
                                          label="here", help="check for a missing comma, quote or brace")],
                              {source: text}) from None
    except RecursionError:
        raise DiagnosticError([Diagnostic("O001", "the order is nested too deeply to be an order", field="",
                                          help="see docs/orders.md for the shape of an order")]) from None
    except ValueError:  # valid JSON, but a number longer than Python reads (4,300 digits)
        from ..common.span import Span

        m = re.search(r"\d{100,}", text)
        pos = m.start() if m else 0
        line, column = _line_column(text, pos)
        span = Span(source, line, column, line, column + 1)
        raise DiagnosticError([Diagnostic("O011", "the order has a number with thousands of digits", span=span,
                                          label="this number", help="a count in an order is at most "
                                          f"{MAX_COUNT:,}")], {source: text}) from None
    if repeated:  # json.loads keeps the last of the values silently; the order is ambiguous
        raise DiagnosticError(_repeated_keys(text, source), {source: text})
    return data


def _deeper_than(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest past `limit` (read only for a text with many brackets)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _as_other(d: Diagnostic, what: str, code: str | None) -> Diagnostic:
    """An error of the order's text, said of another JSON file (`the price book is not valid JSON`)."""
    message = d.message.replace("the order", f"the {what}", 1).replace("to be an order", f"to be a {what}")
    help_text = d.help if d.help is None or "order" not in d.help else f"give the {what} as one UTF-8 JSON object"
    field = None if d.field == "" else d.field  # not "the order as a whole"
    return dataclasses.replace(d, code=code or d.code, message=message, help=help_text, field=field)


def _repeated_keys(text: str, source: str) -> list[Diagnostic]:
    """O012 for each key an object of `text` (valid JSON) gives again, at both places."""
    from ..common.span import Span

    first: dict[tuple[str, str], int] = {}
    out = []
    for obj_path, key, token, pos in _object_keys(text):
        seen = first.setdefault((obj_path, key), pos)
        if seen == pos:
            continue
        line, column = _line_column(text, pos)
        first_line, first_column = _line_column(text, seen)
        where = f"`{obj_path}`" if obj_path else "the order"
        out.append(Diagnostic(
            "O012", f"`{key}` is given twice in {where}", span=Span(source, line, column, line, column + len(token)),
            label="given again here", field=_join(obj_path, key),
            notes=[f"`{key}` is first given at line {first_line}, column {first_column}"],
            help="give each field once; JSON readers differ in which of the values they keep"))
    return out


# the tokens of JSON text: a string, a bracket or separator, or a run of anything else (a number,
# `true`, `false`, `null`); white space between them is skipped
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def _object_keys(text: str):
    """(path of the object, key, the key as written, offset) for each key of each object in `text`,
    which json.loads has read already. Paths are written as the decoder writes them
    (`contracts[0].options.tunnel`)."""
    stack: list[list] = []  # per open object or list: [its path, True for an object, key or index]
    expect_key = False
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token in ("{", "["):
            stack.append([_child_path(stack), token == "{", None if token == "{" else 0])
            expect_key = token == "{"
        elif token in ("}", "]"):
            if stack:
                stack.pop()
            expect_key = False
        elif token == ",":
            if stack and stack[-1][1]:
                expect_key = True
            elif stack:
                stack[-1][2] += 1
        elif token == ":":
            expect_key = False
        elif expect_key and stack:
            key = json.loads(token)
            stack[-1][2] = key
            yield stack[-1][0], key, token, m.start()


def _child_path(stack: list[list]) -> str:
    if not stack:
        return ""
    path, is_object, at = stack[-1]
    return _join(path, str(at)) if is_object else f"{path}[{at}]"


def _line_column(text: str, pos: int) -> tuple[int, int]:
    """1-based, counting lines at `\\n` only, as json.loads does."""
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def holds_an_object(text: str) -> bool:
    """Whether `text` is the JSON text of an object: an order encoded twice."""
    text = text.strip().removeprefix("\ufeff")
    if not text.startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False
