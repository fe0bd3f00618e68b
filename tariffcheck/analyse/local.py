"""Witnesses found near a known order: a small solver instead of the shape's whole one.

A question such as "does some order break rule R and keep every other rule?" asked of a shape's
solver costs about as much as the whole tariff (every option's variables are decided on every
call: 20-30 ms at 10x Secure Endpoint's size). But a valid order M of the shape is known (a model
kept by an earlier check), and an order that breaks R usually differs from M only in the few
fields R reads and the fields next to them. So, for the asked term T:

1. N: the fields T reads, then (twice) the fields of every constraint that reads a field of N,
   leaving out the *hubs*, fields read by very many constraints (the item, the kind of
   request), which stay as M has them;
2. C: every constraint of the question (the shape's axioms, its fixed choices, the rule
   instances the question keeps) that reads a field of N;
3. a small solver holds T, C, and every other field that T or C reads fixed to its value in M.

If the small solver finds an assignment, M with N's fields replaced by it is an order of the
shape that answers the question *yes*: a constraint of the question that reads a field of N is
in C and holds; one that reads none reads only fields that keep M's values, and M keeps it (M
keeps every constraint of the shape and every rule). A *no* proves nothing (M's fixed fields may
be the obstacle); the question is then asked of the shape's solver as before. So a question is
only ever skipped where its answer is yes, and the findings are the same.

The constraints are read from the shape's solver itself (its assertions), so the witness keeps
exactly what the solver would: `rule:` literals guard rule instances (kept or left out as the
question says), `choice:` literals the shape's fixed fields (always assumed), and the literals
of asked terms (`ask:`) and of "every rule" are left false, which satisfies what they guard.
"""

from __future__ import annotations

import z3

from .space import Open

HUB = 24  # a field read by more constraints than this stays as the known order has it
DROPPED = ("ask:", "every rule")  # guards a witness leaves false


class Fields:
    """Which uninterpreted constants each term reads, memoised by AST id for one Z3 context
    (shapes that share a contract's slot share its terms, so they are walked once). Every term
    walked is kept alive, so that no id is reused for another term while the memo holds it."""

    def __init__(self, ctx: z3.Context):
        self.ctx = ctx
        self._reads: dict[int, frozenset[int]] = {}
        self.const: dict[int, z3.ExprRef] = {}
        self._alive: list[z3.ExprRef] = []

    def of(self, t: z3.ExprRef) -> frozenset[int]:
        known = self._reads.get(t.get_id())
        if known is not None:
            return known
        self._alive.append(t)
        return self._walk(t.as_ast(), self.ctx.ref())

    def of_ast(self, a) -> frozenset[int]:
        """`of` for a raw AST that its owner keeps alive."""
        return self._walk(a, self.ctx.ref())

    def _walk(self, a, ctx) -> frozenset[int]:
        # through Z3's C API: z3py wraps every child it hands out, which cost more than the walk
        key = z3.Z3_get_ast_id(ctx, a)
        known = self._reads.get(key)
        if known is not None:
            return known
        out = frozenset()
        if z3.Z3_get_ast_kind(ctx, a) == z3.Z3_APP_AST:
            app = z3.Z3_to_app(ctx, a)
            n = z3.Z3_get_app_num_args(ctx, app)
            if n == 0:
                if z3.Z3_get_decl_kind(ctx, z3.Z3_get_app_decl(ctx, app)) == z3.Z3_OP_UNINTERPRETED:
                    self.const[key] = z3.z3._to_expr_ref(a, self.ctx)
                    out = frozenset((key,))
            else:
                parts = [self._walk(z3.Z3_get_app_arg(ctx, app, k), ctx) for k in range(n)]
                out = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        self._reads[key] = out
        return out


class Local:
    """The constraints of one shape, indexed by the fields they read."""

    def __init__(self, o: Open, fields: Fields):
        self.fields = fields
        self.ctx = o.encoder.ctx
        instances = {i.literal.get_id(): i for i in o.instances}
        choices = {c.literal.get_id() for c in o.p.choices}
        self._assertions = o.p.solver.assertions()  # keeps every body alive (its id is its key)
        ctx = self.ctx.ref()
        self.bodies: list = []  # Z3 ASTs, read straight through the C API (z3py wraps each)
        self.owner: list[object] = []  # None: in every question; an Instance: unless its rule is left out
        vec = self._assertions.vector
        for n in range(z3.Z3_ast_vector_size(ctx, vec)):
            a = z3.Z3_ast_vector_get(ctx, vec, n)
            guard = None
            if z3.Z3_get_ast_kind(ctx, a) == z3.Z3_APP_AST:
                app = z3.Z3_to_app(ctx, a)
                if z3.Z3_get_decl_kind(ctx, z3.Z3_get_app_decl(ctx, app)) == z3.Z3_OP_IMPLIES:
                    g = z3.Z3_get_app_arg(ctx, app, 0)
                    if (z3.Z3_get_ast_kind(ctx, g) == z3.Z3_APP_AST
                            and z3.Z3_get_app_num_args(ctx, z3.Z3_to_app(ctx, g)) == 0):
                        guard = g
            gid = z3.Z3_get_ast_id(ctx, guard) if guard is not None else None
            if gid is not None and gid in instances:
                self.bodies.append(z3.Z3_get_app_arg(ctx, app, 1))
                self.owner.append(instances[gid])
            elif gid is not None and gid in choices:
                self.bodies.append(z3.Z3_get_app_arg(ctx, app, 1))
                self.owner.append(None)
            elif guard is not None and z3.Z3_get_symbol_string(
                    ctx, z3.Z3_get_decl_name(ctx, z3.Z3_get_app_decl(ctx, z3.Z3_to_app(ctx, guard)))).startswith(DROPPED):
                continue
            else:
                self.bodies.append(a)
                self.owner.append(None)
        self.reads = [fields.of_ast(b) for b in self.bodies]
        self.readers: dict[int, list[int]] = {}
        for k, vs in enumerate(self.reads):
            for v in vs:
                self.readers.setdefault(v, []).append(k)
        self.hubs = {v for v, ks in self.readers.items() if len(ks) > HUB}
        self.solver = z3.Solver(ctx=self.ctx)  # every witness asked here, each between push and pop
        self.solver.set("timeout", 1000)  # a small problem; one that takes long is left to the shape's solver
        self.calls = 0

    def witness(self, m: z3.ModelRef, term: z3.BoolRef, leave_out=None) -> bool:
        """Is there, near the order `m` (a model of the shape that keeps every rule), an order
        of the shape where `term` holds and every constraint holds but the rule instances
        `leave_out(instance)` is true of (every rule instance, when `leave_out` is None)?
        True only when one is found; False says nothing."""
        def kept(k: int) -> bool:
            owner = self.owner[k]
            return owner is None or (leave_out is not None and not leave_out(owner))
        asked = self.fields.of(term)
        near = {v for v in asked if v not in self.hubs}
        for _ in range(2):
            more = set(near)
            for v in near:
                for k in self.readers.get(v, ()):
                    if kept(k):
                        more.update(x for x in self.reads[k] if x not in self.hubs)
            near = more
        picked = {k for v in near for k in self.readers.get(v, ()) if kept(k)}
        fixed = {v for v in asked if v not in near}
        for k in picked:
            fixed.update(v for v in self.reads[k] if v not in near)
        ctx, s = self.ctx.ref(), self.solver
        self.calls += 1
        s.push()
        try:
            z3.Z3_solver_assert(ctx, s.solver, term.as_ast())
            for k in sorted(picked):
                z3.Z3_solver_assert(ctx, s.solver, self.bodies[k])
            pins = []  # kept alive until the check
            for v in fixed:
                x = self.fields.const[v]
                pins.append(x == m.eval(x, model_completion=True))
                z3.Z3_solver_assert(ctx, s.solver, pins[-1].as_ast())
            return z3.Z3_solver_check(ctx, s.solver) == z3.Z3_L_TRUE
        finally:
            s.pop()
