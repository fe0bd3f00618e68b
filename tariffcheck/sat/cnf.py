"""A purely Boolean tariff's rules as clauses, one selector literal per rule.

**Which tariffs.** One contract kind, with no parent and no children, whose every field is an
option that is only there or not (no dimension, quantity, flag or day of the contract; no
option that is counted or has quantities, attributes, flags or days), no renames, and rules
that read nothing but those options (as `x`, or `x.count`, which is then 0 or 1) and whether
the contract is cancelled, combined by `not`, `and`, `or`, `implies` and comparisons of sums of
them with whole numbers (`any_of`, `exactly_one`, `a.count + b.count >= 2`). A feature model
imported from UVL is such a tariff. Anything else (`compile_rules` says what) stays with Z3:
the question is then not one of options alone.

**What the clauses mean.** For such a tariff the valid new orders (and the valid change
requests, whose new state obeys the same rules and whose old state no rule reads) are exactly
the assignments of the option variables that satisfy every rule, the contract not cancelled:
the shape fixes it for new orders and change requests, and no slot axiom of such a contract
constrains its options (an option's count is 1 when it is there, 0 when not). Variable 1 is
true; variables 2.. are the options, in the kind's order; then one selector per rule (assumed
true: the rule holds), then the definitions of sub-formulas (Tseitin: a variable equivalent to
each shared `and`/`or`, and a sequential counter for each sum, every definition both ways, so
that it is right whichever way a formula is used). The clauses of rule r are `¬s_r ∨ …`, so an
unsat core over the selectors is a set of rules; definitions are never in a core.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import ir
from ..model import tariff as M

TRUE = 1  # the variable that a unit clause makes true; -TRUE is false


class NotBoolean(Exception):
    """The tariff (or one of its rules) says more than which options a contract has."""


@dataclass
class RuleClauses:
    kind: M.ContractKind
    rules: list[M.Rule]  # in the tariff's order; rule k has selector `selectors[k]`
    selectors: list[int]
    options: dict[str, int]  # option id -> variable
    clauses: list[list[int]] = field(default_factory=list)
    top: int = 1  # the highest variable
    own: dict[int, list[list[int]]] = field(default_factory=dict)  # selector -> its rule's clauses
    definitions: dict[int, list[list[int]]] = field(default_factory=dict)  # defined variable -> its clauses

    def rule_of(self) -> dict[int, M.Rule]:
        return dict(zip(self.selectors, self.rules))

    def clauses_for(self, selectors: list[int]) -> list[list[int]]:
        """The clauses of these rules and the definitions of every variable they use, however
        deep: what a question about these rules alone needs (a small solver for a reason)."""
        out = [[TRUE]]
        todo = []
        for sel in selectors:
            for clause in self.own.get(sel, ()):
                out.append(clause)
                todo += [abs(x) for x in clause if abs(x) in self.definitions]
        done: set[int] = set()
        while todo:
            v = todo.pop()
            if v in done:
                continue
            done.add(v)
            for clause in self.definitions[v]:
                out.append(clause)
                todo += [abs(x) for x in clause if abs(x) in self.definitions and abs(x) not in done]
        return out


def boolean_kind(tariff: M.Tariff) -> M.ContractKind:
    """The one contract kind of a tariff whose contracts have nothing but plain options; raises
    NotBoolean saying why not."""
    if len(tariff.contracts) != 1:
        raise NotBoolean(f"{len(tariff.contracts)} contract kinds")
    kind = next(iter(tariff.contracts.values()))
    if kind.parent is not None or kind.child_kinds:
        raise NotBoolean(f"contract `{kind.id}` has a parent or children")
    for what in ("dimensions", "quantities", "flags", "dates"):
        if getattr(kind, what):
            raise NotBoolean(f"contract `{kind.id}` has {what}")
    for opt in kind.options.values():
        if opt.counted or opt.quantities or opt.attributes or opt.dates or opt.flags:
            raise NotBoolean(f"option `{opt.id}` is more than there or not")
    if tariff.renames:
        raise NotBoolean("renames (a name written by its former name is a choice of its own)")
    return kind


def compile_rules(tariff: M.Tariff) -> RuleClauses:
    """The rules as clauses (see the module's docstring); raises NotBoolean saying what is not
    Boolean."""
    kind = boolean_kind(tariff)
    return _Writer(tariff, kind).run()


class _Writer:
    def __init__(self, tariff: M.Tariff, kind: M.ContractKind):
        self.tariff, self.kind = tariff, kind
        self.options = {o: n for n, o in enumerate(kind.options, start=2)}
        self.top = 1 + len(self.options)
        self.clauses: list[list[int]] = [[TRUE]]
        self.own: dict[int, list[list[int]]] = {}
        self.definitions: dict[int, list[list[int]]] = {}
        self._nodes: dict[int, int] = {}  # id(node) -> literal (the tariff keeps the nodes alive)
        self._gates: dict[tuple, int] = {}  # ("and", literals) -> variable
        self._counters: dict[tuple[int, ...], list[int]] = {}  # literals -> at_least(j) for j = 0..

    def run(self) -> RuleClauses:
        rules = list(self.tariff.rules)
        for r in rules:
            if r.scope != self.kind.id:
                raise NotBoolean(f"rule `{r.id}` is about contract `{r.scope}`")
        selectors = list(range(self.top + 1, self.top + 1 + len(rules)))
        self.top += len(rules)
        for rule, sel in zip(rules, selectors):
            for subject in rule.subjects:
                # (no day to be given, `ir.defined`: a rule that reads one is refused below)
                node = rule.condition(subject)
                try:
                    clause = [-sel]
                    if self._disjunction(node, True, clause):  # most rules: one clause
                        self._add(clause)
                        continue
                    for clause in self._clauses(node, True):
                        self._add([-sel] + clause)
                except NotBoolean as e:
                    raise NotBoolean(f"rule `{rule.id}`: {e}") from None
        return RuleClauses(self.kind, rules, selectors, dict(self.options), self.clauses, self.top, self.own,
                           self.definitions)

    # ---- clauses ----------------------------------------------------------------------------
    def _add(self, clause: list[int]) -> None:
        """Add a rule's clause (its first literal is the negated selector), simplified: false
        literals dropped; a true or complementary one not added."""
        clause_selector = clause[0]
        lits = set(clause)
        if TRUE in lits:
            return
        lits.discard(-TRUE)
        if any(-x in lits for x in lits):
            return
        clause = list(lits)
        self.clauses.append(clause)
        self.own.setdefault(-clause_selector, []).append(clause)

    def _disjunction(self, node: ir.Node, positive: bool, out: list[int]) -> bool:
        """Append the literals of `node` (or its negation) to `out` when it is a disjunction of
        options and constants, and say whether it was (`_clauses` does the rest; this is the
        quick way for the many rules that are one clause)."""
        t = type(node)
        if t is ir.Field:
            if node.kind == "opt" and node.state == "new" and node.path[0] in self.options:
                lit = self.options[node.path[0]]
            elif node.kind == "cancelled":
                lit = -TRUE
            else:
                return False
            out.append(lit if positive else -lit)
            return True
        if t is ir.Not:
            return self._disjunction(node.operand, not positive, out)
        if t is ir.Implies and positive:
            return self._disjunction(node.left, False, out) and self._disjunction(node.right, True, out)
        if (t is ir.Or and positive) or (t is ir.And and not positive):
            return all(self._disjunction(x, positive, out) for x in node.operands)
        if t is ir.Const and node.type == "bool":
            out.append(TRUE if node.value == positive else -TRUE)
            return True
        return False

    def _clauses(self, node: ir.Node, positive: bool) -> list[list[int]]:
        """`node` (or its negation) as a conjunction of clauses ([] is true, [[]] false): the top
        of the formula written as clauses directly, a small count too (`exactly_one` of a few:
        one clause and the pairs; no counter), and what lies below a disjunction of
        conjunctions as defined literals, but for one such conjunction, which the rest of the
        disjunction is distributed over."""
        t = type(node)
        if t is ir.Field or t is ir.Const:  # the leaves first: most of what a rule reads
            lit = self.literal(node)
            return [[lit if positive else -lit]]
        if t is ir.Not:
            return self._clauses(node.operand, not positive)
        if t is ir.Implies:
            parts = [(node.left, not positive), (node.right, positive)]
            conjunction = not positive
        elif t is ir.And or t is ir.Or:
            parts = [(x, positive) for x in node.operands]
            conjunction = (t is ir.And) == positive
        else:
            if t is ir.Cmp:
                direct = self._count_clauses(node, positive)
                if direct is not None:
                    return direct
            lit = self.literal(node)
            return [[lit if positive else -lit]]
        if conjunction:
            return [c for x, pos in parts for c in self._clauses(x, pos)]
        clause: list[int] = []
        spread: list[list[int]] | None = None
        for x, pos in parts:
            sub = self._clauses(x, pos)
            if not sub:
                return []  # a true part: the disjunction holds
            if len(sub) == 1:
                clause += sub[0]
            elif spread is None:
                spread = sub
            else:  # a second conjunction inside the disjunction: one literal for it
                lit = self.literal(x)
                clause.append(lit if pos else -lit)
        return [clause] if spread is None else [clause + c for c in spread]

    PAIRWISE = 8  # at most one of this many or fewer: their pairs; of more, a counter

    def _count_clauses(self, node: ir.Cmp, positive: bool) -> list[list[int]] | None:
        """A comparison of a sum with a number as clauses of its literals alone, where that is
        short (at least one, at most none, at most one of a few, exactly one of a few); None
        where it needs a counter."""
        if node.left.type != "int" or node.right.type != "int":
            return None
        lits, k = self._sum(node)
        op = node.op if positive else {">=": "<", "<": ">=", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}[node.op]
        if op == ">":
            op, k = ">=", k + 1
        elif op == "<":
            op, k = "<=", k - 1

        def at_least() -> list[list[int]] | None:
            return [] if k <= 0 else [[]] if k > len(lits) else [list(lits)] if k == 1 else None

        def at_most() -> list[list[int]] | None:
            if k < 0:
                return [[]]
            if k >= len(lits):
                return []
            if k == 0:
                return [[-x] for x in lits]
            if k == 1 and len(lits) <= self.PAIRWISE:
                return [[-a, -b] for i, a in enumerate(lits) for b in lits[i + 1:]]
            return None

        if op == ">=":
            return at_least()
        if op == "<=":
            return at_most()
        if op == "==":
            low, high = at_least(), at_most()
            return None if low is None or high is None else low + high
        return None

    # ---- literals ---------------------------------------------------------------------------
    def literal(self, node: ir.Node) -> int:
        """A literal equivalent to a Boolean node."""
        known = self._nodes.get(id(node))
        if known is None:
            known = self._nodes[id(node)] = self._literal(node)
        return known

    def _literal(self, node: ir.Node) -> int:
        if isinstance(node, ir.Const) and node.type == "bool":
            return TRUE if node.value else -TRUE
        if isinstance(node, ir.Field):
            if node.kind == "opt" and node.state == "new" and node.path[0] in self.options:
                return self.options[node.path[0]]
            if node.kind == "cancelled":  # a new order or a change request ends no contract
                return -TRUE
            raise NotBoolean(f"it reads {node.kind} {'.'.join(node.path)} ({node.state})")
        if isinstance(node, ir.Not):
            return -self.literal(node.operand)
        if isinstance(node, ir.And):
            return self.all_of([self.literal(x) for x in node.operands])
        if isinstance(node, ir.Or):
            return -self.all_of([-self.literal(x) for x in node.operands])
        if isinstance(node, ir.Implies):
            return -self.all_of([self.literal(node.left), -self.literal(node.right)])
        if isinstance(node, ir.Cmp):
            return self._compare(node)
        raise NotBoolean(f"it uses {type(node).__name__}")

    def _var(self) -> int:
        self.top += 1
        return self.top

    def all_of(self, lits: list[int]) -> int:
        """A literal equivalent to the conjunction (constants folded, equal gates shared)."""
        keep = set()
        for lit in lits:
            if lit == -TRUE or -lit in keep:
                return -TRUE
            if lit != TRUE:
                keep.add(lit)
        if not keep:
            return TRUE
        if len(keep) == 1:
            return next(iter(keep))
        key = tuple(sorted(keep))
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = self._var()
            mine = [[-gate, lit] for lit in key] + [[gate] + [-lit for lit in key]]
            self.clauses += mine
            self.definitions[gate] = mine
        return gate

    # ---- sums -------------------------------------------------------------------------------
    def _compare(self, node: ir.Cmp) -> int:
        if node.left.type == "bool" and node.right.type == "bool" and node.op in ("==", "!="):
            a, b = self.literal(node.left), self.literal(node.right)
            same = -self.all_of([-self.all_of([a, b]), -self.all_of([-a, -b])])
            return same if node.op == "==" else -same
        if node.left.type != "int" or node.right.type != "int":
            raise NotBoolean(f"it compares {node.left.type} values")
        lits, k = self._sum(node)  # sum(lits) op k
        if node.op == ">=":
            return self.at_least(lits, k)
        if node.op == ">":
            return self.at_least(lits, k + 1)
        if node.op == "<=":
            return -self.at_least(lits, k + 1)
        if node.op == "<":
            return -self.at_least(lits, k)
        if node.op in ("==", "!="):
            exactly = self.all_of([self.at_least(lits, k), -self.at_least(lits, k + 1)])
            return exactly if node.op == "==" else -exactly
        raise NotBoolean(f"the comparison `{node.op}`")

    def _sum(self, node: ir.Cmp) -> tuple[list[int], int]:
        """`left op right` as `sum(lits) op k`: (lits, k)."""
        terms: dict[int, int] = {}
        const = self._linear(node.left, 1, terms) - self._linear(node.right, 1, terms)
        lits: list[int] = []
        for lit, coef in terms.items():  # a weight w is the literal w times over
            if coef < 0:  # -x = (1 - x) - 1 = ¬x - 1
                lits += [-lit] * -coef
                const += coef
            else:
                lits += [lit] * coef
        return lits, -const

    def _linear(self, node: ir.Node, sign: int, terms: dict[int, int]) -> int:
        """Add sign × node to `terms` (literal -> weight); return sign × its constant part."""
        if isinstance(node, ir.Const) and node.type == "int" and isinstance(node.value, int):
            return sign * node.value
        if isinstance(node, ir.Field) and node.kind == "optcount" and node.state == "new" \
                and node.path[0] in self.options:
            lit = self.options[node.path[0]]
            terms[lit] = terms.get(lit, 0) + sign
            return 0
        if isinstance(node, ir.CountTrue):
            const = 0
            for x in node.operands:
                lit = self.literal(x)
                if lit == TRUE:
                    const += sign
                elif lit != -TRUE:
                    terms[lit] = terms.get(lit, 0) + sign
            return const
        if isinstance(node, ir.Arith) and node.op in ("+", "-"):
            left = self._linear(node.left, sign, terms)
            return left + self._linear(node.right, sign if node.op == "+" else -sign, terms)
        if isinstance(node, ir.Neg):
            return self._linear(node.operand, -sign, terms)
        raise NotBoolean(f"it uses {type(node).__name__} {getattr(node, 'op', '')} in a number".rstrip())

    def at_least(self, lits: list[int], k: int) -> int:
        """A literal equivalent to "at least k of lits hold": a sequential counter, each register
        `r[i][j] ⇔ r[i-1][j] ∨ (r[i-1][j-1] ∧ lits[i])` defined both ways, shared by every bound
        asked of the same literals."""
        n = len(lits)
        if k <= 0:
            return TRUE
        if k > n:
            return -TRUE
        if k == 1:
            return -self.all_of([-x for x in lits])
        if k == n:
            return self.all_of(lits)
        key = tuple(lits)
        row = self._counters.get(key)
        if row is None or len(row) <= k:
            width = max(k, len(row) - 1 if row else 0)
            row = [TRUE] + [-TRUE] * width  # the empty prefix: at least 0 holds, more do not
            for lit in lits:
                new = [TRUE]
                for j in range(1, width + 1):
                    new.append(-self.all_of([-row[j], -self.all_of([row[j - 1], lit])]))
                row = new
            self._counters[key] = row
        return row[k]
