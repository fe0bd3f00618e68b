"""Why an order fails: the smallest sets of the customer's choices that cannot stand together.

A conflict is a minimal unsatisfiable subset (MUS) of the order's choices under all the rules
(smt/problem.py): take the unsat core of every choice assumed together with every rule
instance, shrink it by deletion until each choice in it is needed, then shrink the rule
instances the same way with those choices fixed, so the conflict names only the rules that
tie them. `explain(..., limit=N)` enumerates distinct minimal conflicts in the manner of MARCO
(Liffiton et al., 2016): a map solver over the choices proposes a set not yet covered, which
is either grown into a maximal satisfiable set or shrunk into a new MUS, and blocked.

"Why not X?" asks the same question with X required: the minimal set of the customer's choices
that keeps option X out of a valid order.

Every call runs under the problem's time limit; when one hits it the result says so
(`complete = False`) and keeps what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import z3

from ..model import tariff as M
from ..model.fields import contract_ref
from ..orders.order import Order
from .encode import Encoder, Instance
from ..model.limits import DEFAULT_TIMEOUT_MS
from .problem import Assumed, Choice, Incomplete, OrderProblem, Workspaces, choice_value, within_budget
from ..evaluate.breaches import breach_violations
from ..evaluate.verdict import InstanceKey, Violation, involved_fields


@dataclass(frozen=True)
class ChosenField:
    """One of the customer's choices, as the order gives it."""

    path: str
    value: object


@dataclass(frozen=True)
class Tie:
    """A rule instance that takes part in a conflict."""

    key: InstanceKey
    rule: M.Rule
    contract_id: str | None
    fields: tuple[tuple[str, object], ...]  # every order field the instance reads, with its value


@dataclass
class Conflict:
    choices: list[ChosenField]
    rules: list[Tie]


@dataclass
class Explanation:
    status: str  # "valid": nothing conflicts | "invalid" | "unknown": not even one conflict was found
    conflicts: list[Conflict] = field(default_factory=list)
    complete: bool = True  # False: a time limit or the conflict limit stopped the search
    reason: str | None = None
    question: str | None = None  # for why-not: the field asked about
    calls: int = 0
    # the clauses the order breaks by what it writes (Order.breaches), each on its own: a name
    # the tariff does not list, two values, a count left out. The fields they leave without a
    # value are open in the search, so no conflict is made of a value the order did not give.
    breaches: list[Violation] = field(default_factory=list)


def _opened(order: Order) -> Order:
    """The order with each field a breach leaves without a value of the order open (as in a
    partial order): the search does not pin it to a value the order never gave."""
    return replace(order, open=order.open | order.unset) if order.unset else order


def _with_breaches(tariff: M.Tariff, order: Order, out: Explanation) -> Explanation:
    """An explanation carries the order's breaches; an order with one is not valid."""
    out.breaches = breach_violations(tariff, order)
    if out.breaches and out.status == "valid" and out.question is None:
        out.status = "invalid"
    return out


class Explainer:
    """Explanations for one tariff; the encoding of each contract kind is built once."""

    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS, warm: bool = False):
        self.tariff = tariff
        self.timeout_ms = timeout_ms
        encoder = Encoder(tariff)
        # warm: an order shape with a kind the cone slices keeps every order's terms in its
        # solver (smt/problem.py Workspace). At synthetic 10x an order met again costs a third
        # (100x: 3.4x less), but an order not seen before twice as much, and more the longer the
        # stream of new orders (benchmarks/README.md, explain10x): off unless asked for, for
        # callers that explain the same orders again (an order being edited). A shape whose
        # kinds all have fewer than `Cone.SLICE_FROM` options (every bundled tariff, Secure
        # Endpoint's 46 among them) takes the cold path even when asked: its solver already
        # keeps every axiom and rule instance across orders, and warm's gain was measured only
        # on sliced kinds (tests/test_explain_facts_kept.py)
        self.workspace = Workspaces(encoder, timeout_ms, cone=True, warm=warm)
        # every conflict (`limit` > 1) is enumerated over the whole tariff: the cone has the
        # same minimal conflicts (smt/cone.py), but the map solver meets them in another order,
        # and with a limit the order decides which are shown
        self.whole = Workspaces(encoder, timeout_ms)
        self.known = KnownSat()

    # ---- why is the order invalid -------------------------------------------------------------
    def explain(self, order: Order, limit: int = 1) -> Explanation:
        with (self.workspace if limit <= 1 else self.whole).open(_opened(order)) as p:
            return _with_breaches(self.tariff, order, self._explain(p, limit))

    def _explain(self, p: OrderProblem, limit: int) -> Explanation:
        rules = p.rule_literals
        out = Explanation("invalid")
        try:
            if p.check([c.literal for c in p.choices] + rules) == z3.sat:
                return Explanation("valid", calls=p.calls)
            if limit <= 1:
                out.conflicts.append(minimal_conflict(p, p.choices, rules, known=self.known))
            else:
                self._enumerate(p, limit, out)
        except Incomplete as e:
            out.complete, out.reason = False, e.reason
            if not out.conflicts:
                out.status = "unknown"
        out.calls = p.calls
        return out

    def _enumerate(self, p: OrderProblem, limit: int, out: Explanation) -> None:
        """MARCO over the choices: each map model is a candidate set, grown or shrunk."""
        rules = p.rule_literals
        m = z3.Solver(ctx=p.encoder.ctx)  # the map: which subsets of the choices are still open
        m.set("timeout", self.timeout_ms)
        sel = {id(c): z3.Bool(f"map:{c.path}", p.encoder.ctx) for c in p.choices}
        while True:
            r = within_budget(m, self.timeout_ms, m.check)
            if r == z3.unknown:
                raise Incomplete(f"the solver gave up: {m.reason_unknown()}")
            if r == z3.unsat:
                return  # every subset is covered: these are all the minimal conflicts
            if len(out.conflicts) >= limit:
                out.complete, out.reason = False, f"stopped at the limit of {limit} conflicts"
                return
            model = m.model()
            seed = [c for c in p.choices if not z3.is_false(model.eval(sel[id(c)]))]
            if p.check([c.literal for c in seed] + rules) == z3.sat:
                grown = {id(c) for c in self._grow(p, seed, rules)}
                m.add(z3.Or([sel[id(c)] for c in p.choices if id(c) not in grown] + [z3.BoolVal(False, p.encoder.ctx)]))
            else:
                core = [x for x in p.core() if isinstance(x, Choice)]
                mus = p.shrink([], core, rules)
                insts = p.shrink(mus, p.instances, [])
                out.conflicts.append(describe(p, mus, insts))
                m.add(z3.Or([z3.Not(sel[id(c)]) for c in mus] + [z3.BoolVal(False, p.encoder.ctx)]))

    @staticmethod
    def _grow(p: OrderProblem, seed: list[Choice], rules: list[z3.BoolRef]) -> list[Choice]:
        grown, taken = list(seed), {id(c) for c in seed}
        for c in p.choices:
            if id(c) in taken:
                continue
            if p.check([x.literal for x in grown + [c]] + rules) == z3.sat:
                grown.append(c)
                taken.add(id(c))
        return grown

    # ---- why can X not be added ---------------------------------------------------------------
    def why_not(self, order: Order, option: str, contract: str | None = None) -> Explanation:
        """The minimal reason option `option` cannot be added to a contract of the order (the
        first contract that may have it and lacks it, or the one with id `contract`)."""
        entry, opt = self._target(order, option, contract)
        with self.workspace.open(_opened(order), also={entry.index: {opt.id}}) as p:
            return _with_breaches(self.tariff, order, self._why_not(p, entry, opt))

    def _why_not(self, p: OrderProblem, entry, opt) -> Explanation:
        slot = p.encoder.slot(entry.kind, entry.index)
        present = slot.option(opt.id)
        path = contract_ref(entry.index).child("options", opt.id)
        out = Explanation("invalid", question=path)
        rules = p.rule_literals
        try:
            if p.check([c.literal for c in p.choices] + rules) == z3.unsat:
                # the order fails as it stands: that comes first, and is what is told
                out.reason = "the order is invalid as it stands; these conflicts come before the question"
                out.conflicts.append(minimal_conflict(p, p.choices, rules))
                out.calls = p.calls
                return out
            ask = z3.Bool(f"ask:{path}", p.encoder.ctx)
            p.require(z3.Implies(ask, present))
            others = [c for c in p.choices if c.path != path]  # an absent option has no other fields
            if p.check([c.literal for c in others] + rules + [ask]) == z3.sat:
                out.status = "valid"  # X can be added with nothing else given up
            else:
                out.conflicts.append(minimal_conflict(p, others, rules + [ask]))
        except Incomplete as e:
            out.complete, out.reason, out.status = False, e.reason, "unknown"
        out.calls = p.calls
        return out

    def _target(self, order: Order, option: str, contract: str | None):
        from ..common.diagnostics import Diagnostic, DiagnosticError

        entries = [e for e in order.contracts if not e.cancelled and (contract is None or e.id == contract)]
        if contract is not None and not entries:
            raise DiagnosticError([Diagnostic("O003", f"the order has no contract `{contract}` that continues",
                                              help="name a contract by its `id` in the order")])
        for e in entries:
            opt = self.tariff.contracts[e.kind].option(option)
            if opt is not None and opt.id not in e.new.options:
                return e, opt
        known = any(self.tariff.contracts[e.kind].option(option) for e in entries)
        msg = f"every contract already has `{option}`" if known else f"`{option}` is not an option of the order's contracts"
        raise DiagnosticError([Diagnostic("O003", msg, help="see `tariff schema` for the options")])


def minimal_conflict(p: OrderProblem, candidates: list[Choice], fixed: list[z3.BoolRef],
                     known_sat=None, known: "KnownSat | None" = None) -> Conflict:
    """One minimal conflict among `candidates`, which with the `fixed` literals (the rules, and
    any question asked) are known to be unsat: first the fewest choices, then, with those, the
    fewest rule instances. `known_sat`: see OrderProblem.shrink. `known`: the trials found
    satisfiable before, on this or earlier orders (KnownSat; used where `fixed` are rule
    literals alone, as in explain)."""
    if p.check([c.literal for c in candidates] + fixed) != z3.unsat:
        # the core would be whatever the last one was: never give that as a reason
        raise ValueError("internal: a reason was asked for something the rules allow")
    first = [x for x in p.core() if isinstance(x, Choice)]
    # a term's node is shared by every equal term (Z3 hash-conses them), so its address names
    # it as its id does, for less than z3py's get_id costs
    rules = {r.ast.value for r in p.rule_literals}
    others = [q for q in fixed if q.ast.value not in rules]
    if known is not None and not others:
        choices = known.shrink(p, [], first, fixed)
        insts = known.shrink(p, choices, p.instances, [])
    else:
        choices = p.shrink([], first, fixed, known_sat)
        insts = p.shrink(choices, p.instances, others, known_sat)
    return describe(p, choices, insts)


class KnownSat:
    """The trials of the deletion-based shrink that were satisfiable, kept across orders, so
    that the same trial on a later order is not asked again.

    A good part of an explanation's solver time is in its satisfiable trials (a model of the
    whole problem must be found; an unsatisfiable one ends in propagation): for a conflict of one
    choice and one rule, "every rule without the choice" and "the choice without any rule".
    Both recur across orders: the first depends on the order only through what the solver holds
    for it, the second also on the one choice's value.

    A trial is named by what decides its answer: the shape of the order (its workspace, whose
    base is the same for every order of that shape), the options and wordings the cone keeps
    for each contract (which decide the axioms and rule instances asserted for the order), the
    order's hard facts, the facts of each choice assumed and the rule literals assumed. The
    choices that are not assumed are not in the name: each one's literal appears only in its
    own tracking implication, which holds with the literal false, so they cannot change the
    answer. Satisfiability is a property of the formulas, not of the solver's search, so an
    answer kept is the answer the solver would give. Only explain's questions (the rules as
    the only fixed literals) are named so.

    Bounded: past `LIMIT` names it starts over."""

    LIMIT = 20_000

    def __init__(self):
        self._sat: dict[tuple, list] = {}  # name -> the terms its ids are of, kept alive
        self.hits = 0

    # a term's node is shared by every equal term (Z3 hash-conses them), so while the term lives
    # its address names it as its id does, for less than z3py's get_id costs; the terms named
    # are rule literals (the encoder keeps them) and facts (each entry keeps its own alive)
    def state(self, p: OrderProblem) -> tuple:
        kept = None if p.kept is None else tuple(sorted(p.kept.items(), key=lambda kv: kv[0]))
        return (tuple(e.kind for e in p.order.contracts), kept, tuple(f.term.as_ast().value for f in p.given))

    def shrink(self, p: OrderProblem, keep: list, candidates: list, fixed: list[z3.BoolRef]) -> list:
        """OrderProblem.shrink, with the satisfiable trials kept and looked up."""
        state = self.state(p)
        names = {id(x): (True, x.key()) if isinstance(x, Choice) else (False, x.literal.ast.value)
                 for x in list(candidates) + list(keep)}
        fixed_names = [q.ast.value for q in fixed]

        def name(assumed: list) -> tuple:
            choices, rules = [], list(fixed_names)
            for x in assumed:
                is_choice, n = names[id(x)]
                (choices if is_choice else rules).append(n)
            return state, frozenset(choices), frozenset(rules)

        def known(assumed: list, _fixed) -> bool:
            if name(assumed) in self._sat:
                self.hits += 1
                return True
            return False

        def found(assumed: list, _fixed) -> None:
            if len(self._sat) >= self.LIMIT:
                self._sat.clear()
            # the terms whose ids name it stay alive with it, so no id is reused meanwhile
            self._sat[name(assumed)] = [f.term for f in p.given] + [c.term for c in assumed if isinstance(c, Choice)]

        return p.shrink(keep, candidates, fixed, known, found)


def describe(p: OrderProblem, choices: list[Choice], insts: list[Instance]) -> Conflict:
    """From literals to domain objects: the fields as the order gives them, the rules with
    every field they read."""
    order = p.order
    chosen = [ChosenField(c.path, choice_value(c, order)) for c in choices]
    ties = []
    for i in insts:
        entry = order.contracts[i.slot]
        fields = tuple(involved_fields(i.rule.condition(i.subject), order, entry))
        ties.append(Tie(InstanceKey(i.rule.id, i.slot, i.subject), i.rule, entry.id, fields))
    return Conflict(chosen, ties)
