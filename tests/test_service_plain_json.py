"""service/plain_json.py: orjson reads and writes only what it reads and writes exactly as the
json module does. Its table of characters json_text escapes agrees with report/terminal.py's;
what it writes is json_text's bytes; what it reads is json.loads's values, types included."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("orjson")
from hypothesis import given, settings, strategies as st  # noqa: E402

from tariffcheck.model.fields import FieldRef  # noqa: E402
from tariffcheck.report import terminal  # noqa: E402
from tariffcheck.service import plain_json  # noqa: E402


def test_the_characters_orjson_leaves_raw_are_those_json_text_escapes():
    """json.dumps escapes what is below U+0020 (and so does orjson, alike); above it, the bytes
    plain_json looks for are the UTF-8 of exactly the characters json_text escapes."""
    for code in [*range(0x20, 0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 97)]:
        ch = chr(code)
        escaped = terminal._UNSAFE_BUT_NEWLINE.search(ch) is not None
        found = plain_json._UNSAFE_UTF8.search(ch.encode()) is not None
        assert found == escaped, f"U+{code:04X}"
        if found:
            assert any(ch.encode().startswith(lead) for lead in plain_json._UNSAFE_LEADS)


def exact(value):
    """A value with the type of every part spelled out: 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return type(value).__name__, value


# JSON values with the kinds of text that orjson treats otherwise than json
text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8) | \
    st.sampled_from(["\u202e", "\x7f", "\u0085", "\u2028", "\ud800", "a:b", "\x00", "𠮷", "v1.2", "3e5"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) |
    st.floats(allow_nan=True, allow_infinity=True) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_what_orjson_writes_is_what_json_text_writes(value):
    if any(isinstance(x, float) for x in _leaves(value)):  # the caller's promise: no float
        value = {"floats are the json path's": True}
    out = plain_json.write_plain(value)
    expected = terminal.json_text(value, indent=None, separators=(",", ":")).encode("utf-8")
    if out is not None:
        assert out == expected
    assert plain_json.write(value, plain=True) == expected == plain_json.write(value)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([None, ", ", ",\n "]))
def test_what_orjson_reads_is_what_json_reads(value, separators):
    try:
        raw = json.dumps(value, ensure_ascii=False, indent=1 if separators == ",\n " else None).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: write it escaped, as a client would
        raw = json.dumps(value).encode()
    got = plain_json.read_plain([raw])
    if got is not None:
        assert exact(got[0]) == exact(json.loads(raw))
        assert not any(isinstance(x, float) for x in _leaves(got[0]))


@pytest.mark.parametrize("raw, plain", [
    (b'{"a": 1, "b": [true, null, "x:y"]}', True),
    (b'{"a": 1, "a": 2}', False),  # json keeps the last silently: the json path says O012
    (b'{"k": "\\u003a", "k": "\\u003a"}', False),  # escaped colons must not hide the lost key
    (b'{"a\\u003a": 1}', False),
    (b'{"a": 1.0}', False),
    (b'{"a": 1e2}', False),
    (b'{"a": 123456789012345678901234567890}', False),  # orjson: a float; json: an int
    (b'{"a": 18446744073709551615}', True),
    (b'{"a": NaN}', False),
    (b'\xef\xbb\xbf{}', False),
    (b'{"a": "\\ud800"}', False),
    (b'{"a": "\xff"}', False),
    (b'', False),
])
def test_read_plain_takes_only_what_json_reads_alike(raw, plain):
    got = plain_json.read_plain([raw])
    assert (got is not None) == plain
    if plain:
        assert exact(got[0]) == exact(json.loads(raw))


@pytest.mark.parametrize("value, plain", [
    ({"path": FieldRef(0, "id"), "id": "se-1", "n": 2**63 - 1, "ja": "第4条第2項"}, True),
    ({"id": "se\u202e1"}, False),
    ({"id": "\ud800"}, False),
    ({"n": 2**70}, False),
    ({1: "a key that is not a string"}, False),
    ({"a\u2066b": 1}, False),
])
def test_write_plain_leaves_to_json_text_what_orjson_writes_otherwise(value, plain):
    assert (plain_json.write_plain(value) is not None) == plain
    assert plain_json.write(value, plain=True) == plain_json.write(value)


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value
