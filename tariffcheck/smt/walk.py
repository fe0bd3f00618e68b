"""Every node of some Z3 terms, once: the walk that the cone of influence (cone.py) and
propagation's reads (propagate.py) share.

Terms of a tariff share most of their nodes (an option's variable stands in many rules), so the
walk keeps the ids it has seen and visits each node once, however many terms reach it. It goes
through Z3's C API (node ids, kinds, arguments), which costs a fraction of z3py's objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import z3

APP = z3.Z3_APP_AST
NUMERAL = z3.Z3_NUMERAL_AST


def nodes(terms: Iterable[z3.ExprRef]) -> Iterator[tuple[int, object, int]]:
    """(id, C node, kind) of each node of `terms` and of their arguments, each once, parents
    before their arguments. All terms must belong to one context."""
    terms = list(terms)
    if terms:
        yield from c_nodes(terms[0].ctx.ref(), [t.as_ast() for t in terms])


def c_nodes(ctx, asts: list) -> Iterator[tuple[int, object, int]]:
    """`nodes` of terms given as C nodes of the context `ctx` (what Z3's C API hands back)."""
    seen: set[int] = set()
    stack = list(asts)
    while stack:
        a = stack.pop()
        i = z3.Z3_get_ast_id(ctx, a)
        if i in seen:
            continue
        seen.add(i)
        kind = z3.Z3_get_ast_kind(ctx, a)
        yield i, a, kind
        if kind == APP:
            stack.extend(z3.Z3_get_app_arg(ctx, a, k) for k in range(z3.Z3_get_app_num_args(ctx, a)))


def is_variable(ctx: z3.Context, a) -> bool:
    """Whether an application node is an uninterpreted constant (a variable of the encoding)."""
    c = ctx.ref()
    return (z3.Z3_get_app_num_args(c, a) == 0
            and z3.Z3_get_decl_kind(c, z3.Z3_get_app_decl(c, a)) == z3.Z3_OP_UNINTERPRETED)
