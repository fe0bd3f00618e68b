"""Python values against what JSON text can hold: the check every order given as a dict passes
before it is decoded, and the words for a value in a message.

A caller with a dict meets the same rules as one with text: a set, a tuple, bytes, a date, NaN, a
key that is not text, an object that contains itself are refused (O002), as are integers too long
to write (O011) and nesting deeper than MAX_DEPTH (O001). `plain_json` answers the common case
(an ordinary order) in one quick pass; only when it says no does `not_json` walk the value again
to say exactly what is wrong and where.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime, time
from decimal import Decimal

from ..common.diagnostics import Diagnostic
from ..model.limits import MAX_COUNT

MAX_DEPTH = 100  # objects and lists inside each other; an order needs fewer than ten
# An integer of fewer bits has fewer than 640 digits, the least limit Python allows on writing
# one (sys.set_int_max_str_digits): it is always writable, whatever the limit is set to.
_SHORT_INT = 1 << 1900
_LEAVES = frozenset({str, bool, type(None)})


def plain_json(value, depth: int = 0) -> bool:
    """True when `value` is certainly a JSON value `not_json` finds nothing in: objects with text
    keys, lists, text, `true`/`false`, `null`, finite floats and writable integers, of exactly
    those Python types, nested at most MAX_DEPTH deep. False means "look closer" (a subclass, a
    cycle, anything else), not "wrong": the caller then runs `not_json`."""
    t = type(value)
    if t is dict:
        if depth > MAX_DEPTH:
            return False
        depth += 1
        for k, v in value.items():
            if type(k) is not str:
                return False
            t = type(v)
            if t in _LEAVES:
                continue
            if t is int:
                if -_SHORT_INT < v < _SHORT_INT:
                    continue
                return False
            if t is float:
                if v - v == 0.0:  # NaN and the infinities give NaN
                    continue
                return False
            if not plain_json(v, depth):
                return False
        return True
    if t is list:
        if depth > MAX_DEPTH:
            return False
        depth += 1
        for v in value:
            t = type(v)
            if t in _LEAVES or (t is int and -_SHORT_INT < v < _SHORT_INT) or (t is float and v - v == 0.0):
                continue
            if not plain_json(v, depth):
                return False
        return True
    if t in _LEAVES:
        return True
    if t is int:
        return -_SHORT_INT < value < _SHORT_INT
    if t is float:
        return value - value == 0.0
    return False


def not_json(order: dict) -> list[Diagnostic]:
    """An O002 for each value in `order` that no JSON text could hold, at its path: a set, a
    tuple, bytes, a date, a Decimal, NaN or an infinity, any other object, a key that is not a
    string, an object that contains itself; O011 for an integer too long to write (as for text),
    O001 for nesting deeper than MAX_DEPTH. A caller with a dict meets the same rules as one
    with text, and the decoder below meets only JSON values."""
    out: list[Diagnostic] = []
    stack: list = [(order, "", 0)]
    inside: set[int] = set()  # the objects and lists that contain the value being looked at
    while stack:
        item = stack.pop()
        if isinstance(item, int):  # leaving the object or list with this id
            inside.discard(item)
            continue
        value, path, depth = item
        if isinstance(value, (dict, list)):
            if id(value) in inside:
                what = "an object" if isinstance(value, dict) else "a list"
                out.append(Diagnostic("O002", f"`{path}` must hold a JSON value, found {what} that contains itself",
                                      field=path, help="JSON text cannot write a value inside itself"))
                continue
            if depth > MAX_DEPTH:
                out.append(Diagnostic("O001", "the order is nested too deeply to be an order", field=path,
                                      help="see docs/orders.md for the shape of an order"))
                continue
            inside.add(id(value))
            stack.append(id(value))
            if isinstance(value, list):
                stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in reversed(list(enumerate(value))))
                continue
            children = []
            for key, v in value.items():
                if isinstance(key, str):
                    children.append((v, join_path(path, key), depth + 1))
                else:
                    out.append(Diagnostic(
                        "O002", f"the names of the fields of {f'`{path}`' if path else 'an order'} are text, "
                                f"found {kind_of(key)}", field=path,
                        help=f'write it as text: `"{key}"`' if type(key) is int and writable(key)
                        else "name each field with text"))
            stack.extend(reversed(children))
        elif isinstance(value, int) and not isinstance(value, bool) and not writable(value):
            out.append(Diagnostic("O011", "the order has a number with thousands of digits", field=path,
                                  help=f"a count in an order is at most {MAX_COUNT:,}"))
        elif value is not None and not isinstance(value, (str, bool, int)) and not (
                isinstance(value, float) and math.isfinite(value)):
            out.append(Diagnostic("O002", f"`{path}` must hold a JSON value, found {kind_of(value)}", field=path,
                                  help=as_json_help(value)))
    return out


def writable(n: int | float) -> bool:
    """Whether Python can write the number as text (it refuses integers of more than 4,300 digits)."""
    limit = sys.get_int_max_str_digits()
    if not isinstance(n, int) or not limit or n.bit_length() < 3 * limit:  # 3 bits make less than a digit
        return True
    try:
        str(n)
    except ValueError:
        return False
    return True


def as_json_help(value) -> str:
    if isinstance(value, (set, frozenset, tuple)):
        return "JSON has lists, not sets or tuples: write a list `[...]`"
    if isinstance(value, (bytes, bytearray)):
        return "decode the bytes to text"
    if isinstance(value, datetime):
        return f'write the day as text: `"{value.date().isoformat()}"`'
    if isinstance(value, date):
        return f'write the day as text: `"{value.isoformat()}"`'
    if isinstance(value, float):
        return "a JSON number is finite: leave the field out, or give a number"
    if isinstance(value, Decimal) and value.is_finite():
        return f"write it as a plain number: `{value}`"
    return "an order holds objects, lists, text, numbers, `true`, `false` and `null`"


def kind_of(value) -> str:
    if isinstance(value, bool):
        return "`true`/`false`"
    if isinstance(value, float) and not math.isfinite(value):
        return "`NaN`" if math.isnan(value) else "`Infinity`" if value > 0 else "`-Infinity`"
    if isinstance(value, (int, float)):
        if not writable(value):
            return "a number with thousands of digits"
        return f"the number `{value}`"
    if isinstance(value, str):
        if len(value) > 80:  # a whole order sent as a string would fill the terminal
            return f"the text `{value[:60]}…` ({len(value):,} characters)"
        return f"the text `{value}`"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "`null`"
    # what JSON cannot hold, said in plain words (a caller passed Python values)
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(value, datetime):
        return f"a date and time (`{value.isoformat()}`), not text"
    if isinstance(value, date):
        return f"a date (`{value.isoformat()}`), not text"
    if isinstance(value, time):
        return "a time of day"
    if isinstance(value, Decimal):
        return f"a decimal number (`{value}`)" if value.is_finite() else f"the decimal `{value}`"
    if isinstance(value, complex):
        return "a complex number"
    if type(value).__module__ == "builtins":
        return "a value that is not JSON"
    return f"a `{type(value).__name__}` object"  # the caller's own class: its name is theirs


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def shown(value) -> str:
    """A value of the order as its JSON text shows it (a string as it is), for a message."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
