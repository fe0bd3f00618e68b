"""Declarations to model: contracts, services, renames, rules, periods, derived days and fees.

The Resolver walks a tariff file's declarations in the order their names become known (contracts
and renames, then services, derived days, rules, periods and fees), binds every name they use and
structures every citation. The expressions inside them are typed by .expressions. All problems
found are collected and raised together as one DiagnosticError, so a product manager fixing a spec
sees every mistake in one run.
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
from ..model.order_rules import order_rules
from ..common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from ..common.names import name_key
from .builtins import BUILTINS
from .expressions import Expressions, Unresolved, option_names

# A function that loads another bundled tariff by id, for `service ... tariff ID`; None when
# there is no such tariff. The catalog supplies it (resolution does not know where specs live).
Linker = Callable[[str], "M.Tariff | None"]


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Resolver:
    """Resolves one tariff file; `run` gives the model or raises every error found."""

    def __init__(self, tree: S.TariffFile, link: Linker | None = None):
        self.tree = tree
        self.link = link
        self.diags: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self.renames: list[M.Rename] = []
        self.request_flags: dict[str, M.Flag] = {}
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
        self.renames = []
        for r in t.renames:  # each rename is checked against those before it
            if (x := self.rename(r)) is not None:
                self.renames.append(x)
        renames = self.renames
        services = self.services()
        self.services_by_id = services
        self.check_unique([(f.name, f.span) for f in t.request_flags], "request flag")
        self.check_unique([(f.label, f.span) for f in t.request_flags], "request flag", labels=True)
        self.request_flags = {f.name: M.Flag(f.name, f.label, self.citation(f.cite), f.note, f.span)
                              for f in t.request_flags}
        # one at a time, so that a derived day may name one declared before it (docs/dsl.md)
        derived, self.derived_by_id = [], {}
        for d in t.derives:
            x = self.derive(d)
            if x is not None:
                derived.append(x)
                self.derived_by_id[x.id] = x
        rules = [r for r in (self.rule(r) for r in t.rules) if r is not None]
        self.check_unique([(r.name, r.span) for r in t.rules], "rule")
        versions = [M.Version(d, v.title, self.citation(v.cite), v.span)
                    for v in t.versions if (d := self.day(v.day, v.span)) is not None]
        periods = [x for x in (self.period(p) for p in t.periods) if x is not None]
        fees = [x for x in (self.fee(f) for f in t.fees) if x is not None]
        dues = [x for x in (self.due(d) for d in t.dues) if x is not None]
        self.check_unique([(f"{d.kind} in {d.scope}", d.span) for d in dues], "due")
        title_spellings = self.spellings(t.title_spellings, t.title)
        if self.diags:
            raise DiagnosticError(self.diags, {t.path: t.text})
        tariff = M.Tariff(
            id=t.name, title=t.title, source=t.source, as_of=as_of, contracts=contracts,
            services=services, rules=rules, versions=versions, renames=renames, periods=periods,
            derived=derived, fees=fees, path=t.path, text=t.text,
            content_hash="sha256:" + hashlib.sha256(t.text.encode("utf-8")).hexdigest(),
            warnings=self.warnings, request_flags=self.request_flags, dues=dues,
            title_spellings=title_spellings,
        )
        tariff.order_rules = order_rules(tariff)
        return tariff

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
        return {v.name: M.Value(v.name, v.label, self.citation(v.cite), v.note, v.span, v.legacy,
                                self.spellings(v.spellings, v.label)) for v in decls}

    def dimension(self, d: S.DimensionDecl) -> M.Dimension:
        return M.Dimension(d.name, d.label, self.citation(d.cite), d.note, self.values(d.values, "value"), d.span,
                           optional=d.optional, one_citation=self.citation(d.one_per_contract),
                           spellings=self.spellings(d.spellings, d.label))

    def quantity(self, q: S.QuantityDecl) -> M.Quantity:
        return M.Quantity(q.name, q.label, self.citation(q.cite), q.default, q.note, q.span,
                          self.spellings(q.spellings, q.label))

    def spellings(self, decls: list[S.Spelling], label: str) -> tuple[M.Spelling, ...]:
        """The other spellings the text uses for `label`; one that is the official name itself
        (after spacing and width are folded) says nothing and is an error."""
        out = []
        for sp in decls:
            if name_key(sp.text) == name_key(label):
                self.error("E003", f"`{sp.text}` is the official name `{label}` itself", sp.span,
                           "not another spelling", help="`also spelled` names a spelling that differs from the "
                           "official name by more than spacing and character width")
                continue
            out.append(M.Spelling(sp.text, tuple(c for c in (self.citation(x) for x in sp.cites) if c is not None),
                                  sp.span))
        return tuple(out)

    def datefield(self, d: S.DateFieldDecl) -> M.DateField:
        return M.DateField(d.name, d.label, self.citation(d.cite), d.note, d.span)

    def contracts(self) -> dict[str, M.ContractKind]:
        t = self.tree
        self.check_unique([(c.name, c.span) for c in t.contracts], "contract")
        out: dict[str, M.ContractKind] = {}
        for c in t.contracts:
            members = ([(x.name, x.span) for x in c.dimensions] + [(x.name, x.span) for x in c.quantities]
                       + [(x.name, x.span) for x in c.flags] + [(x.name, x.span) for x in c.dates]
                       + [(x.name, x.span) for x in c.options] + [(x.name, x.span) for x in c.usage])
            self.check_unique(members, "name")
            labels = ([(x.label, x.span) for x in c.dimensions] + [(x.label, x.span) for x in c.quantities]
                      + [(x.label, x.span) for x in c.flags] + [(x.label, x.span) for x in c.dates]
                      + [(x.label, x.span) for x in c.options])
            self.check_unique(labels, "official name", labels=True)
            options = {}
            for o in c.options:
                inner = ([(x.name, x.span) for x in o.quantities] + [(x.name, x.span) for x in o.attributes]
                         + [(x.name, x.span) for x in o.flags]
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
                    {d.name: self.datefield(d) for d in o.dates + c.option_dates}, o.span,
                    {f.name: M.Flag(f.name, f.label, self.citation(f.cite), f.note, f.span) for f in o.flags},
                    o.undefined, self.spellings(o.spellings, o.label))
            out[c.name] = M.ContractKind(
                c.name, c.label, self.citation(c.cite), c.parent[0] if c.parent else None, c.note,
                {d.name: self.dimension(d) for d in c.dimensions},
                {q.name: self.quantity(q) for q in c.quantities},
                {f.name: M.Flag(f.name, f.label, self.citation(f.cite), f.note, f.span) for f in c.flags},
                {d.name: self.datefield(d) for d in c.dates},
                options, c.span,
                usage={u.name: M.UsageField(u.name, u.label, self.citation(u.cite), u.each, u.note, u.span, u.per_option)
                       for u in c.usage},
                option_list=self.citation(c.option_list))
        for c in t.contracts:
            if c.parent and c.parent[0] not in out:
                self.error("E002", f"contract `{c.parent[0]}` is not defined", c.parent[1], "no such contract",
                           help=did_you_mean(c.parent[0], out) or "declare the parent contract first")
            elif c.parent:
                out[c.parent[0]].child_kinds.append(c.name)
        self.parent_cycles(t.contracts, out)
        if not out:
            self.error("E002", "the tariff declares no contract", t.span, "nothing to order",
                       help='declare at least one: `contract service "..." { ... }`')
        return out

    def parent_cycles(self, decls: list[S.ContractDecl], kinds: dict[str, M.ContractKind]) -> None:
        """One E013 for each cycle of the kinds' `parent` links (`a` its own parent, or `a` the
        parent of `b` and `b` of `a`), at the `parent` of the cycle's first kind in the file. No
        order could be made of such kinds: each contract would need a parent above itself."""
        place = {}
        parent_of: dict[str, tuple[str, S.Span]] = {}
        for i, c in enumerate(decls):
            place.setdefault(c.name, i)
            if c.parent and c.parent[0] in kinds:
                parent_of.setdefault(c.name, c.parent)
        done: set[str] = set()
        for c in decls:
            chain: list[str] = []  # the kinds followed up from c
            kind: str | None = c.name
            while kind in parent_of and kind not in done and kind not in chain:
                chain.append(kind)
                kind = parent_of[kind][0]
            if kind is not None and kind in chain:
                ring = chain[chain.index(kind):]
                start = ring.index(min(ring, key=place.__getitem__))
                ring = ring[start:] + ring[:start]
                if len(ring) == 1:
                    message = f"contract `{ring[0]}` is its own parent"
                    label = "names the contract it is declared in"
                else:
                    names = ", ".join(f"`{x}`" for x in ring[:-1]) + f" and `{ring[-1]}`"
                    path = " → ".join(f"`{x}`" for x in ring + ring[:1])
                    message = f"the parents of contracts {names} form a cycle: {path}"
                    label = f"`{ring[0]}` is below `{ring[1]}`, which leads back to it"
                self.error("E013", message, parent_of[ring[0]][1], label,
                           help="a chain of parents must end at a contract kind without `parent`; "
                                "drop or change one link of the cycle")
            done.update(chain)

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
            theirs = M.lookup(svc.dimensions, d.id) or M.lookup(svc.dimensions, d.label)
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
        target = self.rename_target(r)
        if target is None:
            return None
        kind, path = target
        self.check_former_name(r, kind, path)
        return M.Rename(r.old, kind, path, day, cite, r.span) if day else None

    def rename_target(self, r: S.RenameDecl) -> tuple[str, tuple[str, ...]] | None:
        """What a rename's new name denotes: ("value", (contract, dim, value)), ("option",
        (contract, option)) or ("contract", (contract,)); None (and E002) when nothing."""
        name = r.new.parts[-1] if len(r.new.parts) == 1 else None
        for c in self.contracts_by_id.values():
            if name is not None:
                for d in c.dimensions.values():
                    v = d.lookup(name)
                    if v is not None:
                        return "value", (c.id, d.id, v.id)
                o = c.option(name)
                if o is not None:
                    return "option", (c.id, o.id)
        if name is not None:  # a contract kind renamed: `tariff diff` matches the versions' kinds by it
            for c in self.contracts_by_id.values():
                if c.id == name or name_key(c.label) == name_key(name):
                    return "contract", (c.id,)
        candidates = [v.label for c in self.contracts_by_id.values() for d in c.dimensions.values()
                      for v in d.values.values()]
        self.error("E002", f"`{r.new}` is not a value, option or contract of this tariff", r.new.span,
                   "the new name must be defined", help=did_you_mean(str(r.new).strip('"'), candidates))
        return None

    def check_former_name(self, r: S.RenameDecl, kind: str, path: tuple[str, ...]) -> None:
        """E014 when a rename's former name cannot mean what it says: it is still the current name
        of another value, option or contract kind among the renamed thing's peers, or an earlier
        rename already gave it. An order writing it would get one meaning silently. A former name
        that is the thing's own current name is allowed: only the id changed, and `tariff diff`
        pairs the versions by it."""
        c = self.contracts_by_id[path[0]]
        what = kind  # value, option or contract
        if kind == "value":
            peers = c.dimensions[path[1]].values
        elif kind == "option":
            peers = c.options
        else:
            peers = self.contracts_by_id
        span = r.old_span or r.span
        current = M.lookup(peers, r.old)
        if current is not None and current.id != path[-1]:
            self.error("E014", f"the former name `{r.old}` is the current name of {what} `{current.id}`", span,
                       "still a current name",
                       help=f"an order writing `{r.old}` would mean `{current.id}`, never `{path[-1]}`; "
                            "a former name must not be in use (a chain of renames that loops back is one)")
        for prior in self.renames:
            if prior.kind == kind and prior.target[:-1] == path[:-1] and name_key(prior.old) == name_key(r.old):
                same = prior.target == path
                self.error("E014", f"`{r.old}` is renamed twice" if same else
                           f"the former name `{r.old}` is given to both {what} `{prior.target[-1]}` and `{path[-1]}`",
                           span, "renamed again here",
                           help=f"the first rename of `{r.old}` is at line {prior.span.line}; "
                                + ("keep one" if same else "a former name means one thing"))
                break

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
                ex = Expressions(self, contract, subject)
                when = ex.boolean(r.when) if r.when is not None else None
                body = ex.boolean(r.body)
                if r.verb == "forbid":
                    body = ir.Not(body)
                parts = []
                if subject is not None and not _about_ended(when, subject):
                    parts.append(ir.Field("opt", (subject,)))
                if when is not None:
                    parts.append(when)
                if not _transitional(body) and not (when is not None and _transitional(when)):
                    # a configuration rule speaks of the state a request leaves; a cancelled
                    # contract leaves none (docs/dsl.md, "Requests")
                    parts.insert(0, ir.Not(ir.Field("cancelled", ())))
                guards[subject] = ir.TRUE if not parts else parts[0] if len(parts) == 1 else ir.And(tuple(parts))
                bodies[subject] = body
        except Unresolved:
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
                           help=did_you_mean(ref.parts[0], option_names(contract)))
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
                ex = Expressions(self, contract, subject)
                starts[subject] = ex.typed(p.start, "date")
                whens[subject] = ex.boolean(p.when) if p.when is not None else None
        except Unresolved:
            return None
        notice = (p.notice.amount, p.notice.unit) if p.notice is not None else None
        if notice is not None and notice[0] == 0:
            self.error("E009", f"a non-renewal notice due `{p.notice.amount} {p.notice.unit}s` before the expiry is "
                       "not a lead time", p.notice.span, "no time before the expiry",
                       help="write how long before the term's expiry the notice must arrive: "
                            "`renews unless notice 1 month before`")
            return None
        return M.Period(p.name, p.label, self.citation(p.cite), contract.id, subjects, p.length.amount,
                        p.length.unit, starts, p.renews, whens, p.note, p.span, notice)

    def derive(self, d: S.DeriveDecl) -> M.Derived | None:
        contract = self.scope_of(d.scope, d.span)
        subjects = self.subjects_of(d.subjects, contract) if contract is not None else None
        if subjects is None:
            return None
        values, whens = {}, {}
        try:
            for subject in subjects:
                ex = Expressions(self, contract, subject)
                values[subject] = ex.typed(d.value, "date")
                whens[subject] = ex.boolean(d.when) if d.when is not None else None
        except Unresolved:
            return None
        return M.Derived(d.name, d.label, self.citation(d.cite), contract.id, subjects, values, whens, d.note,
                         d.span, d.takes_effect, self.spellings(d.spellings, d.label))

    def fee(self, f: S.FeeDecl) -> M.Fee | None:
        contract = self.scope_of(f.scope, f.span)
        subjects = self.subjects_of(f.subjects, contract) if contract is not None else None
        if subjects is None:
            return None
        by_subject: dict[str | None, list[M.FeeLine]] = {}
        try:
            for subject in subjects:
                ex = Expressions(self, contract, subject)
                lines = by_subject[subject] = []
                for line in f.lines:
                    when = ex.boolean(line.when) if line.when is not None else None
                    usage, per_ref, over = self.usage_of(line.per, contract, f.kind, subject)
                    per = ex.typed(S.RefExpr(per_ref.span, per_ref), "int") if per_ref is not None else None
                    formula = ex.typed(line.formula, "int") if line.formula is not None else None
                    if line.remaining is not None:
                        self.check_remaining(line, contract)
                    lines.append(M.FeeLine(when, line.kind, line.yen, per, line.note, line.span, formula,
                                           line.price_key or (f.name if line.kind == "quoted" else None),
                                           line.remaining, period_cite=self.citation(line.period_cite),
                                           usage=usage, usage_over=over))
        except Unresolved:
            return None
        return M.Fee(f.kind, f.name, f.label, self.citation(f.cite), contract.id, by_subject.get(None, []), f.span,
                     subjects, by_subject, self.citation(f.whole_months))

    def usage_of(self, per, contract: M.ContractKind, fee_kind: str,
                 subject: str | None = None) -> tuple[str | None, S.Ref | None, bool]:
        """A fee line's `per`: (the usage it is per, or None; the reference it falls back to or
        counts beyond; whether it counts beyond it). A usage `per option` is read for the fee's
        option, so only a fee `for` options may be per it."""
        if not isinstance(per, S.UsagePer):
            return None, per, False
        if per.name not in contract.usage:
            self.error("E002", f"`{per.name}` is not a usage of contract `{contract.id}`", per.span, "no such usage",
                       help=did_you_mean(per.name, contract.usage) or "declare it with `usage`")
            raise Unresolved
        if contract.usage[per.name].each and (per.fallback or per.over or fee_kind != "monthly"):
            self.error("E009", f"`{per.name}` is counted per account: only a monthly fee may be per it, "
                       "with no `or` or `over`",
                       per.span, "one count per account", help="its amount is the sum of daily factors (別紙1 備考(1))")
            raise Unresolved
        if contract.usage[per.name].per_option and subject is None:
            self.error("E009", f"`{per.name}` is counted per option: only a fee `for` options may be per it",
                       per.span, "one count per option", help="name the options with `for`")
            raise Unresolved
        return per.name, per.over or per.fallback, per.over is not None

    def due(self, d: S.DueDecl) -> M.Due | None:
        contract = self.scope_of(d.scope, d.span)
        if contract is None:
            return None
        if d.start is not None and d.start[0] not in contract.dates:
            self.error("E002", f"`{d.start[0]}` is not a date of contract `{contract.id}`", d.start[1],
                       "no such date", help=did_you_mean(d.start[0], contract.dates) or "declare it with `date`")
            return None
        return M.Due(d.kind, d.event, self.citation(d.cite), contract.id, d.start[0] if d.start else None, d.note,
                     d.span)

    def check_remaining(self, line: S.FeeLine, contract: M.ContractKind) -> None:
        period, day, monthly = line.remaining
        t = self.tree
        checks = [(period, [p.name for p in t.periods], "period"), (day, [d.name for d in t.derives], "derived day"),
                  (monthly, [x.name for x in t.fees if x.kind == "monthly"], "monthly fee")]
        for name, known, what in checks:
            if name not in known:
                self.error("E002", f"`{name}` is not a {what} of this tariff", line.span, f"no such {what}",
                           help=did_you_mean(name, known) or f"declare the {what} first")


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
            found.append(BUILTINS[e.name].rule_kind if e.name in BUILTINS else "")
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


def _about_ended(when: ir.Node | None, subject: str) -> bool:
    """Is the rule's `when` about the option ending (`when removed(it) …`)? Its instance is then
    about an option the contract had and the request ends, not one it keeps, so the instance's
    guard is that `when` alone (docs/dsl.md, "Rules")."""
    ended = ir.And((ir.Field("opt", (subject,), state="old"), ir.Not(ir.Field("opt", (subject,)))))
    if when is None:
        return False
    return when == ended or (isinstance(when, ir.And) and ended in when.operands)
