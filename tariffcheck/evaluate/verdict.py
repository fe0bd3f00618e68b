"""What a check says about an order: the verdict and each broken rule instance.

Both evaluation paths return these objects, so tests can compare them directly and reports
never see a Z3 model or a Python closure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import ir
from ..model import tariff as M
from ..orders.order import ContractEntry, Order, OptionState, day_text

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
    fields: list[tuple[str, object]]  # (path, value) of the order fields the instance reads
    values: dict[str, str] = field(default_factory=dict)  # the message's `{name}` days, as text

    def message(self, tariff: M.Tariff, lang: str) -> str:
        subject = self.key.subject if self.key.contract is not None else None
        return rule_message(tariff, self.rule, subject, self.values, lang)


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

    @property
    def keys(self) -> set[InstanceKey]:
        return {v.key for v in self.violations}


def field_path(f: ir.Field, entry: ContractEntry | None) -> str:
    if f.order_level:
        if f.kind == "odate":
            return f.path[0]
        if f.kind == "request":
            return "request"
        return "holdings"
    base = f"contracts[{entry.index}]" if entry is not None else "contracts[?]"
    k, p = f.kind, f.path
    if k == "has_parent":
        return f"{base}.parent"
    if k == "children":
        return f"{base}.children.{p[0]}"
    if k == "former":
        return f"{base}.{p[1]}.former_name" if p[0] == "dim" else f"{base}.options.{p[1]}.former_name"
    if f.state == "old":
        base += ".current"
    if k in ("dim", "qty", "flag", "date"):
        return f"{base}.{p[0]}"
    if k == "cancelled":
        return "request"
    if k == "opt":
        return f"{base}.options.{p[0]}"
    if k == "optcount":
        return f"{base}.options.{p[0]}.count"
    return f"{base}.options.{p[0]}.{'.'.join(p[1:])}"


def field_value(f: ir.Field, order: Order, entry: ContractEntry | None):
    """The value an order gives a field, in the form a user wrote it."""
    if f.kind == "odate":
        return day_text(order.dates.get(f.path[0]))
    if f.kind == "request":
        return order.request
    if f.kind == "holds":
        return f.path[0] in order.holdings
    if f.kind == "holds_value":
        return tuple(f.path) in order.holding_values
    if f.kind == "cancelled":
        return entry.cancelled if f.state == "new" else False
    if f.kind == "has_parent":
        return entry.parent
    if f.kind == "children":
        return entry.children.get(f.path[0], 0)
    if f.kind == "former":
        return f.state == "new" and tuple(f.path) in entry.former
    st = entry.new if f.state == "new" else entry.old
    k, p = f.kind, f.path
    if k == "dim":
        return st.dims.get(p[0])
    if k == "qty":
        return st.quantities.get(p[0], 0)
    if k == "flag":
        return st.flags.get(p[0], False)
    if k == "date":
        return day_text(st.dates.get(p[0]))
    opt: OptionState | None = st.options.get(p[0])
    if k == "opt":
        return opt is not None
    if opt is None:
        return None if k == "optdate" else (False if k == "optattr" else 0)
    if k == "optcount":
        return opt.count
    if k == "optqty":
        return opt.quantities.get(p[1], 0)
    if k == "optattr":
        return (p[1], p[2]) in opt.designations
    return day_text(opt.dates.get(p[1]))


def involved_fields(node: ir.Node, order: Order, entry: ContractEntry | None) -> list[tuple[str, object]]:
    out = []
    for f in ir.fields_of(node):
        if f.kind == "cancelled" and not (entry is not None and entry.cancelled):
            continue  # the implicit "contract continues" guard says nothing when it holds
        out.append((field_path(f, entry), field_value(f, order, entry)))
    return out
