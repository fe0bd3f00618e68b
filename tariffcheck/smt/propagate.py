"""What is still possible in an order being filled in.

For a partial order (orders/decode.py `decode_partial_order`: every field it leaves out is
open), each open field is asked about under every rule and the choices made so far:

- an option, a flag, a holding: can it be yes, can it be no;
- a dimension (the item): which of its values remain;
- an option's designations: which values may be designated, which must be;
- a count or a quantity: the least and the greatest value a valid order can give it.

A value no valid completion can take is **impossible**, and carries its reason: the minimal
set of the choices made so far and the rules that exclude it (explain.py's conflict). A field
with one possible value is **forced**. If the choices made so far already conflict, nothing is
possible and the conflict is the answer.

Every value seen in any model found along the way is possible. A value that one rule instance
excludes outright, with at most one of the choices and what the request fixes, is found without
a question: their values substituted into the rule's term simplify it to false
(`_Run.direct_reason`). The other finite values are asked together: "a completion with any value
no model has shown yet", whose model marks every value it shows, until none of the rest can be
shown (`_Run.gather`, leaning to true while yeses are asked and to false for noes, the noes first
all at once, and one value of each contract at once while several have some left, so that a
model shows many); those are impossible too. Then models of every rule and no choice, and of
the reason's choice and no rule, are gathered for the impossible values: a rule's own reason (its
choice, its instance) is minimal exactly when the value shows in both (without the choice it is
possible; without the instance it is possible). Any other reason is shrunk by deletion
(explain.minimal_conflict), a deletion after which the value is possible again mostly shown by a
model found before (`_Run.known_sat`). Numbers are asked first where the rules that read them
alone put their bounds (`_Run.relaxed_range`), then one past that, then in doubling steps and
by bisection; a bound's reason is read off the rule that caps it when one does. The counts of
all counted options are asked at their relaxed bounds in one question (`_Run.ask_highs`).

What no choice of the customer's enters (every rule and no choice, no rule and one choice, a
rule's substitution, the request's pins) is the same for every order of a shape whose request
fixes the same facts: it is kept per such standing (`Standing`) and asked once, and the solver
keeps those facts asserted across orders (smt/standing.py). An invalid order's conflict is
shrunk with the satisfiable trials of earlier orders kept (explain.KnownSat: a trial is named
by the shape, the given facts and the choices it assumes), as explain does: five invalid orders
in six of the service's corpus, two satisfiable trials each. The answers never depend on it
(tests/test_propagate_parent_corpus.py); `Propagator.forget` drops it.

Dates, the order's structure (parents and children) and former names are left open and not
analysed: a date's possible range is rarely what an order-entry screen greys out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from ..model import tariff as M
from ..model.limits import MAX_COUNT
from ..orders.order import Order
from .encode import Encoder, Fact, Instance
from .explain import ChosenField, Conflict, KnownSat, Tie, minimal_conflict
from ..evaluate.verdict import InstanceKey, involved_fields
from ..model import ir
from ..model.limits import DEFAULT_TIMEOUT_MS
from .problem import Choice, Incomplete, OrderProblem, choice_value
from .standing import StandingWorkspaces
from . import walk
from .readback import all_true, truths

FINITE = ("option", "flag", "holding", "dim", "optattr", "optflag", "oflag")
NUMERIC = ("qty", "optqty")
NOT_ANALYSED = ("odate", "date", "optdate", "parent", "children", "former")


@dataclass
class Possibility:
    value: object  # True / False, a dimension's value id (None: unset), a designation's value id
    possible: bool
    reason: Conflict | None = None  # why not, when impossible


@dataclass
class OpenField:
    path: str
    kind: str  # option | flag | holding | dim | designation | number
    values: list[Possibility] = field(default_factory=list)
    low: int | None = None  # numbers: the least and greatest possible value
    high: int | None = None
    low_reason: Conflict | None = None  # why not one less than `low`
    high_reason: Conflict | None = None  # why not one more than `high`

    @property
    def forced(self) -> object | None:
        """The one possible value, if there is exactly one."""
        if self.kind == "number":
            return self.low if self.low is not None and self.low == self.high else None
        can = [v.value for v in self.values if v.possible]
        return can[0] if len(can) == 1 else None


@dataclass
class Propagation:
    status: str  # "open": some completion is valid | "invalid": the choices made conflict | "unknown"
    fields: list[OpenField] = field(default_factory=list)
    conflict: Conflict | None = None
    not_analysed: list[str] = field(default_factory=list)  # open fields left open (dates, structure)
    complete: bool = True
    reason: str | None = None
    calls: int = 0


class Propagator:
    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.tariff = tariff
        self.workspace = StandingWorkspaces(Encoder(tariff), timeout_ms)
        self.reads: dict[int, frozenset[int]] = {}  # a rule instance's literal -> the variables its term reads
        # the contract slots of an order -> the rule instances reading each variable, with their
        # literals' ids and what they read (`_Run._instances_reading`; the encoder keeps each
        # slot's instances, so this holds for every order of those slots)
        self.readers: dict[tuple, dict[int, list[tuple[Instance, int, frozenset[int]]]]] = {}
        # what holds for every order of one shape whose request fixes the same facts
        # (`Standing`), by (the shape, the ids of those facts' terms)
        self.standing: dict[tuple, Standing] = {}
        # `_Run.relaxed_range`'s answers, by the number and the terms it was asked of
        self.relaxed: dict[tuple, tuple] = {}
        # the satisfiable trials of the shrinks that give an invalid order's conflict, named by
        # the shape, the given facts and the choices assumed (explain.KnownSat): the same for
        # every order that assumes them, so asked once
        self.known = KnownSat()
        # (a rule's id, a subject) -> the fields its instance reads (`_Run.describe`)
        self.fields_read: dict[tuple, list] = {}

    def propagate(self, order: Order) -> Propagation:
        with self.workspace.open(order) as p:  # (with the shape's requirements: p.shape())
            slots = tuple((e.kind, e.index) for e in order.contracts)
            if slots not in self.readers and len(self.readers) >= 64:
                self.readers.clear()  # a bound on what is kept; rebuilt when asked again
            return _Run(p, self.reads, self.readers.setdefault(slots, {}), self._standing(p), self.relaxed,
                        self.known, self.fields_read).run()

    def forget(self) -> None:
        """Drop what was learnt from earlier orders (`Standing`, the relaxed ranges, the
        standing levels of the workspaces): the next order is answered as the first one of
        its shape is (the benchmark's cold figures). The tariff stays encoded."""
        self.standing.clear()
        self.relaxed.clear()
        self.known = KnownSat()
        self.workspace.forget()

    def _standing(self, p: OrderProblem) -> "Standing":
        given = [f.term for f in p.given]
        key = (tuple((e.kind, e.index) for e in p.order.contracts), frozenset(t.get_id() for t in given))
        got = self.standing.pop(key, None)
        if got is None:
            if len(self.standing) >= 16:
                self.standing.pop(next(iter(self.standing)))  # the least recently used
            got = Standing(given)
        self.standing[key] = got  # most recent last
        return got


class Standing:
    """What the solver says of one shape of order (its contracts' kinds) under what its request
    fixes (the given facts: request kind, dates the request names, the contract structure),
    with no choice of the customer's: whether a value (with what a question is asked under)
    is possible under every rule (`free`), and with no rule at all (`bare`), and the models
    that showed it. Every order of that shape with the same given facts asks these questions
    of the same formulas (the same workspace's axioms and rule instances, the same facts), so
    the answers hold for all of them: an order-entry screen asks them once per kind of order,
    not once per keystroke. (A question of every rule and no choice needed a dozen models on a
    three-service order, one per item each service could have: a third of its time.)

    The terms asked are kept alive here, so the ids that key the answers name them alone."""

    LIMIT = 4096  # answers kept; past it they are dropped and asked again
    MODELS = 16  # models kept of each kind (~95 KB each on a four-contract Secure Endpoint order)

    def __init__(self, given: list[z3.BoolRef]):
        self.given = given  # kept: the key's ids name these terms
        self.free: dict[tuple, bool] = {}  # ids of the terms asked together -> possible under every rule
        self.bare: dict[tuple, bool] = {}  # ... -> possible under no rule and no choice
        self.free_models: list[z3.ModelRef] = []  # models of every rule and no choice
        self.bare_models: list[z3.ModelRef] = []  # models of no rule and no choice
        # models of every rule and some order's choices: valid completions of that order, and
        # of every later order of this standing whose choices they satisfy (`_Run.reuse`)
        self.valid_models: list[z3.ModelRef] = []
        # (a rule instance's literal, a value's term, a choice's term or None) -> does the rule,
        # with the value, the choice and the given facts substituted, simplify to false
        # (`_Run.direct_reason`)
        self.excluded: dict[tuple, bool] = {}
        # (a bound's question, what it is asked under, a rule instance's literal, a choice's term
        # or None) -> does the rule with the choice and the given facts exclude it
        # (`_Run.bound_reason`'s small solver)
        self.capped: dict[tuple, bool] = {}
        self.alive: dict[int, z3.ExprRef] = {}  # by id: the terms the keys above name
        self._given_pins: dict[int, tuple] | None = None
        self._pins: dict[int, list | None] = {}  # a term's id -> pins_of(term)
        self._negations: dict[int, tuple] = {}  # a literal's id -> (its negation, the literal)

    def forget(self) -> None:
        """Drop the answers (not the models): the terms kept alive for their keys go too."""
        self.free.clear(), self.bare.clear(), self.excluded.clear(), self.alive.clear()
        self._pins.clear(), self.capped.clear()

    def add_model(self, models: list[z3.ModelRef], m: z3.ModelRef) -> None:
        """Keep `m` in `models` (free_models, bare_models or valid_models), the most recent
        MODELS of them: each order takes them all as witnesses, and each holds a value for
        every constant."""
        models.append(m)
        if len(models) > self.MODELS:
            del models[0]

    def negation(self, literal: z3.BoolRef) -> z3.BoolRef:
        """`not literal`, made once per literal (by Z3 directly: z3py's Not casts its argument)."""
        key = literal.get_id()
        got = self._negations.get(key)
        if got is None:
            if len(self._negations) >= self.LIMIT:
                self._negations.clear()
            ctx = literal.ctx
            got = self._negations[key] = (z3.BoolRef(z3.Z3_mk_not(ctx.ref(), literal.as_ast()), ctx), literal)
        return got[0]

    def given_pins(self) -> dict[int, tuple]:
        """`given_pins` of the given facts, read once."""
        if self._given_pins is None:
            self._given_pins = given_pins(self.given)
        return self._given_pins

    def pins(self, term: z3.BoolRef) -> list[tuple] | None:
        """`pins_of(term)`, read once per term (a value's or a choice's)."""
        key = term.get_id()
        got = self._pins.get(key, False)
        if got is False:
            self.keep([term])
            got = self._pins[key] = pins_of(term)
        return got

    @staticmethod
    def key(terms: list[z3.BoolRef]) -> tuple:
        return tuple(sorted(t.get_id() for t in terms))

    def remember(self, table: dict, terms: list[z3.BoolRef], possible: bool, key: tuple | None = None) -> None:
        """`table[key(terms)] = possible` (`key`: that key, when worked out already)."""
        self.keep(terms)
        table[self.key(terms) if key is None else key] = possible

    def keep(self, terms: list[z3.ExprRef]) -> None:
        """Keep `terms` alive while answers are keyed by their ids (a bounded number: past
        LIMIT every answer is dropped, to be asked again)."""
        if len(self.free) + len(self.bare) + len(self.excluded) + len(self._pins) + len(self.capped) >= self.LIMIT:
            self.forget()
        for t in terms:
            self.alive[t.get_id()] = t


def variables_of(term: z3.ExprRef) -> frozenset[int]:
    """The ids of the uninterpreted constants a term reads (each shared node visited once)."""
    ctx = term.ctx
    return frozenset(i for i, a, kind in walk.nodes([term]) if kind == walk.APP and walk.is_variable(ctx, a))


def pins_of(term: z3.BoolRef) -> list[tuple] | None:
    """The variables a fact's term pins and their values, as pairs of Z3 nodes (`x == value`,
    `b`, `not b`, or a conjunction of those); None for a term of another shape. Read through
    Z3's C API: an order has hundreds of facts, and z3py's wrappers made reading them most of
    the time a reason took. (The nodes stay alive with the term.)"""
    ctx = term.ctx.ref()
    out: list[tuple] = []

    def var(a) -> bool:
        return (z3.Z3_get_ast_kind(ctx, a) == z3.Z3_APP_AST and z3.Z3_get_app_num_args(ctx, a) == 0
                and z3.Z3_get_decl_kind(ctx, z3.Z3_get_app_decl(ctx, a)) == z3.Z3_OP_UNINTERPRETED)

    todo = [term.as_ast()]
    while todo:
        a = todo.pop()
        if z3.Z3_get_ast_kind(ctx, a) != z3.Z3_APP_AST:
            return None
        op = z3.Z3_get_decl_kind(ctx, z3.Z3_get_app_decl(ctx, a))
        n = z3.Z3_get_app_num_args(ctx, a)
        if op == z3.Z3_OP_AND:
            todo.extend(z3.Z3_get_app_arg(ctx, a, k) for k in range(n))
        elif op == z3.Z3_OP_NOT and var(z3.Z3_get_app_arg(ctx, a, 0)):
            out.append((z3.Z3_get_app_arg(ctx, a, 0), z3.Z3_mk_false(ctx)))  # true and false are never freed
        elif op == z3.Z3_OP_EQ and var(z3.Z3_get_app_arg(ctx, a, 0)) \
                and z3.Z3_is_numeral_ast(ctx, z3.Z3_get_app_arg(ctx, a, 1)):
            out.append((z3.Z3_get_app_arg(ctx, a, 0), z3.Z3_get_app_arg(ctx, a, 1)))
        elif n == 0 and op == z3.Z3_OP_UNINTERPRETED:
            out.append((a, z3.Z3_mk_true(ctx)))
        else:
            return None
    return out


def given_pins(terms: list[z3.BoolRef]) -> dict[int, tuple]:
    """What the request fixes outright, by the variable's id: (the variable, its value) as Z3
    nodes, read from the facts of the shapes `pins_of` reads (others are left out: a rule is
    then just not shown false without them)."""
    out: dict[int, tuple] = {}
    for t in terms:
        ctx = t.ctx.ref()
        for x, v in pins_of(t) or ():
            out[z3.Z3_get_ast_id(ctx, x)] = (x, v)
    return out


def simplifies_to_false(term: z3.BoolRef, pins: list[tuple]) -> bool:
    """Does `term`, with each variable of `pins` (pairs of Z3 nodes) replaced by its value,
    simplify to false? (Z3's substitute and simplify, called directly: z3py's wrappers cast and
    check every pair, and a reason tries a few hundred of them an order.)"""
    ctx = term.ctx.ref()
    n = len(pins)
    src = (z3.Ast * n)(*[x for x, _ in pins])
    dst = (z3.Ast * n)(*[v for _, v in pins])
    r = z3.Z3_substitute(ctx, term.as_ast(), n, src, dst)
    z3.Z3_inc_ref(ctx, r)
    try:
        s = z3.Z3_simplify(ctx, r)
        z3.Z3_inc_ref(ctx, s)
        try:
            return z3.Z3_get_bool_value(ctx, s) == z3.Z3_L_FALSE
        finally:
            z3.Z3_dec_ref(ctx, s)
    finally:
        z3.Z3_dec_ref(ctx, r)


def any_of(terms: list[z3.BoolRef]) -> z3.BoolRef:
    """`z3.Or(terms)` for Boolean terms, made by Z3 directly: the same term, without z3py's
    cast and sort check of each (a question "any value not shown yet" has a hundred-odd, and
    building them was a sixth of a slow order's time)."""
    ctx = terms[0].ctx
    array = (z3.Ast * len(terms))(*[t.as_ast() for t in terms])
    return z3.BoolRef(z3.Z3_mk_or(ctx.ref(), len(terms), array), ctx)


class _Witness:
    """A model found along the way: a valid completion under the literals it was found with.
    `broken` is the rule instances it breaks (the empty set when every rule was assumed;
    worked out when first needed otherwise). `truth` remembers what the model gives each term
    asked about: a reason's shrinking asks the same choices and questions of every witness
    again and again."""

    __slots__ = ("m", "broken", "truth")

    def __init__(self, m: z3.ModelRef, broken: set[int] | None):
        self.m = m
        self.broken = broken
        self.truth: dict[int, bool] = {}  # a term's node (its address, as explain.py names it) -> true here

    def shows(self, terms: list[z3.BoolRef]) -> bool:
        """Does the model make every one of `terms` true? (The terms stay alive for the run,
        held by the choices and the questions, so an address names one term throughout.)"""
        for t in terms:
            key = t.as_ast().value
            ok = self.truth.get(key)
            if ok is None:
                ok = self.truth[key] = all_true(self.m, [t])
            if not ok:
                return False
        return True


class _Run:
    def __init__(self, p: OrderProblem, reads: dict[int, frozenset[int]] | None = None,
                 readers: dict[int, list[tuple[Instance, int, frozenset[int]]]] | None = None,
                 standing: Standing | None = None,
                 relaxed: dict[tuple, tuple] | None = None, known: KnownSat | None = None,
                 fields_read: dict[tuple, list] | None = None):
        self.p = p
        self.fields_read = {} if fields_read is None else fields_read  # `Propagator.fields_read`
        self.known = known  # `Propagator.known`
        self.relaxed = {} if relaxed is None else relaxed
        self.standing = standing if standing is not None else Standing([f.term for f in p.given])
        self.reads = {} if reads is None else reads
        self._by_variable: dict[int, list[tuple[Instance, int, frozenset[int]]]] | None = readers or None
        self._readers = readers  # filled here when empty, for the next order of these slots
        self._pins: dict[int, list] = {}  # id(choice) -> its pins (None: not of a pinned shape)
        # a rule instance's literal's id -> `_choices_pinning`; a variable's id -> the indices
        # of the choices that pin it
        self._pinning: dict[int, list[tuple[Choice, int, list]]] | None = None
        self._pinned_by: dict[int, list[int]] = {}
        self._given_pins: dict[int, tuple] | None = None  # what the request fixes, by variable
        # a value's term (its node's address) -> is it possible under every rule and no choice,
        # and under every choice and no rule (`gather` asked both of the impossible values)
        self.settled: dict[int, tuple[bool, bool]] = {}
        self.given: list[z3.BoolRef] = []  # what a question is asked under (an option ordered, for its count)
        self.seen: list[z3.ModelRef] = []
        self.asks = 0
        self.meaning: dict[int, z3.BoolRef] = {}  # a question's literal -> what it asks
        self.witnesses: list[_Witness] = []  # every model found, for the reasons' shrinking
        self.rule_objects = {id(x) for x in p.rule_literals}  # the same objects on every call
        # models earlier orders of this standing found: of every rule and no choice (breaking
        # nothing), and of no rule (what they break is worked out when needed)
        self.witnesses += [_Witness(m, frozenset()) for m in self.standing.free_models]
        self.witnesses += [_Witness(m, None) for m in self.standing.bare_models]
        self.valid = 0  # how many of the models seen are earlier orders' (`reuse`)

    @property
    def base(self) -> list[z3.BoolRef]:
        """Every choice made so far, every rule, and what the question is asked under."""
        return [c.literal for c in self.p.choices] + self.p.rule_literals + self.given

    def literal_for(self, term: z3.BoolRef) -> z3.BoolRef:
        """A fresh literal that, assumed, makes `term` hold."""
        ctx = self.p.encoder.ctx
        ask = z3.Bool(f"ask:{self.asks}", ctx)
        self.asks += 1
        # z3.Implies and Solver.add, made and asserted by Z3 directly (the same term: z3py's
        # casts and checks of both sides were half of the cost, seven times an order)
        implies = z3.BoolRef(z3.Z3_mk_implies(ctx.ref(), ask.as_ast(), term.as_ast()), ctx)
        z3.Z3_solver_assert(ctx.ref(), self.p.solver.solver, implies.as_ast())
        self.meaning[ask.get_id()] = term
        return ask

    def sat_with(self, term: z3.BoolRef) -> tuple[bool, z3.BoolRef]:
        """Is there a valid completion where `term` holds? (Its model is kept.)"""
        ask = self.literal_for(term)
        r = self.p.check(self.base + [ask])
        if r == z3.sat:
            self.keep_model()
        return r == z3.sat, ask

    def keep_model(self, broken: set[int] | None = frozenset()) -> z3.ModelRef:
        """The model just found under every choice and rule (`base`): a valid completion,
        kept among those seen, as a witness, and in the standing for later orders (`reuse`)."""
        m = self.p.solver.model()
        self.seen.append(m)
        self.witnesses.append(_Witness(m, broken))
        self.standing.add_model(self.standing.valid_models, m)
        return m

    def reuse(self) -> bool:
        """Take as valid completions of this order the models earlier orders of its standing
        found under every rule (`Standing.valid_models`, the last 16, and `free_models`) that
        satisfy each of its choices: every rule instance and what the request fixes are the
        same for the whole standing, so such a model is a valid completion here too, and each
        value it shows is possible without a question. An order-entry screen sends one order a
        keystroke, each the last with one choice more or changed: the models of the last
        mostly serve the next, and its first question and most of its gathers need not be
        asked. The answer does not depend on which models show a value (a value is possible or
        not whichever shows it); True when some model was taken (then the order is valid)."""
        st = self.standing
        terms = [c.term for c in self.p.choices]
        got = [m for m in st.valid_models + st.free_models if all_true(m, terms)]
        self.seen += got
        self.witnesses += [_Witness(m, frozenset()) for m in st.valid_models]  # (free_models' are in already)
        self.valid = len(got)
        return bool(got)

    def why_not(self, ask: z3.BoolRef) -> Conflict:
        """The minimal reason `ask` fails: under the same assumptions it was asked under (a
        count's bound is asked of the option ordered: without that, nothing excludes it)."""
        return minimal_conflict(self.p, self.p.choices, self.p.rule_literals + self.given + [ask], self.known_sat)

    def direct_conflict(self, term: z3.BoolRef, direct: tuple[list[Choice], Instance]) -> Conflict | None:
        """The reason a value is impossible when one rule instance excludes it with the given
        choices (`direct_reason`), once it is shown minimal: without the choice, every rule
        kept, the value is possible; and without the instance, the choice kept. A model found
        before shows each of these mostly; else the solver is asked. None when it is not
        minimal (a value no valid order has even with no choice made, say): then the general
        search gives the reason."""
        p = self.p
        choices, inst = direct
        free, loose = self.settled.get(term.as_ast().value, (None, None))
        if free is False and choices or loose is False:
            return None  # `gather` found it impossible without the choices, or without the rules
        if free and loose:
            return self.describe(choices, inst)
        given = [self.meaning[q.get_id()] for q in self.given]
        if choices and not free and not any(w.broken is not None and not w.broken and w.shows([term] + given)
                               for w in self.witnesses):
            if not self.possible_under(self.standing.free, [term] + given):
                return None
        needs = [c.term for c in choices] + [term] + given
        if not loose and not any(w.shows(needs) for w in self.witnesses):
            if choices:
                if p.check([c.literal for c in choices] + self.given + [self.literal_for(term)]) != z3.sat:
                    return None
                self.witnesses.append(_Witness(p.solver.model(), None))
            elif not self.possible_under(self.standing.bare, needs):
                return None
        return self.describe(choices, inst)

    def describe(self, choices: list[Choice], inst: Instance) -> Conflict:
        """explain.describe of these choices and one rule instance (the same Conflict), with the
        fields the instance reads listed once per rule and subject, not walked out of its
        condition for every reason: an open four-contract order has a hundred-odd reasons, and
        that walk was half of describing them."""
        order = self.p.order
        key = (inst.rule.id, inst.subject)
        fields = self.fields_read.get(key)
        if fields is None:
            if len(self.fields_read) >= 4096:
                self.fields_read.clear()
            fields = self.fields_read[key] = ir.fields_of(inst.rule.condition(inst.subject))
        entry = order.contracts[inst.slot]
        tie = Tie(InstanceKey(inst.rule.id, inst.slot, inst.subject), inst.rule, entry.id,
                  tuple(involved_fields(None, order, entry, fields)))
        return Conflict([ChosenField(c.path, choice_value(c, order)) for c in choices], [tie])

    def possible_under(self, table: dict, terms: list[z3.BoolRef]) -> bool:
        """Does some model of every rule (`table` is the standing's `free`) or of no rule
        (`bare`), with no choice, make every one of `terms` true? Answered once per standing
        (`Standing`): by a model kept there, else by the solver (the model it finds is kept
        there, and as a witness here)."""
        st = self.standing
        key = st.key(terms)
        got = table.get(key)
        if got is not None:
            return got
        every_rule = table is st.free
        models = st.free_models if every_rule else st.bare_models
        got = any(all_true(m, terms) for m in models)
        if not got:
            under = self.p.rule_literals if every_rule else []
            got = self.p.check(under + [self.literal_for(t) for t in terms]) == z3.sat
            if got:
                m = self.p.solver.model()
                st.add_model(models, m)
                self.witnesses.append(_Witness(m, frozenset() if every_rule else None))
        st.remember(table, terms, got)
        return got

    def switched_off(self, literals: list[z3.BoolRef]) -> list[z3.BoolRef]:
        """The negations of tracking literals (a rule's, a choice's): assumed, each one's
        implication holds vacuously, as when it is left out, so the question is the same; but
        a solver leaning to true (`gather`) would otherwise switch them on, and a model of
        "no rule" then keeps rules by chance and shows fewer values (on a warm solver a
        gather under no rule took eighty models instead of a few)."""
        return [self.standing.negation(x) for x in literals]

    def bare_gather(self, needs: list[list[z3.BoolRef]]) -> list[bool]:
        """For each list of terms, is it possible all together under no rule and no choice
        (with what the request fixes)? Through the standing as `free_gather`: a reason's own
        choice with its value is asked here, for `direct_conflict` (without the rule, the
        choice kept, the value is possible)."""
        st = self.standing
        keys = [st.key(n) for n in needs]
        out: list[bool | None] = [st.bare.get(k) for k in keys]
        todo = [k for k, ok in enumerate(out) if ok is None]
        terms = {k: needs[k][0] if len(needs[k]) == 1 else z3.And(needs[k]) for k in todo}
        _shown_by(st.bare_models, terms, todo, out)
        if todo:
            found: list[z3.ModelRef] = []
            off = self.switched_off(self.p.rule_literals + [c.literal for c in self.p.choices])
            asked = [terms[k] for k in todo]
            noes = [z3.is_not(needs[k][-1]) for k in todo]  # (the value is the last term)
            for k, ok in zip(todo, self.gather(asked, off, None, into=found, noes=noes, together=True)):
                out[k] = ok
            for m in found:
                st.add_model(st.bare_models, m)
        for n, key, ok in zip(needs, keys, out):
            if key not in st.bare:
                st.remember(st.bare, n, ok, key)
        return out

    def free_gather(self, terms: list[z3.BoolRef], parts: list | None = None) -> list[bool]:
        """`gather` under every rule and no choice, through the standing (`Standing`): the
        values it knows are not asked again, those a model kept there shows are possible, and
        only the rest are gathered (the models found are kept there)."""
        st = self.standing
        keys = [st.key([t]) for t in terms]
        out: list[bool | None] = [st.free.get(k) for k in keys]
        todo = [k for k, ok in enumerate(out) if ok is None]
        _shown_by(st.free_models, terms, todo, out)
        if todo:
            found: list[z3.ModelRef] = []
            off = self.switched_off([c.literal for c in self.p.choices])
            for k, ok in zip(todo, self.gather([terms[k] for k in todo], self.p.rule_literals + off, frozenset(),
                                               into=found, parts=None if parts is None else [parts[k] for k in todo])):
                out[k] = ok
            for m in found:
                st.add_model(st.free_models, m)
        for t, key, ok in zip(terms, keys, out):
            if key not in st.free:
                st.remember(st.free, [t], ok, key)
        return out

    # ---- reasons read off one rule ----------------------------------------------------------
    def _instances_reading(self, var: int) -> list[tuple[Instance, int, frozenset[int]]]:
        """The rule instances whose terms read the variable with this id, each with its
        literal's id and the ids of what it reads (worked out once with the index: a value's
        reason looks them up for every instance it tries)."""
        if self._by_variable is None:
            index: dict[int, list[tuple[Instance, int, frozenset[int]]]] = {}
            for i in self.p.instances:
                key = i.literal.get_id()
                reads = self.reads.get(key)
                if reads is None:
                    reads = self.reads[key] = variables_of(i.term)
                for v in reads:
                    index.setdefault(v, []).append((i, key, reads))
            if self._readers is not None:
                self._readers.update(index)  # whole, for the next order of these slots
            self._by_variable = index
        return self._by_variable.get(var, [])

    def _choice_pins(self, c: Choice) -> tuple[list, set[int]] | None:
        """A choice's pins as Z3 nodes, and the ids of the variables they pin (None: not of
        that shape)."""
        got = self._pins.get(id(c), False)
        if got is False:
            pins = self.standing.pins(c.term)
            ctx = c.term.ctx.ref()
            got = self._pins[id(c)] = (pins, {z3.Z3_get_ast_id(ctx, x) for x, _ in pins}) if pins else None
        return got

    def _choices_pinning(self, literal: int, reads: frozenset[int]) -> list[tuple[Choice, int, list]]:
        """The choices (in the order's order) that pin some variable a rule instance reads
        (`literal`: the id of its literal; `reads`: the ids of what it reads), each with its
        term's id and its pins: the only choices a substitution into the instance's term can
        tell anything of. Worked out once per instance and order from an index of the choices
        by the variables they pin (every impossible value's instances were otherwise tried
        against every choice of the order: some ten thousand pairs on a four-contract order)."""
        if self._pinning is None:
            self._pinning, self._pinned_by = {}, {}
            for k, c in enumerate(self.p.choices):
                got = self._choice_pins(c)
                for v in got[1] if got is not None else ():
                    self._pinned_by.setdefault(v, []).append(k)
        got = self._pinning.get(literal)
        if got is None:
            by, choices = self._pinned_by, self.p.choices
            got = self._pinning[literal] = [(choices[k], choices[k].term.get_id(), self._choice_pins(choices[k])[0])
                                            for k in sorted({k for v in reads if v in by for k in by[v]})]
        return got

    def direct_reason(self, term: z3.BoolRef) -> tuple[list[Choice], Instance] | None:
        """A rule instance that, with at most one of the choices (and what the request fixes),
        excludes the value `term` gives, shown by substituting their values into the rule's
        term and simplifying it to false: then no completion has the value (the rule holds in
        every valid one, and so do the choices). The cheap case, and on Secure Endpoint's
        parent orders nearly every impossible value's case; None when none is found this way."""
        pin = self.standing.pins(term)
        if pin is None or len(pin) != 1:
            return None
        if self._given_pins is None:
            self._given_pins = self.standing.given_pins()
        # what a substitution says depends on the instance, the value, the choice and what the
        # request fixes (the standing's): kept there, by their terms' ids, for later orders
        excluded = self.standing.excluded
        tid = term.get_id()
        self.standing.keep([term])
        for inst, lid, reads in self._instances_reading(z3.Z3_get_ast_id(term.ctx.ref(), pin[0][0])):
            base = None
            key = (lid, tid, None)
            got = excluded.get(key)
            if got is None:
                base = [self._given_pins[i] for i in reads if i in self._given_pins] + pin
                got = excluded[key] = simplifies_to_false(inst.term, base)
            if got:
                return [], inst
            for c, cid, pins in self._choices_pinning(lid, reads):
                key = (lid, tid, cid)
                got = excluded.get(key)
                if got is None:
                    if base is None:
                        base = [self._given_pins[i] for i in reads if i in self._given_pins] + pin
                    self.standing.keep([term, c.term])
                    got = excluded[key] = simplifies_to_false(inst.term, base + pins)
                if got:
                    return [c], inst
        return None

    def known_sat(self, objects: list, fixed: list[z3.BoolRef]) -> bool:
        """Does a model found before satisfy these choices, rule instances and literals? Then
        the question is satisfiable and needs no solver call (a reason's shrinking asks, for
        each part of it, whether the rest still conflicts: mostly not, and mostly shown by an
        earlier model). The literals' meanings are checked, not the literals: a model stays a
        valid completion whatever it gives the literals it was not asked under."""
        terms, insts, every_rule = [], [], 0
        for q in fixed:
            if id(q) in self.rule_objects:
                every_rule += 1
                continue
            t = self.meaning.get(q.get_id())
            if t is None:
                return False  # a literal whose meaning is not known here
            terms.append(t)
        if every_rule and every_rule != len(self.rule_objects):
            return False  # some rules but not all: not asked by the shrinking
        for x in objects:
            if isinstance(x, Instance):
                insts.append(x)
            else:
                terms.append(x.term)
        for w in self.witnesses:
            if not w.shows(terms):
                continue
            if insts or every_rule:
                if w.broken is None:
                    w.broken = {id(i) for i, ok in zip(self.p.instances,
                                                       truths(w.m, [i.term for i in self.p.instances])) if not ok}
                if (every_rule and w.broken) or any(id(i) in w.broken for i in insts):
                    continue
            return True
        return False

    def run(self) -> Propagation:
        p = self.p
        out = Propagation("open")
        asked: list[tuple[OpenField, list[tuple[object, z3.BoolRef]]]] = []
        try:
            if not self.reuse():
                p.solver.set("phase_selection", 0)  # a first model leaning to no: it shows most noes
                try:
                    first = p.check(self.base)
                finally:
                    p.solver.set("phase_selection", 3)
                if first == z3.unsat:
                    out.status = "invalid"
                    out.conflict = minimal_conflict(p, p.choices, p.rule_literals, known=self.known)
                    return out
                self.keep_model()
            for path, facts in p.undecided.items():
                kind = facts[0].kind
                if kind == "former":
                    continue  # how a name is written is not a choice an order-entry screen offers
                if kind in NOT_ANALYSED:
                    out.not_analysed.append(path)
                elif facts[0].under is not None and self._option_open(path):
                    continue  # part of an option that is itself open: the option is the question
                elif kind in FINITE:
                    field_, cases = self.finite(path, facts)
                    out.fields.append(field_)
                    asked.append((field_, cases))
                elif kind in NUMERIC:
                    out.fields.append(self.number(path, facts[0].number))
            self.possibilities(asked)
            self.counts(out)
        except Incomplete as e:
            out.complete, out.reason = False, e.reason
            if out.status == "open" and not self.seen:
                out.status = "unknown"
            # a field is told only once every value of it is settled
            whole = {id(f) for f, cases in asked if len(f.values) == len(cases)}
            out.fields = [f for f in out.fields if f.kind == "number" or id(f) in whole]
        out.calls = p.calls
        return out

    def _option_open(self, path: str) -> bool:
        return path.parent in self.p.order.open

    def finite(self, path: str, facts: list[Fact]) -> tuple[OpenField, list[tuple[object, z3.BoolRef]]]:
        """The field, and each of its values with the term that gives it."""
        f = facts[0]
        if f.kind == "dim":
            x = f.vars[0]
            dim = self.p.tariff.contracts[self.p.order.contracts[f.slot].kind].dimensions[f.field.path[0]]
            # the terms depend on the slot's variable and the dimension alone: made once (each
            # `x == i` through z3py's casts), for every order that leaves the dimension open
            n = len(dim.values)
            terms = self.p.encoder.memo(("propagate: a dimension's values", x.get_id(), n, dim.optional),
                                        lambda: [x == i for i in range(n)] + ([x == -1] if dim.optional else []))
            return OpenField(path, "dim"), list(zip(list(dim.values) + ([None] if dim.optional else []), terms))
        if f.kind == "optattr":  # one fact per value of the attribute: may it be designated
            return OpenField(path, "designation"), [(fact.path.parts[-1], fact.vars[0]) for fact in facts]
        b = f.vars[-1]  # an option's presence; a flag's or a holding's truth
        kind = {"option": "option", "flag": "flag", "optflag": "flag", "oflag": "flag", "holding": "holding"}[f.kind]
        return OpenField(path, kind), [(True, b), (False, self.standing.negation(b))]  # (z3.Not's term, made once)

    def possibilities(self, asked: list[tuple[OpenField, list[tuple[object, z3.BoolRef]]]]) -> None:
        """Which values of the finite fields some valid completion gives, with few questions.
        A value a rule excludes outright, with at most one choice, needs no question
        (`direct_reason`); the others are asked all together (`gather`), and each model marks
        every value it shows. A value that cannot be shown even alone is impossible. Each
        impossible value gets its reason."""
        cases = [(f, value, term) for f, vs in asked for value, term in vs]
        shown = [False] * len(cases)
        for m in self.seen:
            open_ = [k for k, ok in enumerate(shown) if not ok]
            for k, ok in zip(open_, truths(m, [cases[k][2] for k in open_])):
                shown[k] = ok
        direct: dict[int, tuple] = {}
        for k, ok in enumerate(shown):
            if not ok:
                got = self.direct_reason(cases[k][2])
                if got is not None:
                    direct[k] = got
        unsettled = [k for k, ok in enumerate(shown) if not ok and k not in direct]
        if unsettled:
            got = self.gather([cases[k][2] for k in unsettled], self.base, frozenset(), keep_seen=True,
                              parts=[cases[k][0].path.contract for k in unsettled])
            for k, ok in zip(unsettled, got):
                shown[k] = ok
        missing = [k for k, ok in enumerate(shown) if not ok]
        if missing:
            # a reason's shrinking asks whether the value is possible without one of the
            # choices (every rule kept), or without the rule (its choice kept): models of
            # every rule and no choice, and of no rule with the reason's choice, that show the
            # impossible values answer that without a question each (both kept per standing)
            free = self.free_gather([cases[k][2] for k in missing],  # (nothing is given: no count is asked yet)
                                    [cases[k][0].path.contract for k in missing])
            ruled = [k for k in missing if k in direct]
            loose = dict(zip(ruled, self.bare_gather([[c.term for c in direct[k][0]] + [cases[k][2]] for k in ruled])))
            for k, a in zip(missing, free):
                self.settled[cases[k][2].as_ast().value] = (a, loose.get(k))
        for k, ((f, value, term), ok) in enumerate(zip(cases, shown)):
            if ok:
                f.values.append(Possibility(value, True))
                continue
            reason = self.direct_conflict(term, direct[k]) if k in direct else None
            f.values.append(Possibility(value, False, reason or self.why_not(self.literal_for(term))))

    def gather(self, terms: list[z3.BoolRef], under: list[z3.BoolRef], broken: set[int] | None,
               keep_seen: bool = False, into: list | None = None, noes: list[bool] | None = None,
               together: bool = False, parts: list | None = None) -> list[bool]:
        """Which of `terms` some model of the literals `under` makes true: ask for a model with
        any term not shown yet, and mark every term each model shows, until none of the rest
        can be shown. Each model is kept as a witness (with `broken`, see _Witness), and among
        the valid completions (`keep_seen`) when `under` is every choice and rule, and put in
        `into` when given. `noes`: which terms are noes (by default, the negations);
        `together`: the yeses too are first asked all together (under no rule). `parts`:
        each term's part (its contract): while yeses of several parts are left, a model is
        asked to show one of each part's, so that each model moves every part on. The solver
        leans to true for every undecided yes/no while the terms asked are yeses (Z3's
        phase_selection 1), to false while they are noes, so a model shows many at once (with
        the phase last used, each model showed about one more value: fifty models at 5 ms each
        on a three-service order). The noes are first asked all together: an order with none
        of them is mostly valid, and then one model shows them all."""
        shown = [False] * len(terms)
        # a "no" is shown by a model leaning to false (phase_selection 0), a "yes" by one
        # leaning to true: asked apart, each model shows many of one kind
        if noes is None:
            noes = [z3.is_not(t) for t in terms]
        for phase, group in ((1, [k for k in range(len(terms)) if not noes[k]]),
                             (0, [k for k in range(len(terms)) if noes[k]])):
            self.p.solver.set("phase_selection", phase)
            together = together or phase == 0  # noes mostly hold all at once (an order with none of them)
            try:
                while True:
                    left = [terms[k] for k in group if not shown[k]]
                    if not left:
                        break
                    apart = {} if parts is None or phase == 0 else {parts[k]: None for k in group if not shown[k]}
                    if together and len(left) > 1:
                        together = False  # asked once: if they cannot all hold, one at a time
                        ask = self.literal_for(z3.And(left))
                        if self.p.check(under + [ask]) == z3.unsat:
                            continue
                    elif len(apart) > 1:
                        # one of each part's at once (the parts, contracts, mostly meet in no rule)
                        ask = self.literal_for(z3.And([any_of([terms[k] for k in group if not shown[k] and parts[k] == part])
                                                       for part in apart]))
                        if self.p.check(under + [ask]) == z3.unsat:
                            parts = None  # some part has none left that can hold: all as one from here
                            continue
                    else:
                        ask = self.literal_for(any_of(left))
                        if self.p.check(under + [ask]) == z3.unsat:
                            break
                    m = self.keep_model(broken) if keep_seen else self.witness(broken)
                    if into is not None:
                        into.append(m)
                    open_ = [k for k, ok in enumerate(shown) if not ok]
                    for k, ok in zip(open_, truths(m, [terms[k] for k in open_])):
                        shown[k] = ok
            finally:
                self.p.solver.set("phase_selection", 3)  # Z3's default: the phase last used
        return shown

    def witness(self, broken: set[int] | None) -> z3.ModelRef:
        """The model just found, kept as a witness for the reasons' shrinking only."""
        m = self.p.solver.model()
        self.witnesses.append(_Witness(m, broken))
        return m

    def number(self, path: str, x: z3.ArithRef, floor: int = 0) -> OpenField:
        """The least and greatest value of a count or quantity over valid completions; `floor`
        is the least the field itself allows (an option's count: 1, since it is ordered), so a
        bound there has no reason of its own."""
        seen = [int_of(m, x) for m in self.seen]
        low, high = min(seen), max(seen)
        least, most = self.relaxed_range(x, floor, MAX_COUNT)
        low, low_ask = self.bound(x, floor, low, down=True, guess=least)
        high, high_ask = self.bound(x, high, MAX_COUNT, down=False, guess=most)
        return OpenField(path, "number", low=low, high=high,
                         low_reason=self.bound_reason(x, low_ask) if low_ask is not None else None,
                         high_reason=self.bound_reason(x, high_ask) if high_ask is not None else None)

    def relaxed_range(self, x: z3.ArithRef, lo: int, hi: int, under: z3.BoolRef | None = None) -> tuple[int, int]:
        """The least and greatest value of `x` in [lo, hi] that the rule instances reading it
        allow, with the choices and what the request fixes, by themselves (a small optimiser
        holding only those): a valid order's value lies within, since every valid order keeps
        these. The bounds are then asked there first (a count's cap is mostly one rule)."""
        if self._given_pins is None:
            self._given_pins = self.standing.given_pins()
        ctx = x.ctx
        terms = [x >= lo, x <= hi] + [self.meaning[q.get_id()] for q in self.given] + ([under] if under is not None else [])
        pinned: set[int] = set()
        for inst, _, reads in self._instances_reading(x.get_id()):
            terms.append(inst.term)
            pinned |= reads
        terms += [z3.BoolRef(z3.Z3_mk_eq(ctx.ref(), a, v), ctx)
                  for a, v in (self._given_pins[i] for i in pinned if i in self._given_pins)]
        terms += [c.term for c in self.p.choices
                  if (got := self._choice_pins(c)) is not None and not got[1].isdisjoint(pinned)]
        key = (x.get_id(), Standing.key(terms))
        got = self.relaxed.get(key)
        if got is not None:
            return got[0]
        if len(self.relaxed) >= 4096:
            self.relaxed.clear()
        got = self.relaxed[key] = (self._optimise(x, terms, lo, hi), x, terms)  # the terms kept: their ids key it
        return got[0]

    def _optimise(self, x: z3.ArithRef, terms: list[z3.BoolRef], lo: int, hi: int) -> tuple[int, int]:
        ctx = x.ctx
        opt = z3.Optimize(ctx=ctx)
        opt.set("timeout", self.p.timeout_ms)
        opt.set(priority="box")  # each objective on its own, in one call
        opt.add(*terms)
        least, most = opt.minimize(x), opt.maximize(x)
        if opt.check() != z3.sat:
            return lo, hi  # (cannot be: a valid order keeps them all) ask the plain way
        got = [v.as_long() if z3.is_int_value(v := h.value()) else None for h in (least, most)]
        return (got[0] if got[0] is not None else lo), (got[1] if got[1] is not None else hi)

    def bound_reason(self, x: z3.ArithRef, ask: z3.BoolRef) -> Conflict:
        """Why a number cannot go past its bound (`ask` asks for one past it): a rule instance
        that reads the number and, with at most one choice and what the request fixes, excludes
        it, found by asking a small solver that holds only those (unsat there is unsat in the
        whole), and shown minimal as `direct_conflict` does; else the general search (a cap
        on a count took some thirty questions that way, most of them a rule's deletion no
        model found before answers)."""
        term = self.meaning[ask.get_id()]
        under = [self.meaning[q.get_id()] for q in self.given]
        if self._given_pins is None:
            self._given_pins = self.standing.given_pins()
        ctx = x.ctx
        scratch = None
        known = self.standing.capped  # the small solver's answers, kept for later orders
        self.standing.keep([term] + under)
        asked = (term.get_id(), Standing.key(under))
        for inst, lid, reads in self._instances_reading(x.get_id()):
            fixed = None
            options = [[]] + [[c] for c in self.p.choices
                              if (got := self._choice_pins(c)) is not None and not got[1].isdisjoint(reads)]
            for choices in options:
                key = asked + (lid, choices[0].term.get_id() if choices else None)
                excluded = known.get(key)
                if excluded is None:
                    if scratch is None:
                        scratch = z3.Solver(ctx=ctx)
                        scratch.set("timeout", self.p.timeout_ms)
                        scratch.add(term, *under)
                    if fixed is None:
                        fixed = [z3.BoolRef(z3.Z3_mk_eq(ctx.ref(), a, v), ctx)
                                 for a, v in (self._given_pins[i] for i in reads if i in self._given_pins)]
                    scratch.push()
                    scratch.add(inst.term, *fixed, *[c.term for c in choices])
                    r = scratch.check()
                    scratch.pop()
                    excluded = r == z3.unsat
                    if r != z3.unknown:  # (a time-out is asked again)
                        self.standing.keep([c.term for c in choices])
                        known[key] = excluded
                if excluded:
                    reason = self.direct_conflict(term, (choices, inst))
                    if reason is not None:
                        return reason
        return self.why_not(ask)

    def bound(self, x: z3.ArithRef, lo: int, hi: int, down: bool, guess: int | None = None) -> tuple[int, z3.BoolRef | None]:
        """Going down: the least possible value in [lo, hi] (hi is possible); going up: the
        greatest in [lo, hi] (lo is possible). Also the question that failed just beyond it,
        for its reason (None when the bound is the field's own limit). The value seen is
        usually the bound already, or near it: one step past it is asked first, then steps
        that double (each from the value the last model gives) up to the field's limit, then
        bisection between the last value possible and the first that is not (bisection from
        the limit took some twenty questions for a count capped a few above the values seen).
        `guess`: a value no valid order goes past (`relaxed_range`), asked first: mostly the
        bound, and then one more question shows that nothing past it is possible."""
        extreme = lo if down else hi
        known = hi if down else lo  # a possible value
        step = 1
        while True:
            if known == extreme:
                return extreme, None
            target = known - step if down else known + step
            if (target <= extreme) if down else (target >= extreme):
                target = extreme
            if guess == known:
                # a valid order has the value no valid order goes past (`relaxed_range`): the
                # bound, and the question one past it fails without asking (its reason shows it)
                return known, self.literal_for(x <= known - 1 if down else x >= known + 1)
            guessed = guess is not None and ((guess < known) if down else (guess > known))
            if guessed:
                target, guess = guess, None  # no valid order goes past the guess: ask it first
            ok, failed = self.sat_with(x <= target if down else x >= target)
            if not ok:
                break
            known = int_of(self.seen[-1], x)
            if guessed and known == target and known != extreme:
                # nothing past the guess is possible (the rules reading the number say so by
                # themselves): the question one past it fails without asking; its reason
                # (minimal_conflict, or the rule read off) shows it again
                return known, self.literal_for(x <= known - 1 if down else x >= known + 1)
            step = 1 if guessed else step * 2
        # `known` is possible, `target` is not: the bound lies between
        if down:
            lo, hi = target + 1, known
            while lo < hi:
                mid = (lo + hi) // 2
                ok, ask = self.sat_with(x <= mid)
                if ok:
                    hi = min(hi, int_of(self.seen[-1], x))
                else:
                    lo, failed = mid + 1, ask
            return hi, failed
        lo, hi = known, target - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            ok, ask = self.sat_with(x >= mid)
            if ok:
                lo = max(lo, int_of(self.seen[-1], x))
            else:
                hi, failed = mid - 1, ask
        return lo, failed

    def counts(self, out: Propagation) -> None:
        """A counted option that is open: how many of it a valid order may have, when it has it.
        The greatest counts of all such options are asked first in one question (`ask_highs`),
        whose model mostly settles each; the models found for one option are valid completions
        for the next too."""
        counted = []
        for of in list(out.fields):
            if of.kind != "option" or not any(v.possible and v.value is True for v in of.values):
                continue
            facts = self.p.undecided[of.path]
            count, present = facts[0].vars
            entry = self.p.order.contracts[facts[0].slot]
            if self.p.tariff.contracts[entry.kind].options[of.path.option].counted:
                counted.append((of, count, present))
        if not counted:
            return
        self.ask_highs(counted)
        seen = self.seen
        for of, count, present in counted:
            ordered = z3.Bool(f"present:{of.path}", self.p.encoder.ctx)
            self.p.solver.add(z3.Implies(ordered, present))
            self.meaning[ordered.get_id()] = present
            self.given = [ordered]
            self.seen = [m for m in seen if all_true(m, [present])]
            before = len(self.seen)
            if not self.seen:
                ok, _ = self.sat_with(present)
            out.fields.append(self.number(of.path.child("count"), count, floor=1))
            seen = seen + self.seen[before:]  # valid completions (that have this option)
            self.given = []
        self.seen = seen

    def ask_highs(self, counted: list[tuple[OpenField, z3.ArithRef, z3.BoolRef]]) -> None:
        """One question for the counted options whose greatest count no model has shown yet:
        a valid completion that has each of them, each with as many as the rules reading its
        count allow by themselves (`relaxed_range`); then one for those whose least count no
        model has shown, each with as few as those rules allow. Options of different contracts mostly
        do not meet in any rule, so one model often has them all; then each bound needs no
        question of its own (`bound` stops at the relaxed value a model shows). When they
        cannot all be had at once, nothing is learnt and each is asked alone."""
        ranges = []
        for of, count, present in counted:
            self.given = []
            ranges.append(self.relaxed_range(count, 1, MAX_COUNT, present))
        for high in (True, False):
            wanted = []
            for (of, count, present), (least, most) in zip(counted, ranges):
                have = [int_of(m, count) for m in self.seen if all_true(m, [present])]
                if high and (not have or max(have) < most):
                    wanted += [present, count >= most]
                elif not high and have and min(have) > least:
                    wanted += [present, count <= least]
            if len(wanted) > 2:  # (one option alone: its own first question is this one)
                self.sat_with(z3.And(wanted))
        # a cap a model shows is the bound (`bound`); its reason asks whether one more is
        # possible with no rule (`direct_conflict`): asked of all such caps together here
        beyond = []
        for (of, count, present), (least, most) in zip(counted, ranges):
            if most < MAX_COUNT and any(all_true(m, [present, count == most]) for m in self.seen):
                beyond.append([count >= most + 1, present])
        if len(beyond) > 1:
            self.bare_gather(beyond)


def int_of(m: z3.ModelRef, x: z3.ArithRef) -> int:
    """`m.eval(x, model_completion=True).as_long()`, asked of Z3 directly (as readback.truths
    does): the counts' bounds read each count from every model seen, a few hundred times an
    order, and z3py wrapped each answer twice."""
    r = (z3.Ast * 1)()
    ctx = m.ctx.ref()
    if not z3.Z3_model_eval(ctx, m.model, x.as_ast(), True, r):
        raise z3.Z3Exception(f"the model gives no value to {x}")
    return int(z3.Z3_get_numeral_string(ctx, r[0]))


def _shown_by(models, terms, todo: list[int], out: list) -> None:
    """Marks possible (and takes out of `todo`) each asked term `terms[k]` that one of the kept
    `models` makes true: no solver call for what a model already shows."""
    for m in models:
        if not todo:
            break
        for k, ok in zip(list(todo), truths(m, [terms[k] for k in todo])):
            if ok:
                out[k] = True
                todo.remove(k)
