"""JSON to Order: read what an order-entry system sent, and say exactly what is wrong with it.

Names may be ids (`tunnel`) or official names (`トンネル接続オプション`), with the tariffs'
own spacing differences ignored. Every problem is an O-coded diagnostic naming the field;
all of them are reported at once.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import date
from functools import lru_cache

from ..model import ir
from ..model import tariff as M
from ..model.fields import FieldRef, ref_of
from ..common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from ..common.names import name_key
from ..model.limits import FIRST_DAY, LAST_DAY, MAX_CONTRACTS, MAX_COUNT, REQUESTS
from ..model.tariff import find_rename
from .order import EMPTY, Breach, ContractEntry, ContractState, OptionState, Order
from .json_text import MAX_ORDER_BYTES, holds_an_object as _holds_an_object, read_order_text
from .names import OrderNames, order_names
from .json_values import MAX_DEPTH, kind_of as _kind, not_json as _not_json, plain_json, shown as _shown

__all__ = ["MAX_DEPTH", "MAX_ORDER_BYTES", "decode_order", "decode_partial_order", "read_order_text"]

_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: `\d` also takes `２０２６`
ORDER_KEYS = {"tariff", "request", "application_date", "notice_arrived", "requested_date", "holdings",
              "contracts", "description"}
ENTRY_KEYS = {"id", "contract", "parent", "current", "changes", "usage"}
_MONTH_FORM = re.compile(r"[0-9]{4}-[0-9]{2}")


def decode_order(data: object, tariff: M.Tariff, names: OrderNames | None = None) -> Order:
    """The Order `data` (a JSON value) gives under `tariff`, or DiagnosticError with every problem.
    `names` is the tariff's OrderNames (orders/names.py), when the caller keeps it."""
    return _Decoder(tariff, names=names).order(data)


def decode_partial_order(data: object, tariff: M.Tariff, names: OrderNames | None = None) -> Order:
    """An order being filled in: every field it does not give is open (`Order.open`), not
    defaulted. In a new order that is each dimension, quantity, flag, date and option left out
    (and an option's quantities, designations and dates); in a change request, each field the
    `changes` leave out; without `holdings`, what the customer holds; the order's days left out.
    What it does give is checked as strictly as in a complete order."""
    return _Decoder(tariff, partial=True, names=names).order(data)


class _Decoder:
    def __init__(self, tariff: M.Tariff, partial: bool = False, names: OrderNames | None = None):
        self.t = tariff
        self.names = names if names is not None else order_names(tariff)
        self.partial = partial
        self.open: set[str] = set()
        self.diags: list[Diagnostic] = []
        self.notes: list[str] = []
        # where a former name (附則) is written in the part of the request that states something
        # new, it is recorded here as ("dim", id) / ("opt", id); rules may forbid it
        self.former: set[tuple[str, str]] | None = None
        # the clauses the order breaks by what it writes (Order.breaches); the contract being read
        self.breaches: list[Breach] = []
        self.unset: set[FieldRef] = set()  # beyond the breaches' own: see inherited_unset
        self.at = 0

    def breach(self, rule_id: str, subject: str | None, path: str, value, name: str,
               unset: FieldRef | None = None) -> bool:
        """Record the order breaking an order rule (model/order_rules.py), if the tariff has it
        and the order is complete; False when it must be refused as before (an O-coded error):
        a partial order, or a tariff whose declaration cites no clause for it."""
        if self.partial or rule_id not in self.t.order_rules:
            return False
        self.breaches.append(Breach(rule_id, self.at, subject, _as_ref(path, self.at), value, name, unset))
        return True

    def spelled(self, official: str, sp: M.Spelling, written: str, path: str) -> None:
        """Note a name the order wrote in another spelling the text uses (`also spelled`)."""
        where = ", ".join(str(c) for c in sp.citations)
        self.notes.append(f"{path}: `{written}` is a spelling the text also uses" + (f" ({where})" if where else "")
                          + f"; the official name is `{official}`")

    def through_rename(self, r: M.Rename, new_label: str, path: str, mark: tuple[str, str]) -> None:
        self.notes.append(f"{path}: `{r.old}` is the former name of `{new_label}` (renamed on "
                          f"{r.day.isoformat()}" + (f", {r.citation}" if r.citation else "") + ")")
        if self.former is not None:
            self.former.add(mark)

    def bad(self, code: str, path: str, message: str, help: str | None = None, label: str | None = None):
        self.diags.append(Diagnostic(code, message, field=path, help=help, label=label))

    def once(self, given: dict, thing, key: str, path: str, what: str) -> bool:
        """Whether `key` is the first key of the object at `path` to name `thing` (a member of the
        tariff, or (table, member) where ids may repeat across tables). A second key naming it
        (its id and its official name, two spellings of the name, a former name) is O012 whether
        or not the two values agree: the order does not say which one it means.
        The busy callers ask `given.setdefault(tag, key) != key` first and call this only then: the
        message `what` is not worth writing for each field of each order."""
        member = thing[-1] if isinstance(thing, tuple) else thing
        tag = (thing[0], member.id) if isinstance(thing, tuple) else member.id
        first = given.setdefault(tag, key)
        if first == key:
            return True

        def form(k: str) -> str:
            if k == member.id:
                return "id"
            if name_key(k) == name_key(member.label):
                return "name"
            return "spelling" if any(name_key(x.text) == name_key(k) for x in getattr(member, "spellings", ())) \
                else "former"

        forms = {form(first), form(key)}
        if "spelling" in forms:
            why = f"`{next(k for k in (first, key) if form(k) == 'spelling')}` is another spelling of its name"
        elif "former" in forms:
            why = f"`{next(k for k in (first, key) if form(k) == 'former')}` is its former name (附則)"
        elif forms == {"id", "name"}:
            why = f"`{member.id}` is its id and `{first if key == member.id else key}` its official name"
        else:
            why = "the two differ only in spacing or character width, so they are one name"
        self.bad("O012", f"{path}.{key}" if path else key, f"`{first}` and `{key}` both give {what}",
                 help=f"{why}; give it once")
        return False

    # ---- primitives -----------------------------------------------------------------------
    def count(self, value, path: str, what: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not value.is_integer()):
            self.bad("O002", path, f"{what} must be a whole number, found `{json.dumps(value, ensure_ascii=False)}`",
                     help=f'write e.g. `"{path.rsplit(".", 1)[-1]}": 50`')
            return None
        n = int(value)
        if n < 0:
            self.bad("O004", path, f"{what} is negative (`{n}`)", help="counts are 0 or more")
            return None
        if n > MAX_COUNT:
            self.bad("O005", path, f"{what} `{n}` is larger than any order could need ({MAX_COUNT:,})",
                     help="check the number and its unit")
            return None
        return n

    def day(self, value, path: str) -> int | None:
        if isinstance(value, str):
            n = _day_number(value)
            if n is not None:
                return n
        if not isinstance(value, str):
            self.bad("O002", path, f"a date must be a string `YYYY-MM-DD`, found `{json.dumps(value, ensure_ascii=False)}`",
                     help='write e.g. `"2026-04-01"`')
            return None
        if not _DATE_FORM.fullmatch(value):
            self.bad("O002", path, f"`{value}` is not a date in the form `YYYY-MM-DD`", help='write e.g. `"2026-04-01"`')
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.bad("O006", path, f"`{value}` is not a day of the calendar", help="check the month and day")
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.bad("O006", path, f"`{value}` is outside the years this checker reads ({FIRST_DAY.year}–{LAST_DAY.year})",
                     help="check the year")
            return None
        return day.toordinal()

    def obj(self, value, path: str, what: str) -> dict | None:
        if not isinstance(value, dict):
            self.bad("O002", path, f"{what} must be a JSON object, found {_kind(value)}")
            return None
        return value

    # ---- the order ------------------------------------------------------------------------
    def order(self, data: object) -> Order:
        if isinstance(data, str) and _holds_an_object(data):
            self.bad("O002", "", "the order is a string that holds JSON text, not a JSON object",
                     help="the order was encoded as JSON twice (its JSON text encoded once more); "
                          "send the object, or its JSON text once")
            raise DiagnosticError(self.diags)
        d = self.obj(data, "", "an order")
        if d is None:
            raise DiagnosticError(self.diags)
        not_json = [] if plain_json(d) else _not_json(d)  # the quick pass, then the precise one
        if not_json:  # like text that is not JSON: nothing else of the order is read
            raise DiagnosticError(not_json)
        flags: dict[str, bool] = {}
        said: dict[str, str] = {}
        for key in d:
            if key in ORDER_KEYS:
                continue
            flag = self.names.lookup(self.t.request_flags, key)
            if flag is None:
                known = sorted(ORDER_KEYS) + list(self.t.request_flags)
                self.bad("O008", key, f"`{key}` is not a field of an order",
                         help=did_you_mean(key, known + [f.label for f in self.t.request_flags.values()])
                         or "fields: " + ", ".join(known))
            elif self.once(said, flag, key, "", f"`{flag.label}` ({flag.id})"):
                if isinstance(d[key], bool):
                    flags[flag.id] = d[key]
                else:
                    self.bad("O002", key, f"`{flag.label}` is true or false, found `{json.dumps(d[key], ensure_ascii=False)}`")
        tariff_name = d.get("tariff")
        if tariff_name is not None:
            if not isinstance(tariff_name, str):
                self.bad("O002", "tariff", "`tariff` must be a tariff's name")
            elif self.names.fold(tariff_name).replace("-", "_") != self.names.id_key and \
                    self.names.fold(tariff_name) != self.names.title_key:
                sp = next((x for x in self.t.title_spellings if name_key(x.text) == name_key(tariff_name)), None)
                if sp is not None:
                    self.spelled(self.t.title, sp, tariff_name, "tariff")
                else:
                    self.bad("O009", "tariff", f"the order is for `{tariff_name}`, not `{self.t.id}`",
                             help=f"check it with `--tariff {tariff_name}`")
        request = d.get("request", "new")
        if request not in REQUESTS:
            self.bad("O002", "request", f"`{_shown(request)}` is not a kind of request",
                     help="one of `new`, `change`, `cancellation`")
            request = "new"
        dates = {}
        for key in ("application_date", "notice_arrived", "requested_date"):
            if d.get(key) is not None:
                v = self.day(d[key], key)
                if v is not None:
                    dates[key] = v
        holdings, holding_values = self.holdings(d.get("holdings", []))  # what is held: no marks
        contracts_raw = d.get("contracts")
        contracts: list[ContractEntry] = []
        if contracts_raw is None:
            self.bad("O007", "contracts", "the order has no `contracts`", help="list the contracts it orders")
        elif not isinstance(contracts_raw, list):
            self.bad("O002", "contracts", f"`contracts` must be a list, found {_kind(contracts_raw)}")
        elif len(contracts_raw) > MAX_CONTRACTS:
            self.bad("O005", "contracts", f"{len(contracts_raw):,} contracts is more than one order holds",
                     help=f"at most {MAX_CONTRACTS:,}")
        else:
            if not contracts_raw:
                self.bad("O007", "contracts", "the order lists no contract", help="an order has at least one")
            for i, raw in enumerate(contracts_raw):
                entry = self.entry(raw, i, request)
                if entry is not None:
                    if isinstance(raw, dict) and "usage" in raw:
                        self.usage(raw["usage"], f"contracts[{i}].usage", entry)
                    contracts.append(entry)
            self.structure(contracts)
        if self.diags:
            raise DiagnosticError(self.diags)
        if self.partial:
            self.open.update(k for k in ("application_date", "notice_arrived", "requested_date") if d.get(k) is None)
            self.open.update(f for f in self.t.request_flags if f not in flags)
            if "holdings" not in d:
                for svc in self.t.services.values():
                    self.open.add(f"holdings.{svc.id}")
                    self.open.update(f"holdings.{svc.id}.{dim}" for dim in svc.dimensions)
        unset = self.unset | {b.unset for b in self.breaches if b.unset is not None}
        return Order(tariff_name, request, dates, holdings, holding_values, contracts, self.notes, self.open,
                     flags={f: flags.get(f, False) for f in self.t.request_flags},
                     breaches=self.breaches, unset=unset)

    def holdings(self, raw) -> tuple[set[str], set[tuple[str, str, str]]]:
        held: set[str] = set()
        values: set[tuple[str, str, str]] = set()
        if not isinstance(raw, list):
            self.bad("O002", "holdings", f"`holdings` must be a list, found {_kind(raw)}")
            return held, values
        for i, h in enumerate(raw):
            path = f"holdings[{i}]"
            h = self.obj(h, path, "a holding")
            if h is None:
                continue
            name = h.get("service")
            if not isinstance(name, str):
                self.bad("O007", f"{path}.service", "a holding names its `service`",
                         help='e.g. `{"service": "IIJ ID サービス"}`')
                continue
            svc = self.names.lookup(self.t.services, name)
            if svc is None:
                names = [s.label for s in self.t.services.values()] + list(self.t.services)
                self.bad("O003", f"{path}.service", f"`{name}` is not a service this tariff refers to",
                         help=did_you_mean(name, names) or ("services: " + ", ".join(names) if names else
                                                          "this tariff refers to no other service"))
                continue
            held.add(svc.id)
            given: dict[str, str] = {}
            for key, value in h.items():
                if key == "service":
                    continue
                dim = self.names.lookup(svc.dimensions, key)
                if dim is None:
                    self.bad("O008", f"{path}.{key}", f"service `{svc.label}` has no `{key}`",
                             help=did_you_mean(key, list(svc.dimensions)))
                    continue
                if not self.once(given, dim, key, path, f"the `{dim.label}` of `{svc.label}`"):
                    continue
                v, via = svc.lookup_value(dim, value) if isinstance(value, str) else (None, None)
                if v is None:
                    self.bad("O003", f"{path}.{key}", f"`{_shown(value)}` is not a {dim.label} of `{svc.label}`",
                             help=did_you_mean(_shown(value), [x.label for x in dim.values.values()]))
                    continue
                if via is not None:
                    self.through_rename(via, v.label, f"{path}.{key}", ("dim", dim.id))
                values.add((svc.id, dim.id, v.id))
        return held, values

    def entry(self, raw, i: int, request: str) -> ContractEntry | None:
        path = f"contracts[{i}]"
        self.at = i
        d = self.obj(raw, path, "a contract")
        if d is None:
            return None
        cid = d.get("id", f"#{i + 1}")
        if not isinstance(cid, str):
            self.bad("O002", f"{path}.id", "a contract's `id` is a string")
            cid = f"#{i + 1}"
        kind_name = d.get("contract")
        if kind_name is None:
            kind = self.names.primary
        else:
            kind = self.names.lookup(self.t.contracts, kind_name) if isinstance(kind_name, str) else None
            if kind is None:
                names = list(self.t.contracts) + [c.label for c in self.t.contracts.values()]
                self.bad("O003", f"{path}.contract", f"`{_shown(kind_name)}` is not a contract of this tariff",
                         help=did_you_mean(_shown(kind_name), names) or "contracts: " + ", ".join(names))
                return None
        parent = d.get("parent")
        if parent is not None and not isinstance(parent, str):
            self.bad("O002", f"{path}.parent", "`parent` is the id of a contract in this order")
            parent = None
        if request == "new":
            for key in ("current", "changes"):
                if key in d:
                    self.bad("O008", f"{path}.{key}", f"`{key}` belongs to change and cancellation requests",
                             help='set `"request": "change"` or list the contract\'s choices directly')
            self.former = former = set()
            state = self.state(d, path, kind, partial=self.partial, reserved=ENTRY_KEYS)
            self.former = None
            if self.partial and state is not None:
                self.mark_open(d, path, kind)
            if state is None:
                return None
            return ContractEntry(cid, kind.id, parent, state, EMPTY, False, i, former)
        current_raw = d.get("current")
        if current_raw is None:
            self.bad("O007", f"{path}.current", f"a {request} request gives the contract as it is now in `current`")
            return None
        for key in d:
            if key not in ENTRY_KEYS:
                self.bad("O008", f"{path}.{key}", f"`{key}` is not a field of a {request} request's contract",
                         help="put the contract as it is in `current` and what changes in `changes`")
        cur = self.obj(current_raw, f"{path}.current", "`current`")
        old = self.state(cur, f"{path}.current", kind, partial=False, reserved=set()) if cur is not None else None
        if old is None:
            return None
        if request == "cancellation":
            if "changes" in d:
                self.bad("O008", f"{path}.changes", "a cancellation changes nothing; it ends the contract",
                         help='to change the contract, send `"request": "change"`')
            return ContractEntry(cid, kind.id, parent, old, old, True, i)
        ch = self.obj(d.get("changes", {}), f"{path}.changes", "`changes`")
        if ch is None:
            return None
        self.former = former = set()
        new = self.state(ch, f"{path}.changes", kind, partial=True, reserved=set(), base=old)
        self.former = None
        self.inherited_unset(ch, i, kind)
        if self.partial and new is not None:
            self.mark_open(ch, path, kind)
        if new is None:
            return None
        return ContractEntry(cid, kind.id, parent, new, old, False, i, former)

    def usage(self, raw, path: str, entry: ContractEntry) -> None:
        """A contract's usage record: `{"month": "YYYY-MM", USAGE: count, EACH: [count, ...],
        "options": {OPTION: {PER_OPTION: count}}}`, what was used or happened in that month (the
        fees that are per usage read it)."""
        d = self.obj(raw, path, "`usage`")
        kind = self.t.contracts[entry.kind]
        if d is None:
            return
        month = d.get("month")
        if month is None:
            self.bad("O007", f"{path}.month", "a usage record names the month it is of",
                     help='write e.g. `"month": "2026-05"`')
        elif not isinstance(month, str) or not _MONTH_FORM.fullmatch(month) or not 1 <= int(month[5:]) <= 12:
            self.bad("O002", f"{path}.month", f"`{_shown(month)}` is not a month in the form `YYYY-MM`",
                     help='write e.g. `"month": "2026-05"`')
            month = None
        days = None
        if month is not None:
            first = date(int(month[:4]), int(month[5:]), 1)
            entry.usage_month = first.toordinal()
            days = calendar.monthrange(first.year, first.month)[1]
        for key, value in d.items():
            if key == "month":
                continue
            if key == "options" and "options" not in kind.usage:
                self.option_usage(value, f"{path}.options", kind, entry)
                continue
            u = self.names.lookup(kind.usage, key)
            if u is not None and u.per_option:
                self.bad("O003", f"{path}.{key}", f"`{key}` is counted per option, not for the whole contract",
                         help=f'give it under the option, e.g. `"options": {{"OPTION": {{"{u.id}": 0}}}}`')
                continue
            if u is None:
                self.bad("O003", f"{path}.{key}", f"`{key}` is not a usage of this tariff's `{kind.id}`",
                         help=did_you_mean(key, list(kind.usage)) or
                         ("usage: " + ", ".join(kind.usage) if kind.usage else "this contract takes no usage"))
                continue
            if not u.each:
                n = self.count(value, f"{path}.{key}", f"`{key}`")
                if n is not None:
                    entry.usage[u.id] = n
                continue
            if not isinstance(value, list):
                self.bad("O002", f"{path}.{key}", f"`{key}` is one count per account, a list",
                         help=f'write e.g. `"{key}": [31, 10]`')
                continue
            counts = [self.count(x, f"{path}.{key}[{j}]", "a count") for j, x in enumerate(value)]
            over = [j for j, n in enumerate(counts) if n is not None and days is not None and n > days]
            for j in over:
                self.bad("O002", f"{path}.{key}[{j}]", f"`{counts[j]}` days of use in {month}, which has {days} days",
                         help="each account's days of use in the month, 0 to the month's days")
            if None not in counts and not over:
                entry.usage[u.id] = counts

    def option_usage(self, raw, path: str, kind: M.ContractKind, entry: ContractEntry) -> None:
        """A usage record's `options`: `{OPTION: {USAGE: count}}`, the usages declared `per option`
        counted for each option (別紙1 2(2) なお: the accounts detected for the option)."""
        d = self.obj(raw, path, "`options`")
        if d is None:
            return
        per_option = {k: u for k, u in kind.usage.items() if u.per_option}
        for oname, counts in d.items():
            o = self.names.lookup(kind.options, oname)
            if o is None:
                self.bad("O003", f"{path}.{oname}", f"`{oname}` is not an option of this tariff's `{kind.id}`",
                         help=did_you_mean(oname, list(kind.options)) or "name an option of the contract")
                continue
            c = self.obj(counts, f"{path}.{oname}", f"`{oname}`")
            if c is None:
                continue
            for key, value in c.items():
                u = self.names.lookup(per_option, key)
                if u is None:
                    self.bad("O003", f"{path}.{oname}.{key}", f"`{key}` is not a usage counted per option of `{kind.id}`",
                             help=did_you_mean(key, list(per_option)) or
                             ("per option: " + ", ".join(per_option) if per_option else
                              "this contract takes no usage per option"))
                    continue
                n = self.count(value, f"{path}.{oname}.{key}", f"`{key}`")
                if n is not None:
                    entry.option_usage.setdefault(o.id, {})[u.id] = n

    def state(self, d: dict, path: str, kind: M.ContractKind, partial: bool, reserved: set[str],
              base: ContractState | None = None) -> ContractState | None:
        before = len(self.diags)
        st = ContractState(dims=dict(base.dims) if base else {}, quantities=dict(base.quantities) if base else {},
                           flags=dict(base.flags) if base else {}, dates=dict(base.dates) if base else {},
                           options={k: _copy_option(v) for k, v in base.options.items()} if base else {})
        seen_members: dict[str, str] = {}  # member id -> the key that gave it
        for key, value in d.items():
            if key in reserved:
                continue
            fpath = f"{path}.{key}"
            if key == "options":
                self.options(value, fpath, kind, st, partial)
                continue
            member = self.names.member(kind, key)
            if member is None:
                found = self.names.lookup_spelling(kind.dimensions, key) or self.names.lookup_spelling(kind.quantities, key)
                if found is not None:
                    member = found[0]
                    self.spelled(member.label, found[1], key, fpath)
            if member is None:
                if self.names.lookup(kind.options, key) is not None:
                    self.bad("O008", fpath, f"`{key}` is an option; list it under `options`",
                             help=f'write `"options": {{"{key}": true}}`')
                    continue
                names = [m.label for m in _members(kind)] + [m.id for m in _members(kind)]
                self.bad("O003", fpath, f"`{key}` is not a field of `{kind.label}`",
                         help=did_you_mean(key, names) or "fields: " + ", ".join(m.id for m in _members(kind)))
                continue
            if seen_members.setdefault(member.id, key) != key and \
                    not self.once(seen_members, member, key, path, f"`{member.label}` ({member.id})"):
                continue
            if isinstance(member, M.Dimension):
                if value is None and member.optional:
                    st.dims[member.id] = None
                    continue
                v = self.names.lookup(member.values, value) if isinstance(value, str) else None
                if v is None and isinstance(value, str):
                    found = self.names.lookup_spelling(member.values, value)
                    if found is not None:
                        v = found[0]
                        self.spelled(v.label, found[1], value, fpath)
                if v is None and self.several_values(value, fpath, member, path, st):
                    continue
                if v is None:
                    v = self.unknown_value(value, fpath, member, path, st)
                    if v is None:
                        continue
                st.dims[member.id] = v.id
            elif isinstance(member, M.Quantity):
                n = self.count(value, fpath, f"`{member.label}`")
                if n is not None:
                    st.quantities[member.id] = n
            elif isinstance(member, M.Flag):
                if not isinstance(value, bool):
                    self.bad("O002", fpath, f"`{member.label}` is true or false, found `{json.dumps(value, ensure_ascii=False)}`")
                    continue
                st.flags[member.id] = value
            else:
                if value is None:
                    st.dates.pop(member.id, None)
                    continue
                n = self.day(value, fpath)
                if n is not None:
                    st.dates[member.id] = n
        if not partial:
            for dim in kind.dimensions.values():
                if dim.id not in st.dims and dim.id not in seen_members:  # a bad value is reported already
                    if dim.optional:
                        st.dims[dim.id] = None
                    else:
                        self.bad("O007", f"{path}.{dim.id}", f"the contract gives no `{dim.label}` ({dim.id})",
                                 help=f"one of: " + ", ".join(v.label for v in dim.values.values()))
            for q in kind.quantities.values():
                if q.id not in st.quantities and q.id not in seen_members:
                    if q.default is not None:
                        st.quantities[q.id] = q.default
                    elif self.breach(f"required_{q.id}", None, f"{path}.{q.id}", None, q.label,
                                     _unset("qty", (q.id,), path, self.at)):
                        st.quantities[q.id] = 0  # read by no rule: `unset`
                    else:
                        self.bad("O007", f"{path}.{q.id}", f"the contract gives no `{q.label}` ({q.id})",
                                 help=f'write e.g. `"{q.id}": 50`')
            for f in kind.flags.values():
                st.flags.setdefault(f.id, False)
        return st if len(self.diags) == before else None

    def inherited_unset(self, changes: dict, i: int, kind: M.ContractKind) -> None:
        """A field of `current` that a breach left without a value stays without one in the new
        state of a change request, unless `changes` gives it."""
        given = {m.id for k in changes if k != "options" for m in [self.names.member(kind, k)] if m is not None}
        opts = changes.get("options") if isinstance(changes.get("options"), dict) else {}
        given_opts = {o.id for k in opts for o in [self.names.lookup(kind.options, k)] if o is not None}
        for b in self.breaches:
            if b.contract != i or b.unset is None or b.unset.parts[:1] != ("current",):
                continue
            parts = b.unset.parts[1:]
            if (parts[0] == "options" and parts[1] not in given_opts) or (parts[0] != "options" and parts[0] not in given):
                self.unset.add(FieldRef(i, *parts))

    def mark_open(self, d: dict, path: str, kind: M.ContractKind) -> None:
        """In a partial order, every field of the contract that `d` leaves out is open; an
        option that is given keeps open the quantities, designations and dates it leaves out."""
        given = {m.id for key in d if key != "options" for m in [self.names.member(kind, key)] if m is not None}
        for m in _members(kind):
            if m.id not in given:
                self.open.add(f"{path}.{m.id}")
        opts = d.get("options") if isinstance(d.get("options"), dict) else {}
        named = {}
        for name, value in opts.items():
            o = self.names.lookup(kind.options, name)
            r = find_rename(self.t.renames, "option", kind.id, name) if o is None else None
            o = o or (kind.options[r.target[1]] if r is not None else None)
            if o is not None:
                named[o.id] = value
        for o in kind.options.values():
            opath = f"{path}.options.{o.id}"
            if o.id not in named:
                self.open.add(opath)
                continue
            value = named[o.id]
            fields = value if isinstance(value, dict) else {}
            keys = {x.id for k in fields for x in [self.names.lookup(o.quantities, k) or self.names.lookup(o.attributes, k)
                                                    or self.names.lookup(o.flags, k) or self.names.lookup(o.dates, k)] if x is not None}
            for x in list(o.quantities) + list(o.attributes) + list(o.flags) + list(o.dates):
                if x not in keys:
                    self.open.add(f"{opath}.{x}")

    def several_values(self, value, path: str, dim: M.Dimension, at: str, st: ContractState) -> bool:
        """A list of two names or more for a dimension: the order breaks the clause that gives a
        contract one value (`one_<dimension>`); the dimension is left without a value. Each
        name the dimension does not list breaks `listed_<dimension>` too."""
        if not (isinstance(value, list) and len(value) >= 2 and all(isinstance(x, str) for x in value)):
            return False
        unset = _unset("dim", (dim.id,), at, self.at)
        if not self.breach(f"one_{dim.id}", None, path, value, ", ".join(f"`{x}`" for x in value), unset):
            return False
        for x in value:
            if self.names.lookup(dim.values, x) is None and self.names.lookup_spelling(dim.values, x) is None and \
                    find_rename(self.t.renames, "value", dim.id, x) is None:
                self.breach(f"listed_{dim.id}", None, path, x, x, unset)
        st.dims[dim.id] = None
        return True

    def unknown_value(self, value, path: str, dim: M.Dimension, at: str = "", st: ContractState | None = None
                      ) -> M.Value | None:
        """A value written by a former name resolves through its rename (and is noted); a name
        the dimension does not list breaks `listed_<dimension>` and leaves it without a value;
        anything else is an error."""
        labels = [v.label for v in dim.values.values()]
        if not isinstance(value, str):
            self.bad("O002", path, f"`{dim.label}` is one of its values, found `{json.dumps(value, ensure_ascii=False)}`",
                     help="one of: " + ", ".join(labels))
            return None
        r = find_rename(self.t.renames, "value", dim.id, value)
        if r is not None:
            v = dim.values[r.target[2]]
            self.through_rename(r, v.label, path, ("dim", dim.id))
            return v
        if st is not None and self.breach(f"listed_{dim.id}", None, path, value, value,
                                          _unset("dim", (dim.id,), at, self.at)):
            st.dims[dim.id] = None
            return None
        self.bad("O003", path, f"`{value}` is not a {dim.label} of this tariff",
                 help=did_you_mean(value, labels + list(dim.values)) or "one of: " + ", ".join(labels))
        return None

    def options(self, raw, path: str, kind: M.ContractKind, st: ContractState, partial: bool) -> None:
        d = self.obj(raw, path, "`options`")
        if d is None:
            return
        given: dict[str, str] = {}
        for name, value in d.items():
            opath = f"{path}.{name}"
            o = self.names.lookup(kind.options, name)
            if o is None:
                r = find_rename(self.t.renames, "option", kind.id, name)
                if r is not None:
                    o = kind.options[r.target[1]]
                    self.through_rename(r, o.label, opath, ("opt", o.id))
            if o is None:
                found = self.names.lookup_spelling(kind.options, name)
                if found is not None:
                    o = found[0]
                    self.spelled(o.label, found[1], name, opath)
            if o is None and self.breach("listed_options", None, opath, value, name):
                continue  # not ordered: nothing the tariff lists is ordered by that name
            if o is None:
                names = [x.label for x in kind.options.values()] + list(kind.options)
                self.bad("O003", opath, f"`{name}` is not an option of `{kind.label}`",
                         help=did_you_mean(name, names) or "see `tariff schema` for the options")
                continue
            if given.setdefault(o.id, name) != name and \
                    not self.once(given, o, name, path, f"the option `{o.label}` ({o.id})"):
                continue
            if value is False or value is None or value == 0 and not isinstance(value, bool):
                st.options.pop(o.id, None)
                continue
            prev = st.options.get(o.id)
            opt = _copy_option(prev) if prev is not None else OptionState()
            if value is True:
                pass
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                n = self.count(value, opath, f"the count of `{o.label}`")
                if n is None:
                    continue
                if not o.counted and n > 1:
                    self.bad("O002", opath, f"`{o.label}` is ordered once or not at all, found {n}",
                             help="write `true` or `false`")
                    continue
                opt.count = n
            elif isinstance(value, dict):
                if not self.option_fields(value, opath, o, opt):
                    continue
                if opt.count == 0:
                    st.options.pop(o.id, None)
                    continue
            else:
                self.bad("O002", opath, f"an option is `true`, `false`, a count, or an object, found {_kind(value)}")
                continue
            missing = [q for q in o.quantities.values() if q.id not in opt.quantities and q.default is None
                       and not self.partial]
            for q in o.quantities.values():
                if q.id not in opt.quantities and q.default is not None:
                    opt.quantities[q.id] = q.default
            for f in o.flags.values():
                opt.flags.setdefault(f.id, False)
            for q in list(missing):
                if self.breach(f"required_{o.id}_{q.id}", o.id, f"{opath}.{q.id}", None, q.label,
                               _unset("optqty", (o.id, q.id), path.rsplit(".options", 1)[0], self.at)):
                    opt.quantities[q.id] = 0  # read by no rule: `unset`
                    missing.remove(q)
            if missing:
                for q in missing:
                    self.bad("O007", f"{opath}.{q.id}", f"`{o.label}` needs its `{q.label}` ({q.id})",
                             help=f'write `"{name}": {{"{q.id}": 50}}`')
                continue
            st.options[o.id] = opt

    def option_fields(self, d: dict, path: str, o: M.Option, opt: OptionState) -> bool:
        before = len(self.diags)
        given: dict[tuple[str, str], str] = {}
        for key, value in d.items():
            fpath = f"{path}.{key}"
            if key == "count":
                n = self.count(value, fpath, f"the count of `{o.label}`")
                if n is not None:
                    if not o.counted and n > 1:
                        self.bad("O002", fpath, f"`{o.label}` is ordered once or not at all, found {n}")
                    else:
                        opt.count = n
                continue
            q = self.names.lookup(o.quantities, key)
            if q is None:
                found = self.names.lookup_spelling(o.quantities, key)
                if found is not None:
                    q = found[0]
                    self.spelled(q.label, found[1], key, fpath)
            if q is not None:
                if given.setdefault(("quantity", q.id), key) != key and \
                        not self.once(given, ("quantity", q), key, path, f"`{q.label}` ({q.id}) of `{o.label}`"):
                    continue
                n = self.count(value, fpath, f"`{q.label}`")
                if n is not None:
                    opt.quantities[q.id] = n
                continue
            a = self.names.lookup(o.attributes, key)
            if a is not None:
                if given.setdefault(("attribute", a.id), key) != key and \
                        not self.once(given, ("attribute", a), key, path, f"`{a.label}` ({a.id}) of `{o.label}`"):
                    continue
                chosen = value if isinstance(value, list) else [value]
                opt.designations = {x for x in opt.designations if x[0] != a.id}
                for v in chosen:
                    val = self.names.lookup(a.values, v) if isinstance(v, str) else None
                    if val is None:
                        self.bad("O003", fpath, f"`{_shown(v)}` is not a {a.label} of `{o.label}`",
                                 help="one of: " + ", ".join(x.label for x in a.values.values()))
                    else:
                        opt.designations.add((a.id, val.id))
                continue
            f = self.names.lookup(o.flags, key)
            if f is not None:
                if given.setdefault(("flag", f.id), key) != key and \
                        not self.once(given, ("flag", f), key, path, f"`{f.label}` ({f.id}) of `{o.label}`"):
                    continue
                if not isinstance(value, bool):
                    self.bad("O002", fpath, f"`{f.label}` is true or false, found `{json.dumps(value, ensure_ascii=False)}`")
                else:
                    opt.flags[f.id] = value
                continue
            df = self.names.lookup(o.dates, key)
            if df is not None:
                if given.setdefault(("date", df.id), key) != key and \
                        not self.once(given, ("date", df), key, path, f"`{df.label}` ({df.id}) of `{o.label}`"):
                    continue
                n = self.day(value, fpath)
                if n is not None:
                    opt.dates[df.id] = n
                continue
            names = ["count"] + list(o.quantities) + list(o.attributes) + list(o.flags) + list(o.dates) + \
                [q.label for q in o.quantities.values()] + [a.label for a in o.attributes.values()] + \
                [f.label for f in o.flags.values()]
            self.bad("O003", fpath, f"`{o.label}` has no `{key}`",
                     help=did_you_mean(key, names) or "it has: " + ", ".join(names[:1 + len(o.quantities)]))
        return len(self.diags) == before

    def structure(self, contracts: list[ContractEntry]) -> None:
        if all(c.parent is None for c in contracts):  # most orders: only the ids to compare
            seen: set[str] = set()
            for c in contracts:
                if c.id in seen:
                    self.bad("O010", f"contracts[{c.index}].id", f"two contracts have the id `{c.id}`",
                             help="give each contract in the order its own id")
                seen.add(c.id)
            return
        by_id = {c.id: c for c in contracts}
        for c in contracts:
            p = by_id.get(c.parent) if c.parent is not None else None
            if p is not None:
                p.children[c.kind] = p.children.get(c.kind, 0) + 1
        ids: dict[str, ContractEntry] = {}
        for c in contracts:
            if c.id in ids:
                self.bad("O010", f"contracts[{c.index}].id", f"two contracts have the id `{c.id}`",
                         help="give each contract in the order its own id")
            ids[c.id] = c
        in_cycle = self.parent_cycles(contracts, ids)
        for c in contracts:
            kind = self.t.contracts[c.kind]
            if c.parent is None or c.id in in_cycle:
                continue
            p = ids.get(c.parent)
            if kind.parent is None:
                self.bad("O010", f"contracts[{c.index}].parent", f"a `{kind.label}` has no parent contract")
            elif p is None:
                self.bad("O010", f"contracts[{c.index}].parent", f"no contract in the order has the id `{c.parent}`",
                         help=did_you_mean(c.parent, ids) or "list the parent contract in `contracts`")
            elif p.kind != kind.parent:
                want = self.t.contracts[kind.parent].label
                self.bad("O010", f"contracts[{c.index}].parent",
                         f"`{c.parent}` is a `{self.t.contracts[p.kind].label}`, not a `{want}`")

    def parent_cycles(self, contracts: list[ContractEntry], ids: dict[str, ContractEntry]) -> set[str]:
        """One O010 for each cycle of `parent` links (`a` names `a`, or `a` names `b` and `b`
        names `a`), at the first of its contracts in the order; returns the ids in cycles, whose
        links are not judged otherwise. The kinds' parents do not rule cycles out: a spec may
        make a kind of contract its own kind's parent."""
        done: set[str] = set()
        in_cycle: set[str] = set()
        for c in contracts:
            chain: list[str] = []  # the ids followed from c, in order
            cid: str | None = c.id
            while cid is not None and cid not in done and cid not in chain:
                chain.append(cid)
                parent = ids[cid].parent
                cid = parent if parent in ids else None
            if cid is not None and cid in chain:
                ring = chain[chain.index(cid):]  # the cycle, from where the chain entered it
                first = min((ids[x] for x in ring), key=lambda e: e.index)
                start = ring.index(first.id)
                ring = ring[start:] + ring[:start]
                if len(ring) == 1:
                    message = f"contract `{first.id}` is its own parent"
                    help = "`parent` is the id of another contract in the order, or is left out"
                else:
                    names = ", ".join(f"`{x}`" for x in ring[:-1]) + f" and `{ring[-1]}`"
                    message = f"the parents of {names} form a cycle: " + " → ".join(f"`{x}`" for x in ring + ring[:1])
                    help = "a chain of parents ends at a contract with none; one of these names a contract below it"
                self.bad("O010", f"contracts[{first.index}].parent", message, help=help)
                in_cycle.update(ring)
            done.update(chain)
        return in_cycle


@lru_cache(maxsize=4096)
def _day_number(text: str) -> int | None:
    """The day number of a date `YYYY-MM-DD` this checker reads, or None (`_Decoder.day` then
    says why). Kept: an order's dates repeat across orders, and reading one costs a regex and a
    date."""
    if not _DATE_FORM.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day.toordinal() if FIRST_DAY <= day <= LAST_DAY else None


def _as_ref(path: str, index: int) -> FieldRef:
    """An order path (`contracts[0].changes.options.foo`) as a FieldRef of its contract."""
    head = f"contracts[{index}]"
    rest = path[len(head) + 1:] if path.startswith(head + ".") else path
    return FieldRef(index, *rest.split(".")) if rest else FieldRef(index)


def _unset(kind: str, path: tuple[str, ...], at: str, index: int) -> FieldRef:
    """The path a verdict gives the field of a contract state (`at` ends in `.current` for the
    state before a request) that a breach leaves without a value of the order."""
    return ref_of(ir.Field(kind, path, "old" if at.endswith(".current") else "new"), index)


def _copy_option(o: OptionState) -> OptionState:
    return OptionState(o.count, dict(o.quantities), set(o.designations), dict(o.dates), dict(o.flags))


def _members(kind: M.ContractKind):
    return (list(kind.dimensions.values()) + list(kind.quantities.values()) + list(kind.flags.values())
            + list(kind.dates.values()))
