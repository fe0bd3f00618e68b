"""JSON read and written by orjson, for the requests whose JSON is plain enough that orjson gives
exactly what the json module gives; everything else takes the json module's path, unchanged.

A check:batch of 500 orders spent about as much CPU reading its body with `json.loads` (through
an `object_pairs_hook`, to find repeated keys) and writing its results with `json_text` (json.dumps
and a pass of a regular expression) as checking the orders. orjson does both in C, several times
faster, but not always alike:

- reading, orjson reads an integer past 64 bits as a float, refuses `NaN` and `Infinity`, a byte
  order mark and a lone surrogate, and keeps the last of a repeated key without a word; the
  service's own limits (nesting, an order's size) and messages (line and column) are the json
  path's. So what orjson reads is taken only when it holds no float and no object lost a key;
  anything else, and anything orjson refuses, goes to the json path, which says what is wrong
  as it always did.
- writing, orjson leaves raw what `json_text` escapes (DEL, the C1 controls, the marks that reorder
  text, the line separators) and writes floats in its own way (`0.00001`, not `1e-05`). Its output
  is used only for values without floats (read plain) and when it holds none of those
  characters; otherwise the value is written by `json_text`.

Without orjson installed (it comes with the `service` extra) every request takes the json path.
"""

from __future__ import annotations

import re

from ..report.terminal import json_text

try:
    import orjson
except ImportError:  # pragma: no cover - the `service` extra installs it
    orjson = None

# the UTF-8 of each character json_text escapes but json.dumps leaves raw: DEL and the C1
# controls, U+061C, U+200E-U+200F, U+2028-U+202E, U+2066-U+2069 (terminal._UNSAFE_BUT_NEWLINE;
# orjson refuses to write a lone surrogate). tests/test_service_plain_json.py holds the two alike.
_UNSAFE_UTF8 = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")
_UNSAFE_LEADS = (b"\x7f", b"\xc2", b"\xd8", b"\xe2")  # the first byte of each: searched first, it is faster
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_WRITE_OPTIONS = (orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME) if orjson else 0


def read_plain(texts: list[bytes]) -> list | None:
    """The JSON value of each text, read by orjson, when json.loads would read exactly the same
    values from each and raise nothing; else None. The values hold no float. (The caller keeps
    its own limits: an order's size, nesting.)"""
    if orjson is None:
        return None
    colons = 0
    for text in texts:
        if b"\\u003a" in text or b"\\u003A" in text:  # an escaped colon would spoil the count below
            return None
        colons += text.count(b":")
    try:
        values = [orjson.loads(text) for text in texts]
    except orjson.JSONDecodeError:  # not JSON, or NaN, Infinity, a byte order mark, a lone surrogate
        return None
    written = orjson.dumps(values)
    # every key of the text is followed by one colon, and a string keeps the colons it holds, so
    # the values written back have as many colons as the text only if no object lost a repeated key
    if written.count(b":") != colons:
        return None
    # a float is written with a digit then `.` or `e`: orjson reads an integer past 64 bits as a
    # float where json reads an int, and the json path alone should speak of floats. (The test
    # also meets such digits inside a string, `v1.2`: that text only takes the json path.)
    digits = written.translate(_DIGITS_AS_ZERO)
    if b"0." in digits or b"0e" in digits:
        return None
    return values


def write_plain(data: object) -> bytes | None:
    """`data` as compact JSON by orjson, when that is byte for byte what the json module writes
    (`write`); else None. `data` must hold no float, as orjson writes some floats otherwise
    (`0.00001`, not `1e-05`; `null` for NaN): values from `read_plain` hold none, and neither
    does a check result or a problem made from them (the concrete check computes in integers
    and dates)."""
    if orjson is None:
        return None
    try:
        out = orjson.dumps(data, option=_WRITE_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, a key that is not a string, a huge integer
        return None
    if any(lead in out for lead in _UNSAFE_LEADS) and _UNSAFE_UTF8.search(out) is not None:
        return None
    return out


def write(data: object, plain: bool = False) -> bytes:
    """`data` as compact JSON that keeps Japanese readable (report/terminal.json_text). `plain`
    says that `data` holds no float, so orjson may write it (`write_plain`)."""
    if plain:
        out = write_plain(data)
        if out is not None:
            return out
    return json_text(data, indent=None, separators=(",", ":")).encode("utf-8")
