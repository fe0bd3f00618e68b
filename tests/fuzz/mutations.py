"""Hypothesis strategies that break real inputs the ways an order-entry system, a careless
editor or an attacker would: random JSON; structural mutations of a real order (a key dropped,
repeated, renamed to a look-alike, two values swapped, a value wrapped in a list or in a JSON
string, a field moved to another contract or another level); odd leaves (wrong types, huge and
negative numbers, days that do not exist, strings with controls, surrogates, full-width
characters, a BOM); and token and line mutations of a real spec's text.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from hypothesis import strategies as st

from fuzzing import copy, real_orders

def pick(draw, items):
    """One of `items`, drawn as an index: `st.sampled_from` built anew on each draw costs more than
    the check it feeds."""
    items = list(items) if not isinstance(items, (list, tuple)) else items
    return items[draw(st.integers(0, len(items) - 1))]


# ---- leaves ------------------------------------------------------------------------------------

ODD_STRINGS = [
    "", " ", "\x00", "\t", "\n", "\r\n", "\x1b[2J\x1b[31mvalid\x1b[0m", "a\nb", "\n  ✓ valid", "\x7f", "\x85", "\x9b",
    "\u202eevil", "\u2066x\u2069", "\u061c", "\u200b", "\u200e", "\u2028", "\u2029", "\ufeff", "\ufeffid", "\ud800",
    "\udfff", "x\udc80y", "\U0001f600", "ＩＴ 資産管理:タイプ Ｌ", "ｓｅ－１", "Ｘ", "é", "e\u0301", "ﬁ", "İ",
    "x" * 5000, "\\", '"', "null", "true", "0", "-1", "５０", "50 ", " 50", "1e2", "0x10", "NaN", "契約",
]
ODD_DAYS = [
    "2026-02-29", "2025-02-29", "2024-02-30", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32",
    "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "-2026-01-01", "2026-4-1", "２０２６-０４-０１",
    "2026-04-01T00:00:00", "2026/04/01", " 2026-04-01", "2026-04-01\n", "\ufeff2026-04-01", "20260401",
    "R8-04-01", "2026-W14-3", "2026-091",
]
HUGE_INTS = [-1, -2, -(2 ** 31), 2 ** 31, 2 ** 53 + 1, 2 ** 63, -(2 ** 63) - 1, 2 ** 64, 10 ** 20, 10 ** 400]
ODD_NUMBERS = [0.0, -0.0, 0.5, 1.5, 50.0, 1e308, -1e308, float("inf"), float("-inf"), float("nan"), 5e-324]
WRONG_TYPES = [None, True, False, 0, 1, "", [], {}, [None], {"": None}, "true", "false", "1"]

# controls, format marks, separators, surrogates and full-width digits, by hand: asking Hypothesis
# for these Unicode categories costs seconds of setup in every process
ODD_CHARACTERS = [chr(c) for c in [*range(0x20), 0x7f, *range(0x80, 0xa1), 0xad, 0x061c, *range(0x200b, 0x2010),
                                   0x2028, 0x2029, *range(0x202a, 0x202f), *range(0x2066, 0x206a), 0x3000, 0xfeff,
                                   0xd800, 0xdbff, 0xdc00, 0xdfff, 0xff10, 0xff19, 0xfffd]]
odd_strings = st.sampled_from(ODD_STRINGS) | st.text(max_size=12) | st.text(
    st.sampled_from(ODD_CHARACTERS), min_size=1, max_size=4)


@lru_cache(maxsize=None)
def corpus_words() -> tuple[list[str], list[str]]:
    """Every key and every string value in the real orders: names a mutation may use."""
    keys, strings = set(), set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                keys.add(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and len(v) < 80:
            strings.add(v)

    for _, order in real_orders():
        walk(order)
    return sorted(keys), sorted(strings)


real_keys = st.deferred(lambda: st.sampled_from(corpus_words()[0]))
real_strings = st.deferred(lambda: st.sampled_from(corpus_words()[1]))

odd_leaves = st.one_of(
    st.sampled_from(WRONG_TYPES).map(copy),  # a copy: a later mutation may write into `[]` or `{}` st.sampled_from(HUGE_INTS), st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_DAYS), odd_strings, real_strings, st.integers(-5, 130),
    st.integers(), st.floats())


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@st.composite
def perturbed(draw, s: str) -> str:
    """A string that looks like `s` (or nearly): padded, full-width, re-cased, with a control
    or a BOM inside."""
    how = pick(draw, ["pad", "full", "upper", "insert", "bom", "truncate", "double"])
    if how == "pad":
        return pick(draw, [" ", "\t", "\u3000", "\u00a0"]).join(["", s, ""][draw(st.integers(0, 2)):])
    if how == "full":
        return _full_width(s)
    if how == "upper":
        return s.swapcase()
    if how == "bom":
        return "\ufeff" + s
    if how == "truncate":
        return s[: draw(st.integers(0, max(0, len(s) - 1)))]
    if how == "double":
        return s + s
    i = draw(st.integers(0, len(s)))
    return s[:i] + draw(odd_strings) + s[i:]


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(),
                         odd_strings, real_strings, real_keys, st.sampled_from(ODD_DAYS))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(real_keys | odd_strings, inner, max_size=5),
    max_leaves=30)

leaves_or_values = odd_leaves | json_values
any_keys = real_keys | odd_strings

# ---- structural mutations of a JSON tree -------------------------------------------------------


def _nodes(tree, path=()):
    """Every (path, value) of the tree, the root first."""
    yield path, tree
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _nodes(v, path + (i,))


def _get(tree, path):
    for p in path:
        tree = tree[p]
    return tree


def _set(tree, path, value):
    if not path:
        return value
    _get(tree, path[:-1])[path[-1]] = value
    return tree


def _delete(tree, path):
    del _get(tree, path[:-1])[path[-1]]
    return tree


OPS = ["leaf", "perturb", "drop", "alias", "alias_add", "swap", "wrap_list", "wrap_text", "unwrap", "move", "copy",
       "insert"]


@st.composite
def mutate_once(draw, tree):
    nodes = list(_nodes(tree))
    op = pick(draw, OPS)
    path, value = pick(draw, nodes)
    inner = [(p, v) for p, v in nodes if p]
    dicts = [(p, v) for p, v in nodes if isinstance(v, dict)]
    if op == "leaf":
        return _set(tree, path, draw(odd_leaves))
    if op == "perturb":
        strings = [(p, v) for p, v in nodes if isinstance(v, str)]
        if strings:
            path, value = pick(draw, strings)
            return _set(tree, path, draw(perturbed(value)))
        return tree
    if op == "drop" and inner:
        return _delete(tree, pick(draw, inner)[0])
    if op in ("alias", "alias_add"):
        keyed = [(p, v) for p, v in dicts if v]
        if not keyed:
            return tree
        path, d = pick(draw, keyed)
        key = pick(draw, sorted(d, key=str))
        alias = draw(perturbed(key)) if draw(st.booleans()) else draw(real_keys)
        if op == "alias":
            d[alias] = d.pop(key)
        else:  # the same field under a second name, with the same or another value
            d[alias] = copy(d[key]) if draw(st.booleans()) else draw(odd_leaves)
        return tree
    if op == "swap":
        containers = [(p, v) for p, v in nodes if isinstance(v, (dict, list)) and len(v) >= 2]
        if not containers:
            return tree
        path, c = pick(draw, containers)
        keys = list(c) if isinstance(c, dict) else list(range(len(c)))
        a = pick(draw, keys)
        b = pick(draw, [k for k in keys if k != a])
        c[a], c[b] = c[b], c[a]
        return tree
    if op == "wrap_list":
        return _set(tree, path, [value] * draw(st.integers(1, 2)))
    if op == "wrap_text":  # an order (or a part) given as a JSON string holding it
        return _set(tree, path, json.dumps(value, ensure_ascii=draw(st.booleans())))
    if op == "unwrap" and isinstance(value, (dict, list)) and value:
        children = list(value.values()) if isinstance(value, dict) else value
        return _set(tree, path, pick(draw, children))
    if op in ("move", "copy") and inner and dicts:
        src, moved = pick(draw, inner)
        if not isinstance(src[-1], str):
            return tree
        dst, target = pick(draw, dicts)
        if dst[: len(src)] == src:  # into itself
            return tree
        if op == "move":
            _delete(tree, src)
        target[src[-1]] = copy(moved)
        return tree
    if op == "insert":
        containers = [(p, v) for p, v in nodes if isinstance(v, (dict, list))]
        if containers:
            path, c = pick(draw, containers)
            v = draw(leaves_or_values)
            if isinstance(c, dict):
                c[draw(any_keys)] = v
            else:
                c.insert(draw(st.integers(0, len(c))), v)
    return tree


@st.composite
def mutated(draw, tree, most: int = 4):
    """`tree` (a JSON value, left untouched) after one to `most` mutations."""
    tree = copy(tree)
    for _ in range(draw(st.integers(1, most))):
        tree = draw(mutate_once(tree))
    return tree


@st.composite
def real_order(draw, mutate: bool = True, tariffs=None):
    """(tariff, order): a golden case or an example, mutated (or not)."""
    orders = [(n, o) for n, o in real_orders() if tariffs is None or n in tariffs]
    name, order = pick(draw, orders)
    return name, (draw(mutated(order)) if mutate else copy(order))


# ---- JSON text that a dict cannot hold ---------------------------------------------------------


@st.composite
def json_text(draw, value) -> str:
    """`value` written as JSON text by hand: sometimes a key written twice (with another value),
    ASCII or raw non-ASCII, odd spacing; a BOM in front or a second value after it now and then."""
    ascii_only = draw(st.booleans())
    space = pick(draw, ["", " ", "\n", "\t", "\u3000"])

    def write(v) -> str:
        if isinstance(v, dict):
            items = list(v.items())
            if items and draw(st.integers(0, 4)) == 0:
                k, _ = pick(draw, items)
                items.insert(draw(st.integers(0, len(items))), (k, v[k] if draw(st.booleans()) else draw(odd_leaves)))
            return "{" + ("," + space).join(f"{json.dumps(str(k), ensure_ascii=ascii_only)}:{space}{write(x)}"
                                            for k, x in items) + "}"
        if isinstance(v, list):
            return "[" + ("," + space).join(write(x) for x in v) + "]"
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10 ** 400:
            return "9" * 5000  # past the digits Python reads as an int
        return json.dumps(v, ensure_ascii=ascii_only)

    text = write(value)
    extra = pick(draw, ["", "", "", "\ufeff", "prefix"])
    if extra == "\ufeff":
        text = "\ufeff" + text
    elif extra == "prefix":
        text = text + pick(draw, ["", " ", "\n", "}", "{}", "\x00", " // comment"])
    return text


# ---- spec text ---------------------------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|@\S+|\w+|[^\w\s]|\s+')
SPEC_PIECES = [
    "not", "not not not", "and", "or", "(", ")", "{", "}", "==", "<=", "+", "-", "*", "%", ",", ".", "=", "->",
    "true", "false", "0", "-1", "9" * 400, "2026-02-30", "2025-13-01", "1 month", "999999 years", '""',
    '"\\x1b[31m"', '"\\u202eevil"', '"\\ud800"', '"\x1b[2J"', '"a\x00b"', '"\ufeff"', '"ＩＴ"', "\ufeff", "\x00",
    "@第5条", "@第０条", "@", "rule", "require", "forbid", "when", "for", "it", "option", "contract", "parent",
    "rename", "derive", "fee", "quantity", "dimension", "flag", "#", "\n", "\t",
    "(" * 60 + "1" + ")" * 60, "not " * 300 + "true", "1" + " + 1" * 300,
]


@lru_cache(maxsize=None)
def _tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tokens = tuple(_TOKEN.findall(text))
    return tokens, tuple(sorted({t for t in tokens if not t.isspace()}))


@lru_cache(maxsize=None)
def _replacements(vocabulary: tuple[str, ...]):
    """What may replace a token of a spec with this vocabulary."""
    return (st.sampled_from(vocabulary) | st.sampled_from(SPEC_PIECES)
            | odd_strings.map(lambda s: json.dumps(s, ensure_ascii=False)))


@st.composite
def mutated_spec(draw, text: str) -> str:
    """`text` after one to three token or line mutations: a token deleted, repeated, swapped with
    another or replaced (by another of the spec's tokens, a piece of the language, an odd string);
    a line deleted, repeated or moved."""
    tokens, vocabulary = _tokens(text)
    for _ in range(draw(st.integers(1, 3))):
        op = pick(draw, ["delete", "repeat", "swap", "replace", "insert", "line_delete",
                                   "line_repeat", "line_move"])
        if op.startswith("line"):
            lines = "".join(tokens).split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            if op == "line_delete":
                del lines[i]
            elif op == "line_repeat":
                lines.insert(i, lines[i])
            else:
                line = lines.pop(i)
                lines.insert(draw(st.integers(0, len(lines))), line)
            tokens = tuple(_TOKEN.findall("\n".join(lines)))
            continue
        tokens = list(tokens)
        i = draw(st.integers(0, len(tokens) - 1))
        if op == "delete":
            del tokens[i]
        elif op == "repeat":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            new = draw(_replacements(vocabulary))
            if op == "replace":
                tokens[i] = new
            else:
                tokens.insert(i, " " + new + " ")
        tokens = tuple(tokens)
    return "".join(tokens)


# ---- mutations that keep an order readable, for the solver's invariants ----------------------

plausible_leaves = st.one_of(st.integers(0, 130), st.booleans(), real_strings, st.sampled_from(
    ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-01", "2026-12-31", "2027-04-01"]))


@st.composite
def nudged(draw, tree, most: int = 3):
    """`tree` (left untouched) with one to `most` changes an order-entry system could send: a
    value replaced by another plausible one, a field dropped, moved or copied to another place."""
    tree = copy(tree)
    for _ in range(draw(st.integers(1, most))):
        nodes = [(p, v) for p, v in _nodes(tree) if p]
        if not nodes:
            break
        op = pick(draw, ["leaf", "leaf", "drop", "move", "copy"])
        path, value = pick(draw, nodes)
        if op == "leaf" and not isinstance(value, (dict, list)):
            _set(tree, path, draw(plausible_leaves))
        elif op == "drop":
            _delete(tree, path)
        elif op in ("move", "copy"):
            dicts = [(p, v) for p, v in _nodes(tree) if isinstance(v, dict)]
            if isinstance(path[-1], str) and dicts:
                dst, target = pick(draw, dicts)
                if dst[: len(path)] != path:
                    moved = copy(value)
                    if op == "move":
                        _delete(tree, path)
                    target[path[-1]] = moved
    return tree


@st.composite
def nudged_order(draw, tariffs=None):
    """(tariff, order): a golden case or an example, nudged."""
    orders = [(n, o) for n, o in real_orders() if tariffs is None or n in tariffs]
    name, order = pick(draw, orders)
    return name, draw(nudged(order))
