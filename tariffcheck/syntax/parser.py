"""Text to syntax tree: the Lark grammar in tariff.lark, with positions kept on every node.

A parse failure becomes diagnostic E001. Where the failing input looks like a mistake we
have seen before (the table `COMMON_MISTAKES`), the help line says what to write instead.

Analysing the grammar into LALR tables takes about a third of a second, in every process that
parses a spec. Lark's `cache` option keeps the analysed parser in a file, here one per grammar,
Lark and Python version in the user's cache folder (`$XDG_CACHE_HOME/tariffcheck`, else
`~/.cache/tariffcheck`); when that folder cannot be made, is not the user's own, or cannot be
written, the grammar is analysed as before and nothing is said.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import threading
import warnings
from functools import lru_cache
from importlib import resources

import lark
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import tree as S
from ..common.diagnostics import Diagnostic, DiagnosticError

MAX_SPEC_BYTES = 2_000_000

# How deeply an expression may nest: operators inside operators (`not not x`, `(a and (b or
# c))`, `f(g(x))`), where a chain `a + b + c` counts one level per operator, since every stage
# reads it as `(a + b) + c`. Tariffs nest a handful deep; the bound keeps each stage that walks an
# expression (the syntax tree, resolution, the generated Python of the concrete validator, the
# Z3 terms, lint and diff) far from Python's limits (1,000 frames, 200 nested brackets).
# Parentheses alone do not nest: `((x))` is `x`.
MAX_NESTING = 50

# The expression nodes of the Lark tree, each a level of nesting; a chain node (`sum`, `product`)
# is as many levels as it has operators. Leaves (numbers, days, names) are not levels.
_NESTING_NODES = frozenset({"implies", "or_expr", "and_expr", "not_", "compare", "member", "sum", "product",
                            "neg", "call"})
_CHAINS = frozenset({"sum", "product"})

# Lark's match_examples maps a failure to the nearest of these; each key is the help line.
COMMON_MISTAKES: dict[str, list[str]] = {
    "a rule cites its clause right after its id: `rule r1 @第5条第2項 { ... }`": [
        'tariff t "T"\nrule r1 { require true ja "x" en "x" } @第5条',
    ],
    "write `require` (or `forbid`) before the condition: `for tunnel require item in {itam_l}`": [
        'tariff t "T"\nrule r1 @第5条 { for a item in {x} }',
        'tariff t "T"\nrule r1 @第5条 { for a requires b }',
    ],
    "a set of values is written in braces: `item in {itam_l, itam_x}`": [
        'tariff t "T"\nrule r1 @第5条 { require item in itam_l }',
        'tariff t "T"\nrule r1 @第5条 { require item in (a, b) }',
    ],
    "compare with `==`, not `=`": [
        'tariff t "T"\nrule r1 @第5条 { require a.accounts = accounts }',
        'tariff t "T"\nrule r1 @第5条 { require accounts = 50 }',
        'tariff t "T"\nrule r1 @第5条 { when accounts = 50 require true }',
        'tariff t "T"\nrule r1 @第5条 { when a.accounts = accounts require true }',
        'tariff t "T"\nrule r1 @第5条 { require (accounts = 50) }',
        'tariff t "T"\nrule r1 @第5条 { require (a.accounts = accounts) }',
    ],
    "a declaration needs an id and an official name in quotes: `option tunnel \"トンネル接続オプション\"`": [
        'tariff t "T"\ncontract c "C" { option "トンネル" }',
        'tariff t "T"\ncontract c "C" { option tunnel }',
        'tariff t "T"\ncontract c "C" { dimension item { a "A" } }',
    ],
    "ids are ASCII letters, digits and `_`; put the official name in quotes after the id": [
        'tariff t "T"\ncontract c "C" { option トンネル "トンネル" }',
    ],
    "a string needs its closing `\"`": [
        'tariff t "T\n',
        'tariff t "T"\nrule r1 @第5条 { require true ja "x }',
    ],
    "the file starts with a header: `tariff secure_endpoint \"IIJ セキュアエンドポイントサービス\"`": [
        'contract c "C" { }',
        'rule r1 @第5条 { require true }',
    ],
}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("tariff.lark").read_text(encoding="utf-8")
    options = dict(parser="lalr", propagate_positions=True, maybe_placeholders=False)
    path = _cache_file(grammar)
    if path is None:
        return Lark(grammar, **options)
    if os.path.exists(path):
        return Lark(grammar, cache=path, **options)  # Lark checks the file's grammar hash, and rebuilds if need be
    # written under a name of its own, then renamed: a process starting meanwhile never reads half a file
    partial = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    parser = Lark(grammar, cache=partial, **options)
    try:
        os.replace(partial, path)
    except OSError:  # Lark could not write it: no cache, and no trace left
        try:
            os.remove(partial)
        except OSError:
            pass
    return parser


def _cache_file(grammar: str) -> str | None:
    """The file that keeps this grammar's analysed parser, or None when there is no safe place.
    Lark's cache is a pickle, which runs code when loaded: its folder must be the user's alone."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative path is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "tariffcheck")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            return None
        if not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None
    key = "\0".join((grammar, lark.__version__, sys.version))
    return os.path.join(folder, f"grammar-{hashlib.sha256(key.encode()).hexdigest()[:20]}.lark")


def parse_text(text: str, path: str = "<tariff>") -> S.TariffFile:
    """Parse a tariff's text; raise DiagnosticError (E001) if it is not in the language."""
    _refuse_lone_surrogate(text, path)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise DiagnosticError([_parse_diagnostic(exc, text, path)], {path: text}) from None
    too_deep = _nesting_diagnostics(tree, path)
    if too_deep:  # before any stage walks the expressions recursively
        raise DiagnosticError(too_deep, {path: text})
    try:
        return _ToSyntax(path, text).transform(tree)
    except VisitError as exc:  # a malformed literal found while building nodes
        if isinstance(exc.orig_exc, DiagnosticError):  # re-raised so its text shows the source line
            raise DiagnosticError(exc.orig_exc.diagnostics, {**exc.orig_exc.sources, path: text}) from None
        if isinstance(exc.orig_exc, _BadLiteral):
            bad = exc.orig_exc
            end = bad.tok.end_column if bad.tok.end_line == bad.tok.line else bad.tok.column + 1
            span = S.Span(path, bad.tok.line, bad.tok.column, bad.tok.line, end)
            raise DiagnosticError([Diagnostic("E001", bad.message, span=span, label="cannot read this",
                                              help=bad.help)], {path: text}) from None
        raise


def _nesting_diagnostics(tree: Tree, path: str) -> list[Diagnostic]:
    """E015 for each outermost expression nested deeper than MAX_NESTING, at the first node (in
    the text's order) where the limit is crossed; for a chain (`a + b + …`), the chain. The walk
    keeps its own stack, so no depth of input makes it recurse."""
    out: list[Diagnostic] = []
    reported: set[int] = set()  # the outermost expressions already told
    stack: list[tuple[Tree, int, int]] = [(tree, 0, 0)]  # (node, its level (0: not in an expression), its outermost)
    while stack:  # children are pushed last first, so nodes are visited in the text's order
        node, level, root = stack.pop()
        if root in reported:
            continue
        children = [c for c in node.children if isinstance(c, Tree)]
        chain = node.data in _CHAINS
        if (level + len(children) - 2 if chain else level) > MAX_NESTING:  # a chain's innermost operator
            reported.add(root)
            out.append(_too_deep(node, path))
            continue
        for j in reversed(range(len(children))):
            child = children[j]
            nests = child.data in _NESTING_NODES
            # `a + b + c` is `(a + b) + c`: operand j is an operand of the chain's operator at
            # level + k - 1 - max(j, 1), k operands having k - 1 operators one inside the other
            base = level + len(children) - 1 - max(j, 1) if chain else level
            stack.append((child, base + nests, root if level else id(child)))
    return out


def _too_deep(node: Tree, path: str) -> Diagnostic:
    chain = node.data in _CHAINS
    return Diagnostic(
        "E015", f"this expression is nested more than {MAX_NESTING} levels deep", span=_span(path, node.meta),
        label="this chain goes past the limit" if chain else f"level {MAX_NESTING + 1} starts here",
        help="write the condition as several rules, or more simply; a chain `a + b + …` counts one level "
             "per operator, and parentheses alone do not count")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogate(text: str, path: str) -> None:
    """A str may hold half of a UTF-16 pair (`"\\ud800"`), which no UTF-8 file can: it is no
    character, and everything after the parser (hashing, Z3 names, output) would trip on it."""
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return
    at = found.start()
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    raise DiagnosticError([Diagnostic(
        "E012", f"the spec's text holds `\\u{ord(text[at]):04x}`, half of a UTF-16 pair, which is no character",
        span=S.Span(path, line, column, line, column + 1), label="not a character",
        help="write the character itself; a spec is UTF-8 text")], {path: text})


def parse_file(path: str) -> S.TariffFile:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise DiagnosticError(
            [Diagnostic("E012", f"cannot read `{path}`: {exc.strerror or exc}", help="check the path")]
        ) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise DiagnosticError(
            [Diagnostic("E012", f"`{path}` is larger than {MAX_SPEC_BYTES:,} bytes",
                        help="a tariff spec is a text of a few hundred lines; is this the right file?")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DiagnosticError(
            [Diagnostic("E012", f"`{path}` is not UTF-8 text (byte {exc.start})",
                        help="save the spec as UTF-8")]
        ) from None
    return parse_text(text, path)


def _parse_diagnostic(exc: UnexpectedInput, text: str, path: str) -> Diagnostic:
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    if isinstance(exc, UnexpectedEOF) or line < 1:
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    help_line = None
    try:
        help_line = _match_mistake(exc)
    except Exception:  # matching re-parses examples; a failure there must not hide the error
        help_line = None
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        message = f"unexpected character `{ch}`"
        label = "not part of the tariff language here"
    elif isinstance(exc, UnexpectedToken):
        tok = exc.token
        shown = "end of file" if tok.type == "$END" else f"`{tok}`"
        message = f"unexpected {shown}"
        expected = sorted(_describe(t) for t in exc.accepts or exc.expected)
        label = "expected " + ", ".join(expected[:6]) + (" ..." if len(expected) > 6 else "")
    else:
        message = "unexpected end of file"
        label = "the file ends inside a declaration"
    width = 1
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        width = max(1, len(str(exc.token).splitlines()[0]) if str(exc.token) else 1)
    span = S.Span(path, line, column, line, column + width)
    return Diagnostic("E001", message, span=span, label=label,
                      help=help_line or "see docs/dsl.md for the shape of each declaration")


@lru_cache(maxsize=1)
def _mistake_failures() -> list[tuple[str, UnexpectedInput]]:
    out = []
    for label, examples in COMMON_MISTAKES.items():
        for malformed in examples:
            try:
                _lark().parse(malformed)
            except UnexpectedInput as ut:
                out.append((label, ut))
    return out


def _match_mistake(exc: UnexpectedInput) -> str | None:
    """Lark's match_examples, but keyed on the LALR state alone.

    Lark's own version also requires the same parser *stack depth*, so an example written
    as `rule r1 @第5条 { require a = b }` never matched the same mistake after a `for`
    clause, an optional citation or inside parentheses.
    """
    def position(e):
        return getattr(e.state, "position", e.state)

    if exc.state is None:
        return None
    candidate = None
    for label, ut in _mistake_failures():
        if ut.state is None or position(ut) != position(exc):
            continue
        if isinstance(exc, UnexpectedToken) and isinstance(ut, UnexpectedToken):
            if ut.accepts != exc.accepts:
                continue
            if ut.token == exc.token:
                return label
        if isinstance(exc, UnexpectedCharacters) and isinstance(ut, UnexpectedCharacters) and ut.char == exc.char:
            return label
        if candidate is None:
            candidate = label
    return candidate


_TERMINAL_WORDS = {
    "NAME": "an id", "STRING": "a quoted name", "INT": "a number", "DATE": "a date",
    "CITE": "a citation", "LBRACE": "`{`", "RBRACE": "`}`", "LPAR": "`(`", "RPAR": "`)`",
    "COMMA": "`,`", "DOT": "`.`", "CMP": "a comparison", "VERB": "`require` or `forbid`",
    "LANG": "`ja` or `en`", "$END": "end of file", "UNIT": "a unit (days, months, years)",
    "EQUAL": "`=`", "ADDOP": "`+` or `-`", "MULOP": "`*` or `%`", "AT": "`@`",
}


def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    try:
        pattern = _lark().get_terminal(terminal).pattern
        if pattern.type == "str":
            return f"`{pattern.value}`"
    except KeyError:
        pass
    return f"`{terminal.lower()}`"


def _span(path: str, meta_or_token) -> S.Span:
    m = meta_or_token
    return S.Span(path, m.line, m.column, m.end_line, m.end_column)


class _BadLiteral(Exception):
    """A string or number the grammar admits but Python cannot read (`"\\x"`, 5000 digits)."""

    def __init__(self, tok: Token, message: str, help: str):
        super().__init__(message)
        self.tok, self.message, self.help = tok, message, help


MAX_INT_DIGITS = 100


def _string(tok: Token) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # `"\q"` keeps its backslash, as before, without a warning
            return ast.literal_eval(tok)  # the grammar admits only "..." with backslash escapes
    except (SyntaxError, ValueError):
        raise _BadLiteral(tok, "this string has a malformed escape",
                          'write `\\\\` for a backslash; `\\"` for a quote; `\\uXXXX` for a character') from None


def _int(tok: Token) -> int:
    if len(tok) > MAX_INT_DIGITS:
        raise _BadLiteral(tok, f"a number of {len(tok)} digits is too long",
                          f"numbers in a tariff have at most {MAX_INT_DIGITS} digits")
    return int(tok)


def _find(items, kind):
    for x in items:
        if isinstance(x, kind):
            return x
    return None


class _Note(str):
    pass


class _Parent(tuple):
    pass


class _Scope(tuple):
    pass


class _Also(list):
    pass


class _Default(int):
    pass


class _Counted:
    pass


class _Optional:
    pass


class _Legacy:
    pass


class _Undefined:
    pass


class _Renews:
    def __init__(self, notice: S.DurationLit | None):
        self.notice = notice  # how long before the expiry the notice must arrive; None: nothing stops it


class _TakesEffect:
    pass


class _OptionDate:
    def __init__(self, decl):
        self.decl = decl


class _RequestFlag:
    def __init__(self, decl):
        self.decl = decl


class _OptionBody(list):
    pass


class _OnePerContract:
    def __init__(self, cite):
        self.cite = cite


class _OptionList:
    def __init__(self, cite):
        self.cite = cite


def _spellings(items) -> list:
    return [x for x in items if isinstance(x, S.Spelling)]


class _When:
    def __init__(self, expr):
        self.expr = expr


class _Subjects(list):
    pass


class _PerOption:
    pass


class _Each:
    pass


class _WholeMonths:
    def __init__(self, cite):
        self.cite = cite


class _DueFrom(tuple):
    pass


class _TariffLink(tuple):
    pass


@v_args(meta=True)
class _ToSyntax(Transformer):
    def __init__(self, path: str, text: str):
        super().__init__()
        self.path = path
        self.text = text

    def sp(self, meta) -> S.Span:
        return _span(self.path, meta)

    def tsp(self, tok: Token) -> S.Span:
        return _span(self.path, tok)

    # ---- header and file --------------------------------------------------------------
    def start(self, meta, items):
        header = items[0]
        out = S.TariffFile(
            name=header["name"], title=header["title"], source=header.get("source"),
            as_of=header.get("as_of"), contracts=[], services=[], rules=[], versions=[],
            renames=[], periods=[], derives=[], fees=[], path=self.path, text=self.text,
            span=header["span"], title_spellings=header["spellings"],
        )
        for d in items[1:]:
            if isinstance(d, S.ContractDecl):
                out.contracts.append(d)
            elif isinstance(d, S.ServiceDecl):
                out.services.append(d)
            elif isinstance(d, S.RuleDecl):
                out.rules.append(d)
            elif isinstance(d, tuple) and d and d[0] == "history":
                for h in d[1]:
                    (out.versions if isinstance(h, S.VersionDecl) else out.renames).append(h)
            elif isinstance(d, S.PeriodDecl):
                out.periods.append(d)
            elif isinstance(d, S.DeriveDecl):
                out.derives.append(d)
            elif isinstance(d, S.FeeDecl):
                out.fees.append(d)
            elif isinstance(d, _RequestFlag):
                out.request_flags.append(d.decl)
            elif isinstance(d, S.DueDecl):
                out.dues.append(d)
        return out

    def header(self, meta, items):
        name, title, *fields = items
        h = {"name": str(name), "title": _string(title), "span": self.sp(meta), "spellings": _spellings(fields)}
        for f in fields:
            if isinstance(f, tuple):
                h[f[0]] = f[1]
        return h

    def source(self, meta, items):
        return ("source", _string(items[0]))

    def as_of(self, meta, items):
        return ("as_of", (str(items[0]), self.tsp(items[0])))

    # ---- small pieces -----------------------------------------------------------------
    def cite(self, meta, items):
        tok = items[0]
        text = str(tok)[1:] if tok.type == "CITE" else _string(tok)
        return S.Cite(text, self.sp(meta))

    def note(self, meta, items):
        return _Note(_string(items[0]))

    def parent(self, meta, items):
        return _Parent((str(items[0]), self.tsp(items[0])))

    def scope(self, meta, items):
        return _Scope((str(items[0]), self.tsp(items[0])))

    def also(self, meta, items):
        return _Also(items)

    def spelled(self, meta, items):
        return S.Spelling(_string(items[0]), tuple(x for x in items[1:] if isinstance(x, S.Cite)), self.sp(meta))

    def one_per_contract(self, meta, items):
        return _OnePerContract(items[0])

    def option_list(self, meta, items):
        return _OptionList(items[0])

    def default(self, meta, items):
        return _Default(_int(items[0]))

    def counted(self, meta, items):
        return _Counted()

    def tariff_link(self, meta, items):
        return _TariffLink((str(items[0]), self.tsp(items[0])))

    def ref(self, meta, items):
        parts = tuple(_string(t) if t.type == "STRING" else str(t) for t in items)
        quoted = tuple(t.type == "STRING" for t in items)
        return S.Ref(parts, quoted, self.sp(meta))

    # ---- declarations -----------------------------------------------------------------
    def _head(self, items):
        name, label, *rest = items
        return str(name), _string(label), rest

    def contract(self, meta, items):
        name, label, rest = self._head(items)
        listed = _find(rest, _OptionList)
        c = S.ContractDecl(name, label, _find(rest, S.Cite), _find(rest, _Parent), _find(rest, _Note),
                           span=self.sp(meta), option_list=listed.cite if listed else None)
        for m in rest:
            if isinstance(m, S.DimensionDecl):
                c.dimensions.append(m)
            elif isinstance(m, S.QuantityDecl):
                c.quantities.append(m)
            elif isinstance(m, S.FlagDecl):
                c.flags.append(m)
            elif isinstance(m, S.DateFieldDecl):
                c.dates.append(m)
            elif isinstance(m, S.OptionDecl):
                c.options.append(m)
            elif isinstance(m, S.UsageDecl):
                c.usage.append(m)
            elif isinstance(m, _OptionDate):
                c.option_dates.append(m.decl)
        return c

    def dimension(self, meta, items):
        name, label, rest = self._head(items)
        values = [v for v in rest if isinstance(v, S.ValueDecl)]
        one = _find(rest, _OnePerContract)
        return S.DimensionDecl(name, label, _find(rest, S.Cite), _find(rest, _Note), values, self.sp(meta),
                               optional=_find(rest, _Optional) is not None, one_per_contract=one.cite if one else None,
                               spellings=_spellings(rest))

    def optional(self, meta, items):
        return _Optional()

    def legacy(self, meta, items):
        return _Legacy()

    def undefined(self, meta, items):
        return _Undefined()

    def value(self, meta, items):
        legacy = bool(items) and isinstance(items[0], _Legacy)
        name, label, rest = self._head(items[1:] if legacy else items)
        return S.ValueDecl(name, label, _find(rest, S.Cite), _find(rest, _Note), self.sp(meta), legacy=legacy,
                           spellings=_spellings(rest))

    def quantity(self, meta, items):
        name, label, rest = self._head(items)
        d = _find(rest, _Default)
        return S.QuantityDecl(name, label, _find(rest, S.Cite), int(d) if d is not None else None,
                              _find(rest, _Note), self.sp(meta), spellings=_spellings(rest))

    def usage(self, meta, items):
        name, label, rest = self._head(items)
        return S.UsageDecl(name, label, _find(rest, S.Cite), _find(rest, _Each) is not None, _find(rest, _Note),
                           self.sp(meta), per_option=_find(rest, _PerOption) is not None)

    def each(self, meta, items):
        return _Each()

    def per_option(self, meta, items):
        return _PerOption()

    def per_usage(self, meta, items):
        extra = items[1] if len(items) > 1 else None
        return S.UsagePer(str(items[0]), self.tsp(items[0]), extra[1] if extra and extra[0] == "or" else None,
                          extra[1] if extra and extra[0] == "over" else None)

    def usage_or(self, meta, items):
        return ("or", items[0])

    def usage_over(self, meta, items):
        return ("over", items[0])

    def flag(self, meta, items):
        name, label, rest = self._head(items)
        return S.FlagDecl(name, label, _find(rest, S.Cite), _find(rest, _Note), self.sp(meta))

    def datefield(self, meta, items):
        name, label, rest = self._head(items)
        return S.DateFieldDecl(name, label, _find(rest, S.Cite), _find(rest, _Note), self.sp(meta))

    def option_date(self, meta, items):
        return _OptionDate(self.datefield(meta, items))

    def request_flag(self, meta, items):
        return _RequestFlag(self.flag(meta, items))

    def renews(self, meta, items):
        return _Renews(_find(items, S.DurationLit))

    def takes_effect(self, meta, items):
        return _TakesEffect()

    def option_body(self, meta, items):
        return _OptionBody(items)

    def option(self, meta, items):
        name, label, rest = self._head(items)
        body = _find(rest, _OptionBody) or []
        return S.OptionDecl(
            name, label, _find(rest, S.Cite), _find(rest, _Counted) is not None, _find(rest, _Note),
            [m for m in body if isinstance(m, S.QuantityDecl)],
            [m for m in body if isinstance(m, S.AttributeDecl)],
            [m for m in body if isinstance(m, S.DateFieldDecl)],
            self.sp(meta),
            [m for m in body if isinstance(m, S.FlagDecl)],
            undefined=_find(rest, _Undefined) is not None,
            spellings=_spellings(rest),
        )

    def attribute(self, meta, items):
        name, label, rest = self._head(items)
        values = [v for v in rest if isinstance(v, S.ValueDecl)]
        return S.AttributeDecl(name, label, _find(rest, S.Cite), _find(rest, _Note), values, self.sp(meta))

    def service(self, meta, items):
        name, label, rest = self._head(items)
        dims = [d for d in rest if isinstance(d, S.DimensionDecl)]
        link = _find(rest, _TariffLink)
        return S.ServiceDecl(name, label, tuple(link) if link else None, _find(rest, _Note), dims,
                             self.sp(meta))

    def history(self, meta, items):
        return ("history", items)

    def version(self, meta, items):
        day = items[0]
        title = next((_string(t) for t in items[1:] if isinstance(t, Token) and t.type == "STRING"), None)
        self._check_date(day)
        return S.VersionDecl(str(day), title, _find(items, S.Cite), self.sp(meta))

    def rename(self, meta, items):
        old, new, day, *rest = items
        self._check_date(day)
        return S.RenameDecl(_string(old), new, str(day), _find(rest, S.Cite), self.sp(meta), self.tsp(old))

    # ---- rules ------------------------------------------------------------------------
    def when(self, meta, items):
        return _When(items[0])

    def subjects(self, meta, items):
        return _Subjects(items)

    def rule_body(self, meta, items):
        when = _find(items, _When)
        subjects = _find(items, _Subjects)
        verb = next(t for t in items if isinstance(t, Token) and t.type == "VERB")
        return {"when": when.expr if when else None, "subjects": list(subjects or []),
                "verb": str(verb), "body": items[-1]}

    def message(self, meta, items):
        return S.Message(str(items[0]), _string(items[1]), self.sp(meta))

    def rule(self, meta, items):
        name = str(items[0])
        rest = items[1:]
        body = next(x for x in rest if isinstance(x, dict))
        scope = _find(rest, _Scope)
        return S.RuleDecl(
            name=name, cite=_find(rest, S.Cite), also=list(_find(rest, _Also) or []),
            scope=tuple(scope) if scope else None, when=body["when"], subjects=body["subjects"],
            verb=body["verb"], body=body["body"],
            messages=[m for m in rest if isinstance(m, S.Message)], span=self.sp(meta),
        )

    # ---- periods, derived dates, fees -------------------------------------------------
    def period(self, meta, items):
        name, label, rest = self._head(items)
        length = _find(rest, S.DurationLit)
        exprs = [x for x in rest if isinstance(x, (S.Expr, S.Ref)) and x is not length]
        when = _find(rest, _When)
        scope = _find(rest, _Scope)
        renews = _find(rest, _Renews)
        return S.PeriodDecl(name, label, _find(rest, S.Cite), tuple(scope) if scope else None,
                            list(_find(rest, _Subjects) or []), length, exprs[0], renews is not None,
                            when.expr if when else None, _find(rest, _Note), self.sp(meta),
                            notice=renews.notice if renews is not None else None)

    def derive(self, meta, items):
        name, label, rest = self._head(items)
        exprs = [x for x in rest if isinstance(x, (S.Expr, S.Ref))]
        when = _find(rest, _When)
        scope = _find(rest, _Scope)
        return S.DeriveDecl(name, label, _find(rest, S.Cite), tuple(scope) if scope else None,
                            list(_find(rest, _Subjects) or []), exprs[0],
                            when.expr if when else None, _find(rest, _Note), self.sp(meta),
                            takes_effect=_find(rest, _TakesEffect) is not None, spellings=_spellings(rest))

    def fee(self, meta, items):
        kind, name, label, *rest = items
        scope = _find(rest, _Scope)
        whole = _find(rest, _WholeMonths)
        return S.FeeDecl(str(kind), str(name), _string(label), _find(rest, S.Cite),
                         tuple(scope) if scope else None, [x for x in rest if isinstance(x, S.FeeLine)],
                         self.sp(meta), list(_find(rest, _Subjects) or []), whole.cite if whole else None)

    def whole_months(self, meta, items):
        return _WholeMonths(items[0])

    def due(self, meta, items):
        kind, event, *rest = items
        scope = _find(rest, _Scope)
        start = _find(rest, _DueFrom)
        return S.DueDecl(str(kind), _string(event), _find(rest, S.Cite), tuple(scope) if scope else None,
                         tuple(start) if start else None, _find(rest, _Note), self.sp(meta))

    def due_from(self, meta, items):
        return _DueFrom((str(items[0]), self.tsp(items[0])))

    def fee_line(self, meta, items):
        when = _find(items, _When)
        amount = next(x for x in items if isinstance(x, dict))
        return S.FeeLine(when.expr if when else None, amount["kind"], amount.get("yen"), amount.get("per"),
                         amount.get("formula"), _find(items, _Note), self.sp(meta), amount.get("key"),
                         amount.get("remaining"), amount.get("period_cite"))

    def yen(self, meta, items):
        per = items[1] if len(items) > 1 else None
        return {"kind": "yen", "yen": _int(items[0]), "per": per}

    def per(self, meta, items):
        return items[0]

    def quoted(self, meta, items):
        key = next((_string(t) for t in items if isinstance(t, Token) and t.type == "STRING"), None)
        per = next((x for x in items if not isinstance(x, Token)), None)
        return {"kind": "quoted", "key": key, "per": per}

    def remaining(self, meta, items):
        # `remaining PERIOD @CLAUSE after …`: the clause is the one the text names the period by
        return {"kind": "remaining", "remaining": tuple(str(t) for t in items if isinstance(t, Token)),
                "period_cite": _find(items, S.Cite)}

    def formula(self, meta, items):
        return {"kind": "formula", "formula": items[0]}

    # ---- expressions ------------------------------------------------------------------
    def int(self, meta, items):
        return S.IntLit(self.sp(meta), _int(items[0]))

    def date(self, meta, items):
        self._check_date(items[0])
        return S.DateLit(self.sp(meta), str(items[0]))

    def true(self, meta, items):
        return S.BoolLit(self.sp(meta), True)

    def false(self, meta, items):
        return S.BoolLit(self.sp(meta), False)

    def duration(self, meta, items):
        unit = str(items[1]).rstrip("s")
        return S.DurationLit(self.sp(meta), _int(items[0]), unit)

    def call(self, meta, items):
        name, *args = items
        return S.Call(self.sp(meta), str(name), tuple(a for a in args if a is not None))

    def not_(self, meta, items):
        return S.Not(self.sp(meta), items[0])

    def neg(self, meta, items):
        return S.Neg(self.sp(meta), items[0])

    def implies(self, meta, items):
        return S.BoolOp(self.sp(meta), "implies", tuple(items))

    def or_expr(self, meta, items):
        return S.BoolOp(self.sp(meta), "or", tuple(items))

    def and_expr(self, meta, items):
        return S.BoolOp(self.sp(meta), "and", tuple(items))

    def compare(self, meta, items):
        left, op, right = items
        return S.Compare(self.sp(meta), str(op), left, right)

    def member(self, meta, items):
        return S.Member(self.sp(meta), items[0], tuple(items[1:]))

    def _chain(self, meta, items):
        out = items[0]
        for i in range(1, len(items), 2):
            op, right = items[i], items[i + 1]
            span = S.Span(self.path, out.span.line, out.span.column, right.span.end_line, right.span.end_column)
            out = S.Arith(span, str(op), out, right)
        return out

    sum = _chain
    product = _chain

    def __default__(self, data, children, meta):
        if data == "ref":
            return self.ref(meta, children)
        return Tree(data, children, meta)

    def __default_token__(self, token):
        return token

    def _check_date(self, tok: Token) -> None:
        if S.parse_iso_date(str(tok)) is None:
            raise DiagnosticError([Diagnostic(
                "E011", f"`{tok}` is not a day of the calendar", span=self.tsp(tok),
                label="no such day", help="write an existing day as YYYY-MM-DD, e.g. `2025-10-01`")])

    # a RefExpr wraps a ref where an expression is expected
    def transform(self, tree):  # type: ignore[override]
        out = super().transform(tree)
        return _wrap_refs(out)


def _wrap_refs(node):
    """Turn bare Refs in expression position into RefExpr nodes (grammar ?atom inlines ref)."""
    import dataclasses

    if isinstance(node, S.TariffFile):
        for r in node.rules:
            r.when = _expr(r.when)
            r.body = _expr(r.body)
        for p in node.periods:
            p.start = _expr(p.start)
            p.when = _expr(p.when)
        for d in node.derives:
            d.value = _expr(d.value)
            d.when = _expr(d.when)
        for f in node.fees:
            for line in f.lines:
                line.when = _expr(line.when)
                line.formula = _expr(line.formula)
        return node
    return node


def _expr(e):
    import dataclasses

    if e is None:
        return None
    if isinstance(e, S.Ref):
        return S.RefExpr(e.span, e)
    if isinstance(e, (S.Not, S.Neg)):
        return dataclasses.replace(e, operand=_expr(e.operand))
    if isinstance(e, S.BoolOp):
        return dataclasses.replace(e, operands=tuple(_expr(x) for x in e.operands))
    if isinstance(e, (S.Arith, S.Compare)):
        return dataclasses.replace(e, left=_expr(e.left), right=_expr(e.right))
    if isinstance(e, S.Member):
        return dataclasses.replace(e, operand=_expr(e.operand))
    if isinstance(e, S.Call):
        return dataclasses.replace(e, args=tuple(_expr(a) for a in e.args))
    return e
