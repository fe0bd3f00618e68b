"""What a check says about an order: the verdict and each broken rule instance.

Both evaluation paths return these objects, so tests can compare them directly and reports
never see a Z3 model or a Python closure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ..model import ir
from ..model import tariff as M
from ..model.fields import FieldRef, ref_of, shown_value
from ..orders.order import ContractEntry, Order

if TYPE_CHECKING:
    from .derived_dates import EffectiveDay

VALID, INVALID, UNKNOWN = "valid", "invalid", "unknown"


@dataclass(frozen=True)
class InstanceKey:
    """One rule instance: a rule, the contract (index in the order) and the subject option."""

    rule: str
    contract: int | None  # None for a rule about the whole order
    subject: str | None


@dataclass
class Violation:
    key: InstanceKey
    rule: M.Rule
    contract_id: str | None
    fields: list[tuple[FieldRef, object]]  # (path, value) of the order fields the instance reads
    values: dict[str, str] = field(default_factory=dict)  # the message's `{name}` days, as text

    def message(self, tariff: M.Tariff, lang: str) -> str:
        subject = self.key.subject if self.key.contract is not None else None
        return rule_message(tariff, self.rule, subject, self.values, lang)

    def __getstate__(self) -> dict:
        """The violation worked out (a copy or a pickle holds values, not the way to them)."""
        self.fields, self.values = self.fields, self.values
        state = dict(self.__dict__)
        state.pop("_pending", None)
        return state


class _WorkedOut:
    """`Violation.fields` and `Violation.values` of a violation built with them still to work
    out (check_verdict.py: most callers of `Checker.check` read a verdict's status and keys, not
    the values it shows): its `_pending` is (work_out, *args), and work_out(*args) gives (fields,
    values). Both are worked out on the first read of either and kept in the violation, where
    they hide this descriptor (it has no __set__), as they do in a violation built whole. Threads
    that read them at once may both work them out, and keep equal values."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, violation, owner=None):
        if violation is None:
            return self
        pending = violation._pending
        if pending is None:  # another thread worked them out meanwhile
            return violation.__dict__[self.name]
        fields, values = pending[0](*pending[1:])
        violation.fields, violation.values = fields, values
        violation._pending = None  # the order it read is not kept alive
        return fields if self.name == "fields" else values


# set after @dataclass made __init__, __eq__ and __repr__, which read the fields as attributes
Violation.fields = _WorkedOut("fields")  # type: ignore[assignment]
Violation.values = _WorkedOut("values")  # type: ignore[assignment]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SENTENCE = re.compile(r"(?<=。)|(?<=[.;])\s+")  # after 。, or after . or ; and a space


def rule_message(tariff: M.Tariff, rule: M.Rule, subject: str | None, values: dict[str, str], lang: str) -> str:
    """A rule's message in `lang`: `{it}` is the subject option's official name and each other
    `{name}` its value in `values`. A sentence whose placeholder has no value is left out, so a
    reader never sees a raw `{name}`; what remains still says what the rule requires."""
    text = rule.messages[lang]
    if subject is not None:
        text = text.replace("{it}", tariff.contracts[rule.scope].options[subject].label)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    if not _PLACEHOLDER.search(text):
        return text
    kept = [s for s in _SENTENCE.split(text) if s and not _PLACEHOLDER.search(s)]
    if not kept:
        return _PLACEHOLDER.sub("…", text)
    out = (" " if lang == "en" else "").join(kept)
    return out[:-1] + "." if out.endswith(";") else out


@dataclass
class Verdict:
    status: str  # valid | invalid | unknown
    violations: list[Violation] = field(default_factory=list)
    reason: str | None = None  # why `unknown`
    # the days the request takes effect (`derive … takes_effect`); `Checker.check` fills them in,
    # the same for both evaluation paths
    effective: list[EffectiveDay] = field(default_factory=list)

    @property
    def keys(self) -> set[InstanceKey]:
        return {v.key for v in self.violations}


def field_path(f: ir.Field, entry: ContractEntry | None) -> FieldRef:
    """Where a field stands in the order, for the contract `entry` (None: not known)."""
    return _path(f, None if entry is None else entry.index)


@lru_cache(maxsize=1 << 14)
def _path(f: ir.Field, index: int | None) -> FieldRef:
    """ref_of, kept: a FieldRef is an immutable string, and every violation shows the paths of
    the fields its rule reads, each built of two or three FieldRefs."""
    return ref_of(f, index)


def field_value(f: ir.Field, order: Order, entry: ContractEntry | None):
    """The value an order gives a field, in the form a user wrote it."""
    return shown_value(f, order, entry)


def involved_fields(node: ir.Node, order: Order, entry: ContractEntry | None,
                    fields: list[ir.Field] | None = None) -> list[tuple[FieldRef, object]]:
    """The fields a rule instance reads, each path once, in the order the rule first reads them.
    `fields` is `ir.fields_of(node)` when the caller keeps it (the concrete validator does)."""
    out: dict[FieldRef, object] = {}
    for f in ir.fields_of(node) if fields is None else fields:
        if f.kind == "cancelled" and not (entry is not None and entry.cancelled):
            continue  # the implicit "contract continues" guard says nothing when it holds
        out.setdefault(field_path(f, entry), field_value(f, order, entry))
    return list(out.items())
