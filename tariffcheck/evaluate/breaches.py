"""The clauses an order breaks by what it writes, as violations (model/order_rules.py).

The decoder records each breach in the order (`Order.breaches`); both evaluation paths call
`with_breaches` on what their rules found, so the two report them identically. A rule instance
that reads a field a breach leaves without a value of the order (an item the tariff does not
list, two items, a count left out) is not judged: the order gives it nothing to judge, and what
it would say is already said by the breach.
"""

from __future__ import annotations

from ..model import tariff as M
from ..orders.order import Order
from .verdict import INVALID, VALID, InstanceKey, Verdict, Violation


def breach_violations(tariff: M.Tariff, order: Order) -> list[Violation]:
    """The order's breaches as violations of their order rules, in the order it writes them;
    `{name}` in the rule's message is what the order wrote."""
    out = []
    for b in order.breaches:
        rule = tariff.order_rules[b.rule]
        contract_id = next((e.id for e in order.contracts if e.index == b.contract), None)
        out.append(Violation(InstanceKey(rule.id, b.contract, b.subject), rule, contract_id, [(b.path, b.value)],
                             {"name": b.name}))
    return out


def with_breaches(tariff: M.Tariff, order: Order, verdict: Verdict) -> Verdict:
    """The verdict with the order's breaches first, and without the instances that read a
    field a breach leaves unset. A verdict of `unknown` stays unknown: the breaches do not
    decide the rest of the order."""
    if not order.breaches:
        return verdict
    unset = {str(x) for x in order.unset}
    judged = [v for v in verdict.violations if not any(str(path) in unset for path, _ in v.fields)]
    violations = breach_violations(tariff, order) + judged
    status = INVALID if verdict.status == VALID else verdict.status
    return Verdict(status, violations, verdict.reason, verdict.effective)
