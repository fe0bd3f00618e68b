"""One contract of the base under the new version of a tariff and, when given, under the old.

A row's result is the JSON of `tariff check` (report/check_report.py) for each version, less
what the whole run shares (`format`, `tariff`), the row's class, and with `repair` the nearest
valid contract under the new version (report/repair_report.py). A row that is not an order
the new version can read is `malformed`, with the codes of its errors; it is never dropped.

Each process compiles a version once: `checker(spec)` keeps one Checker per content hash for
the life of the process, shared by its threads (a Checker is thread-safe, api.py).

A partition's rows go through one `Judge`, which does once what the two versions share: when
they read orders alike, a row's text is read and decoded once, its days of taking effect are
worked out once when the versions declare them alike, and the old version runs only the rule
instances the change touched (`_SameRules`); the check JSON of a valid row is encoded once.
Every result is the one each version's `Checker.check` gives (tests/test_impact_fastpath.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog
from ..api import Checker
from ..common.diagnostics import DiagnosticError
from ..evaluate.check_verdict import VerdictBuilder
from ..evaluate.concrete import ConcreteValidator
from ..evaluate.verdict import VALID
from ..model.tariff import Tariff
from ..orders.order import Order
from ..report import check_report
from .lines import Encoded, fixed_line, fixed_parts
from .text import read_row_text

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


def checker(spec: Spec, timeout_ms: int | None = None, model: Tariff | None = None) -> Checker:
    """This process's Checker for `spec`, compiled on the first call.

    `model` is the version as the process that planned the run loaded it (`catalog.load` of the
    spec's file). It is used when this process sees that file unchanged, where loading it again
    would give the same model: a worker then skips parsing and resolving the spec, most of the
    cost of its first task. Otherwise the spec is loaded here, from its file or its text."""
    key = f"{spec.content_hash}:{timeout_ms}"
    found = _checkers.get(key)
    if found is not None:
        return found
    with _checkers_lock:
        found = _checkers.get(key)
        if found is None:
            path = _local_path(spec)
            same = model is not None and model.content_hash == spec.content_hash and path == spec.path
            tariff = model if same else catalog.load(path)
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
    line: bytes | None = None  # the result's line, when the judge wrote it (lines.result_line's bytes)


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


class _Found:
    """A validator whose broken instances are already known: `VerdictBuilder` builds the verdict
    of a list of them exactly as `Checker.check` does (evaluate/check_verdict.py)."""

    def __init__(self, tariff):
        self.tariff = tariff
        self.found: list = []

    def broken(self, order) -> list:
        return self.found


class _SameRules:
    """What the old version's rule instances that equal the new version's give on an order.

    A rule instance whose compiled condition (and the condition under which it is checked) is
    the same node in both versions, of the same rule id, kind of contract and option, evaluates
    alike on the same decoded order: the concrete validator's code for an instance is a function
    of that node alone (evaluate/concrete.py). So the old version's broken instances are the new
    version's broken instances of those rules, plus what the old version's other instances (the
    rules the change touched) find; only those are run again. Built once per pair of Checkers."""

    def __init__(self, new: Checker, old: Checker):
        def sig(c) -> tuple:
            return (c.rule.scope, c.rule.id, c.subject, c.node, c.defined, repr(c.node), repr(c.defined))

        new_by_sig = {sig(c): c for cs in new.concrete.by_kind.values() for c in cs}
        self.same: dict[int, object] = {}  # id of a new CompiledRule -> the old one equal to it
        self.place: dict[int, int] = {}  # id of an old CompiledRule -> its place in its kind's list
        differ: dict[str, set] = {}  # rule id -> the subjects of its instances that differ
        for kind, cs in old.concrete.by_kind.items():
            for i, c in enumerate(cs):
                self.place[id(c)] = i
                twin = new_by_sig.get(sig(c))
                if twin is not None:
                    self.same[id(twin)] = c
                else:
                    differ.setdefault(c.rule.id, set()).add(c.subject)
        rules = [dataclasses.replace(r, subjects=[s for s in r.subjects if s in differ[r.id]])
                 for r in old.tariff.rules if r.id in differ]
        # the old version's differing instances, compiled on their own; each maps back to the old one
        self.changed = ConcreteValidator(dataclasses.replace(old.tariff, rules=rules))
        old_of = {(c.rule.scope, c.rule.id, c.subject): c for cs in old.concrete.by_kind.values() for c in cs}
        self.changed_old = {id(c): old_of[c.rule.scope, c.rule.id, c.subject]
                            for cs in self.changed.by_kind.values() for c in cs}

    def broken(self, order, new_broken: list) -> list:
        """The old validator's `broken(order)`, from the new one's on the same order."""
        found = [(self.same[id(c)], e) for c, e in new_broken if id(c) in self.same]
        found += [(self.changed_old[id(c)], e) for c, e in self.changed.broken(order)]
        if len(found) < 2:
            return found
        # the validator's order: entry by entry as the order lists them, each entry's instances
        # in its kind's order
        place = self.place
        at = {id(e): i for i, e in enumerate(order.contracts)}
        return sorted(found, key=lambda ce: (at[id(ce[1])], place[id(ce[0])]))


_same_rules: dict[tuple[Checker, Checker], _SameRules] = {}


class _Version:
    """One version's side of a row: its validator's verdicts, and the check JSON of the
    commonest verdict (valid, no days, no notes) encoded once per kind of request."""

    def __init__(self, c: Checker):
        self.c = c
        self.found = _Found(c.tariff)
        self.builder = VerdictBuilder(self.found)
        self.plain: dict[str, Encoded] = {}

    def json(self, order, verdict) -> dict:
        if verdict.status == VALID and not verdict.effective and not order.notes and not verdict.reason:
            plain = self.plain.get(order.request)
            if plain is None:  # what verdict_json gives for such a verdict depends on the request alone
                plain = self.plain[order.request] = Encoded(check_report.verdict_json(self.c.tariff, order, verdict))
            return plain
        return check_report.verdict_json(self.c.tariff, order, verdict)


class Judge:
    """Rows under the new version and, when given, the old: the Checkers, what the versions
    share (their reading of orders, their days, their unchanged rules), for one partition
    (a partition runs in one thread)."""

    def __init__(self, new: Spec, old: Spec | None, options: Options, models: tuple[Tariff, ...] = ()):
        """`models`: the versions as the planning process loaded them, when it sent them (see `checker`)."""
        self.options = options
        by_hash = {m.content_hash: m for m in models}
        self.new = _Version(checker(new, options.timeout_ms, by_hash.get(new.content_hash)))
        self.old: _Version | None = None
        if old is not None:
            self.old = _Version(checker(old, options.timeout_ms, by_hash.get(old.content_hash)))
        self.same_reading = self.same_days = False
        self.same_rules: _SameRules | None = None
        if self.old is not None:
            a, b = self.new.c, self.old.c
            self.same_reading, self.same_days = _work_alike(a, b)
            if self.same_reading:
                found = _same_rules.get((a, b))
                if found is None:
                    found = _same_rules[(a, b)] = _SameRules(a, b)
                self.same_rules = found
        self._items: dict[tuple, list[str]] = {}
        self._still_valid: dict[tuple[str, str], tuple[str, str, str]] = {}  # (source, request) -> line parts

    def _checked(self, side: _Version, payload, effective: list | None, broken: list | None = None):
        """The decoded order and the check's JSON (DiagnosticError for a malformed row).
        `payload` may be the Order already decoded (neither check changes an Order), `effective`
        its days of taking effect already worked out by a version whose days are this one's,
        and `broken` its broken rule instances already found."""
        c = side.c
        order = payload if isinstance(payload, Order) else c.decode(payload)
        if effective is None and broken is None:
            verdict = c.check(order)
        else:  # Checker.check's concrete path, less what is known
            side.found.found = c.concrete.broken(order) if broken is None else broken
            verdict = side.builder.validate(order)
            verdict.effective = c.date_calculator.effective(order) if effective is None else effective
        return order, side.json(order, verdict)

    def items(self, order) -> list[str]:
        """The values of each contract's dimensions, by official names (品目: IT 資産管理:タイプ L)."""
        key = []  # each contract's kind, then its (dimension, value) pairs: a kind is text, a pair a tuple
        for e in order.contracts:
            key.append(e.kind)
            key += e.new.dims.items()
        key = tuple(key)
        found = self._items.get(key)
        if found is None:
            found = self._items[key] = _items(self.new.c, order)
        return found

    def judge(self, row, source: str) -> "Judged":
        result: dict = {"source": source, "row": row.number}
        if row.key is not None:
            result["key"] = row.key
        payload = row.payload
        if payload is None:
            result["class"] = MALFORMED
            result["errors"] = [{"code": "B002", "message": "the row has no order", "field": None}]
            return Judged(result, MALFORMED, errors=["B002"])
        old = self.old
        if isinstance(payload, (str, bytes)):  # the text is read once, not once per version
            try:
                payload = read_row_text(payload)
            except DiagnosticError as exc:  # neither version can read it: what both would say
                result["class"] = MALFORMED
                result["errors"] = _errors_json(exc)
                if old is not None:
                    result["old"] = {"errors": _errors_json(exc)}
                return Judged(result, MALFORMED, errors=[d.code for d in exc.diagnostics])
        effective = new_broken = old_broken = None
        if self.same_reading:
            # the versions read orders alike: a row the quick decoder reads is decoded once, for
            # both; one it leaves to decode.py is decoded by each version, which may tell it apart
            payload = self.new.c.quick_decoder.decode(payload) or payload
            if isinstance(payload, Order):
                if self.same_days:
                    effective = self.new.c.date_calculator.effective(payload)
                new_broken = self.new.c.concrete.broken(payload)
                old_broken = self.same_rules.broken(payload, new_broken)
                if not (new_broken or old_broken or effective or payload.breaches or payload.notes) \
                        and self.same_days:
                    parts = self._still_valid.get((source, payload.request))
                    if parts is not None:
                        return self._judged_still_valid(result, payload, parts)
        old_json = None
        if old is not None:
            try:
                old_json = self._checked(old, payload, effective, old_broken)[1]
            except DiagnosticError as exc:
                old_json = {"errors": _errors_json(exc)}
        try:
            order, new_json = self._checked(self.new, payload, effective, new_broken)
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
        judged = Judged(result, cls, items=self.items(order))
        if cls == STILL_VALID and type(new_json) is Encoded and type(old_json) is Encoded and self.same_days:
            # the first such row of a request: the JSON of the rows after it is known
            self._still_valid.setdefault((source, order.request), fixed_parts(cls, new_json, old_json, source))
        violations = new_json["violations"]
        if violations:
            for v in violations:
                judged.rules.append((v["rule"], v["kind"], v["clause"]["text"]))
                if v["subject"] is not None:
                    judged.options.append(v["subject"]["name"])
            judged.rules = sorted(set(judged.rules))
            judged.options = sorted(set(judged.options))
        if self.options.repair and new_json["verdict"] == "invalid":
            judged.repair = result["repair"] = _repair(self.new.c, order, self.options)
        return judged


    def _judged_still_valid(self, result: dict, order, parts: tuple[str, str, str]) -> "Judged":
        """A row that both versions find valid, with no days of taking effect and no notes: what
        `_checked` gives for it is each version's JSON of such a row for its request (the
        verdict is `VerdictBuilder`'s of no broken instance and no breach: valid, no reason), so
        the result and its line are made without building either verdict."""
        request = order.request
        result["class"] = STILL_VALID
        result["new"] = self.new.plain[request]
        result["old"] = self.old.plain[request]
        return Judged(result, STILL_VALID, items=self.items(order),
                      line=fixed_line(parts, result.get("key"), result["row"]))


def _items(c: Checker, order) -> list[str]:
    out = []
    for entry in order.contracts:
        kind = c.tariff.contracts[entry.kind]
        for dim_id, value in entry.new.dims.items():
            dim = kind.dimensions.get(dim_id)
            if dim is not None and value in dim.values:
                out.append(f"{dim.label}: {dim.values[value].label}")
    return sorted(set(out))


def judge(row, source: str, new: Spec, old: Spec | None, options: Options) -> Judged:
    """One row (a partition keeps one `Judge` for all of its rows)."""
    return Judge(new, old, options).judge(row, source)


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
