"""A row's result as the line the results hold: `json.dumps(result, ensure_ascii=False,
sort_keys=True)` and a newline, byte for byte, written with less work.

A result is a small dict of a few keys; its values are the row's number, key, class and each
version's check JSON. The standard encoder sorts and walks every dict of it on every row; here
the top level is written by hand (in the encoder's sorted order and spelling: `", "` between
items, `": "` after a key) and a value that carries its text already (`Encoded`: the check JSON
of a valid order, the same for most rows) is written as it is.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)  # json.dumps's, built once


class Encoded(dict):
    """A dict that carries its own JSON text, as `encode_value` gives it; never changed after."""

    __slots__ = ("json",)

    def __init__(self, value: dict):
        super().__init__(value)
        self.json = _ENCODER.encode(dict(value))


def encode_value(value) -> str:
    """`json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)`."""
    t = type(value)
    if t is Encoded:
        return value.json
    if t is str:
        return encode_basestring(value)
    if t is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


_COMMON = frozenset({"class", "key", "new", "old", "row", "source"})  # a row judged under two versions
_sources: dict[str, str] = {}  # the few sources of a process's rows, encoded once each


def result_line(result: dict) -> bytes:
    if result.keys() == _COMMON:
        source = result["source"]
        encoded = _sources.get(source) if type(source) is str else None
        if encoded is None:
            encoded = encode_value(source)
            if type(source) is str and len(_sources) < 1000:
                _sources[source] = encoded
        return (f'{{"class": {encode_value(result["class"])}, "key": {encode_value(result["key"])}, '
                f'"new": {encode_value(result["new"])}, "old": {encode_value(result["old"])}, '
                f'"row": {encode_value(result["row"])}, "source": {encoded}}}\n').encode()
    if any(type(k) is not str for k in result):  # keys sort as the encoder sorts them only when all are text
        return _ENCODER.encode(result).encode() + b"\n"
    return ("{" + ", ".join([encode_basestring(k) + ": " + encode_value(result[k]) for k in sorted(result)])
            + "}\n").encode()


def fixed_parts(cls: str, new: Encoded, old: Encoded, source) -> tuple[str, str, str]:
    """The parts of the line of a row under two versions whose class and JSON are known (a row
    valid under both, with no days and no notes), less its key and number: `fixed_line` gives
    the line `result_line` gives for such a row's result."""
    return (f'{{"class": {encode_value(cls)}, ', f'"new": {new.json}, "old": {old.json}, "row": ',
            f', "source": {encode_value(source)}}}\n')


def fixed_line(parts: tuple[str, str, str], key, row: int) -> bytes:
    head, middle, tail = parts
    if key is None:  # the result has no `key`
        return (head + middle + encode_value(row) + tail).encode()
    return (head + '"key": ' + encode_value(key) + ", " + middle + encode_value(row) + tail).encode()
