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
from .cone import Cone
from .context import new_context
from .facts import Fact, entry_facts, fact_choices, order_facts, own_facts
from .slots import OrderVars, Slot, copy_terms
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
    """Compiles a tariff's rules over slots; one per tariff, reused for every order.

    Each kind of contract is compiled once, over its template slot; a slot's axioms and rule
    instances are the template's, copied over its variables (slots.py `copy_terms`), so a
    contract costs the same whichever position it has and however many came before it."""

    def __init__(self, tariff: M.Tariff, ctx: z3.Context | None = None):
        self.tariff = tariff
        self.ctx = ctx or new_context()
        self.order_vars = OrderVars(tariff, self.ctx)
        self._slots: dict[tuple[str, int], Slot] = {}
        self._axioms: dict[tuple[str, int], list[z3.BoolRef]] = {}
        self._instances: dict[tuple[str, int], list[Instance]] = {}
        self._tracked: dict[tuple[str, int], list[z3.BoolRef]] = {}
        self._templates: dict[str, Slot] = {}
        self._memo: dict[tuple, object] = {}
        self._instance_ids: dict[tuple[str, int], dict[int, Instance]] = {}
        self._cones: dict[str, Cone] = {}

    def slot(self, kind: str, index: int) -> Slot:
        key = (kind, index)
        if key not in self._slots:
            self._slots[key] = Slot(self.tariff.contracts[kind], index, self.ctx)
        return self._slots[key]

    def template(self, kind: str) -> Slot:
        """The kind's template slot, over which its axioms and rules are compiled once."""
        if kind not in self._templates:
            self._templates[kind] = Slot(self.tariff.contracts[kind], -1, self.ctx)
        return self._templates[kind]

    def axioms(self, kind: str, index: int) -> list[z3.BoolRef]:
        """What holds of a slot's variables in every order (Slot.axioms, copied from the
        template)."""
        key = (kind, index)
        if key not in self._axioms:
            template = self.template(kind)
            if (kind, -1) not in self._axioms:
                self._axioms[(kind, -1)] = template.axioms()
            self._axioms[key] = copy_terms(self._axioms[(kind, -1)], template, self.slot(kind, index))
        return self._axioms[key]

    def instances(self, kind: str, index: int) -> list[Instance]:
        """The rule instances of a slot, each with its own literal (copied from the template)."""
        key = (kind, index)
        if key not in self._instances:
            if index < 0:
                self._instances[key] = self.compile_instances(self.template(kind))
            else:
                template = self.instances(kind, -1)
                slot = self.slot(kind, index)
                terms = copy_terms([i.term for i in template], self.template(kind), slot)
                self._instances[key] = [Instance(i.rule, i.subject, index, self._literal(i.rule, slot, i.subject), t)
                                        for i, t in zip(template, terms)]
        return self._instances[key]

    def tracked(self, kind: str, index: int) -> list[z3.BoolRef]:
        """`literal → term` for each rule instance of a slot: what lets a solver assume an
        instance holds, or leave it out (copied from the template's, literals and all)."""
        key = (kind, index)
        if key not in self._tracked:
            mine = self.instances(kind, index)
            if index < 0:
                self._tracked[key] = [z3.Implies(i.literal, i.term) for i in mine]
            else:
                template = self.instances(kind, -1)
                literals = [(t.literal, i.literal) for t, i in zip(template, mine)]
                self._tracked[key] = copy_terms(self.tracked(kind, -1), self.template(kind), self.slot(kind, index),
                                                literals)
        return self._tracked[key]

    def instance_ids(self, kind: str, index: int) -> dict[int, Instance]:
        """`{literal id: instance}` of a slot's rule instances: how a core's literals are read
        back (problem.py `OrderProblem.by_literal`), made once per slot."""
        key = (kind, index)
        got = self._instance_ids.get(key)
        if got is None:
            got = self._instance_ids[key] = {i.literal.get_id(): i for i in self.instances(kind, index)}
        return got

    def compile_instances(self, slot: Slot) -> list[Instance]:
        """A slot's rule instances, compiled from the IR for that slot alone (what the
        template is built by, and what `naive_validate` uses to check the copies)."""
        out = []
        for rule in self.tariff.rules:
            if rule.scope != slot.kind.id:
                continue
            for subject in rule.subjects:
                node = rule.condition(subject)
                term = self.term(node, slot)
                defined = ir.defined(node)  # checked only when the days it reads are given
                if defined != ir.TRUE:
                    term = z3.Implies(self.term(defined, slot), term)
                out.append(Instance(rule, subject, slot.index, self._literal(rule, slot, subject), term))
        return out

    def _literal(self, rule: M.Rule, slot: Slot, subject: str | None) -> z3.BoolRef:
        return z3.Bool(f"rule:{rule.id}:{slot.name}" + (f":{subject}" if subject else ""), self.ctx)

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

    def memoised(self, key: tuple) -> bool:
        return key in self._memo

    def known_facts(self, keys: list[tuple]) -> list:
        """What `memo` holds for each key, in order (None for a key not built yet)."""
        get = self._memo.get
        return [get(key) for key in keys]

    def facts(self, order: Order, kept: dict | None = None, leave=None) -> list[Fact]:
        """Every value of the order as a fact (smt/facts.py); of each contract's options and
        wordings, only those `kept[index]` keeps when given (smt/cone.py `Kept`); none of the
        choices `leave(choice)` is true of."""
        return order_facts(self, order, kept, leave)

    def fact_choices(self, order: Order) -> list[tuple[str, str, str]]:
        """(choice, kind, role) of each of the order's facts, no term built (smt/facts.py)."""
        return fact_choices(self, order)

    def cone(self, kind: str) -> Cone:
        """Which options each axiom and rule instance of a kind reads (smt/cone.py), once."""
        got = self._cones.get(kind)
        if got is None:
            got = self._cones[kind] = Cone(self, kind)
        return got

    def own_facts(self, order: Order) -> list[Fact]:
        """The facts of the order's own fields (its request, days and holdings)."""
        return own_facts(self, order)

    def entry_facts(self, entry: ContractEntry, slot: Slot | None = None) -> list[Fact]:
        """The facts of one contract, over its slot or (`slot=self.template(kind)`) its kind's
        template."""
        return entry_facts(self, entry, slot)

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
