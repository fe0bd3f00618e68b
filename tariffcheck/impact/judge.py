"""One contract of the base under the new version of a tariff and, when given, under the old.

A row's result is the JSON of `tariff check` (report/check_report.py) for each version, less
what the whole run shares (`format`, `tariff`), the row's class, and with `repair` the nearest
valid contract under the new version (report/repair_report.py). A row that is not an order
the new version can read is `malformed`, with the codes of its errors; it is never dropped.

Each process compiles a version once: `checker(spec)` keeps one Checker per content hash for
the life of the process, shared by its threads (a Checker is thread-safe, api.py).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog
from ..api import Checker
from ..common.diagnostics import DiagnosticError
from ..orders.json_text import read_order_text
from ..orders.order import Order
from ..report import check_report

NEWLY_BROKEN, ALREADY_BROKEN, STILL_VALID, NEWLY_VALID = "newly_broken", "already_broken", "still_valid", "newly_valid"
VALID, BROKEN, MALFORMED, UNKNOWN = "valid", "broken", "malformed", "unknown"
CLASSES = (NEWLY_BROKEN, ALREADY_BROKEN, NEWLY_VALID, STILL_VALID, BROKEN, VALID, UNKNOWN, MALFORMED)


@dataclass(frozen=True)
class Spec:
    """A version of a tariff as a job carries it to the workers: where it is, its hash and its
    text (a worker that does not share the file system compiles the text)."""

    path: str
    content_hash: str
    text: str

    @classmethod
    def of(cls, name_or_path: str) -> "Spec":
        t = catalog.load(name_or_path)  # B-errors are the base's; a spec that does not load raises its own
        return cls(t.path, t.content_hash, Path(t.path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Options:
    repair: bool = False
    locks: tuple[str, ...] = ()
    unlock: tuple[str, ...] = ()
    weights: tuple[tuple[str, int], ...] = ()
    timeout_ms: int | None = None

    def as_json(self) -> dict:
        return {"repair": self.repair, "locks": list(self.locks), "unlock": list(self.unlock),
                "weights": [list(w) for w in self.weights], "timeout_ms": self.timeout_ms}


_checkers: dict[str, Checker] = {}
_checkers_lock = threading.Lock()
compiled: list[str] = []  # the hashes this process compiled, in order (each at most once)


def checker(spec: Spec, timeout_ms: int | None = None) -> Checker:
    """This process's Checker for `spec`, compiled on the first call."""
    key = f"{spec.content_hash}:{timeout_ms}"
    found = _checkers.get(key)
    if found is not None:
        return found
    with _checkers_lock:
        found = _checkers.get(key)
        if found is None:
            tariff = catalog.load(_local_path(spec))
            found = Checker(tariff) if timeout_ms is None else Checker(tariff, timeout_ms)
            _checkers[key] = found
            compiled.append(spec.content_hash)
    return found


def _local_path(spec: Spec) -> str:
    """The spec's own file when this process sees it unchanged, else a copy of its text."""
    try:
        data = Path(spec.path).read_bytes()
        if "sha256:" + hashlib.sha256(data).hexdigest() == spec.content_hash or \
                hashlib.sha256(data).hexdigest() == spec.content_hash:
            return spec.path
    except OSError:
        pass
    folder = Path(tempfile.gettempdir()) / f"tariffcheck-impact-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    copy = folder / f"{spec.content_hash.replace(':', '-')}-{Path(spec.path).name}"
    if not copy.exists():
        tmp = copy.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(spec.text, encoding="utf-8")
        os.replace(tmp, copy)
    return str(copy)


@dataclass
class Judged:
    """A row's result (its JSON) and what the summary counts of it."""

    result: dict
    cls: str
    rules: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, kind, clause) broken under new
    options: list[str] = field(default_factory=list)  # options the broken rule instances are about
    items: list[str] = field(default_factory=list)  # "dimension: value" of the row's contracts
    errors: list[str] = field(default_factory=list)  # codes, for a malformed row
    repair: dict | None = None


def _errors_json(exc: DiagnosticError) -> list[dict]:
    return [{"code": d.code, "message": d.message, "field": d.field} for d in exc.diagnostics]


_alike: dict[tuple[Checker, Checker], tuple[bool, bool]] = {}


def _work_alike(a: Checker, b: Checker) -> tuple[bool, bool]:
    """Whether two versions' quick decoders are the same function (orders/generated.py), and
    whether their days of taking effect are (evaluate/derived_dates.py)."""
    found = _alike.get((a, b))
    if found is None:
        found = _alike[(a, b)] = (a.quick_decoder.reads_as(b.quick_decoder),
                                  a.date_calculator.effective_as(b.date_calculator))
    return found


def _verdict(c: Checker, payload, effective: list | None = None) -> tuple[object, dict]:
    """The decoded order and the check's JSON; raises DiagnosticError for a malformed row.
    `payload` may be the Order already decoded (neither check changes an Order), and `effective`
    its days of taking effect already worked out by a version whose days are this one's."""
    order = payload if isinstance(payload, Order) else c.decode(payload)
    if effective is None:
        verdict = c.check(order)
    else:  # Checker.check's concrete path, less the days
        verdict = c.concrete.validate(order)
        verdict.effective = effective
    return order, check_report.verdict_json(c.tariff, order, verdict)


def _items(c: Checker, order) -> list[str]:
    """The values of each contract's dimensions, by official names (品目: IT 資産管理:タイプ L)."""
    out = []
    for entry in order.contracts:
        kind = c.tariff.contracts[entry.kind]
        for dim_id, value in entry.new.dims.items():
            dim = kind.dimensions.get(dim_id)
            if dim is not None and value in dim.values:
                out.append(f"{dim.label}: {dim.values[value].label}")
    return sorted(set(out))


def judge(row, source: str, new: Spec, old: Spec | None, options: Options) -> Judged:
    result: dict = {"source": source, "row": row.number}
    if row.key is not None:
        result["key"] = row.key
    c_new = checker(new, options.timeout_ms)
    c_old = checker(old, options.timeout_ms) if old is not None else None
    payload = row.payload
    if payload is None:
        result["class"] = MALFORMED
        result["errors"] = [{"code": "B002", "message": "the row has no order", "field": None}]
        return Judged(result, MALFORMED, errors=["B002"])
    if isinstance(payload, (str, bytes)):  # the text is read once, not once per version
        try:
            payload = read_order_text(payload)
        except DiagnosticError as exc:  # neither version can read it: what both would say
            result["class"] = MALFORMED
            result["errors"] = _errors_json(exc)
            if c_old is not None:
                result["old"] = {"errors": _errors_json(exc)}
            return Judged(result, MALFORMED, errors=[d.code for d in exc.diagnostics])
    effective = None
    if c_old is not None:
        same_reading, same_days = _work_alike(c_new, c_old)
        if same_reading:
            # the versions read orders alike: a row the quick decoder reads is decoded once, for
            # both; one it leaves to decode.py is decoded by each version, which may tell it apart
            payload = c_new.quick_decoder.decode(payload) or payload
            if same_days and isinstance(payload, Order):
                effective = c_new.date_calculator.effective(payload)
    old_json = None
    if c_old is not None:
        try:
            old_json = _verdict(c_old, payload, effective)[1]
        except DiagnosticError as exc:
            old_json = {"errors": _errors_json(exc)}
    try:
        order, new_json = _verdict(c_new, payload, effective)
    except DiagnosticError as exc:
        result["class"] = MALFORMED
        result["errors"] = _errors_json(exc)
        if old_json is not None:
            result["old"] = old_json
        return Judged(result, MALFORMED, errors=[d.code for d in exc.diagnostics])
    cls = _class(new_json["verdict"], old_json)
    result["class"] = cls
    result["new"] = new_json
    if old_json is not None:
        result["old"] = old_json
    judged = Judged(result, cls, items=_items(c_new, order))
    for v in new_json["violations"]:
        judged.rules.append((v["rule"], v["kind"], v["clause"]["text"]))
        if v["subject"] is not None:
            judged.options.append(v["subject"]["name"])
    judged.rules = sorted(set(judged.rules))
    judged.options = sorted(set(judged.options))
    if options.repair and new_json["verdict"] == "invalid":
        judged.repair = result["repair"] = _repair(c_new, order, options)
    return judged


def _class(new_verdict: str, old_json: dict | None) -> str:
    if new_verdict == "unknown" or (old_json is not None and old_json.get("verdict") == "unknown"):
        return UNKNOWN
    broken = new_verdict == "invalid"
    if old_json is None:
        return BROKEN if broken else VALID
    was_broken = old_json.get("verdict") != "valid"  # an order the old version could not read was not valid
    if broken:
        return ALREADY_BROKEN if was_broken else NEWLY_BROKEN
    return NEWLY_VALID if was_broken else STILL_VALID


def _repair(c: Checker, order, options: Options) -> dict:
    from ..report import repair_report  # the Z3 path, loaded by the first repair

    result = c.repair(order, 1, options.locks, dict(options.weights), options.unlock)
    out = repair_report.to_json(c.tariff, order, result)
    nearest = out["repairs"][0] if out["repairs"] else None
    return {"status": out["status"], "complete": out["complete"], "reason": out["reason"],
            "cost": nearest["cost"] if nearest else None, "distance": nearest["distance"] if nearest else None,
            "changes": nearest["changes"] if nearest else [], "order": nearest["order"] if nearest else None}
