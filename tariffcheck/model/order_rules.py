"""The clauses an order breaks by what it writes rather than by what it chooses.

A tariff lists its items (Secure Endpoint 第1条) and its options (第8条第2項), makes each
contract one item (第4条第2項) and has the customer state the counts it prices (第7条第1項(1)).
An order that names an item or option the lists do not have, gives a contract two items, or
leaves out a count the tariff requires, breaks that clause: it is a violation like any other,
reported with every other violation of the order (docs/results.md), not a malformed file.

The decoder (orders/decode.py) finds these breaches and records them in the order
(`Order.breaches`); both evaluation paths turn them into violations of the rules built here,
with the same code (evaluate/breaches.py), so they agree by construction. The rules are not in
`Tariff.rules`: no solver term reads them, and coverage does not ask for them.

Their ids are fixed, so golden cases can name them:

| id | the order … | clause |
| --- | --- | --- |
| `listed_<dimension>` | names a value the dimension does not list | the dimension's (`dimension item "品目" @第1条`) |
| `one_<dimension>` | gives the dimension two values or more | `one_per_contract @…` of the dimension, else its own |
| `listed_options` | names an option the contract does not list | `option_list @…` of the contract, else the contract's |
| `required_<quantity>` | leaves out a quantity with no default | the quantity's |
| `required_<option>_<quantity>` | leaves out an option's quantity with no default | the quantity's |
"""

from __future__ import annotations

from .citation import Citation
from .ir import TRUE
from . import tariff as M

LISTED, ONE, OPTIONS, REQUIRED = "listed", "one-value", "listed-option", "required"


def order_rules(t: M.Tariff) -> dict[str, M.Rule]:
    """The order rules of a tariff, by id, in declaration order (contract kinds, then members)."""
    out: dict[str, M.Rule] = {}

    def add(rule_id: str, kind: M.ContractKind, what: str, citation: Citation | None, span, subjects,
            ja: str, en: str) -> None:
        citation = citation or kind.citation
        if citation is None:  # the decoder refuses such an order instead (an O-coded error)
            return
        rid = rule_id if rule_id not in out and t.rule(rule_id) is None else f"{rule_id}_{kind.id}"
        out[rid] = M.Rule(rid, citation, [], kind.id, what, subjects,
                          {s: TRUE for s in subjects}, {s: TRUE for s in subjects}, {"ja": ja, "en": en}, span)

    for kind in t.contracts.values():
        for d in kind.dimensions.values():
            add(f"listed_{d.id}", kind, LISTED, d.citation, d.span, [None],
                f"`{{name}}` は{d.label}ではありません。{d.label}はこの規程が掲げるもののいずれかです。",
                f"`{{name}}` is not a {d.label}: a {d.label} is one of those the tariff lists.")
            one = d.one_citation or d.citation
            add(f"one_{d.id}", kind, ONE, one, d.span, [None],
                f"一の契約の{d.label}は一つです({{name}})。",
                f"A contract has one {d.label}; the order gives {{name}}.")
        if kind.options:
            add("listed_options", kind, OPTIONS, kind.option_list, kind.span, [None],
                f"`{{name}}` は{kind.label}のオプションではありません。オプションはこの規程が掲げるもののいずれかです。",
                f"`{{name}}` is not an option of {kind.label}: an option is one of those the tariff lists.")
        for q in kind.quantities.values():
            if q.default is None:
                add(f"required_{q.id}", kind, REQUIRED, q.citation, q.span, [None],
                    f"契約は{q.label}を定めます。", f"The contract states its {q.label}.")
        for o in kind.options.values():
            for q in o.quantities.values():
                if q.default is None:
                    add(f"required_{o.id}_{q.id}", kind, REQUIRED, q.citation, q.span, [o.id],
                        f"{{it}}は{q.label}を定めます。", f"{{it}} states its {q.label}.")
    return out

