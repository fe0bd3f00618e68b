"""The face of the solver layer: a tariff's rules over slots of variables, one literal per
rule instance, and the order's values as facts.

Explanations, repairs and analyses all start from an `Encoder`: an unsat core over the tracked
literals maps straight back to rules (and so to clauses and spans), and one over the facts to
the customer's choices. They ask their questions as IR (`Encoder.term`) or through a slot's
fields (`Slot.var`, `Slot.option`, `Slot.dimension`), never by the variables' keys.

The work is split by job: slots.py declares the variables and their axioms (what each kind of
field needs, model/fields.py says), facts.py turns an order's values into facts, terms.py
compiles IR to Z3, readback.py reads a model back into an order.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ..model import ir
from ..model import tariff as M
from ..orders.order import ContractEntry, Order
from .context import new_context
from .facts import Fact, entry_facts, order_facts
from .slots import OrderVars, Slot
from .terms import compile_term, field_term, known_term

__all__ = ["Encoder", "Fact", "Instance", "OrderVars", "Slot"]


@dataclass(frozen=True)
class Instance:
    rule: M.Rule
    subject: str | None
    slot: int
    literal: z3.BoolRef  # tracks "this rule instance holds"
    term: z3.BoolRef  # what holding means


class Encoder:
    """Compiles a tariff's rules over slots; one per tariff, reused for every order."""

    def __init__(self, tariff: M.Tariff, ctx: z3.Context | None = None):
        self.tariff = tariff
        self.ctx = ctx or new_context()
        self.order_vars = OrderVars(tariff, self.ctx)
        self._slots: dict[tuple[str, int], Slot] = {}
        self._instances: dict[tuple[str, int], list[Instance]] = {}
        self._memo: dict[tuple, object] = {}

    def slot(self, kind: str, index: int) -> Slot:
        key = (kind, index)
        if key not in self._slots:
            self._slots[key] = Slot(self.tariff.contracts[kind], index, self.ctx)
        return self._slots[key]

    def instances(self, kind: str, index: int) -> list[Instance]:
        key = (kind, index)
        if key not in self._instances:
            slot = self.slot(kind, index)
            out = []
            for rule in self.tariff.rules:
                if rule.scope != kind:
                    continue
                for subject in rule.subjects:
                    node = rule.condition(subject)
                    term = self.term(node, slot)
                    defined = ir.defined(node)  # checked only when the days it reads are given
                    if defined != ir.TRUE:
                        term = z3.Implies(self.term(defined, slot), term)
                    name = f"rule:{rule.id}:c{index}" + (f":{subject}" if subject else "")
                    out.append(Instance(rule, subject, index, z3.Bool(name, self.ctx), term))
            self._instances[key] = out
        return self._instances[key]

    # ---- facts: the order's values as constraints -------------------------------------------
    # A fact is a pure function of its contract's kind, its path, its role and the value the
    # order gives it, so each is built once: orders repeat values, and building Z3 terms in
    # Python is most of what opening an order costs. Bounded, for a long-running service.
    MEMO_SIZE = 100_000

    def memo(self, key: tuple, build):
        """`build()`, once per key: for terms that are pure functions of the key (facts, and
        what explain and repair derive from a choice's facts)."""
        x = self._memo.get(key)
        if x is None:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            x = self._memo[key] = build()
        return x

    def facts(self, order: Order) -> list[Fact]:
        """Every value of the order as a fact (smt/facts.py)."""
        return order_facts(self, order)

    def entry_facts(self, entry: ContractEntry) -> list[Fact]:
        return entry_facts(self, entry)

    # ---- terms ------------------------------------------------------------------------------
    def var(self, f: ir.Field, slot: Slot | None) -> z3.ExprRef:
        """The variable (or term) a field reads."""
        return field_term(f, slot, self.order_vars)

    def known(self, f: ir.Field, slot: Slot | None) -> z3.BoolRef:
        """Does the order state the day a date field reads?"""
        return known_term(f, slot, self.order_vars)

    def term(self, n: ir.Node, slot: Slot | None) -> z3.ExprRef:
        """The Z3 term of an IR expression in a contract's slot: the one way analyses ask."""
        return compile_term(n, slot, self.order_vars, self.ctx)
