"""A row's JSON text read quickly, with exactly orders/json_text.py's answers.

`read_order_text` hands every object to a Python hook, to see a key given twice (O012); for the
rows of a base, which are almost all well formed, that hook is most of the reading. Here the text
is parsed without one (orjson when installed, the `[impact]` extra; else the standard library),
and the parsed value is accepted only when nothing can tell it from what `read_order_text` gives:

- a key given twice: every key of the text is followed by one `:` outside strings, and a string
  may hold more, so the text's count of `:` is at least its keys; when the parsed objects hold
  as many keys as that count, no key was dropped, so none was given twice;
- numbers: orjson reads an integer past 64 bits as a float, where the standard library keeps
  the integer; a value with any float is therefore read again the slow way (orders hold counts,
  which are integers: a float is rare and is the decoder's error anyway);
- what either parser refuses (not JSON, NaN, a lone surrogate, bytes that are not UTF-8), a text
  with a byte order mark, too large or with so many brackets that it might be nested too deeply:
  read by `read_order_text`, which gives the same value or the error with its line and column.

With orjson, a text written as orjson writes it (compact, keys in their order: what most bases
hold, make_base.py's among them) is checked more cheaply: when `dumps(loads(text))` is the text
itself, byte for byte, the text is the tokens of the parsed value, which holds each object's
keys once, so no key was given twice; and each number in it is the shortest text of the value
read, which Python's `float` and `int` read to the same value (an integer past 64 bits comes
back written as a float, so it is not the text). Any other text is counted as above.
"""

from __future__ import annotations

import json

from ..orders.json_text import MAX_ORDER_BYTES, MAX_TEXT_DEPTH, read_order_text

try:
    from orjson import dumps as _dumps
    from orjson import loads as _loads
except ImportError:  # the standard library's C parser: slower, the same answers
    _loads = _dumps = None


class _Slow(Exception):
    """The parsed value may differ from read_order_text's: read the text that way."""


def _keys(value) -> int:
    """The keys of every object in a parsed value; raises _Slow at a float."""
    n = 0
    for v in (value.values() if type(value) is dict else value):
        t = type(v)
        if t is dict:
            n += len(v) + _keys(v)
        elif t is list:
            n += _keys(v)
        elif t is float:
            raise _Slow
    return n


def _quick(text: str | bytes):
    if len(text) > MAX_ORDER_BYTES:
        raise _Slow
    if type(text) is bytes:
        if text[:3] == b"\xef\xbb\xbf" or text.count(b"[") + text.count(b"{") > MAX_TEXT_DEPTH:
            raise _Slow
        if _loads is not None:
            value = _loads(text)
            if _dumps(value) == text:  # the text as orjson writes the value: see the module
                return value
            colons = text.count(b":")
        else:
            colons = text.count(b":")
            value = json.loads(text.decode("utf-8"))  # json.loads would guess UTF-16 and UTF-32 from bytes
    else:
        if text[:1] == "\ufeff" or text.count("[") + text.count("{") > MAX_TEXT_DEPTH:
            raise _Slow
        if _loads is not None:
            value = _loads(text)
            if _dumps(value) == text.encode():  # (a lone surrogate raises UnicodeEncodeError: a ValueError)
                return value
        else:
            value = json.loads(text)
        colons = text.count(":")
    t = type(value)
    if t is dict:
        keys = len(value) + _keys(value)
    elif t is list:
        keys = _keys(value)
    elif t is float:
        raise _Slow
    else:
        keys = 0
    if keys != colons:
        raise _Slow
    return value


def read_row_text(text: str | bytes) -> object:
    """The JSON value of a row's text, as `read_order_text(text)` gives it (DiagnosticError the same)."""
    try:
        return _quick(text)
    except (_Slow, ValueError, TypeError, RecursionError):  # JSONDecodeError, UnicodeDecodeError: ValueErrors
        # (orjson's JSONEncodeError, a TypeError, for a value it read but will not write)
        return read_order_text(text)
