"""One order as a solver problem: the rules as tracked literals, the customer's choices as
tracked literals, and what the request gives as hard facts.

Explanations (smt/explain.py), repairs (smt/repair.py) and propagation
(smt/propagate.py) all ask their questions of this one object, by assuming some of the
literals and reading the core or the model; none of them knows a rule kind.

A **choice** is one field of the order that the customer decided: the item, a quantity, a
flag, a date, an option (present or not, and how many), an option's quantity, its designations
for one attribute, its dates, a holding, whether the contract names a parent contract, how many
children it has, whether a name was written by its former name. Its literal stands for "the
field keeps the value the order gives it". A rule **instance** is one rule on one contract and
subject; its literal stands for "the instance holds".

Everything the request itself fixes (its kind, the contracts it ends, each contract as it is
now) is asserted outright: no explanation blames it and no repair changes it.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar

from dataclasses import dataclass, field

import z3

from ..model.limits import DEFAULT_TIMEOUT_MS
from ..model import tariff as M
from ..model import ir
from ..model.fields import KINDS, FieldRef, ref_of
from ..orders.order import Order
from .cone import Kept, open_options
from .encode import Encoder, Fact, Instance
from .slots import Z3Terms



@dataclass(eq=False)
class Choice:
    """One field of the order the customer decided, and the facts that pin it."""

    path: FieldRef
    kind: str  # the name users weigh and lock it by (model/fields.py CHOICES)
    facts: list[Fact]
    literal: z3.BoolRef
    slot: int | None = None
    under: z3.BoolRef | None = None  # the option it belongs to, when it is part of one
    known_term: z3.BoolRef | None = field(default=None, repr=False)  # `term`, when built already

    @property
    def term(self) -> z3.BoolRef:
        if self.known_term is None:
            terms = [f.term for f in self.facts]
            self.known_term = terms[0] if len(terms) == 1 else _and(terms)
        return self.known_term

    def key(self) -> tuple:
        """What the choice's terms are a function of, for Encoder.memo: its path and its facts
        (each fact's term stays alive with the choice, so its id is not reused meanwhile)."""
        return (self.path, *[f.term_id for f in self.facts])

    @property
    def number(self) -> z3.ArithRef | None:
        """The field's number (count, quantity, day) when it is one number, for distances."""
        return self.facts[0].number if len(self.facts) == 1 else None

    @property
    def value(self) -> int | None:
        return self.facts[0].value if len(self.facts) == 1 else None

    def pins(self) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        """The choice's variables with the values the order gives them, read off its facts
        (each is `x == value`, `b`, `not b`, or a conjunction of those)."""
        out: list[tuple[z3.ExprRef, z3.ExprRef]] = []

        def walk(t):
            if z3.is_and(t):
                for a in t.children():
                    walk(a)
            elif z3.is_not(t):
                out.append((t.arg(0), z3.BoolVal(False, t.ctx)))
            elif z3.is_eq(t) and z3.is_int_value(t.arg(1)):
                out.append((t.arg(0), t.arg(1)))
            elif z3.is_const(t) and z3.is_bool(t):
                out.append((t, z3.BoolVal(True, t.ctx)))
            else:
                raise ValueError(f"a fact of unexpected shape: {t}")

        for f in self.facts:
            walk(f.term)
        return out


@dataclass(frozen=True)
class Outside:
    """A choice outside the problem (OrderProblem.outside): an option the order does not have."""

    path: FieldRef
    kind: str
    slot: int


class Workspace:
    """One solver per tariff that holds the axioms and the tracked rule instances of every
    contract slot used so far; each order's facts go in between push and pop (`open`), so
    an order costs its facts and its questions, not the encoding. Not for use by two threads
    at once.

    **Warm** (`warm`, with the cone, for an order shape with a kind the cone slices): nothing of
    an order is popped. Z3 internalises every term asserted after a push again at the first
    check after it, and at synthetic 10x that was most of an explanation (an order's ~1,600
    cone terms: 20-40 ms, where the same check asked again takes 0.5 ms). So each term goes in
    once, below any push, under a literal, and an order assumes the literals of its own:

    - an axiom or rule instance the cone adds beyond its base, under the conjunction of one
      literal per option it reads outside the base (`cone:<slot>:<option>`); an order assumes
      the literals of the options it keeps, which switches on exactly the constraints
      `Cone.select` gives it (those reading only kept options);
    - a given fact under a literal of its own;
    - a choice's tracking implication under a literal per path *and value* (the cold path's
      `choice:<path>` stands for whichever value the order in the solver gives);
    - and it assumes the negation of every other literal the workspace holds: left free, the
      solver's saved phases kept switching earlier orders' terms back on, and satisfiable
      trials cost 2-3x more.

    A constraint whose literal is not assumed binds nothing (the solver may make its literal
    false), so each check is satisfiable exactly when the same check of the cold path is: the
    formulas switched on are the same. Cores come from another search, so where an order has
    several minimal conflicts the shrink may reach another, equally minimal one. What an order
    would add for itself (why-not's question, an implication under a literal named by what it
    asks) stays as well. No push and no pop, then: Z3 forgets what it learnt in a scope when the
    scope is popped, and learning it again was most of an order's first check. Past
    `WARM_LIMIT` terms the workspace is started afresh (a service meets ever new values).

    The price: a warm solver carries every earlier order, so an order it has not met costs about
    twice the cold path at synthetic 10x, more as the stream grows, while an order met again
    costs a third (benchmarks/README.md, explain10x). Explainer uses it only when asked."""

    WARM_LIMIT = 20_000

    def __init__(self, encoder: Encoder, timeout_ms: int = DEFAULT_TIMEOUT_MS, optimize: bool = False,
                 cone: bool = False, compact_models: bool = True, native: bool = False, warm: bool = False):
        self.encoder = encoder
        self.timeout_ms = timeout_ms
        # native: a plain solver's Boolean terms go to Z3 directly, in the same order (`also`);
        # for lint, which asserts every axiom and rule instance of a large tariff per shape
        self.native = native
        self.warm = warm and cone and not optimize  # decided per shape at the first order (`open`)
        self._warm_decided = False
        self._guarded: set[tuple[int, int]] = set()  # (slot index, constraint position) asserted under literals
        self._option_literals: dict[tuple[int, str], z3.BoolRef] = {}
        self._given: dict[int, tuple[z3.BoolRef, z3.BoolRef]] = {}  # fact term address -> (literal, term kept alive)
        self._choices: dict[tuple, tuple] = {}  # Choice.key() -> (literal, term, implication)
        self._negations: dict[int, z3.BoolRef] = {}  # literal address -> its negation, every literal held
        self._lasting: dict[int, z3.BoolRef] = {}  # a question's terms asserted for good (warm), by id
        self.terms = 0  # asserted under literals so far (warm)
        # cone: each order gets only the axioms and rule instances its options can reach
        # (smt/cone.py); the rest of the tariff never enters the solver. For explain and repair,
        # whose questions are about the order's own options; lint asks about any option.
        self.cone = cone
        self.solver = z3.Optimize(ctx=encoder.ctx) if optimize else z3.Solver(ctx=encoder.ctx)
        if not optimize and not compact_models:
            # models as found: compacting one merges function graphs (the encoding has none) and
            # took two thirds of the time of reading a model of four contracts; the values of the
            # constants are the same (propagation reads many models)
            self.solver.set("model.compact", False)
        self.solver.set("timeout", timeout_ms)
        if optimize:
            # the optimiser re-runs its preprocessing on every check; turning integers with
            # bounds 0..1 into Booleans costs more than it saves here (repair K=3 about 1.5x
            # faster on Secure Endpoint, same costs, benchmarks/bench_explain.py)
            self.solver.set("elim_01", False)
        # beside an optimiser, a plain solver holding the same constraints, for the questions
        # that are not optimisation (which of two equally good repairs comes first)
        self.plain = z3.Solver(ctx=encoder.ctx) if optimize else None
        if self.plain is not None:
            self.plain.set("timeout", timeout_ms)
        self.add(encoder.order_vars.axioms())
        self._ready: set[tuple[str, int]] = set()

    def add(self, terms) -> None:
        """Assert `terms` in the solver (and in the plain one beside an optimiser). With the
        cone, Boolean terms the encoding built go to Z3 directly (`also`): z3py's cast and
        sort check of each cost more than its assertion, over the thousand-odd terms an order
        of a large tariff asserts."""
        if ((self.cone or self.native) and isinstance(self.solver, z3.Solver)
                and all(isinstance(t, z3.BoolRef) for t in terms)):
            also(self.solver, terms)
            return
        assert_terms(self.solver, terms)
        if self.plain is not None:
            also(self.plain, terms)

    def open(self, order: Order, also: dict[int, set[str]] | None = None,
             keep_open: bool = True) -> "OrderProblem":
        """The order as a problem in this solver (its facts pushed). `also`: per contract index,
        options a question asks about beyond the order's own (kept in the cone). `keep_open`:
        keep the facts of the fields the order leaves open (`OrderProblem.undecided`, for
        propagation); False builds none of them (lint leaves nearly every field open)."""
        if not self._warm_decided:
            self.warm = self.warm and any(self.encoder.cone(e.kind).slices for e in order.contracts)
            self._warm_decided = True
        if self.warm:
            return self._open_warm(order, also or {})
        if self.cone:
            instances, extra, kept = self._cone(order, also or {})
        else:
            instances, extra, kept = self._whole(order), [], None
        enc, s = self.encoder, self.solver
        s.push()
        if self.plain is not None:
            self.plain.push()
        self.add(extra)
        given: list[Fact] = []
        groups: dict[str, list[Fact]] = {}
        undecided: dict[str, list[Fact]] = {}
        def is_open(choice) -> bool:
            return choice in order.open or choice.parent in order.open
        facts = enc.facts(order, kept, None if keep_open or not order.open else is_open)
        for f in facts:
            if order.open and is_open(f.choice):  # (a complete order leaves nothing open)
                undecided.setdefault(f.choice, []).append(f)  # a partial order leaves it (or its option) open
                continue
            if f.role == "given":
                given.append(f)
            else:
                groups.setdefault(f.choice, []).append(f)
        self.add([f.term for f in given])
        choices, tracked = [], []
        by_literal = {}
        for path, facts in groups.items():
            c = Choice(path, facts[0].kind, facts, None, facts[0].slot, facts[0].under)
            c.literal, c.known_term, held, literal_id = enc.memo(("choice",) + c.key(),
                                                                 lambda: _choice_terms(c, enc.order_vars.z))
            choices.append(c)
            tracked.append(held)
            by_literal[literal_id] = c
        self.add(tracked)
        p = OrderProblem(enc.tariff, order, enc, s, instances, choices, given, undecided=undecided, plain=self.plain,
                         timeout_ms=self.timeout_ms, kept=kept)
        for part in self._instance_ids(order, instances):
            by_literal.update(part)
        p.by_literal = by_literal
        return p

    def _instance_ids(self, order: Order, instances: list[Instance]) -> list[dict]:
        """`{literal id: instance}` of the order's rule instances, in parts: a slot whose
        instances are all in the problem gives its table, made once (`Encoder.instance_ids`)."""
        whole, mine = [], 0
        for entry in order.contracts:
            table = self.encoder.instance_ids(entry.kind, entry.index)
            whole.append(table)
            mine += len(table)
        if mine == len(instances):  # every instance of each slot (a kind the cone does not slice)
            return whole
        return [{i.literal.get_id(): i for i in instances}]


    def _open_warm(self, order: Order, also: dict[int, set[str]]) -> "OrderProblem":
        """`open` for a warm workspace (see the class): the order's terms asserted once each,
        under literals, and the literals it needs assumed by every check of its problem."""
        enc = self.encoder
        instances, hard, kept = self._cone(order, also)
        given: list[Fact] = []
        groups: dict[str, list[Fact]] = {}
        undecided: dict[str, list[Fact]] = {}
        for f in enc.facts(order, kept):
            if f.choice in order.open or f.choice.parent in order.open:
                undecided.setdefault(f.choice, []).append(f)
                continue
            if f.role == "given":
                given.append(f)
            else:
                groups.setdefault(f.choice, []).append(f)
        new: list[z3.BoolRef] = []
        for f in given:
            # a term's address names it while it lives (the dict keeps it alive), for less than
            # z3py's get_id costs; the same below
            got = self._given.get(f.term.as_ast().value)
            if got is None:
                got = self._given[f.term.as_ast().value] = (z3.Bool(f"given:{len(self._given)}", enc.ctx), f.term)
                new.append(_implies(got[0], f.term))
            hard.append(got[0])
        choices = []
        for path, facts in groups.items():
            c = Choice(path, facts[0].kind, facts, None, facts[0].slot, facts[0].under)
            key = c.key()
            got = self._choices.get(key)
            if got is None:
                literal = z3.Bool(f"choice:{path}#{len(self._choices)}", enc.ctx)
                got = self._choices[key] = (literal, c.term, _implies(literal, c.term))
                new.append(got[2])
            c.literal, c.known_term = got[0], got[1]
            choices.append(c)
        self.add(new)
        self.terms += len(new)
        own = hard + [c.literal for c in choices]
        mine = {x.as_ast().value for x in own}
        hard += [n for i, n in self._negations.items() if i not in mine]
        for x in own:
            if x.as_ast().value not in self._negations:
                self._negations[x.as_ast().value] = _not(x)
        p = OrderProblem(enc.tariff, order, enc, self.solver, instances, choices, given, undecided=undecided,
                         timeout_ms=self.timeout_ms, kept=kept, hard=Assumed(hard), lasting=self._lasting)
        p.by_literal = {c.literal.get_id(): c for c in choices}
        p.by_literal.update({i.literal.get_id(): i for i in instances})
        return p

    def spent(self) -> bool:
        """Has a warm workspace gathered so many terms that it should start afresh?"""
        return self.terms > self.WARM_LIMIT

    def _switched(self, key: tuple[str, int], cone, axioms: list[int], instances: list[int]) -> None:
        """Assert, once each, the cone's constraints of slot `key` beyond its base, each under
        the literals of the options it reads outside the base (warm)."""
        enc = self.encoder
        terms, tracked = enc.axioms(*key), enc.tracked(*key)
        new = []
        for j, term in [(j, terms[j]) for j in axioms] + [(cone.n_axioms + j, tracked[j]) for j in instances]:
            if (key[1], j) in self._guarded:
                continue
            self._guarded.add((key[1], j))
            guards = [self._option_literal(key[1], o) for o in sorted(cone.reads[j] - cone.base)]
            new.append(_implies(guards[0] if len(guards) == 1 else _and(guards), term))
        self.add(new)
        self.terms += len(new)

    def _option_literal(self, index: int, option: str) -> z3.BoolRef:
        got = self._option_literals.get((index, option))
        if got is None:
            got = self._option_literals[(index, option)] = z3.Bool(f"cone:{index}:{option}", self.encoder.ctx)
        return got

    def _whole(self, order: Order) -> list[Instance]:
        """Every axiom and rule instance of the order's slots, kept in the solver across orders."""
        enc = self.encoder
        instances: list[Instance] = []
        for entry in order.contracts:
            key = (entry.kind, entry.index)
            if key not in self._ready:
                self.add(enc.axioms(*key))
                self.add(enc.tracked(*key))
                self._ready.add(key)
            instances.extend(enc.instances(*key))
        return instances

    def _cone(self, order: Order, also: dict[int, set[str]]):
        """The order's cone (smt/cone.py): the instances it keeps, the axioms and tracked
        instances to assert for this order alone (warm: the literals that switch them on), and
        the options kept per contract. What every order of a slot keeps (the cone's base) stays
        in the solver across orders."""
        enc = self.encoder
        instances: list[Instance] = []
        extra: list[z3.BoolRef] = []
        kept: dict[int, Kept] = {}
        for entry in order.contracts:
            key = (entry.kind, entry.index)
            cone = enc.cone(entry.kind)
            axioms, tracked, mine = enc.axioms(*key), enc.tracked(*key), enc.instances(*key)
            if key not in self._ready:
                self.add([axioms[j] for j in cone.base_axioms])
                self.add([tracked[j] for j in cone.base_instances])
                self._ready.add(key)
            wanted = open_options(order, entry.index)
            if wanted is not None:
                wanted |= also.get(entry.index, set())
            got = kept[entry.index] = cone.needed(entry, wanted)
            more_axioms, more_instances = cone.select(got.options)
            if self.warm:  # `extra`: the literals that switch them on
                self._switched(key, cone, more_axioms, more_instances)
                extra += [self._option_literal(entry.index, o) for o in sorted(got.options - cone.base)]
            else:
                extra += [axioms[j] for j in more_axioms] + [tracked[j] for j in more_instances]
            if cone.slices:
                instances += [mine[j] for j in sorted(cone.base_instances + more_instances)]
            else:  # the whole slot, in order: its base is every instance
                instances += mine
        return instances, extra, kept


# Boolean connectives of terms the encoding built, made through Z3's C API: z3py's own cast and
# sort-check each argument, which cost more than the term when an order of a large tariff
# brings a thousand new ones (a warm workspace)
def _implies(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    return z3.BoolRef(z3.Z3_mk_implies(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def _and(terms: list[z3.BoolRef]) -> z3.BoolRef:
    ctx = terms[0].ctx
    return z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(terms), (z3.Ast * len(terms))(*[t.as_ast() for t in terms])), ctx)


def _not(a: z3.BoolRef) -> z3.BoolRef:
    return z3.BoolRef(z3.Z3_mk_not(a.ctx.ref(), a.as_ast()), a.ctx)


def also(s: z3.Solver, terms) -> None:
    """Assert in `s` formulas already asserted (so checked by z3py) elsewhere: straight into Z3."""
    ctx = s.ctx.ref()
    for t in terms if isinstance(terms, (list, tuple)) else [terms]:
        z3.Z3_solver_assert(ctx, s.solver, t.ast)


def assert_terms(s: z3.Solver | z3.Optimize, terms) -> None:
    """`s.add(terms)`; for the optimiser, Boolean terms go to Z3 directly: z3py casts and
    sort-checks each one, which costs more than the assertion when a repair asserts a guard per
    rule instance. (A plain solver keeps z3py's path: asserted natively, some orders' explain
    with a conflict limit found the same conflicts in another order, which the snapshots would
    show; the reason was not found.)"""
    items = terms if isinstance(terms, (list, tuple)) else [terms]
    if not isinstance(s, z3.Optimize) or not all(isinstance(t, z3.BoolRef) for t in items):
        s.add(terms)
        return
    ctx = s.ctx.ref()
    for t in items:
        z3.Z3_optimize_assert(ctx, s.optimize, t.as_ast())


def _choice_terms(c: Choice, z: Z3Terms) -> tuple:
    """A choice's literal, its term, the implication that tracks it, and the literal's id."""
    literal = z.bool(f"choice:{c.path}")
    return literal, c.term, _implies(literal, c.term), literal.get_id()


class Workspaces:
    """One workspace per shape of order (the kinds of its contracts, in order), the most recently
    used few kept. A solver that holds only the slots of orders like this one is far faster for
    the optimiser than one that has gathered every slot any order ever used (about 2x on Secure
    Endpoint repairs, benchmarks/bench_explain.py)."""

    def __init__(self, encoder: Encoder, timeout_ms: int = DEFAULT_TIMEOUT_MS, optimize: bool = False,
                 keep: int = 16, cone: bool = False, compact_models: bool = True, warm: bool = False):
        self.encoder = encoder
        self.warm = warm
        self.timeout_ms = timeout_ms
        self.optimize = optimize
        self.compact_models = compact_models
        self.keep = keep
        self.cone = cone
        self._by_shape: dict[tuple, Workspace] = {}

    def open(self, order: Order, also: dict[int, set[str]] | None = None) -> "OrderProblem":
        shape = tuple(e.kind for e in order.contracts)
        ws = self._by_shape.pop(shape, None)
        if ws is None or ws.spent():
            ws = Workspace(self.encoder, self.timeout_ms, self.optimize, self.cone, self.compact_models, warm=self.warm)
            if len(self._by_shape) >= self.keep:
                self._by_shape.pop(next(iter(self._by_shape)))
        self._by_shape[shape] = ws  # most recent last
        return ws.open(order, also)


class Assumed:
    """Literals to assume, as Z3's C API takes them: an array of their terms, built once and
    handed to every check that assumes them. z3py's `check(*literals)` casts and sort-checks
    each literal on every call; with the hundred-odd literals of an order's choices and rules
    that cost more than many of the checks (lint does the same, analyse/space.py). The
    literals are Boolean constants made by the encoding, so there is nothing to check."""

    __slots__ = ("literals", "asts", "array")

    def __init__(self, literals, asts: list | None = None):
        self.literals = literals  # kept: the array points into them
        self.asts = asts if asts is not None else [x.ast for x in literals]  # (as_ast(), without the call)
        self.array = (z3.Ast * len(self.asts))(*self.asts)

    def __len__(self) -> int:
        return len(self.asts)

    def after(self, first: list[z3.BoolRef]) -> "Assumed":
        """`first`, then these literals (the order a plain list would give them in)."""
        return Assumed(first + self.literals, [x.ast for x in first] + self.asts)

    def then(self, last: "Assumed") -> "Assumed":
        """These literals, then `last`'s."""
        return Assumed(self.literals + last.literals, self.asts + last.asts)

    def check(self, s: z3.Solver | z3.Optimize) -> z3.CheckSatResult:
        if isinstance(s, z3.Optimize):
            return s.check(*self.literals)
        return z3.CheckSatResult(z3.Z3_solver_check_assumptions(s.ctx.ref(), s.solver, len(self.asts), self.array))


# the time all solver calls of one request may take together: (deadline on the monotonic clock,
# the budget in ms); set by `time_budget`, read by every solver call of explain, why-not,
# options and repair (a context variable, so each thread and task has its own)
_budget: ContextVar[tuple[float, int] | None] = ContextVar("tariffcheck_solver_budget", default=None)


@contextlib.contextmanager
def time_budget(ms: int | None):
    """Inside the block, the solver calls of this thread take at most `ms` milliseconds together
    (each also within its own limit); past it they end as a time-out does: the answer is
    incomplete or unknown. None: no budget, only the per-call limit."""
    if ms is None:
        yield
        return
    token = _budget.set((time.monotonic() + ms / 1000, ms))
    try:
        yield
    finally:
        _budget.reset(token)


def within_budget(solver: z3.Solver | z3.Optimize, per_call_ms: int, ask):
    """`ask()`, one call of `solver`, limited to what is left of the request's budget when that
    is less than the call's own limit. A budget spent raises Incomplete, naming the budget."""
    budget = _budget.get()
    if budget is None:
        return ask()
    deadline, ms = budget
    left = int((deadline - time.monotonic()) * 1000)
    if left >= per_call_ms:
        return ask()
    spent = f"the time limit of {ms} ms for the whole request ran out"
    if left <= 0:
        raise Incomplete(spent)
    solver.set("timeout", left)
    try:
        r = ask()
    finally:
        solver.set("timeout", per_call_ms)
    if r == z3.unknown:
        raise Incomplete(spent)
    return r


class Incomplete(Exception):
    """A solver call hit its time limit (or gave up): the answer so far is not the whole answer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class OrderProblem:
    tariff: M.Tariff
    order: Order
    encoder: Encoder
    solver: z3.Solver
    instances: list[Instance]
    choices: list[Choice]
    given: list[Fact]
    undecided: dict[str, list[Fact]] = field(default_factory=dict)  # a partial order's open fields
    by_literal: dict = field(default_factory=dict)  # literal id -> Choice or Instance
    calls: int = 0  # solver calls made, for the benchmark
    plain: z3.Solver | None = None  # beside an optimiser: a plain solver with the same constraints
    timeout_ms: int = DEFAULT_TIMEOUT_MS  # each solver call's own limit (a request's budget may cut it)
    # per contract index, the options and wordings in the problem (smt/cone.py); None: all
    kept: dict[int, Kept] | None = None
    # literals every check assumes besides its own (a warm workspace's: the order's given facts
    # and the options its cone keeps); never in a core that is read (they name no choice)
    hard: Assumed | None = None
    # a warm workspace's terms asserted for good (`require`): the order is not in a scope of its own
    lasting: dict[int, z3.BoolRef] | None = None
    _rule_literals: list | None = field(default=None, repr=False)

    def add(self, terms) -> None:
        """Assert `terms` for this order (in the plain solver too, if there is one)."""
        assert_terms(self.solver, terms)
        if self.plain is not None:
            also(self.plain, terms)

    def require(self, term: z3.BoolRef) -> None:
        """Assert a question's `term` (an implication under a literal of its own) for this
        order; in a warm workspace for good, once."""
        if self.lasting is None:
            self.add(term)
        elif term.get_id() not in self.lasting:
            self.lasting[term.get_id()] = term
            self.add(term)

    def close(self) -> None:
        """Drop this order's facts from the shared solver (a warm workspace keeps them)."""
        if self.lasting is not None:
            return
        self.solver.pop()
        if self.plain is not None:
            self.plain.pop()

    def __enter__(self) -> "OrderProblem":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- asking ---------------------------------------------------------------------------
    def check(self, assumptions: "list[z3.BoolRef] | Assumed") -> z3.CheckSatResult:
        """Satisfiability under the assumed literals (a list, or an `Assumed` built once for
        many checks); a time-out raises Incomplete."""
        self.calls += 1
        if not isinstance(assumptions, Assumed):
            assumptions = Assumed(assumptions)
        if self.hard is not None:
            assumptions = assumptions.then(self.hard)
        solver = self.solver
        r = within_budget(solver, self.timeout_ms, lambda: assumptions.check(solver))
        if r == z3.unknown:
            raise Incomplete(f"the solver gave up: {self.solver.reason_unknown()}")
        return r

    def core(self) -> list:
        """The last unsat core, as Choice and Instance objects."""
        if isinstance(self.solver, z3.Optimize):
            ids = [x.get_id() for x in self.solver.unsat_core()]
        else:  # read straight from Z3: a wrapper per literal costs more than the core
            ctx = self.solver.ctx.ref()
            v = z3.Z3_solver_get_unsat_core(ctx, self.solver.solver)
            z3.Z3_ast_vector_inc_ref(ctx, v)
            try:
                ids = [z3.Z3_get_ast_id(ctx, z3.Z3_ast_vector_get(ctx, v, i))
                       for i in range(z3.Z3_ast_vector_size(ctx, v))]
            finally:
                z3.Z3_ast_vector_dec_ref(ctx, v)
        return [self.by_literal[i] for i in ids if i in self.by_literal]

    @property
    def rule_literals(self) -> list[z3.BoolRef]:
        if self._rule_literals is None:  # the instances are fixed when the order is opened
            self._rule_literals = [i.literal for i in self.instances]
        return list(self._rule_literals)

    def shape(self) -> list[z3.BoolRef]:
        """What every complete order has that the encoding's axioms leave free: a value for
        each dimension that is not optional, in each contract that continues."""
        return [x for e in self.order.contracts for x in self.encoder.slot(e.kind, e.index).required_set()]

    def outside(self) -> list["Outside"]:
        """The choices left out of the problem (smt/cone.py): options absent from the order and
        wordings no rule reads, each kept as the order gives it, and only named here, so that
        `--lock` and `--weight` find them."""
        out: list[Outside] = []
        former = KINDS["former"]
        for e in self.order.contracts if self.kept is not None else ():
            kept = self.kept[e.index]
            out += [Outside(FieldRef(e.index, "options", o), "option", e.index)
                    for o in self.tariff.contracts[e.kind].options if o not in kept.options]
            out += [Outside(ref_of(ir.Field("former", path), e.index), former.choice, e.index)
                    for path in self.encoder.slot(e.kind, e.index).former if path not in kept.former]
        return out

    def choice(self, path: str) -> Choice | None:
        return next((c for c in self.choices if c.path == path), None)

    def shrink(self, keep: list, candidates: list, fixed: list, known_sat=None, found_sat=None) -> list:
        """A minimal subset of `candidates` (Choice or Instance objects) that, assumed with
        `fixed` (literals) and the literals of `keep`, is unsat; `candidates` with those must be
        unsat. Deletion-based with core refinement: each test that stays unsat narrows the set
        to its core. Two hooks, each called with the objects a test assumes (a trial of the
        candidates, then `keep`) and `fixed`: `known_sat`, when given, may answer a test as
        satisfiable without the solver (a model found before shows it; it must never answer
        wrongly); `found_sat` is told of each test the solver found satisfiable."""
        current = list(candidates)
        keep = list(keep)
        rest = Assumed([x.literal for x in keep] + list(fixed))  # assumed by every trial
        i = 0
        while i < len(current):
            trial = current[:i] + current[i + 1:]
            if known_sat is not None and known_sat(trial + keep, fixed):
                i += 1
                continue
            r = self.check(rest.after([x.literal for x in trial]))
            if r == z3.unsat:
                in_core = {id(x) for x in self.core()}
                current = [x for x in trial if id(x) in in_core] if in_core else trial
                # items before i were each needed; the core cannot have dropped them
            else:
                if found_sat is not None:
                    found_sat(trial + keep, fixed)
                i += 1
        return current


def choice_value(choice: Choice, order: Order):
    """A choice's value as the order gives it, in the form a user wrote it."""
    from ..evaluate.verdict import field_value

    entry = order.contracts[choice.slot] if choice.slot is not None else None
    f = choice.facts[0]
    if f.kind == "holding" and len(choice.facts) > 1:  # a held service, with its values if it has them
        service = choice.path.parts[1]
        values = sorted(f"{d}={v}" for s, d, v in order.holding_values if s == service)
        return values or (service in order.holdings)
    if f.field is not None:
        return field_value(f.field, order, entry)
    if f.kind == "optattr":  # one attribute's designations
        attr = choice.path.parts[-1]
        opt = entry.new.options.get(choice.path.option)
        return sorted(v for a, v in (opt.designations if opt else ()) if a == attr)
    return None
