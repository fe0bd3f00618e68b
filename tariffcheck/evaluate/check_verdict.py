"""The concrete validator's verdict as `Checker.check` builds it, on every order it is given.

`ConcreteValidator.validate` finds the broken rule instances with the code generated per kind,
then builds a violation of each, naming the fields the instance reads (`involved_fields`): it
walks them, works out each one's path in the order and keeps the first field of each path. On
an invalid order that was half the validation. What it works out depends only on the instance,
the contract's position in the order and whether the request cancels it, so `VerdictBuilder`
works it out once for each and then only reads the values the order gives.

The verdict is the one `validate` gives, field for field (tests/test_check_fast_paths.py
compares them on the specs' orders and on Hypothesis orders).
"""

from __future__ import annotations

from typing import Callable

from ..model.fields import FieldRef, kind_of
from ..orders.order import ContractEntry, Order
from .breaches import with_breaches
from .concrete import CompiledRule, ConcreteValidator, placeholder_values
from .verdict import INVALID, VALID, InstanceKey, Verdict, Violation, field_path

# (path, shown(f, order, entry), f): how a violation shows one field the instance reads
_Shown = tuple[FieldRef, Callable, object]
# an instance at one position of a contract: its key, and how its violation shows its fields
_Plan = tuple[InstanceKey, list[_Shown]]
_new = object.__new__


class VerdictBuilder:
    """`validate(order)` as `ConcreteValidator.validate`, over one validator. Threads may share
    it: two that meet an instance at a new position at once may both work out its fields, and
    either keeps the same list."""

    def __init__(self, validator: ConcreteValidator):
        self.validator = validator
        self.tariff = validator.tariff
        self._plans: dict[tuple[CompiledRule, int, bool], _Plan] = {}

    def validate(self, order: Order) -> Verdict:
        broken = self.validator.broken(order)
        violations = []
        if broken:
            plans = self._plans
            for c, e in broken:
                plan = plans.get((c, e.index, e.cancelled))
                if plan is None:
                    plan = plans[c, e.index, e.cancelled] = (InstanceKey(c.rule.id, e.index, c.subject),
                                                             _shown_fields(c, e))
                v = _new(Violation)  # fields and values worked out when first read (Violation.__getattr__)
                v.key, shown = plan
                v.rule = c.rule
                v.contract_id = e.id
                v._pending = (_work_out, shown, c, order, e)
                violations.append(v)
        verdict = _new(Verdict)  # as Verdict(status, violations) makes it (see orders/generated.py, _made)
        verdict.status = INVALID if violations else VALID
        verdict.violations = violations
        verdict.reason = None
        verdict.effective = []
        return with_breaches(self.tariff, order, verdict) if order.breaches else verdict


def _work_out(shown: list[_Shown], c: CompiledRule, order: Order, e: ContractEntry) -> tuple[list, dict]:
    """A violation's fields (path, value) and its message's values, from the order."""
    return ([(path, show(f, order, e)) for path, show, f in shown],
            placeholder_values(c.rule, c.subject, order, e) if c.rule.placeholders else {})


def _shown_fields(c: CompiledRule, entry: ContractEntry) -> list[_Shown]:
    """verdict.involved_fields without the values: each path once, in the order the instance
    first reads it, with the field whose value shows there."""
    out: dict[FieldRef, _Shown] = {}
    for f in c.fields:
        if f.kind == "cancelled" and not entry.cancelled:
            continue  # the implicit "contract continues" guard says nothing when it holds
        path = field_path(f, entry)
        if path not in out:
            out[path] = (path, kind_of(f).shown, f)
    return list(out.values())
