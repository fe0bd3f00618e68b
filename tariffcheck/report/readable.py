"""An order in the tariff's own words, for a reader who does not know the spec's ids: each field
under its official name (`品目`, `トンネル接続オプション`), each value as the tariff names it
(`IT 資産管理:タイプ X`), each contract under the name of its kind. The HTML reports show the
witnesses of lint and diff through it.

The field's names are the tariff's (Japanese); `lang` chooses the words this module adds itself
(`数`/`count`, `あり`/`yes`, the kinds of request). An id the tariff does not know is shown as
it is, so a table never hides what the order says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import tariff as M

_WORDS = {
    "en": {"request": "request", "new": "new order", "change": "change request", "cancellation": "cancellation",
           "yes": "yes", "no": "no", "not_ordered": "not ordered", "count": "count", "parent": "parent contract",
           "application_date": "application date", "notice_arrived": "notice arrived",
           "requested_date": "requested date", "holdings": "other services held", "value": "value",
           "current": "now", "after": "after the change", "contract": "contract", "field": "field",
           "tariff": "tariff"},
    "ja": {"request": "申込みの種類", "new": "新規の申込み", "change": "変更の申込み", "cancellation": "解約の申込み",
           "yes": "あり", "no": "なし", "not_ordered": "申込みなし", "count": "数", "parent": "親たる契約",
           "application_date": "申込日", "notice_arrived": "通知の到達日", "requested_date": "希望日",
           "holdings": "ほかに契約しているサービス", "value": "値", "current": "現在", "after": "変更後",
           "contract": "契約", "field": "項目", "tariff": "料金表"},
}


@dataclass
class Row:
    label: str
    values: list[str]  # one value, or (now, after the change) for a change request
    changed: bool = False


@dataclass
class ContractTable:
    title: str  # the official name of its kind, and the order's id of the contract
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass
class ReadableOrder:
    about: list[Row]  # the order's own fields: the kind of request, its days
    contracts: list[ContractTable]


def words(lang: str) -> dict[str, str]:
    return _WORDS[lang if lang in _WORDS else "en"]


def readable_order(order: dict, tariff: M.Tariff, lang: str = "ja") -> ReadableOrder:
    w = words(lang)
    about = []
    request = order.get("request", "new")
    about.append(Row(w["request"], [w.get(request, str(request))]))
    for key, value in order.items():
        if key in ("request", "contracts", "tariff", "description"):
            continue
        if key == "holdings":
            about.append(Row(w["holdings"], [", ".join(_holding(h, tariff) for h in value)]))
        else:
            about.append(Row(w.get(key, key), [_plain(value, w)]))
    tables = []
    for entry in order.get("contracts", []):
        kind = tariff.contracts.get(entry.get("contract", ""))
        title = f"{kind.label if kind else entry.get('contract', '?')} ({entry.get('id', '?')})"
        if "current" in entry:
            now = entry["current"]
            after = _merged(now, entry.get("changes", {})) if request == "change" else None
            columns = [w["field"], w["current"]] + ([w["after"]] if after is not None else [])
            table = ContractTable(title, columns)
            if entry.get("parent"):
                table.rows.append(Row(w["parent"], [entry["parent"]] * (len(columns) - 1)))
            for label, values in _pairs(kind, now, after, w):
                table.rows.append(Row(label, values, len(values) > 1 and values[0] != values[1]))
        else:
            table = ContractTable(title, [w["field"], w["value"]])
            if entry.get("parent"):
                table.rows.append(Row(w["parent"], [entry["parent"]]))
            body = {k: v for k, v in entry.items() if k not in ("id", "contract", "parent")}
            for label, values in _pairs(kind, body, None, w):
                table.rows.append(Row(label, values))
        tables.append(table)
    return ReadableOrder(about, tables)


def _merged(now: dict, changes: dict) -> dict:
    out = dict(now)
    for k, v in changes.items():
        if k == "options":
            options = dict(now.get("options", {}))
            for o, body in v.items():
                if body is False:
                    options.pop(o, None)
                elif isinstance(body, dict) and isinstance(options.get(o), dict):
                    options[o] = {**options[o], **body}
                else:
                    options[o] = body
            out["options"] = options
        elif v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _pairs(kind: M.ContractKind | None, first: dict, second: dict | None, w: dict) -> list[tuple[str, list[str]]]:
    """(label, values) per field of a contract, in the order the spec declares its fields."""
    states = [first] + ([second] if second is not None else [])
    keys: list[str] = []
    for st in states:
        keys += [k for k in st if k not in keys and k != "options"]
    out = [(_field_label(kind, k), [_value(kind, k, st.get(k), w) for st in states]) for k in keys]
    options: list[str] = []
    for st in states:
        options += [o for o in st.get("options", {}) if o not in options]
    for o in options:
        opt = kind.options.get(o) if kind else None
        name = opt.label if opt else o
        bodies = [st.get("options", {}).get(o) for st in states]
        out.append((name, [_option_value(b, w) for b in bodies]))
        parts: list[str] = []
        for b in bodies:
            if isinstance(b, dict):
                parts += [p for p in b if p != "count" and p not in parts]
        for p in parts:
            out.append((f"{name} ・ {_option_part_label(opt, p)}",
                        [_option_part(opt, p, b.get(p) if isinstance(b, dict) else None, w) for b in bodies]))
    return out


def _field_label(kind: M.ContractKind | None, key: str) -> str:
    if kind is None:
        return key
    for table in (kind.dimensions, kind.quantities, kind.flags, kind.dates):
        if key in table:
            return table[key].label
    return key


def _value(kind: M.ContractKind | None, key: str, value, w: dict) -> str:
    if value is None:
        return "—"
    if kind is not None and key in kind.dimensions:
        v = kind.dimensions[key].values.get(value)
        return v.label if v else str(value)
    return _plain(value, w)


def _option_value(body, w: dict) -> str:
    if body is None or body is False:
        return w["not_ordered"]
    if isinstance(body, dict) and "count" in body:
        return f"{w['count']} {body['count']}"
    return w["yes"]


def _option_part_label(opt: M.Option | None, part: str) -> str:
    if opt is None:
        return part
    for table in (opt.quantities, opt.attributes, opt.dates):
        if part in table:
            return table[part].label
    return part


def _option_part(opt: M.Option | None, part: str, value, w: dict) -> str:
    if value is None:
        return "—"
    if opt is not None and part in opt.attributes:
        values = value if isinstance(value, list) else [value]
        table = opt.attributes[part].values
        return ", ".join(table[v].label if v in table else str(v) for v in values) or "—"
    return _plain(value, w)


def _plain(value, w: dict) -> str:
    if value is True:
        return w["yes"]
    if value is False:
        return w["no"]
    if isinstance(value, list):
        return ", ".join(_plain(v, w) for v in value)
    return str(value)


def _holding(h: dict, tariff: M.Tariff) -> str:
    svc = tariff.services.get(h.get("service", ""))
    if svc is None:
        return str(h.get("service", "?"))
    parts = []
    for d, v in h.items():
        if d == "service" or d not in svc.dimensions:
            continue
        value = svc.dimensions[d].values.get(v)
        parts.append(value.label if value else str(v))
    return svc.label + (f" ({', '.join(parts)})" if parts else "")


_PATH = re.compile(r"^contracts\[(\d+)\]\.(.+)$")


def field_label(path: str, order: dict | None, tariff: M.Tariff, lang: str = "ja") -> str:
    """A field's path in an order (`contracts[1].options.tunnel.count`) in the tariff's names:
    `トンネル接続オプション の数 (c1)`."""
    w = words(lang)
    m = _PATH.match(path)
    if not m:
        return w.get(path, path)
    index, rest = int(m.group(1)), m.group(2).split(".")
    entries = (order or {}).get("contracts", [])
    entry = entries[index] if index < len(entries) else {}
    kind = tariff.contracts.get(entry.get("contract", ""))
    where = f" ({entry['id']})" if entry.get("id") else ""
    if rest[0] == "options" and len(rest) >= 2:
        opt = kind.options.get(rest[1]) if kind else None
        name = opt.label if opt else rest[1]
        if len(rest) == 2:
            return name + where
        part = w["count"] if rest[2] == "count" else _option_part_label(opt, rest[2])
        return f"{name} ・ {part}{where}"
    return _field_label(kind, rest[0]) + where
