"""A UVL file as a small feature tree, read with the official UVL parser (`uvlparser`).

Only the parse tree comes from uvlparser; this module walks it into `Feature`s, `Group`s and
`Constraint`s, keeping each one's line so that what is generated from it can cite it. Nothing
here knows about tariffs (uvl_import.py maps the tree to the DSL).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from ..common.diagnostics import Diagnostic, DiagnosticError


@dataclass
class Group:
    kind: str  # mandatory | optional | alternative | or | cardinality
    line: int
    children: list[Feature] = field(default_factory=list)
    low: int = 0
    high: int | None = None  # None: no upper bound (`*`)


@dataclass
class Feature:
    name: str
    line: int
    type: str | None = None  # Boolean (None), Integer, Real, String
    attributes: dict[str, str] = field(default_factory=dict)
    cardinality: str | None = None  # a feature cardinality `[1..3]` (clones)
    groups: list[Group] = field(default_factory=list)


# a constraint: ("ref", name) | ("not", c) | ("and", [c…]) | ("or", [c…]) | ("implies", a, b)
# | ("iff", a, b) | ("equation", text) for what is arithmetic
Constraint = tuple


@dataclass
class UvlModel:
    path: str
    root: Feature | None
    constraints: list[tuple[int, Constraint, str]]  # (line, constraint, its text)
    namespace: str | None = None
    imports: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    lenient: list[str] = field(default_factory=list)  # what was read more leniently than uvlparser would

    def features(self) -> list[Feature]:
        out, todo = [], [self.root] if self.root else []
        while todo:
            f = todo.pop()
            out.append(f)
            todo.extend(reversed([c for g in f.groups for c in g.children]))
        return out


def read_uvl_file(path: str) -> UvlModel:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise DiagnosticError([Diagnostic("E012", f"cannot read `{path}`: {exc.strerror or exc}",
                                          help="give the path of a .uvl file")]) from None
    return read_uvl(text, path)


def read_uvl(text: str, path: str = "<uvl>") -> UvlModel:
    """The feature tree of a UVL text; raise DiagnosticError U001 where uvlparser rejects it."""
    text, quoted = _single_quote_attribute_values(text)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))  # ANTLR's runtime (parse, getText) recurses once per nested constraint
    try:
        tree, lenient = _parse(text, path)
        model = _Walker(path).model(tree)
    finally:
        sys.setrecursionlimit(limit)
    if quoted:
        shown = ", ".join(map(str, quoted[:20])) + (", …" if len(quoted) > 20 else "")
        lenient = [f"attribute values in double quotes, which UVL's grammar reads as names, read as strings "
                   f"on {len(quoted)} lines ({shown})"] + lenient
    model.lenient = lenient
    return model


def _parse(text: str, path: str):
    try:
        from antlr4 import CommonTokenStream, InputStream
        from antlr4.error.ErrorListener import ErrorListener
        from uvl.UVLCustomLexer import UVLCustomLexer
        from uvl.UVLPythonParser import UVLPythonParser
    except ImportError:
        raise DiagnosticError([Diagnostic(
            "U002", "reading UVL needs the `uvlparser` package",
            help="install the `uvl` extra: `pip install 'tariffcheck[uvl]'`")]) from None

    class Reject(ErrorListener):
        def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):
            raise DiagnosticError([Diagnostic(
                "U001", f"`{path}` is not UVL uvlparser reads: line {line}, column {column + 1}: {msg}",
                help="check the model with a UVL tool (flamapy, FeatureIDE) or fix the line")])

    lexer = UVLCustomLexer(InputStream(text if text.endswith("\n") else text + "\n"))
    lexer._interp = _start_cached(lexer)
    lexer.removeErrorListeners()
    lexer.addErrorListener(Reject())
    tokens = CommonTokenStream(lexer)
    lenient = _type_words_as_names(tokens, UVLPythonParser)
    parser = UVLPythonParser(tokens)
    parser.removeErrorListeners()
    parser.addErrorListener(Reject())
    return parser.featureModel(), lenient


def _start_cached(lexer):
    """uvlparser's lexer with its start state kept once it is away from the start of the input.

    UVL's grammar has one lexer predicate, `atStartOfInput()` (line 1, column 0) at the head of
    NEWLINE, and it is reachable from the lexer's start state. ANTLR's runtime therefore never
    keeps the start state of its DFA (a predicate's outcome could differ from token to token) and
    works out the closure of the whole lexer ATN again for every token: 90 % of reading a model
    (windows8: 2.1 s of 2.3 s; uClibc: minutes). Everywhere but line 1, column 0 the predicate is
    false, so the start closure is the same for every later token: this simulator works it out
    once there (the predicate asked as the runtime asks it) and keeps it, as the runtime does for
    grammars without predicates. The tokens are the same (tests/test_uvl_read_speed.py compares
    them on the shared models). The DFA is this lexer's own, not the class-wide one that
    uvlparser's other lexers share, so no other reader sees a kept start state."""
    from antlr4.atn.LexerATNSimulator import LexerATNSimulator
    from antlr4.dfa.DFA import DFA
    from antlr4.PredictionContext import PredictionContextCache

    class StartKept(LexerATNSimulator):
        def matchATN(self, input):
            if self.line == 1 and self.column == 0:  # where the predicate may hold: as the runtime does
                return super().matchATN(input)
            closure = self.computeStartState(input, self.atn.modeToStartState[self.mode])
            closure.hasSemanticContext = False
            start = self.addDFAState(closure)
            self.decisionToDFA[self.mode].s0 = start
            return self.execATN(input, start)

    dfa = [DFA(state, i) for i, state in enumerate(lexer.atn.decisionToState)]
    return StartKept(lexer, lexer.atn, dfa, PredictionContextCache())


_BRACES = re.compile(r"\{[^{}\n]*\}")
_DOUBLE_QUOTED_VALUE = re.compile(r'((?:^|[{,])\s*(?:[A-Za-z_][A-Za-z0-9_]*|"[^"\n]*")\s+)"([^"\n]*)"(?=\s*[,}])')


def _single_quote_attribute_values(text: str) -> tuple[str, list[int]]:
    """Models converted from FeatureIDE write string attributes in double quotes
    (`{featureDescription__ "…"}`), where UVL has single quotes and uvlparser rejects them. Such a
    value (after a key, inside a feature's braces) is rewritten in single quotes before parsing;
    the lines where that happened are returned. Nothing else of the text is touched."""
    lines: list[int] = []

    def braces(m: re.Match) -> str:
        fixed = _DOUBLE_QUOTED_VALUE.sub(lambda v: v.group(1) + "'" + v.group(2).replace("'", "\u2019") + "'",
                                         m.group(0))
        if fixed != m.group(0):
            lines.append(text.count("\n", 0, m.start()) + 1)
        return fixed

    if '"' not in text or "{" not in text:
        return text, lines
    return _BRACES.sub(braces, text), lines


def _type_words_as_names(tokens, P) -> list[str]:
    """Published models name features `Integer` or `String`, which uvlparser lexes as a type
    keyword. A type keyword is a type only before the name it types; anywhere else it is taken
    as a name, and each such place is returned so the import can say so."""
    tokens.fill()
    types = {P.STRING_KEY, P.BOOLEAN_KEY, P.INTEGER_KEY, P.REAL_KEY}
    names = {P.ID_STRICT, P.ID_NOT_STRICT}
    seen = [t for t in tokens.tokens if t.channel == 0]
    out = []
    for t, after in zip(seen, seen[1:] + [None]):
        if t.type in types and (after is None or after.type not in names):
            t.type = P.ID_STRICT
            out.append(f"`{t.text}` on line {t.line} is a UVL type keyword used as a feature's name; read as the name")
    return out


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _ref(ctx) -> str:
    return ".".join(_unquote(i.getText()) for i in ctx.id_())


class _Walker:
    def __init__(self, path: str):
        self.path = path

    def model(self, tree) -> UvlModel:
        from uvl.UVLPythonParser import UVLPythonParser as P

        self.P = P
        root = None
        features = tree.features()
        if features is not None and features.feature() is not None:
            root = self.feature(features.feature())
        constraints = []
        cons = tree.constraints()
        if cons is not None:
            for line_ctx in cons.constraintLine():
                c = line_ctx.constraint()
                constraints.append((c.start.line, self.constraint(c), c.getText()))
        imports = [i.getText() for i in tree.imports().importLine()] if tree.imports() else []
        includes = [i.getText() for i in tree.includes().includeLine()] if tree.includes() else []
        namespace = _ref(tree.namespace().reference()) if tree.namespace() else None
        return UvlModel(self.path, root, constraints, namespace, imports, includes)

    def feature(self, ctx) -> Feature:
        # iterative over the tree: real models nest hundreds of levels deep
        top = self._bare(ctx)
        todo = [(ctx, top)]
        while todo:
            c, f = todo.pop()
            for g in c.group() or []:
                group = self._group(g)
                f.groups.append(group)
                spec = g.groupSpec()
                for child in spec.feature():
                    cf = self._bare(child)
                    group.children.append(cf)
                    todo.append((child, cf))
        return top

    def _bare(self, ctx) -> Feature:
        f = Feature(_ref(ctx.reference()), ctx.start.line)
        if ctx.featureType() is not None:
            f.type = ctx.featureType().getText()
        if ctx.featureCardinality() is not None:
            f.cardinality = ctx.featureCardinality().getText()
        if ctx.attributes() is not None:
            for a in ctx.attributes().attribute():
                va = a.valueAttribute()
                if va is not None:
                    f.attributes[_unquote(va.key().getText())] = va.value().getText() if va.value() else "true"
                else:
                    f.attributes["constraint"] = a.getText()
        return f

    def _group(self, g) -> Group:
        P, line = self.P, g.start.line
        if isinstance(g, P.MandatoryGroupContext):
            return Group("mandatory", line)
        if isinstance(g, P.OptionalGroupContext):
            return Group("optional", line)
        if isinstance(g, P.AlternativeGroupContext):
            return Group("alternative", line, low=1, high=1)
        if isinstance(g, P.OrGroupContext):
            return Group("or", line, low=1, high=None)
        text = g.CARDINALITY().getText().strip("[]")
        low, _, high = text.partition("..")
        if not _:
            high = low
        return Group("cardinality", line, low=int(low), high=None if high == "*" else int(high))

    def constraint(self, c) -> Constraint:
        P = self.P
        if isinstance(c, P.LiteralConstraintContext):
            return ("ref", _ref(c.reference()))
        if isinstance(c, P.ParenthesisConstraintContext):
            return self.constraint(c.constraint())
        if isinstance(c, P.NotConstraintContext):
            return ("not", self.constraint(c.constraint()))
        if isinstance(c, (P.AndConstraintContext, P.OrConstraintContext)):
            op = "and" if isinstance(c, P.AndConstraintContext) else "or"
            parts, todo = [], [c]
            while todo:  # a chain a | b | c … flattened (it may be thousands long)
                x = todo.pop()
                while isinstance(x, P.ParenthesisConstraintContext):
                    x = x.constraint()
                if type(x) is type(c):
                    todo.extend(reversed(x.constraint()))
                else:
                    parts.append(self.constraint(x))
            return (op, parts)
        if isinstance(c, P.ImplicationConstraintContext):
            a, b = c.constraint()
            return ("implies", self.constraint(a), self.constraint(b))
        if isinstance(c, P.EquivalenceConstraintContext):
            a, b = c.constraint()
            return ("iff", self.constraint(a), self.constraint(b))
        return ("equation", c.getText())
