"""Syntax tree to tariff model: bind every name, type every expression, structure citations.

All problems found are collected and raised together as one DiagnosticError, so a product
manager fixing a spec sees every mistake in one run.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Callable

from ..model import ir
from ..model import tariff as M
from ..syntax import tree as S
from ..model.citation import Citation, CitationError, parse_citation
from ..common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from ..common.names import name_key

ORDER_BOOLS = {"is_new": "new", "is_change": "change", "is_cancellation": "cancellation"}

BUILTINS = {
    "exactly_one": "exactly_one(a, b, ...): exactly one of the options or designations",
    "at_most_one": "at_most_one(a, b, ...): at most one of them",
    "any_of": "any_of(a, b, ...): at least one of them",
    "old": "old(x): x as it was before this request",
    "changed": "changed(x): this request changes x",
    "added": "added(option): this request adds the option",
    "removed": "removed(option): this request ends the option",
    "applied_together": "applied_together(a, b): a and b are applied for in the same request",
    "ends_with": "ends_with(x, y): when y ends, x ends the same day (x, y: an option or `contract`)",
    "holds": "holds(service) or holds(service, item in {...}): the customer holds that service",
    "later_of": "later_of(d1, d2): the later of two days",
    "earlier_of": "earlier_of(d1, d2): the earlier of two days",
    "first_of_month": "first_of_month(d): d is the 1st of a month",
    "end_of_month": "end_of_month(d): the last day of d's month",
    "first_of_next_month": "first_of_next_month(d): the 1st of the month after d's",
    "end_of_quarter": "end_of_quarter(d): the last day of d's calendar quarter (Mar 31, Jun 30, Sep 30, Dec 31)",
    "multiple_of": "multiple_of(x, n): x is a multiple of the number n",
    "abs": "abs(x): the size of x",
    "count": "count(option): how many of the option are ordered",
    "children": "children(KIND): how many contracts of kind KIND in the order have this contract as parent",
    "former_name": "former_name(x): the request names x (a dimension's value or an option) by a name "
                   "that a supplementary provision replaced",
}

# A function that loads another bundled tariff by id, for `service ... tariff ID`; None when
# there is no such tariff. The catalog supplies it (dsl does not know where specs live).
Linker = Callable[[str], "M.Tariff | None"]


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Fail(Exception):
    """An expression could not be resolved; its diagnostic is already recorded."""


def resolve(tree: S.TariffFile, link: Linker | None = None) -> M.Tariff:
    return _Resolver(tree, link).run()


def load_tariff_file(path: str, link: Linker | None = None) -> M.Tariff:
    from ..syntax.parser import parse_file

    return resolve(parse_file(path), link)


class _Resolver:
    def __init__(self, tree: S.TariffFile, link: Linker | None = None):
        self.tree = tree
        self.link = link
        self.diags: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self.renames: list[M.Rename] = []
        self._lines: list[str] | None = None

    def source_lines(self, span: S.Span) -> str:
        """The lines of the text a span covers (the text is split once, not once per rule)."""
        if self._lines is None:
            self._lines = _split_lines(self.tree.text)
        return "\n".join(self._lines[span.line - 1: span.end_line])

    # ---- diagnostics ------------------------------------------------------------------
    def error(self, code: str, message: str, span: S.Span | None, label: str | None = None,
              help: str | None = None, severity: str = "error") -> None:
        key = (code, message, span)
        if key in self._seen:
            return
        self._seen.add(key)
        d = Diagnostic(code, message, span=span, label=label, help=help, severity=severity)
        (self.diags if severity == "error" else self.warnings).append(d)

    def warn(self, code: str, message: str, span: S.Span | None, label: str | None = None,
             help: str | None = None) -> None:
        self.error(code, message, span, label, help, severity="warning")

    def renamed(self, r: M.Rename, new_label: str, span: S.Span, where: str = "") -> None:
        self.warn("W001", f"`{r.old}` was renamed `{new_label}` on {r.day.isoformat()}{where}", span,
                  "former name", help=f"write `{new_label}`" + (f" ({r.citation})" if r.citation else ""))

    def citation(self, cite: S.Cite | None) -> Citation | None:
        if cite is None:
            return None
        try:
            return parse_citation(cite.text)
        except CitationError as exc:
            self.error("E006", f"`{cite.text}` is not a citation", cite.span, "cannot read this clause",
                       help=str(exc).rsplit("; ", 1)[-1])  # the citation itself may hold "; "
            return None

    def day(self, text: str, span: S.Span) -> date | None:
        d = S.parse_iso_date(text)
        if d is None:
            self.error("E011", f"`{text}` is not a day of the calendar", span, "no such day",
                       help="write an existing day as YYYY-MM-DD")
        return d

    # ---- the whole file ---------------------------------------------------------------
    def run(self) -> M.Tariff:
        t = self.tree
        as_of = self.day(*t.as_of) if t.as_of else None
        contracts = self.contracts()
        self.contracts_by_id = contracts
        renames = [x for x in (self.rename(r) for r in t.renames) if x is not None]
        self.renames = renames
        services = self.services()
        self.services_by_id = services
        derived = [x for x in (self.derive(d) for d in t.derives) if x is not None]
        self.derived_by_id = {d.id: d for d in derived}
        rules = [r for r in (self.rule(r) for r in t.rules) if r is not None]
        self.check_unique([(r.name, r.span) for r in t.rules], "rule")
        versions = [M.Version(d, v.title, self.citation(v.cite), v.span)
                    for v in t.versions if (d := self.day(v.day, v.span)) is not None]
        periods = [x for x in (self.period(p) for p in t.periods) if x is not None]
        fees = [x for x in (self.fee(f) for f in t.fees) if x is not None]
        if self.diags:
            raise DiagnosticError(self.diags, {t.path: t.text})
        return M.Tariff(
            id=t.name, title=t.title, source=t.source, as_of=as_of, contracts=contracts,
            services=services, rules=rules, versions=versions, renames=renames, periods=periods,
            derived=derived, fees=fees, path=t.path, text=t.text,
            content_hash="sha256:" + hashlib.sha256(t.text.encode("utf-8")).hexdigest(),
            warnings=self.warnings,
        )

    def check_unique(self, entries, what: str, labels: bool = False) -> None:
        seen: dict[str, S.Span] = {}
        for name, span in entries:
            key = name_key(name) if labels else name
            if key in seen:
                first = seen[key]
                self.error("E003", f"{what} `{name}` is defined twice", span, "defined again here",
                           help=f"the first definition is at line {first.line}; give each {what} its own "
                                f"{'official name' if labels else 'id'}")
            else:
                seen[key] = span

    # ---- declarations -----------------------------------------------------------------
    def values(self, decls: list[S.ValueDecl], what: str) -> dict[str, M.Value]:
        self.check_unique([(v.name, v.span) for v in decls], what)
        self.check_unique([(v.label, v.span) for v in decls], what, labels=True)
        return {v.name: M.Value(v.name, v.label, self.citation(v.cite), v.note, v.span, v.legacy) for v in decls}

    def dimension(self, d: S.DimensionDecl) -> M.Dimension:
        return M.Dimension(d.name, d.label, self.citation(d.cite), d.note, self.values(d.values, "value"), d.span,
                           optional=d.optional)

    def quantity(self, q: S.QuantityDecl) -> M.Quantity:
        return M.Quantity(q.name, q.label, self.citation(q.cite), q.default, q.note, q.span)

    def datefield(self, d: S.DateFieldDecl) -> M.DateField:
        return M.DateField(d.name, d.label, self.citation(d.cite), d.note, d.span)

    def contracts(self) -> dict[str, M.ContractKind]:
        t = self.tree
        self.check_unique([(c.name, c.span) for c in t.contracts], "contract")
        out: dict[str, M.ContractKind] = {}
        for c in t.contracts:
            members = ([(x.name, x.span) for x in c.dimensions] + [(x.name, x.span) for x in c.quantities]
                       + [(x.name, x.span) for x in c.flags] + [(x.name, x.span) for x in c.dates]
                       + [(x.name, x.span) for x in c.options])
            self.check_unique(members, "name")
            labels = ([(x.label, x.span) for x in c.dimensions] + [(x.label, x.span) for x in c.quantities]
                      + [(x.label, x.span) for x in c.flags] + [(x.label, x.span) for x in c.dates]
                      + [(x.label, x.span) for x in c.options])
            self.check_unique(labels, "official name", labels=True)
            options = {}
            for o in c.options:
                inner = ([(x.name, x.span) for x in o.quantities] + [(x.name, x.span) for x in o.attributes]
                         + [(x.name, x.span) for x in o.dates + c.option_dates])
                self.check_unique(inner, "name")
                for n, span in inner:
                    if n == "count":
                        self.error("E003", f"`count` of option `{o.name}` is built in", span, "reserved name",
                                   help="every option has `count`; name this quantity otherwise")
                options[o.name] = M.Option(
                    o.name, o.label, self.citation(o.cite), o.counted, o.note,
                    {q.name: self.quantity(q) for q in o.quantities},
                    {a.name: M.Attribute(a.name, a.label, self.citation(a.cite), a.note,
                                         self.values(a.values, "value"), a.span) for a in o.attributes},
                    {d.name: self.datefield(d) for d in o.dates + c.option_dates}, o.span)
            out[c.name] = M.ContractKind(
                c.name, c.label, self.citation(c.cite), c.parent[0] if c.parent else None, c.note,
                {d.name: self.dimension(d) for d in c.dimensions},
                {q.name: self.quantity(q) for q in c.quantities},
                {f.name: M.Flag(f.name, f.label, self.citation(f.cite), f.note, f.span) for f in c.flags},
                {d.name: self.datefield(d) for d in c.dates},
                options, c.span)
        for c in t.contracts:
            if c.parent and c.parent[0] not in out:
                self.error("E002", f"contract `{c.parent[0]}` is not defined", c.parent[1], "no such contract",
                           help=did_you_mean(c.parent[0], out) or "declare the parent contract first")
            elif c.parent:
                out[c.parent[0]].child_kinds.append(c.name)
        if not out:
            self.error("E002", "the tariff declares no contract", t.span, "nothing to order",
                       help='declare at least one: `contract service "..." { ... }`')
        return out

    def services(self) -> dict[str, M.Service]:
        t = self.tree
        self.check_unique([(s.name, s.span) for s in t.services], "service")
        return {s.name: self.service(s) for s in t.services}

    def service(self, s: S.ServiceDecl) -> M.Service:
        local = {d.name: self.dimension(d) for d in s.dimensions}
        svc = M.Service(s.name, s.label, s.tariff[0] if s.tariff else None, s.note, local, s.span)
        if s.tariff is None:
            return svc
        tid, tspan = s.tariff
        other = None
        if self.link is not None:
            try:
                other = self.link(tid)
            except DiagnosticError as exc:
                self.warn("W002", f"the linked tariff `{tid}` has errors; names of `{s.label}` are not checked",
                          tspan, "cannot load", help=exc.diagnostics[0].message if exc.diagnostics else None)
                return svc
        if other is None:
            if self.link is not None:
                self.warn("W002", f"no bundled tariff `{tid}`; names of `{s.label}` are not checked", tspan,
                          "not bundled", help="link only services whose tariff is in specs/, or drop `tariff`")
            return svc
        main = other.primary_contract()
        svc.dimensions = dict(main.dimensions)
        svc.renames = [r for r in other.renames if r.kind == "value" and r.target[0] == main.id]
        svc.linked = f"{other.title} (as of {other.version})"
        # dimensions the spec also lists itself must name what the linked tariff defines
        for d in local.values():
            theirs = _lookup_in(svc.dimensions, d.id) or _lookup_in(svc.dimensions, d.label)
            if theirs is None:
                self.error("E002", f"`{d.id}` is not a dimension of the linked tariff `{tid}`", d.span,
                           "not in the linked tariff", help=did_you_mean(d.id, svc.dimensions))
                continue
            for v in d.values.values():
                found, via = svc.lookup_value(theirs, v.label)
                if found is None:
                    self.error("E002", f"`{v.label}` is not a {theirs.label} of the linked tariff `{tid}`", v.span,
                               "not in the linked tariff",
                               help=did_you_mean(v.label, [x.label for x in theirs.values.values()]))
                elif via is not None:
                    self.renamed(via, found.label, v.span, f" in `{tid}`")
        return svc

    def rename(self, r: S.RenameDecl) -> M.Rename | None:
        day = self.day(r.day, r.span)
        cite = self.citation(r.cite)
        name = r.new.parts[-1] if len(r.new.parts) == 1 else None
        for c in self.contracts_by_id.values():
            if name is not None:
                for d in c.dimensions.values():
                    v = d.lookup(name)
                    if v is not None:
                        return M.Rename(r.old, "value", (c.id, d.id, v.id), day, cite, r.span) if day else None
                o = c.option(name)
                if o is not None:
                    return M.Rename(r.old, "option", (c.id, o.id), day, cite, r.span) if day else None
        if name is not None:  # a contract kind renamed: `tariff diff` matches the versions' kinds by it
            for c in self.contracts_by_id.values():
                if c.id == name or name_key(c.label) == name_key(name):
                    return M.Rename(r.old, "contract", (c.id,), day, cite, r.span) if day else None
        candidates = [v.label for c in self.contracts_by_id.values() for d in c.dimensions.values()
                      for v in d.values.values()]
        self.error("E002", f"`{r.new}` is not a value, option or contract of this tariff", r.new.span,
                   "the new name must be defined", help=did_you_mean(str(r.new).strip('"'), candidates))
        return None

    def scope_of(self, scope: tuple[str, S.Span] | None, span: S.Span) -> M.ContractKind | None:
        if scope is not None:
            c = self.contracts_by_id.get(scope[0])
            if c is None:
                self.error("E002", f"contract `{scope[0]}` is not defined", scope[1], "no such contract",
                           help=did_you_mean(scope[0], self.contracts_by_id))
            return c
        with_choices = [c for c in self.contracts_by_id.values() if c.has_choices]
        if len(with_choices) > 1:
            self.error("E008", "this tariff has several contracts with choices; say which this is about",
                       span, "which contract?", help="add `in " + with_choices[0].id + "` after the citation")
            return None
        return with_choices[0] if with_choices else next(iter(self.contracts_by_id.values()), None)

    # ---- rules ------------------------------------------------------------------------
    def rule(self, r: S.RuleDecl) -> M.Rule | None:
        if r.cite is None:
            self.error("E005", f"rule `{r.name}` cites no clause", r.span, "no citation",
                       help=f"cite the clause the rule encodes: `rule {r.name} @第5条第2項 {{ ... }}`")
        cite = self.citation(r.cite)
        also = [c for c in (self.citation(a) for a in r.also) if c is not None]
        messages = {}
        for m in r.messages:
            if m.lang in messages:
                self.error("E003", f"rule `{r.name}` has two `{m.lang}` messages", m.span, "second message")
            messages[m.lang] = m.text
        missing = [lang for lang in ("ja", "en") if lang not in messages]
        if missing:
            words = " and ".join({"ja": "Japanese (`ja`)", "en": "English (`en`)"}[x] for x in missing)
            self.error("E007", f"rule `{r.name}` has no {words} message", r.span, "message missing",
                       help='every rule says what it requires in both languages: `ja "..."` and `en "..."`')
        contract = self.scope_of(r.scope, r.span)
        if contract is None:
            return None
        placeholders = self.placeholders(r, contract)
        subjects = self.subjects_of(r.subjects, contract)
        if subjects is None:
            return None
        guards, bodies = {}, {}
        try:
            for subject in subjects:
                ex = _Exprs(self, contract, subject)
                when = ex.boolean(r.when) if r.when is not None else None
                body = ex.boolean(r.body)
                if r.verb == "forbid":
                    body = ir.Not(body)
                parts = []
                if subject is not None:
                    parts.append(ir.Field("opt", (subject,)))
                if when is not None:
                    parts.append(when)
                if not _transitional(body) and not (when is not None and _transitional(when)):
                    # a configuration rule speaks of the state a request leaves; a cancelled
                    # contract leaves none (docs/dsl.md, "Requests")
                    parts.insert(0, ir.Not(ir.Field("cancelled", ())))
                guards[subject] = ir.TRUE if not parts else parts[0] if len(parts) == 1 else ir.And(tuple(parts))
                bodies[subject] = body
        except _Fail:
            return None
        if cite is None or missing:
            return None
        if placeholders is None:
            return None
        values = {}
        for name, d in placeholders.items():
            for subject in subjects:
                # a derived day of the rule's subject, or of the contract
                node = d.values.get(subject) if subject in d.values else d.values.get(None)
                if node is None:
                    self.error("E002", f"`{{{name}}}` is not defined for `{subject}`", r.span, "placeholder",
                               help=f"`{name}` is derived for: " + ", ".join(str(s) for s in d.subjects))
                    return None
                values[(name, subject)] = node
        return M.Rule(r.name, cite, also, contract.id, _kind(r, contract), subjects, guards, bodies, messages, r.span,
                      self.source_lines(r.span), values)

    def placeholders(self, r: S.RuleDecl, contract: M.ContractKind) -> dict[str, M.Derived] | None:
        """`{name}` in a message: `it` (the subject's name) or a derived day of the same contract."""
        out: dict[str, M.Derived] = {}
        ok = True
        for m in r.messages:
            for name in _PLACEHOLDER.findall(m.text):
                if name == "it":
                    continue
                d = self.derived_by_id.get(name)
                if d is None or d.scope != contract.id:
                    self.error("E002", f"`{{{name}}}` in the `{m.lang}` message is not a derived day of "
                                       f"`{contract.id}`", m.span, "unknown placeholder",
                               help=did_you_mean(name, [x.id for x in self.derived_by_id.values()
                                                        if x.scope == contract.id])
                               or "declare it: `derive NAME \"label\" @clause = EXPRESSION`")
                    ok = False
                else:
                    out[name] = d
        return out if ok else None

    def subjects_of(self, refs: list[S.Ref], contract: M.ContractKind) -> list[str | None] | None:
        if not refs:
            return [None]
        out: list[str | None] = []
        for ref in refs:
            o = contract.option(ref.parts[0]) if len(ref.parts) == 1 else None
            if o is None:
                self.error("E002", f"option `{ref}` is not defined", ref.span, f"not an option of `{contract.id}`",
                           help=did_you_mean(ref.parts[0], _option_names(contract)))
            elif o.id in out:
                self.error("E003", f"option `{ref}` is listed twice", ref.span, "listed again")
            else:
                out.append(o.id)
        return out if len(out) == len(refs) else None

    def period(self, p: S.PeriodDecl) -> M.Period | None:
        contract = self.scope_of(p.scope, p.span)
        subjects = self.subjects_of(p.subjects, contract) if contract is not None else None
        if subjects is None:
            return None
        starts, whens = {}, {}
        try:
            for subject in subjects:
                ex = _Exprs(self, contract, subject)
                starts[subject] = ex.typed(p.start, "date")
                whens[subject] = ex.boolean(p.when) if p.when is not None else None
        except _Fail:
            return None
        return M.Period(p.name, p.label, self.citation(p.cite), contract.id, subjects, p.length.amount,
                        p.length.unit, starts, p.renews, whens, p.note, p.span)

    def derive(self, d: S.DeriveDecl) -> M.Derived | None:
        contract = self.scope_of(d.scope, d.span)
        subjects = self.subjects_of(d.subjects, contract) if contract is not None else None
        if subjects is None:
            return None
        values, whens = {}, {}
        try:
            for subject in subjects:
                ex = _Exprs(self, contract, subject)
                values[subject] = ex.typed(d.value, "date")
                whens[subject] = ex.boolean(d.when) if d.when is not None else None
        except _Fail:
            return None
        return M.Derived(d.name, d.label, self.citation(d.cite), contract.id, subjects, values, whens, d.note,
                         d.span)

    def fee(self, f: S.FeeDecl) -> M.Fee | None:
        contract = self.scope_of(f.scope, f.span)
        subjects = self.subjects_of(f.subjects, contract) if contract is not None else None
        if subjects is None:
            return None
        by_subject: dict[str | None, list[M.FeeLine]] = {}
        try:
            for subject in subjects:
                ex = _Exprs(self, contract, subject)
                lines = by_subject[subject] = []
                for line in f.lines:
                    when = ex.boolean(line.when) if line.when is not None else None
                    per = ex.typed(S.RefExpr(line.per.span, line.per), "int") if line.per is not None else None
                    formula = ex.typed(line.formula, "int") if line.formula is not None else None
                    if line.remaining is not None:
                        self.check_remaining(line, contract)
                    lines.append(M.FeeLine(when, line.kind, line.yen, per, line.note, line.span, formula,
                                           line.price_key or (f.name if line.kind == "quoted" else None),
                                           line.remaining))
        except _Fail:
            return None
        return M.Fee(f.kind, f.name, f.label, self.citation(f.cite), contract.id, by_subject.get(None, []), f.span,
                     subjects, by_subject)

    def check_remaining(self, line: S.FeeLine, contract: M.ContractKind) -> None:
        period, day, monthly = line.remaining
        t = self.tree
        checks = [(period, [p.name for p in t.periods], "period"), (day, [d.name for d in t.derives], "derived day"),
                  (monthly, [x.name for x in t.fees if x.kind == "monthly"], "monthly fee")]
        for name, known, what in checks:
            if name not in known:
                self.error("E002", f"`{name}` is not a {what} of this tariff", line.span, f"no such {what}",
                           help=did_you_mean(name, known) or f"declare the {what} first")


def _option_names(contract: M.ContractKind) -> list[str]:
    return [o.id for o in contract.options.values()] + [o.label for o in contract.options.values()]


def _split_lines(text: str) -> list[str]:
    return [x.rstrip("\r") for x in text.split("\n")]  # numbered as the parser numbers them


def _transitional(node: ir.Node) -> bool:
    """Does the expression read the request itself (old state, cancellation, request kind, dates)?"""
    return any(f.state == "old" or f.kind in ("cancelled", "request", "odate") for f in ir.fields_of(node))


def _kind(r: S.RuleDecl, contract: M.ContractKind) -> str:
    """A word for the kind of rule, for reports; the meaning is in the expression."""

    def is_dimension(e) -> bool:
        return isinstance(e, S.RefExpr) and len(e.ref.parts) == 1 and isinstance(
            contract.member(e.ref.parts[0]), M.Dimension)

    if r.verb == "forbid":
        return "excludes"
    found: list[str] = []

    def walk(e):
        if isinstance(e, S.Call):
            found.append({"exactly_one": "exactly-one", "at_most_one": "excludes", "any_of": "requires",
                          "applied_together": "applied-together", "ends_with": "cascade",
                          "multiple_of": "step", "first_of_month": "calendar-month", "holds": "holding",
                          "changed": "change"}.get(e.name, ""))
            for a in e.args:
                walk(a)
        elif isinstance(e, S.Compare):
            if is_dimension(e.left) or is_dimension(e.right):
                found.append("requires")
            else:
                found.append({"==": "equal", "<=": "cap", "<": "cap", ">=": "minimum", ">": "minimum"}.get(e.op, ""))
        elif isinstance(e, (S.Member, S.RefExpr)):
            found.append("requires")
        elif isinstance(e, (S.Not, S.Neg)):
            walk(e.operand)
        elif isinstance(e, S.BoolOp):
            for x in e.operands:
                walk(x)

    walk(r.body)
    priority = ["cascade", "applied-together", "exactly-one", "step", "calendar-month", "change", "equal",
                "minimum", "cap", "holding", "requires", "excludes"]
    for k in priority:
        if k in found:
            return k
    return "requires" if r.subjects else "constraint"


class _Exprs:
    """Resolves the expressions of one rule instance (one contract kind, one subject)."""

    def __init__(self, res: _Resolver, contract: M.ContractKind, subject: str | None):
        self.res = res
        self.c = contract
        self.subject = subject

    def fail(self, code, message, span, label=None, help=None):
        self.res.error(code, message, span, label, help)
        raise _Fail

    # typed entry points
    def boolean(self, e: S.Expr) -> ir.Node:
        return self.typed(e, "bool")

    def typed(self, e: S.Expr, want: str) -> ir.Node:
        node, t = self.expr(e)
        if _base(t) != want:
            self.fail("E004", f"expected {_words(want)}, found {_words(t)}", e.span, f"this is {_words(t)}",
                      help=_type_help(want, t))
        return node

    # ---- the cases ----------------------------------------------------------------------
    def expr(self, e: S.Expr) -> tuple[ir.Node, str]:
        if isinstance(e, S.IntLit):
            return ir.Const(e.value, "int"), "int"
        if isinstance(e, S.BoolLit):
            return ir.Const(e.value, "bool"), "bool"
        if isinstance(e, S.DateLit):
            return ir.Const(date.fromisoformat(e.text).toordinal(), "date"), "date"
        if isinstance(e, S.DurationLit):
            return ir.Const((e.amount, e.unit), "duration"), "duration"
        if isinstance(e, S.RefExpr):
            return self.ref(e.ref)
        if isinstance(e, S.Not):
            return ir.Not(self.boolean(e.operand)), "bool"
        if isinstance(e, S.Neg):
            return ir.Neg(self.typed(e.operand, "int")), "int"
        if isinstance(e, S.BoolOp):
            ops = tuple(self.boolean(x) for x in e.operands)
            if e.op == "and":
                return ir.And(ops), "bool"
            if e.op == "or":
                return ir.Or(ops), "bool"
            return ir.Implies(ops[0], ops[1]), "bool"
        if isinstance(e, S.Member):
            return self.member(e), "bool"
        if isinstance(e, S.Compare):
            return self.compare(e), "bool"
        if isinstance(e, S.Arith):
            return self.arith(e)
        if isinstance(e, S.Call):
            return self.call(e)
        self.fail("E009", "this expression is not supported here", e.span)

    def option_ref(self, ref: S.Ref, allow_contract: bool = False) -> M.Option | None:
        head = ref.parts[0]
        if head == "it" and not ref.quoted[0]:
            if self.subject is None:
                self.fail("E002", "`it` means the option a rule is `for`, and this rule has none", ref.span,
                          "no subject", help="write `for OPTION require ...`, or name the option")
            return self.c.options[self.subject]
        if allow_contract and head == "contract" and not ref.quoted[0]:
            return None
        o = self.c.option(head)
        if o is None:
            self.fail("E002", f"option `{ref}` is not defined", ref.span, f"not an option of `{self.c.id}`",
                      help=did_you_mean(head, _option_names(self.c)))
        return o

    def ref(self, ref: S.Ref) -> tuple[ir.Node, str]:
        head = ref.parts[0]
        rest = ref.parts[1:]
        if len(ref.parts) == 1 and not ref.quoted[0]:
            if head in ir.ORDER_DATES:
                return ir.Field("odate", (head,), type="date"), "date"
            if head in ORDER_BOOLS:
                return ir.Field("request", (ORDER_BOOLS[head],)), "bool"
            if head == "cancelled":
                return ir.Field("cancelled", ()), "bool"
            if head == "has_parent":
                if self.c.parent is None:
                    self.fail("E002", f"`has_parent` is about child contracts, and `{self.c.id}` has no parent",
                              ref.span, "no parent kind", help="declare `parent KIND` on the contract")
                return ir.Field("has_parent", ()), "bool"
        if not (head == "it" and not ref.quoted[0]):
            member = self.c.member(head)
            if member is not None:
                if rest:
                    self.fail("E002", f"`{ref}` has no part `{rest[0]}`", ref.span,
                              f"`{head}` is not an option", help="only options have parts (`tunnel.count`)")
                if isinstance(member, M.Dimension):
                    return ir.Field("dim", (member.id,), type="enum", dim=member.id), f"enum:{member.id}"
                if isinstance(member, M.Quantity):
                    return ir.Field("qty", (member.id,), type="int"), "int"
                if isinstance(member, M.Flag):
                    return ir.Field("flag", (member.id,)), "bool"
                return ir.Field("date", (member.id,), type="date"), "date"
        if not (head == "it" and not ref.quoted[0]) and self.c.option(head) is None:
            names = ([m for m in self.c.dimensions] + list(self.c.quantities) + list(self.c.flags)
                     + list(self.c.dates) + _option_names(self.c) + list(ir.ORDER_DATES) + list(ORDER_BOOLS))
            self.fail("E002", f"`{ref}` is not defined", ref.span, "unknown name",
                      help=did_you_mean(head, names) or "names are declared in the contract block")
        o = self.option_ref(ref)
        if not rest:
            return ir.Field("opt", (o.id,)), "bool"
        part = rest[0]
        if part == "count":
            if len(rest) > 1:
                self.fail("E002", f"`{ref}` has too many parts", ref.span)
            return ir.Field("optcount", (o.id,), type="int"), "int"
        q = _lookup_in(o.quantities, part)
        if q is not None and len(rest) == 1:
            return ir.Field("optqty", (o.id, q.id), type="int"), "int"
        d = _lookup_in(o.dates, part)
        if d is not None and len(rest) == 1:
            return ir.Field("optdate", (o.id, d.id), type="date"), "date"
        a = _lookup_in(o.attributes, part)
        if a is not None:
            if len(rest) == 1:
                return ("flags", tuple(ir.Field("optattr", (o.id, a.id, v)) for v in a.values)), "flags"
            v = a.lookup(rest[1])
            if v is None or len(rest) > 2:
                self.fail("E002", f"`{rest[1]}` is not a value of `{a.id}`", ref.span, "unknown value",
                          help=did_you_mean(rest[1], list(a.values) + [x.label for x in a.values.values()]))
            return ir.Field("optattr", (o.id, a.id, v.id)), "bool"
        parts = ["count"] + list(o.quantities) + list(o.dates) + list(o.attributes)
        self.fail("E002", f"option `{o.id}` has no `{part}`", ref.span, "unknown part",
                  help=did_you_mean(part, parts) or f"`{o.id}` has: " + ", ".join(f"`{p}`" for p in parts))

    def enum_value(self, dim_id: str, ref: S.Ref, service: M.Service | None = None) -> str:
        dim = (service.dimensions if service else self.c.dimensions)[dim_id]
        v = None
        if len(ref.parts) == 1:
            if service is not None:
                v, via = service.lookup_value(dim, ref.parts[0])
                where = f" in `{service.tariff}`"
            else:
                v, via = dim.lookup(ref.parts[0]), None
                if v is None:
                    via = M.find_rename(self.res.renames, "value", dim.id, ref.parts[0])
                    v = dim.values[via.target[-1]] if via is not None else None
                where = ""
            if via is not None:
                self.res.renamed(via, v.label, ref.span, where)
        if v is None:
            owner = f" of the linked tariff `{service.tariff}`" if service is not None and service.linked else ""
            self.fail("E004", f"`{ref}` is not a value of `{dim.id}`{owner}", ref.span, f"not a {dim.label}",
                      help=did_you_mean(ref.parts[-1], list(dim.values) + [x.label for x in dim.values.values()])
                      or f"the values of `{dim.id}` are: " + ", ".join(dim.values))
        return v.id

    def member(self, e: S.Member) -> ir.Node:
        node, t = self.expr(e.operand)
        if not t.startswith("enum:"):
            self.fail("E004", f"`in {{...}}` needs a dimension such as the item, found {_words(t)}",
                      e.operand.span, f"this is {_words(t)}", help="write e.g. `item in {itam_l, itam_x}`")
        values = frozenset(self.enum_value(t[5:], r) for r in e.values)
        return ir.EnumIn(node, values)

    def compare(self, e: S.Compare) -> ir.Node:
        # `item == itam_l`: a bare name on one side of an enum comparison is one of its values
        left_enum = self._maybe_enum(e.left)
        right_enum = self._maybe_enum(e.right)
        if left_enum or right_enum:
            if e.op not in ("==", "!="):
                self.fail("E004", f"`{e.op}` does not order the values of a dimension", e.span,
                          help="compare a dimension with `==`, `!=` or `in {...}`")
            if left_enum and right_enum:
                (ln, lt), (rn, rt) = left_enum, right_enum
                if lt != rt:
                    self.fail("E004", f"cannot compare {_words(lt)} with {_words(rt)}", e.span)
                node = ir.EnumEq(ln, rn)
            else:
                (fn, ft), other = (left_enum, e.right) if left_enum else (right_enum, e.left)
                if not isinstance(other, S.RefExpr):
                    self.fail("E004", f"cannot compare {_words(ft)} with this", other.span,
                              help=f"compare with a value of `{ft[5:]}`")
                node = ir.EnumIn(fn, frozenset([self.enum_value(ft[5:], other.ref)]))
            return ir.Not(node) if e.op == "!=" else node
        ln, lt = self.expr(e.left)
        rn, rt = self.expr(e.right)
        if lt != rt or lt in ("duration", "flags"):
            self.fail("E004", f"cannot compare {_words(lt)} with {_words(rt)}", e.span, "mismatched kinds",
                      help="both sides must be numbers, days, or conditions")
        if lt == "bool" and e.op not in ("==", "!="):
            self.fail("E004", f"`{e.op}` does not order conditions", e.span)
        return ir.Cmp(e.op, ln, rn)

    def _maybe_enum(self, e: S.Expr):
        if isinstance(e, S.RefExpr) and len(e.ref.parts) == 1:
            m = self.c.member(e.ref.parts[0])
            if isinstance(m, M.Dimension):
                return ir.Field("dim", (m.id,), type="enum", dim=m.id), f"enum:{m.id}"
        if isinstance(e, S.Call) and e.name == "old" and len(e.args) == 1:
            inner = self._maybe_enum(e.args[0])
            if inner:
                return ir.with_state(inner[0], "old"), inner[1]
        return None

    def arith(self, e: S.Arith) -> tuple[ir.Node, str]:
        ln, lt = self.expr(e.left)
        rn, rt = self.expr(e.right)
        if lt == "date" and rt == "duration" and e.op in ("+", "-"):
            amount, unit = rn.value
            if unit != "day":
                return ir.AddMonths(ln, amount * (12 if unit == "year" else 1) * (1 if e.op == "+" else -1)), "date"
            return ir.Arith(e.op, ln, ir.Const(amount, "int"), type="date"), "date"
        if lt == "date" and rt == "date" and e.op == "-":
            return ir.Arith("-", ln, rn, type="int"), "int"
        if lt != "int" or rt != "int":
            self.fail("E004", f"cannot apply `{e.op}` to {_words(lt)} and {_words(rt)}", e.span,
                      help="arithmetic is on numbers; a day may have days added (`d + 30 days`)")
        if e.op == "*" and not (isinstance(ln, ir.Const) or isinstance(rn, ir.Const)):
            self.fail("E009", "a product needs a number on one side", e.span, help="write e.g. `10 * tunnel.count`")
        if e.op == "%" and not (isinstance(rn, ir.Const) and rn.value > 0):
            self.fail("E009", "`%` needs a positive number on its right", e.span, help="write e.g. `x % 25`")
        return ir.Arith(e.op, ln, rn), "int"

    def flag_list(self, args, name, span) -> tuple[ir.Node, ...]:
        out = []
        for a in args:
            n, t = self.expr(a)
            if t == "flags":
                out.extend(n[1])
            elif t == "bool":
                out.append(n)
            else:
                self.fail("E010", f"`{name}` counts options and conditions, not {_words(t)}", a.span,
                          help=BUILTINS[name])
        if not out:
            self.fail("E010", f"`{name}` needs at least one argument", span, help=BUILTINS[name])
        return tuple(out)

    def call(self, e: S.Call) -> tuple[ir.Node, str]:
        name, args = e.name, e.args
        if name not in BUILTINS:
            self.fail("E010", f"`{name}` is not a function of the tariff language", e.span, "unknown function",
                      help=did_you_mean(name, BUILTINS) or "functions: " + ", ".join(BUILTINS))

        def arity(n):
            if len(args) != n:
                self.fail("E010", f"`{name}` takes {n} argument{'s' if n != 1 else ''}, found {len(args)}",
                          e.span, help=BUILTINS[name])

        def option_arg(a, allow_contract=False):
            if not isinstance(a, S.RefExpr) or len(a.ref.parts) != 1:
                self.fail("E010", f"`{name}` takes an option here", a.span, help=BUILTINS[name])
            return self.option_ref(a.ref, allow_contract)

        if name in ("exactly_one", "at_most_one", "any_of"):
            flags = self.flag_list(args, name, e.span)
            if name == "any_of":
                return ir.Or(flags), "bool"
            return ir.Cmp("==" if name == "exactly_one" else "<=", ir.CountTrue(flags), ir.Const(1, "int")), "bool"
        if name == "old":
            arity(1)
            node, t = self.expr(args[0])
            if t == "flags":
                self.fail("E010", "`old` takes one value", e.span, help=BUILTINS[name])
            return ir.with_state(node, "old"), t
        if name == "changed":
            arity(1)
            node, t = self.expr(args[0])
            if t == "flags" or not ir.fields_of(node):
                self.fail("E010", "`changed` takes a field of the order", e.span, help=BUILTINS[name])
            if t.startswith("enum:"):
                return ir.Not(ir.EnumEq(node, ir.with_state(node, "old"))), "bool"
            return ir.Cmp("!=", node, ir.with_state(node, "old")), "bool"
        if name in ("added", "removed"):
            arity(1)
            o = option_arg(args[0])
            new, old = ir.Field("opt", (o.id,)), ir.Field("opt", (o.id,), state="old")
            return (ir.And((new, ir.Not(old))) if name == "added" else ir.And((old, ir.Not(new)))), "bool"
        if name == "applied_together":
            arity(2)
            a, b = option_arg(args[0], True), option_arg(args[1], True)
            if a is None and b is None:
                self.fail("E010", "`applied_together` relates an option to an option or to `contract`", e.span,
                          help=BUILTINS[name])

            def present(x):  # the contract itself is present in the state a request leaves
                return ir.TRUE if x is None else ir.Field("opt", (x.id,))

            def added(x):  # the contract is "added" when it did not exist before: a new order
                if x is None:
                    return ir.Field("request", ("new",))
                return ir.And((ir.Field("opt", (x.id,)), ir.Not(ir.Field("opt", (x.id,), state="old"))))

            both = ir.And((present(a), present(b)))
            return ir.Implies(both, ir.Cmp("==", added(a), added(b))), "bool"
        if name == "ends_with":
            arity(2)
            x, y = option_arg(args[0], True), option_arg(args[1], True)

            def ended(o):
                cancelled = ir.Field("cancelled", ())
                if o is None:
                    return cancelled
                old = ir.Field("opt", (o.id,), state="old")
                return ir.And((old, ir.Or((ir.Not(ir.Field("opt", (o.id,))), cancelled))))

            def existed(o):
                return ir.TRUE if o is None else ir.Field("opt", (o.id,), state="old")

            # only what was there can end: an option never ordered does not break the cascade
            return ir.Implies(ir.And((ended(y), existed(x))), ended(x)), "bool"
        if name == "holds":
            if len(args) not in (1, 2):
                self.fail("E010", f"`holds` takes 1 or 2 arguments, found {len(args)}", e.span, help=BUILTINS[name])
            a = args[0]
            svc = None
            if isinstance(a, S.RefExpr) and len(a.ref.parts) == 1:
                svc = self.res.tree and _lookup_in(self.res.services_by_id, a.ref.parts[0])
            if svc is None:
                self.fail("E002", f"service `{_show(a)}` is not declared", a.span, "unknown service",
                          help=did_you_mean(_show(a), list(self.res.services_by_id)
                                            + [s.label for s in self.res.services_by_id.values()])
                          or 'declare it: `service iij_id "IIJ ID サービス"`')
            if len(args) == 1:
                return ir.Field("holds", (svc.id,)), "bool"
            cond = args[1]
            if not isinstance(cond, S.Member) or not isinstance(cond.operand, S.RefExpr):
                self.fail("E010", "the second argument of `holds` is `DIMENSION in {...}`", cond.span,
                          help=BUILTINS[name])
            dim = _lookup_in(svc.dimensions, cond.operand.ref.parts[0])
            if dim is None:
                self.fail("E002", f"service `{svc.id}` has no dimension `{cond.operand.ref}`", cond.operand.span,
                          help=did_you_mean(cond.operand.ref.parts[0], svc.dimensions))
            values = [self.enum_value(dim.id, r, svc) for r in cond.values]
            return ir.Or(tuple(ir.Field("holds_value", (svc.id, dim.id, v)) for v in values)), "bool"
        if name in ("later_of", "earlier_of"):
            arity(2)
            return ir.Extreme("max" if name == "later_of" else "min", self.typed(args[0], "date"),
                              self.typed(args[1], "date")), "date"
        if name in ir.DAY_FNS:
            arity(1)
            return ir.DayFn(name, self.typed(args[0], "date")), "date"
        if name == "first_of_month":
            arity(1)
            return ir.Cmp("==", ir.DayOfMonth(self.typed(args[0], "date")), ir.Const(1, "int")), "bool"
        if name == "multiple_of":
            arity(2)
            x = self.typed(args[0], "int")
            n = args[1]
            if not isinstance(n, S.IntLit) or n.value <= 0:
                self.fail("E010", "`multiple_of` needs a positive number second", n.span, help=BUILTINS[name])
            return ir.Cmp("==", ir.Arith("%", x, ir.Const(n.value, "int")), ir.Const(0, "int")), "bool"
        if name == "abs":
            arity(1)
            return ir.Abs(self.typed(args[0], "int")), "int"
        if name == "children":
            arity(1)
            a = args[0]
            kind = None
            if isinstance(a, S.RefExpr) and len(a.ref.parts) == 1:
                kind = _lookup_in(self.res.contracts_by_id, a.ref.parts[0])
            if kind is None or kind.parent != self.c.id:
                kids = [k.id for k in self.res.contracts_by_id.values() if k.parent == self.c.id]
                self.fail("E002", f"`{_show(a)}` is not a kind of child contract of `{self.c.id}`", a.span,
                          "not a child kind", help=("children of `" + self.c.id + "`: " + ", ".join(kids)) if kids
                          else f"no contract declares `parent {self.c.id}`")
            return ir.Field("children", (kind.id,), type="int"), "int"
        if name == "former_name":
            arity(1)
            a = args[0]
            if isinstance(a, S.RefExpr) and len(a.ref.parts) == 1:
                m = self.c.member(a.ref.parts[0])
                if isinstance(m, M.Dimension):
                    return ir.Field("former", ("dim", m.id)), "bool"
                if a.ref.parts[0] == "it" or self.c.option(a.ref.parts[0]) is not None:
                    return ir.Field("former", ("opt", self.option_ref(a.ref).id)), "bool"
            self.fail("E010", "`former_name` takes a dimension (`item`) or an option", a.span, help=BUILTINS[name])
        # count
        arity(1)
        o = option_arg(args[0])
        return ir.Field("optcount", (o.id,), type="int"), "int"


def _lookup_in(table: dict, name: str):
    return M._lookup(table, name)


def _show(e: S.Expr) -> str:
    return str(e.ref) if isinstance(e, S.RefExpr) else "this"


def _base(t: str) -> str:
    return "enum" if t.startswith("enum:") else t


def _words(t: str) -> str:
    if t.startswith("enum:"):
        return f"the dimension `{t[5:]}`"
    return {"bool": "a condition", "int": "a number", "date": "a day", "duration": "a length of time",
            "flags": "a set of designations", "enum": "a dimension"}.get(t, t)


def _type_help(want: str, found: str) -> str:
    if want == "bool" and found.startswith("enum:"):
        return f"compare it with a value: `{found[5:]} == VALUE` or `{found[5:]} in {{...}}`"
    if want == "bool" and found == "int":
        return "compare the number: e.g. `accounts >= 50`"
    return f"write {_words(want)} here"
