"""Validation through Z3: assert an order's facts, ask for a model, read each instance in it.

A rule reads one contract and the order's own fields, never another contract, so once the
order's own facts are asserted its contracts are independent problems. `Z3Validator` keeps
one solver per tariff holding each kind's template slot (encode.py) and checks an order's
contracts one at a time in the template of their kind: the order's facts, then each
contract's, between push and pop. An order of n contracts costs n small checks, and the
solver never grows with the size of the orders it has seen. (The whole order in one solver,
each slot compiled anew, cost about 60 ms a contract to encode, and its check grew faster than
the order: 5.4x the time for twice the contracts from 800 to 1,600; benchmarks/README.md.)

`naive_validate` builds everything afresh for one order, the whole order in one solver, and
compiles each slot's rules from the IR rather than copying the template's: the differential
test holds the two paths to the same answers; the benchmark measures both.

The time limit is the call's: the checks of an order's contracts share it, and when it runs
out the verdict is `unknown`, with the reason, never `valid`.
"""

from __future__ import annotations

import time

import z3

from ..evaluate.concrete import placeholder_values
from ..evaluate.breaches import with_breaches
from ..evaluate.verdict import INVALID, UNKNOWN, VALID, InstanceKey, Verdict, Violation, involved_fields
from ..model import tariff as M
from ..model.limits import DEFAULT_TIMEOUT_MS
from ..orders.order import ContractEntry, Order
from .encode import Encoder, Instance


class Z3Validator:
    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.tariff = tariff
        self.timeout_ms = timeout_ms
        self.encoder = Encoder(tariff)
        self.solver = z3.Solver(ctx=self.encoder.ctx)
        self.solver.set("timeout", timeout_ms)
        self.solver.add(self.encoder.order_vars.axioms())
        for kind in tariff.contracts:
            self.solver.add(self.encoder.axioms(kind, -1))
        self._ready: set[tuple[str, int]] = set()
        self._all_hold: dict[str, z3.BoolRef] = {}  # per kind: every rule instance of its template holds

    def validate(self, order: Order, timeout_ms: int | None = None) -> Verdict:
        """The order's verdict, its contracts checked one by one within one time limit
        (`timeout_ms`, by default the validator's)."""
        limit = self.timeout_ms if timeout_ms is None else timeout_ms
        deadline = time.monotonic() + limit / 1000
        enc, s = self.encoder, self.solver
        s.push()
        try:
            s.add([f.term for f in enc.own_facts(order)])
            broken: list[Violation] = []
            for entry in order.contracts:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    return out_of_time(limit)
                s.set("timeout", left)
                s.push()
                try:
                    template = enc.template(entry.kind)
                    s.add([f.term for f in enc.entry_facts(entry, template)])
                    result = s.check()
                    if result != z3.sat:
                        return not_decided(s, result, limit)
                    m = s.model()
                    if not z3.is_true(m.eval(self.all_hold(entry.kind), model_completion=True)):
                        broken += violations(m, enc.instances(entry.kind, -1), order, entry)
                finally:
                    s.pop()
            return with_breaches(self.tariff, order, Verdict(INVALID, broken) if broken else Verdict(VALID))
        finally:
            s.pop()
            s.set("timeout", self.timeout_ms)

    def all_hold(self, kind: str) -> z3.BoolRef:
        """Every rule instance of the kind's template holds: one evaluation for a contract that
        breaks none, instead of one per instance."""
        if kind not in self._all_hold:
            self._all_hold[kind] = z3.And([i.term for i in self.encoder.instances(kind, -1)]
                                          + [z3.BoolVal(True, self.encoder.ctx)])
        return self._all_hold[kind]

    def prepare(self, order: Order) -> list[Instance]:
        """The whole order in this solver at once, for a reader that wants one model of it
        (testing/runner.py): the rule instances of the order's contracts, each contract's own
        slot declared in the solver (once per slot: the axioms stay for the next order)."""
        out = []
        for entry in order.contracts:
            key = (entry.kind, entry.index)
            if key not in self._ready:
                self.solver.add(self.encoder.axioms(*key))
                self._ready.add(key)
            out.extend(self.encoder.instances(*key))
        return out


def naive_validate(tariff: M.Tariff, order: Order, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Verdict:
    """Everything from scratch: a fresh context, encoding and solver for this one order, each
    slot's axioms and rules built for it from the IR."""
    enc = Encoder(tariff)
    s = z3.Solver(ctx=enc.ctx)
    s.set("timeout", timeout_ms)
    s.add(enc.order_vars.axioms())
    instances = []
    for entry in order.contracts:
        slot = enc.slot(entry.kind, entry.index)
        s.add(slot.axioms())
        instances.extend(enc.compile_instances(slot))
    s.add([f.term for f in enc.facts(order)])
    return read_verdict(s, instances, order, tariff)


def read_verdict(s: z3.Solver, instances: list[Instance], order: Order, tariff: M.Tariff) -> Verdict:
    """Check the solver, which holds the order's facts, and read each instance in its model: the
    ones false there are broken. The solver is left as it is, so a caller may read the model on."""
    result = s.check()
    if result != z3.sat:
        return not_decided(s, result, None)
    m = s.model()
    broken = []
    for inst in instances:
        broken += violations(m, [inst], order, order.contracts[inst.slot])
    return with_breaches(tariff, order, Verdict(INVALID, broken) if broken else Verdict(VALID))


def violations(m: z3.ModelRef, instances: list[Instance], order: Order, entry: ContractEntry) -> list[Violation]:
    """The instances (of `entry`'s rules) that are false in the model, as violations."""
    out = []
    for inst in instances:
        if z3.is_false(m.eval(inst.term, model_completion=True)):
            out.append(Violation(InstanceKey(inst.rule.id, entry.index, inst.subject), inst.rule, entry.id,
                                 involved_fields(inst.rule.condition(inst.subject), order, entry),
                                 placeholder_values(inst.rule, inst.subject, order, entry)))
    return out


def not_decided(s: z3.Solver, result: z3.CheckSatResult, limit_ms: int | None) -> Verdict:
    if result == z3.unknown:
        why = s.reason_unknown()
        if limit_ms is not None and why in ("timeout", "canceled"):
            return out_of_time(limit_ms)
        return Verdict(UNKNOWN, reason=f"the solver gave up: {why}")
    # The facts of a decoded order always satisfy the axioms; if not, the encoding is wrong,
    # and saying "valid" or "invalid" would be a guess.
    return Verdict(UNKNOWN, reason="internal: the order's values contradict the encoding's axioms")


def out_of_time(limit_ms: int) -> Verdict:
    return Verdict(UNKNOWN, reason=f"the solver gave up: the time limit of {limit_ms} ms ran out")
