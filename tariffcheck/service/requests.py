"""Reading a request: its body within the limits, its JSON, its orders, and the answer's form.

The body is read in chunks and refused (413) as soon as it passes its limit, whether or not the
client said how long it would be. JSON is parsed by the decoder's reader (orders/decode.py), so
an order that is not JSON gets the same O001 with line and column as on the command line.
"""

from __future__ import annotations

import json

from starlette.requests import Request

from ..common.diagnostics import Diagnostic, DiagnosticError
from ..orders.decode import MAX_ORDER_BYTES, read_order_text
from .plain_json import read_plain
from .problems import Problem, too_deep, too_large

NDJSON = "application/x-ndjson"


async def read_body(request: Request, limit: int, setting: str) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise too_large("the request body", limit, "bytes", setting)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large("the request body", limit, "bytes", setting)
        chunks.append(chunk)
    return b"".join(chunks)


def _deeper_than(value: object, limit: int) -> bool:
    """Whether an object or list is nested deeper than `limit`: level by level, containers only,
    no paths (the common answer is no, and it needs none)."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        inner = []
        for item in level:
            inner.extend(v for v in (item.values() if isinstance(item, dict) else item)
                         if isinstance(v, (dict, list)))
        level, depth = inner, depth + 1
    return False


def deepest(value: object, limit: int) -> str | None:
    """The path of the first object or list nested deeper than `limit`, or None."""
    if not _deeper_than(value, limit):
        return None
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                return path
            stack.extend((v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            if depth > limit:
                return path
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(item))
    return None


def within_depth(raw: bytes, limit: int) -> bool:
    """Whether JSON text surely nests no deeper than `limit`: nesting N deep takes N opening
    brackets, so text with at most `limit` of them cannot pass it (every order we have seen)."""
    return raw.count(b"{") + raw.count(b"[") <= limit


def parse_order(raw: bytes, max_depth: int) -> object:
    """One order's JSON, parsed as the CLI parses it, within the service's nesting limit."""
    if not raw.strip():
        raise DiagnosticError([Diagnostic("O011", "the request has no body: send the order as JSON", field="",
                                          help="POST the order's JSON as the request body")])
    data = read_order_text(raw, "<request>")
    if not within_depth(raw, max_depth):  # count brackets in C rather than walk every value
        too_far = deepest(data, max_depth)
        if too_far is not None:
            raise too_deep(max_depth, too_far)
    return data


class _Repeats(dict):
    """An object of a batch's JSON in which a key was given twice (JSON keeps the last silently)."""


def _pairs(pairs):
    obj = dict(pairs)
    return _Repeats(obj) if len(obj) < len(pairs) else obj


def _repeats_key(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Repeats):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_one(raw: bytes, max_depth: int) -> tuple[object, bool]:
    """One order's JSON (parse_order), and whether it was read plain (plain_json.read_plain)."""
    if len(raw) <= MAX_ORDER_BYTES:
        values = read_plain([raw])
        if values is not None and not _any_too_deep([raw], values, max_depth):
            return values[0], True
    return parse_order(raw, max_depth), False


def _any_too_deep(texts: list[bytes], values: list, limit: int) -> bool:
    """Whether a value read from its text is nested deeper than `limit` (walked only when its
    text has more than `limit` brackets, as in parse_order)."""
    return any(not within_depth(text, limit) and _deeper_than(value, limit) for text, value in zip(texts, values))


def batch_orders(raw: bytes, content_type: str, max_batch: int, max_depth: int) -> tuple[list[object], bool]:
    """The orders of a check:batch body: a JSON array, or NDJSON (one order a line). Each item is
    the order's JSON, or a DiagnosticError/Problem saying why that one cannot be read; the
    others are still checked. And whether the body was read plain (plain_json.read_plain: every
    order is then JSON, and no value is a float)."""
    if NDJSON in content_type:
        lines = [line for line in raw.split(b"\n") if line.strip()]
        if len(lines) > max_batch:
            raise batch_too_long(len(lines), max_batch)
        if all(len(line) <= MAX_ORDER_BYTES for line in lines):
            values = read_plain(lines)
            if values is not None and not _any_too_deep(lines, values, max_depth):
                return values, True
        out: list[object] = []
        for line in lines:
            try:
                out.append(parse_order(line, max_depth))
            except (DiagnosticError, Problem) as exc:
                out.append(exc)
        return out, False
    plain = plain_array(raw, max_batch, max_depth)
    if plain is not None:
        return plain, True
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        data = json.loads(text, object_pairs_hook=_pairs)
    except UnicodeDecodeError as exc:
        raise DiagnosticError([Diagnostic("O011", f"the batch is not UTF-8 text (byte {exc.start})", field="",
                                          help="send the orders as UTF-8 JSON")]) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise DiagnosticError([Diagnostic("O001", f"the batch is not valid JSON{where}", field="",
                                          help="send a JSON array of orders, or NDJSON with "
                                               f"`Content-Type: {NDJSON}`")]) from None
    if not isinstance(data, list):
        raise DiagnosticError([Diagnostic("O002", "a batch is a JSON array of orders", field="",
                                          help=f"wrap the orders in `[...]`, or send NDJSON with "
                                               f"`Content-Type: {NDJSON}`")])
    if len(data) > max_batch:
        raise batch_too_long(len(data), max_batch)
    out = []
    for i, item in enumerate(data):
        too_far = deepest(item, max_depth)
        if too_far is not None:
            out.append(too_deep(max_depth, too_far))
        elif _repeats_key(item):
            out.append(DiagnosticError([Diagnostic(
                "O012", f"order [{i}] gives a field twice in one object", field="",
                help="give each field once; JSON readers differ in which of the values they keep")]))
        else:
            out.append(item)
    return out, False


def plain_array(raw: bytes, max_batch: int, max_depth: int) -> list | None:
    """The orders of a JSON array body read plain, when each is an order the json path would
    take as it is (none nested deeper than `max_depth`); else None, for the json path to say
    which are not."""
    values = read_plain([raw.removeprefix(b"\xef\xbb\xbf")])
    if values is None or not isinstance(values[0], list) or len(values[0]) > max_batch:
        return None
    if any(_deeper_than(item, max_depth) for item in values[0]):
        return None
    return values[0]


def batch_too_long(n: int, limit: int) -> Problem:
    message = f"the batch has {n:,} orders, more than {limit:,}"
    return Problem(413, "batch-too-long", "the batch has too many orders", message,
                   [{"code": "S004", "severity": "error", "message": message,
                     "help": f"send at most {limit:,} orders a request, or start the service with a larger "
                             "`--max-batch`"}])


def wants_text(request: Request) -> bool:
    """The client asked for the text report (`Accept: text/plain`) rather than JSON."""
    accept = request.headers.get("accept", "")
    return "text/plain" in accept and "application/json" not in accept


def wants_ndjson(request: Request) -> bool:
    return NDJSON in request.headers.get("accept", "")
