"""The findings of the contradiction, dead and forced checks (L001, L002, L004), written in one
place: the solver's checks (semantics.py) and the Boolean ones (boolean_lint.py) reach the same
verdicts by different solvers, and must say them in the same words.

Each takes the rules to blame in the order the finding names them (a rule object each, repeats
allowed: a rule with several subjects counts once)."""

from __future__ import annotations

from ..model import tariff as M
from .finding import Finding


def rule_ids(rules: list[M.Rule]) -> list[str]:
    return list(dict.fromkeys(r.id for r in rules))


def rule_list(rules: list[M.Rule]) -> str:
    seen: dict[str, str] = {}
    for r in rules:
        seen.setdefault(r.id, f"`{r.id}` ({r.citation})")
    return ", ".join(seen.values()) if seen else "the shape of the order alone"


def clause(c) -> str | None:
    return str(c) if c is not None else None


def contradiction(kind: M.ContractKind, rules: list[M.Rule]) -> Finding:
    names = rule_list(rules)
    return Finding(
        "L001", "error", f"no new order of `{kind.label}` ({kind.id}) is valid: the rules contradict each other",
        kind.span, clause(kind.citation),
        explanation=f"every new order breaks at least one rule; these together admit none: {names}",
        explanation_ja=f"どの新規の申込みも少なくとも一つの規定に反します。次の規定を合わせると満たす申込みがありません: {names}",
        message_ja=f"「{kind.label}」の新規の申込みはどれも規定を満たせません(規定が矛盾しています): {names}",
        subject=kind.id, rules=rule_ids(rules))


def dead_option(opt: M.Option, rules: list[M.Rule]) -> Finding:
    names = rule_list(rules)
    return Finding(
        "L002", "warning", f"option `{opt.label}` ({opt.id}) can never be sold: no valid order has it",
        opt.span, clause(opt.citation),
        explanation=f"with the option, these rules admit no order: {names}",
        explanation_ja=f"このオプションがあると、次の規定を満たす申込みはありません: {names}",
        message_ja=f"「{opt.label}」はどの有効な申込みにも含められません: {names}",
        subject=opt.id, rules=rule_ids(rules))


def forced_option(opt: M.Option, rules: list[M.Rule]) -> Finding:
    names = rule_list(rules)
    return Finding(
        "L004", "warning", f"option `{opt.label}` ({opt.id}) is in every valid new order: it is not optional",
        opt.span, clause(opt.citation),
        explanation=f"without the option these rules admit no new order: {names}",
        explanation_ja=f"このオプションがないと、次の規定を満たす新規の申込みはありません: {names}",
        message_ja=f"「{opt.label}」はすべての有効な新規の申込みに必要です(選択できません): {names}",
        subject=opt.id, rules=rule_ids(rules))
