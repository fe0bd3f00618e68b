"""Reading a spec's test file strictly: every mistake named by its JSON path, at its line.

cases.py describes the format. This reader checks it before anything runs: a misspelt key,
an `expect` that is not one of the three verdicts, or a `broken` entry naming a rule the spec
does not have is reported as T002 with the file, line and column, so a test never passes
because its file says something other than what its author meant. A missing file is T003.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from .. import catalog
from ..model import tariff as M
from ..model.citation import CitationError, parse_citation
from ..common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from ..common.span import Span
from .cases import Case

TOP_KEYS = ("tariff", "cases")
CASE_KEYS = ("name", "order", "expect", "broken", "expect_clauses", "codes", "effective")
VERDICTS = ("valid", "invalid", "error")
_CODE = re.compile(r"[A-Z]\d{3}")


def tests_path(spec: Path) -> Path:
    """Where a spec's tests live: `specs/NAME.tests.json` beside `specs/NAME.tariff`."""
    return spec.with_name(spec.stem + ".tests.json")


def load_spec_tests(spec: str, tests: str | None = None) -> tuple[M.Tariff, list[Case], str]:
    """A spec (a bundled tariff's name or a .tariff file), its cases (from `tests`, or the file
    beside the spec) and the test file's name as messages give it."""
    tariff = catalog.load(spec)
    path = Path(tests) if tests is not None else tests_path(Path(tariff.path))
    shown = tests if tests is not None else catalog.display_path(str(path))
    return tariff, load_test_file(path, tariff, shown), shown


def load_test_file(path: Path, tariff: M.Tariff, shown: str | None = None) -> list[Case]:
    """The cases of a test file for `tariff`; raise DiagnosticError (T002, T003) on any mistake.

    `shown` is the file's name as messages give it (the path as the user wrote it by default).
    """
    shown = shown or str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DiagnosticError([Diagnostic(
            "T003", f"no test file `{shown}` for tariff `{tariff.id}`",
            help="write the spec's cases there (docs/testing.md), or name the file with `--tests`")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"byte {exc.start} is not UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
        raise DiagnosticError([Diagnostic("T003", f"cannot read the test file `{shown}`: {reason}",
                                          help="a test file is UTF-8 JSON (docs/testing.md)")]) from None
    reader = _Reader(shown, text, tariff)
    cases = reader.read()
    if reader.problems:
        raise DiagnosticError(reader.problems, {shown: text})
    return cases


class _Reader:
    def __init__(self, shown: str, text: str, tariff: M.Tariff):
        self.shown = shown
        self.text = text
        self.tariff = tariff
        self.problems: list[Diagnostic] = []
        self.where: dict[int, tuple[int, int]] = {}  # id of a parsed object or list -> (start, end)
        self.instances = {r.id: {s for s in r.subjects if s is not None}
                          for r in list(tariff.rules) + list(tariff.order_rules.values())}
        self.effective_days = {d.id: {s for s in d.subjects if s is not None} for d in tariff.derived if d.takes_effect}

    def read(self) -> list[Case]:
        try:
            data = _parse(self.text, self.where)
        except json.JSONDecodeError as exc:
            span = Span(self.shown, exc.lineno, exc.colno, exc.lineno, exc.colno + 1)
            self.problems.append(Diagnostic("T002", f"the test file is not valid JSON: {exc.msg.lower()}",
                                            span=span, label="here",
                                            help="check for a missing comma, quote or brace"))
            return []
        except RecursionError:
            self.error("the test file is nested too deeply to be a test file", "", None)
            return []
        if not isinstance(data, dict):
            self.error("a test file is a JSON object with `cases`", "", data,
                       help='write {"tariff": "...", "cases": [...]} (docs/testing.md)')
            return []
        self.unknown_keys(data, "", TOP_KEYS)
        named = data.get("tariff")
        if named is not None and (not isinstance(named, str) or _same_id(named) != _same_id(self.tariff.id)):
            self.error(f"the test file is for tariff `{named}`, not `{self.tariff.id}`", "tariff", data,
                       key="tariff", help=f'write "tariff": "{self.tariff.id}", or test it with its own spec')
        if "cases" not in data:
            self.error("the test file has no `cases`", "", data, help="list the cases in `cases` (docs/testing.md)")
            return []
        if not isinstance(data["cases"], list):
            self.error("`cases` must be a list of cases", "cases", data, key="cases")
            return []
        return [c for c in (self.case(i, c) for i, c in enumerate(data["cases"])) if c is not None]

    def case(self, i: int, c: object) -> Case | None:
        path = f"cases[{i}]"
        if not isinstance(c, dict):
            self.error(f"`{path}` must be an object with `name`, `order` and `expect`", path, c)
            return None
        before = len(self.problems)
        self.unknown_keys(c, path, CASE_KEYS)
        name = c.get("name")
        if not isinstance(name, str) or not name.strip():
            self.error(f"`{path}` has no `name`", f"{path}.name", c, key="name",
                       help="name the case after the clause it tests: \"第5条第2項: a tunnel on type O is rejected\"")
        if "order" not in c:
            self.error(f"`{path}` has no `order`", f"{path}.order", c,
                       help="give the order to check, as in docs/orders.md")
        expect = c.get("expect", "valid")
        if expect not in VERDICTS:
            self.error(f"`{path}.expect` is `{_short(expect)}`; it must be `valid`, `invalid` or `error`",
                       f"{path}.expect", c, key="expect",
                       help=did_you_mean(str(expect), VERDICTS) if isinstance(expect, str) else None)
            expect = None
        broken = self.names(c, path, "broken", expect, "invalid")
        codes = self.names(c, path, "codes", expect, "error")
        if expect == "invalid" and broken == []:
            self.error(f"`{path}` expects `invalid` but does not say what it breaks", f"{path}.broken", c,
                       help='list the broken rule instances: "broken": ["RULE"] or ["RULE:OPTION"]')
        for j, b in enumerate(broken or []):
            self.check_instance(b, f"{path}.broken[{j}]", c["broken"], j)
        for j, code in enumerate(codes or []):
            if not _CODE.fullmatch(code):
                self.error(f"`{path}.codes[{j}]` is `{code}`, not an error code", f"{path}.codes[{j}]",
                           c["codes"], key=j, help="error codes look like `O003` (docs/errors.md)")
        clauses = self.clauses(c, path, expect)
        effective = self.effective(c, path, expect)
        if len(self.problems) > before:
            return None
        return Case(name, c["order"], expect, broken or [], codes or [], i, effective or {}, clauses)

    def clauses(self, c: dict, path: str, expect: str | None) -> list[str] | None:
        """`expect_clauses`: the clauses the order breaks, each a citation as the text writes it,
        kept in the one spelling citations print in (`第 5 条第 2 項` is `第5条第2項`)."""
        if "expect_clauses" not in c:
            return None
        value = self.names(c, path, "expect_clauses", expect, "invalid")
        if value is None:
            return None
        where = f"{path}.expect_clauses"
        if not value:
            self.error(f"`{where}` is empty; an invalid order breaks some clause", where, c, key="expect_clauses",
                       help='list the clauses the broken rules cite: "expect_clauses": ["第5条第2項"]')
            return None
        out = []
        for j, text in enumerate(value):
            try:
                out.append(str(parse_citation(text)))
            except CitationError as exc:
                self.error(f"`{where}[{j}]` is `{_short(text)}`, not a clause", f"{where}[{j}]",
                           c["expect_clauses"], key=j, help=str(exc).split("; ", 1)[-1])
        return out

    def effective(self, c: dict, path: str, expect: str | None) -> dict[str, str] | None:
        """`effective`: the days the request takes effect, by `DERIVE[:OPTION]`, each `YYYY-MM-DD`."""
        if "effective" not in c:
            return {}
        value, where = c["effective"], f"{path}.effective"
        if not isinstance(value, dict):
            self.error(f"`{where}` must be an object of days", where, c, key="effective",
                       help='write e.g. "effective": {"cancellation_effective": "2026-03-02"}')
            return None
        if expect == "error":
            self.error(f"`{path}` expects `error` but gives `effective`; bad input takes effect on no day", where, c,
                       key="effective", help="remove `effective`, or expect `valid` or `invalid`")
            return None
        ok = True
        for key, day in value.items():
            derive, _, subject = key.partition(":")
            if derive not in self.effective_days:
                ok = False
                known = ", ".join(f"`{d}`" for d in self.effective_days)
                self.error(f"`{where}` names `{derive}`, which is not a day tariff `{self.tariff.id}` takes effect on",
                           f"{where}.{key}", value, key=key,
                           help=did_you_mean(derive, self.effective_days) or
                           (f"the keys are ids of `derive … takes_effect` declarations: {known}" if known else
                            f"tariff `{self.tariff.id}` declares no `derive … takes_effect`"))
            elif subject and subject not in self.effective_days[derive]:
                ok = False
                subjects = sorted(self.effective_days[derive])
                self.error(f"`{where}` names `{key}`, but `{derive}` is not derived for option `{subject}`",
                           f"{where}.{key}", value, key=key,
                           help=did_you_mean(subject, subjects) or
                           (f"it is derived for {', '.join(f'`{s}`' for s in subjects)}" if subjects else
                            f"`{derive}` is a day of the contract: write `{derive}`"))
            if not isinstance(day, str) or not _is_day(day):
                ok = False
                self.error(f"`{where}.{key}` is `{_short(day)}`, not a day", f"{where}.{key}", value, key=key,
                           help="write the day as YYYY-MM-DD")
        return dict(value) if ok else None

    def names(self, c: dict, path: str, key: str, expect: str | None, belongs: str) -> list[str] | None:
        """`broken` or `codes`: a list of strings, given only with the verdict it belongs to
        (None when it is not one)."""
        if key not in c:
            return []
        value = c[key]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.error(f"`{path}.{key}` must be a list of strings", f"{path}.{key}", c, key=key)
            return None
        if expect is not None and expect != belongs:
            self.error(f"`{path}` expects `{expect}` but gives `{key}`, which only an `{belongs}` case has",
                       f"{path}.{key}", c, key=key,
                       help=f'write "expect": "{belongs}", or remove `{key}`')
            return None
        return list(value)

    def check_instance(self, text: str, path: str, owner: list, j: int) -> None:
        rule, _, subject = text.partition(":")
        if rule not in self.instances:
            self.error(f"`{path}` names rule `{rule}`, which tariff `{self.tariff.id}` does not have", path, owner, key=j,
                       help=did_you_mean(rule, self.instances) or "the rule ids are the names after `rule` in the spec")
        elif subject and subject not in self.instances[rule]:
            subjects = sorted(self.instances[rule])
            self.error(f"`{path}` names `{text}`, but rule `{rule}` is not about option `{subject}`", path, owner, key=j,
                       help=did_you_mean(subject, subjects) or
                       (f"its subjects are {', '.join(f'`{s}`' for s in subjects)}" if subjects else
                        f"rule `{rule}` is about the contract: write `{rule}`"))

    def unknown_keys(self, obj: dict, path: str, known: tuple[str, ...]) -> None:
        for key in obj:
            if key not in known:
                where = f"{path}.{key}" if path else key
                self.error(f"`{where}` is not a field of a test {'case' if path else 'file'}", where, obj, key=key,
                           help=did_you_mean(key, known) or "the fields are " + ", ".join(f"`{k}`" for k in known))

    def error(self, message: str, path: str, owner: object, key: str | int | None = None,
              help: str | None = None):
        """One T002 at `owner` (the object or list the mistake is in), at its member `key` (a key
        of an object, an index of a list) when that is there."""
        start, end = self.where.get(id(owner), (0, len(self.text)))
        offset, width = start, 1
        if key is not None:
            offset, width = _member(self.text, start, end, key)
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        span = Span(self.shown, line, column, line, column + width)
        label = f"in `{path}`" if path else None
        self.problems.append(Diagnostic("T002", message, span=span, label=label, help=help))


def _parse(text: str, where: dict[int, tuple[int, int]]) -> object:
    """json.loads that also records where each object and list starts and ends."""
    from json import decoder, scanner

    def parse_object(s_and_end, *args):
        obj, end = decoder.JSONObject(s_and_end, *args)
        where[id(obj)] = (s_and_end[1] - 1, end)
        return obj, end

    def parse_array(s_and_end, *args):
        arr, end = decoder.JSONArray(s_and_end, *args)
        where[id(arr)] = (s_and_end[1] - 1, end)
        return arr, end

    dec = json.JSONDecoder()
    dec.parse_object = parse_object
    dec.parse_array = parse_array
    dec.scan_once = scanner.py_make_scanner(dec)  # the C scanner would not call the hooks
    return dec.decode(text)


def _member(text: str, start: int, end: int, key: str | int) -> tuple[int, int]:
    """Where a member of the object or list text[start:end] is written, and its width: the
    `"key"` of an object's member, or a list's item number `key`; (start, 1) when it is not there."""
    depth, i, item = 0, start + 1, 0
    while i < end:
        ch = text[i]
        if depth == 0 and isinstance(key, int) and item == key and ch not in " \t\r\n":
            j = _value_end(text, i, end)
            return i, max(1, j - i)
        if ch == '"':
            j = _string_end(text, i, end)
            if depth == 0 and isinstance(key, str):
                k = j
                while k < end and text[k] in " \t\r\n":
                    k += 1
                if k < end and text[k] == ":" and json.loads(text[i:j]) == key:
                    return i, j - i
            i = j
            continue
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        elif ch == "," and depth == 0:
            item += 1
        i += 1
    return start, 1


def _string_end(text: str, i: int, end: int) -> int:
    """The index after the string literal that starts at text[i]."""
    j = i + 1
    while j < end and text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _value_end(text: str, i: int, end: int) -> int:
    """The index after a list item that starts at text[i] (a string, or up to `,` or `]`)."""
    if text[i] == '"':
        return _string_end(text, i, end)
    j = i
    while j < end and text[j] not in ",]{[\r\n":
        j += 1
    return j


def _is_day(text: str) -> bool:
    """`YYYY-MM-DD`, and a day the calendar has."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _same_id(name: str) -> str:
    return name.strip().replace("-", "_")


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."
