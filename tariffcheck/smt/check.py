"""Validation through Z3: assert an order's facts, ask for a model, read each instance in it.

`Z3Validator` keeps one solver per tariff: slots, axioms and rule terms are built once and
each order is checked between push and pop. `naive_validate` builds everything afresh for one
order; the benchmark measures both against the concrete validator.

A solver that runs out of time answers `unknown`, never `valid`.
"""

from __future__ import annotations

import z3

from ..model.limits import DEFAULT_TIMEOUT_MS
from ..model import tariff as M
from ..orders.order import Order
from ..evaluate.concrete import placeholder_values
from .encode import Encoder, Instance
from ..evaluate.verdict import INVALID, UNKNOWN, VALID, InstanceKey, Verdict, Violation, involved_fields



class Z3Validator:
    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.tariff = tariff
        self.encoder = Encoder(tariff)
        self.solver = z3.Solver(ctx=self.encoder.ctx)
        self.solver.set("timeout", timeout_ms)
        self.solver.add(self.encoder.order_vars.axioms())
        self._ready: set[tuple[str, int]] = set()

    def prepare(self, order: Order) -> list[Instance]:
        """The rule instances of the order's contracts, their slots declared in the solver (once
        per slot: the axioms stay for the next order)."""
        out = []
        for entry in order.contracts:
            key = (entry.kind, entry.index)
            if key not in self._ready:
                self.solver.add(self.encoder.slot(*key).axioms())
                self._ready.add(key)
            out.extend(self.encoder.instances(*key))
        return out

    def validate(self, order: Order) -> Verdict:
        instances = self.prepare(order)
        self.solver.push()
        try:
            self.solver.add([f.term for f in self.encoder.facts(order)])
            return read_verdict(self.solver, instances, order, self.tariff)
        finally:
            self.solver.pop()


def naive_validate(tariff: M.Tariff, order: Order, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Verdict:
    """Everything from scratch: a fresh context, encoding and solver for this one order."""
    enc = Encoder(tariff)
    s = z3.Solver(ctx=enc.ctx)
    s.set("timeout", timeout_ms)
    s.add(enc.order_vars.axioms())
    instances = []
    for entry in order.contracts:
        s.add(enc.slot(entry.kind, entry.index).axioms())
        instances.extend(enc.instances(entry.kind, entry.index))
    s.add([f.term for f in enc.facts(order)])
    return read_verdict(s, instances, order, tariff)


def read_verdict(s: z3.Solver, instances: list[Instance], order: Order, tariff: M.Tariff) -> Verdict:
    """Check the solver, which holds the order's facts, and read each instance in its model: the
    ones false there are broken. The solver is left as it is, so a caller may read the model on."""
    result = s.check()
    if result == z3.unknown:
        return Verdict(UNKNOWN, reason=f"the solver gave up: {s.reason_unknown()}")
    if result == z3.unsat:
        # The facts of a decoded order always satisfy the axioms; if not, the encoding is wrong,
        # and saying "valid" or "invalid" would be a guess.
        return Verdict(UNKNOWN, reason="internal: the order's values contradict the encoding's axioms")
    m = s.model()
    broken = []
    for inst in instances:
        if z3.is_false(m.eval(inst.term, model_completion=True)):
            entry = order.contracts[inst.slot]
            broken.append(Violation(InstanceKey(inst.rule.id, inst.slot, inst.subject), inst.rule, entry.id,
                                    involved_fields(inst.rule.condition(inst.subject), order, entry),
                                    placeholder_values(inst.rule, inst.subject, order, entry)))
    return Verdict(INVALID, broken) if broken else Verdict(VALID)
