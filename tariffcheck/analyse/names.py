"""The name checks of `tariff lint`: a name no rule, period, derived day or fee uses (L010),
official names that look like misspellings of each other, and the other spellings the text uses
for one name (`also spelled`) (L011), a reference through a name
that a 附則 replaced (L012), and a reference to another tariff that could not be checked (L013).

They read the resolved tariff only and need no solver: uses are the fields the typed IR reads
(`ir.fields_of`), and the reference problems are what resolution already noticed and kept as
warnings (`Tariff.warnings`, W001 and W002).
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from ..model import ir
from ..model import tariff as M
from ..model.citation import Citation
from ..common.diagnostics import Diagnostic
from ..common.names import name_key
from ..common.span import Span
from .finding import Finding, sort_key


def name_findings(tariff: M.Tariff) -> list[Finding]:
    out = (unused_names(tariff) + lookalike_names(tariff) + spelled_names(tariff) + reference_warnings(tariff)
           + withdrawn_references(tariff) + undefined_references(tariff))
    return sorted(out, key=sort_key)


# ---- L010: defined, never used --------------------------------------------------------------

def unused_names(tariff: M.Tariff) -> list[Finding]:
    used = _uses(tariff)
    out: list[Finding] = []

    def unused(key: tuple, what: str, what_ja: str, obj, subject: str, why: str, why_ja: str | None = None) -> None:
        if key in used:
            return
        out.append(Finding(
            "L010", "info",
            f"{what} `{obj.label}` (`{subject}`) is not used by any rule, period, derived day or fee",
            span=obj.span, clause=_cite(getattr(obj, "citation", None)), subject=subject, explanation=why,
            explanation_ja=why_ja if why_ja is not None else (stated_ja if why is stated else None),
            message_ja=f"{what_ja} `{obj.label}` (`{subject}`) はどの規則、期間、日付、料金にも使われていません"))

    stated = ("An order may state it, but nothing reads it, so every value is accepted. If the text "
              "sets a condition on it, that condition is not encoded; if it does not, the declaration "
              "records the text's term and may stay.")
    stated_ja = ("注文で指定できますが、どこからも読まれないため、どの値も受け付けられます。本文がこれに条件を"
                 "定めているなら、その条件は記述されていません。定めていないなら、この宣言は本文の用語を記録する"
                 "もので、残してかまいません。")
    for c in tariff.contracts.values():
        s = c.id
        for d in c.dimensions.values():
            unused((s, "dim", d.id), "dimension", "区分", d, d.id, stated)
        for q in c.quantities.values():
            unused((s, "qty", q.id), "quantity", "数量", q, q.id, stated)
        for f in c.flags.values():
            unused((s, "flag", f.id), "flag", "事項", f, f.id, stated)
        for d in c.dates.values():
            unused((s, "date", d.id), "date", "日付", d, d.id, stated)
        shared: dict[tuple[str, Span], M.DateField] = {}
        for o in c.options.values():
            if (s, "opt", o.id) not in used:
                unused((s, "opt", o.id), "option", "オプション", o, o.id,
                       "No rule constrains it and nothing names it: any order may have it or not, whatever "
                       "else it has. If the text states who may use it, that condition is not encoded.",
                       "これを制約する規定も、これを名指すものもありません。ほかに何を含む注文でも、これを含んでも"
                       "含まなくてもかまいません。本文が利用できる者を定めているなら、その条件は記述されていません。")
                continue  # its parts are unused with it; one finding says so
            for q in o.quantities.values():
                unused((s, "optqty", o.id, q.id), "quantity", "数量", q, f"{o.id}.{q.id}", stated)
            for a in o.attributes.values():
                unused((s, "optattr", o.id, a.id), "attribute", "指定事項", a, f"{o.id}.{a.id}", stated)
            for f in o.flags.values():
                unused((s, "optflag", o.id, f.id), "flag", "事項", f, f"{o.id}.{f.id}", stated)
            for d in o.dates.values():
                if _within(d.span, o.span):
                    unused((s, "optdate", o.id, d.id), "date", "日付", d, f"{o.id}.{d.id}", stated)
                else:  # an `option_date`: one declaration that every option has
                    shared.setdefault((d.id, d.span), d)
        for (d_id, _), d in shared.items():
            if not any((s, "optdate", o.id, d_id) in used for o in c.options.values()):
                unused((s, "optdate", "*", d_id), "option date", "オプションの日付", d, f"it.{d_id}", stated)
    for f in tariff.request_flags.values():
        unused(("oflag", f.id), "request flag", "申込みの事項", f, f.id, stated)
    for svc in tariff.services.values():
        unused(("svc", svc.id), "service", "サービス", svc, svc.id,
               "No rule asks whether the customer holds it. If the text makes it a condition of use, "
               "that condition is not encoded.",
               "顧客がこれを契約しているかを問う規定はありません。本文がこれを利用の条件としているなら、その条件は"
               "記述されていません。")
    return out


def _uses(tariff: M.Tariff) -> set[tuple]:
    """What the rules, periods, derived days and fees read or are about, as (scope, kind, path...)
    keys; services, which are the tariff's and not one contract's, as ("svc", id)."""
    used: set[tuple] = set()

    def read(scope: str, node: ir.Node | None) -> None:
        if node is None:
            return
        for f in ir.fields_of(node):
            used.update(_keys(scope, f))

    def about(scope: str, subjects) -> None:
        used.update((scope, "opt", s) for s in subjects if s is not None)

    for r in tariff.rules:
        about(r.scope, r.subjects)
        for s in r.subjects:
            read(r.scope, r.condition(s))
        for node in r.placeholders.values():
            read(r.scope, node)
    for p in tariff.periods:
        about(p.scope, p.subjects)
        for node in [*p.starts.values(), *p.whens.values()]:
            read(p.scope, node)
    for d in tariff.derived:
        about(d.scope, d.subjects)
        for node in [*d.values.values(), *d.whens.values()]:
            read(d.scope, node)
    for fee in tariff.fees:
        about(fee.scope, fee.subjects)
        for line in fee.lines + [x for lines in fee.by_subject.values() for x in lines]:
            for node in (line.when, line.per, line.formula):
                read(fee.scope, node)
    return used


def _keys(scope: str, f: ir.Field) -> list[tuple]:
    k, p = f.kind, f.path
    if k in ("dim", "qty", "flag", "date"):
        return [(scope, k, p[0])]
    if k in ("opt", "optcount"):
        return [(scope, "opt", p[0])]
    if k in ("optqty", "optattr", "optflag", "optdate"):
        return [(scope, "opt", p[0]), (scope, k, p[0], p[1])]
    if k == "former":
        return [(scope, p[0], p[1])]
    if k in ("holds", "holds_value"):
        return [("svc", p[0])]
    if k == "oflag":
        return [("oflag", p[0])]
    return []


# ---- L011: names that look alike ---------------------------------------------------------------

# Characters that are easily typed, read or extracted for one another in Japanese product names.
_DASHES = "ー−‐‑‒–—―─━-"  # after NFKC folding (ｰ is ー, － is -)
_DOTS = "・·•‧∙"
_SAME_GLYPH = {
    "力": "カ", "口": "ロ", "二": "ニ", "工": "エ", "卜": "ト", "夕": "タ", "八": "ハ",  # kanji for katakana
    "へ": "ヘ", "べ": "ベ", "ぺ": "ペ",  # hiragana for katakana
    "0": "O", "1": "|", "I": "|", "l": "|", "〜": "~",  # I, l and 1 apart from the letter L
}
_SMALL_KANA = dict(zip("ァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ", "アイウエオツヤユヨワカケあいうえおつやゆよわ"))
_VU = (("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"))
_FOLD = str.maketrans({**{c: "-" for c in _DASHES}, **{c: "" for c in _DOTS}, **_SAME_GLYPH, **_SMALL_KANA})
# The long-vowel mark a katakana word may end with or not (サーバ / サーバー). Inside a compound
# the word boundary is invisible (ブラウザーサービス), so any mark after a katakana counts.
_LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa])-")


def lookalike_key(label: str) -> str:
    """A name with look-alike and variant characters folded, and case (MaaS360 / Maas360) and width
    (ＩＩＪ / IIJ) ignored: two official names with the same key and different `name_key`s are
    probably one name spelt two ways."""
    s = name_key(label)
    for old, new in _VU:
        s = s.replace(old, new)
    return _LONG_VOWEL.sub("", s.translate(_FOLD)).casefold()


# Shorter names that share their characters are too often different words (タイプ CD / タイプ DC).
_REORDERED_MIN = 8


def reordered_key(label: str) -> str | None:
    """The characters of a name's look-alike key, in order: two long names with the same characters
    in another order are one name whose words were put in another order (Web アクセス管理タイプ X for
    SBC… / Web アクセス管理 for SBC…タイプ X)."""
    key = lookalike_key(label)
    return "".join(sorted(key)) if len(key) >= _REORDERED_MIN else None


def lookalike_names(tariff: M.Tariff) -> list[Finding]:
    out: list[Finding] = []
    _pairs(out, "contracts", "契約", tariff.contracts.values())
    _pairs(out, "services", "サービス", tariff.services.values())
    for c in tariff.contracts.values():
        _pairs(out, f"options of `{c.id}`", f"`{c.id}` のオプション", c.options.values())
        for d in c.dimensions.values():
            _pairs(out, f"values of `{d.id}`", f"`{d.id}` の値", d.values.values())
        for o in c.options.values():
            for a in o.attributes.values():
                _pairs(out, f"values of `{o.id}.{a.id}`", f"`{o.id}.{a.id}` の値", a.values.values())
    for svc in tariff.services.values():
        if svc.linked is None:  # a linked tariff's names are linted with that tariff
            for d in svc.dimensions.values():
                _pairs(out, f"values of `{svc.id}.{d.id}`", f"`{svc.id}.{d.id}` の値", d.values.values())
    return out


def _pairs(out: list[Finding], scope: str, scope_ja: str, things) -> None:
    seen: dict[str, list] = {}
    shuffled: dict[str, list] = {}
    for b in things:
        key, order = lookalike_key(b.label), reordered_key(b.label)
        alike = seen.get(key, []) + [a for a in shuffled.get(order, []) if lookalike_key(a.label) != key]
        for a in alike:
            if name_key(a.label) == name_key(b.label):
                continue  # the same name twice is a resolution error (E003), not a look-alike
            how = (_differences(a.label, b.label) if lookalike_key(a.label) == key
                   else "the order of their words")
            out.append(Finding(
                "L011", "warning",
                f"`{b.label}` (`{b.id}`) and `{a.label}` (`{a.id}`) look like one name spelt two ways",
                span=b.span, clause=_cite(getattr(b, "citation", None)), subject=b.id,
                explanation=f"Both are {scope} and differ only in {how}. "
                            f"An order or a rule that writes one may mean the other. If they are one "
                            f"thing, keep one official name; if two, the text should tell them apart "
                            f"by more than that (the first is at line {a.span.line}).",
                explanation_ja=f"どちらも{scope_ja}で、違いは {_differences(a.label, b.label, 'ja')} だけです。"
                               "一方を書いた注文や規定が他方を意味しているかもしれません。同じものなら正式名称を一つに"
                               f"し、別のものなら本文でもっとはっきり区別すべきです (一つ目は {a.span.line} 行目)。",
                message_ja=f"`{b.label}` (`{b.id}`) と `{a.label}` (`{a.id}`) は、同じ名前の表記揺れに見えます "
                           f"({scope_ja})"))
        seen.setdefault(key, []).append(b)
        if order is not None:
            shuffled.setdefault(order, []).append(b)


def spelled_names(tariff: M.Tariff) -> list[Finding]:
    """L011 for each spelling a spec declares with `also spelled`: the text writes one name two
    ways. Orders may use either (and are told the official one); the text should not."""
    out: list[Finding] = []

    def report(what: str, label: str, subject: str | None, spellings) -> None:
        for sp in spellings:
            where = ", ".join(str(c) for c in sp.citations)
            out.append(Finding(
                "L011", "warning",
                f"the text writes {what} `{label}` also as `{sp.text}`" + (f" ({where})" if where else ""),
                span=sp.span, clause=_cite(sp.citations[0]) if sp.citations else None, subject=subject,
                explanation=f"`{sp.text}` and `{label}` name one thing (the spec says so with `also spelled`). "
                            "An order may write either and is told the official name; the text should "
                            "write one.",
                explanation_ja=f"`{sp.text}` と `{label}` は同じものの名前です (仕様は `also spelled` でそう述べて"
                               "います)。注文はどちらで書いてもよく、正式名称が案内されますが、本文はどちらか一方に"
                               "揃えるべきです。",
                message_ja=f"本文は{label}を`{sp.text}`とも表記しています" + (f" ({where})" if where else "")))

    report("the tariff's name", tariff.title, None, tariff.title_spellings)
    for c in tariff.contracts.values():
        for d in c.dimensions.values():
            report("the dimension", d.label, d.id, d.spellings)
            for v in d.values.values():
                report("the value", v.label, v.id, v.spellings)
        for q in c.quantities.values():
            report("the quantity", q.label, q.id, q.spellings)
        for o in c.options.values():
            report("the option", o.label, o.id, o.spellings)
            for q in o.quantities.values():
                report("the quantity", q.label, f"{o.id}.{q.id}", q.spellings)
    for d in tariff.derived:
        report("the day", d.label, d.id, d.spellings)
    return out


def _differences(a: str, b: str, lang: str = "en") -> str:
    """What tells two names apart, for a reader: `ー` against nothing, `力` against `カ`."""
    a, b = name_key(a), name_key(b)
    nothing, against = ("nothing", "against") if lang == "en" else ("なし", "対")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        x = f"`{a[i1:i2]}`" if i2 > i1 else nothing
        y = f"`{b[j1:j2]}`" if j2 > j1 else nothing
        parts.append(f"{x} {against} {y}" + _code_points(a[i1:i2] + b[j1:j2]))
    return ", ".join(dict.fromkeys(parts)) or ("spacing" if lang == "en" else "空白")


def _code_points(s: str) -> str:
    # glyphs such as 力 and カ are told apart only by their code points
    names = [f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in dict.fromkeys(s) if not ch.isascii()]
    return f" ({'; '.join(names)})" if names else ""


# ---- L012, L013: references resolution could only warn about ------------------------------------

_QUOTED = re.compile(r"`([^`]*)`")


def reference_warnings(tariff: M.Tariff) -> list[Finding]:
    out: list[Finding] = []
    for w in tariff.warnings:
        if w.code == "W001":
            out.append(_renamed(tariff, w))
        elif w.code == "W002":
            out.append(_unchecked(tariff, w))
    warned = {w.span for w in tariff.warnings if w.code == "W002"}
    for svc in tariff.services.values():
        if svc.tariff and svc.linked is None and not any(s is not None and _within(s, svc.span) for s in warned):
            # loaded without the catalog (`dsl.resolve` alone): nothing looked at the other tariff
            out.append(Finding(
                "L013", "warning",
                f"references to `{svc.label}` (`{svc.id}`) are not checked: tariff `{svc.tariff}` was not linked",
                span=svc.span, subject=svc.id,
                explanation="The spec was loaded without the catalog of bundled tariffs, so the names of "
                            f"`{svc.tariff}` it uses were not looked up. Load it with `tariffcheck.load_tariff` "
                            "or the CLI to check them.",
                explanation_ja=f"同梱の料金表の目録なしに読み込まれたため、使われている `{svc.tariff}` の名前は"
                               "調べられていません。`tariffcheck.load_tariff` か CLI で読み込むと検査されます。",
                message_ja=f"料金表 `{svc.tariff}` がリンクされていないため、`{svc.label}` への参照は検査されていません"))
    return out


def withdrawn_references(tariff: M.Tariff) -> list[Finding]:
    """A rule that asks whether the customer holds a value another tariff has withdrawn (`legacy`):
    only customers who kept it can meet the rule, and the text may have been left behind."""
    out: list[Finding] = []
    for rule in tariff.rules:
        seen = set()
        for subject in rule.subjects:
            for f in ir.fields_of(rule.condition(subject)):
                if f.kind != "holds_value" or f.path in seen:
                    continue
                seen.add(f.path)
                sid, did, vid = f.path
                svc = tariff.services.get(sid)
                dim = svc.dimensions.get(did) if svc is not None else None
                value = dim.values.get(vid) if dim is not None else None
                if value is None or not value.legacy:
                    continue
                where = f" ({value.citation})" if value.citation else ""
                out.append(Finding(
                    "L012", "warning",
                    f"rule `{rule.id}` refers to `{value.label}` of `{svc.label}`, a value that tariff withdrew{where}",
                    span=rule.span, clause=_cite(rule.citation), subject=rule.id,
                    explanation="New contracts can no longer have it; only customers who kept an existing contract "
                                "with it can meet this part of the rule. If the text means the current range of "
                                "the other service, it needs updating.",
                    explanation_ja="新しい契約ではもう選べません。その値の契約を続けている顧客だけが、規定のこの部分を"
                                   "満たせます。本文がもう一方のサービスの現在の範囲を意図しているなら、改める必要があります。",
                    message_ja=f"規定 `{rule.id}` は、{svc.label} で廃止された「{value.label}」を参照しています"))
    return out


def _renamed(tariff: M.Tariff, w: Diagnostic) -> Finding:
    names = _QUOTED.findall(w.message)
    old, new = (names + ["", ""])[:2]
    cite, subject = _enclosing(tariff, w.span)
    return Finding(
        "L012", "warning", w.message, span=w.span, clause=cite, subject=subject,
        explanation=(f"A supplementary provision (附則) replaced the name; {w.help}." if w.help else
                     "A supplementary provision (附則) replaced the name."),
        explanation_ja="附則により名称が変更されました" + (f"。`{new}` と書いてください{_cited(w.help)}。" if new else "。"),
        message_ja=f"`{old}` は附則により `{new}` に名称が変更されています" if old and new else
                   "附則により変更された名称で参照しています")


def _unchecked(tariff: M.Tariff, w: Diagnostic) -> Finding:
    svc = next((s for s in tariff.services.values() if w.span is not None and _within(w.span, s.span)), None)
    return Finding(
        "L013", "warning", w.message, span=w.span, subject=svc.id if svc else None,
        explanation=("The names of that tariff used here are not looked up, so a misspelt or renamed one "
                     "goes unnoticed" + (f"; {w.help}." if w.help else ".")),
        explanation_ja="ここで使われているその料金表の名前は調べられないため、綴りの誤りや名称の変更に気づけません。",
        message_ja=(f"リンク先の料金表 `{svc.tariff}` を読み込めないため、`{svc.label}` への参照は検査されていません"
                    if svc else "リンク先の料金表を読み込めないため、参照は検査されていません"))


def _cited(help: str | None) -> str:
    """The citation W001's help ends with (`write `X` (附則…)`), as ` (附則…)`."""
    m = re.match(r"write `[^`]*` \((.*)\)\Z", help or "")
    return f" ({m.group(1)})" if m else ""


def _enclosing(tariff: M.Tariff, span: Span | None) -> tuple[str | None, str | None]:
    """The citation and id of the innermost declaration a reference is written in."""
    if span is None:
        return None, None
    decls = [*tariff.rules, *tariff.periods, *tariff.derived, *tariff.fees, *tariff.services.values()]
    inside = [d for d in decls if _within(span, d.span)]
    if not inside:
        return None, None
    d = min(inside, key=lambda x: (x.span.end_line - x.span.line, x.span.end_column - x.span.column))
    return _cite(getattr(d, "citation", None)), d.id


# ---- L015: what the text names but never defines ---------------------------------------------------

def undefined_references(tariff: M.Tariff) -> list[Finding]:
    """Each rule, fee, period or derived day that speaks of an option the spec marks `undefined`
    (the text names it, its list of options does not have it); the declaration itself when
    nothing speaks of it."""
    out: list[Finding] = []
    for c in tariff.contracts.values():
        for o in (o for o in c.options.values() if o.undefined):
            where = f" ({o.citation})" if o.citation else ""
            users = [d for d in [*tariff.rules, *tariff.fees, *tariff.periods, *tariff.derived]
                     if d.scope == c.id and _speaks_of(d, o.id)]
            for d in users:
                kind = _DECL_KIND[type(d)]
                gives = "gives an amount for" if isinstance(d, M.Fee) else "refers to"
                out.append(Finding(
                    "L015", "warning",
                    f"{kind[0]} `{d.id}` ({d.citation}) {gives} `{o.label}` (`{o.id}`), an option the text "
                    f"names{where} but never defines",
                    span=d.span, clause=_cite(d.citation), subject=d.id,
                    explanation=f"The text's list of options does not have `{o.label}`: either the list lacks an "
                                f"option or {d.citation} means another one (a name spelt wrongly). The spec keeps "
                                "what the clause says of it; the text needs fixing.",
                    explanation_ja=f"本文のオプションの一覧に「{o.label}」はありません。一覧にオプションが欠けているか、"
                                   f"{d.citation} が別のオプションを指しています (名前の書き誤り)。仕様は条項の"
                                   "とおりに書いてあり、直すべきは本文です。",
                    message_ja=f"{kind[1]} `{d.id}` ({d.citation}) は、定義されていないオプション「{o.label}」を"
                               "参照しています"))
            if not users:
                out.append(Finding(
                    "L015", "warning",
                    f"the text names `{o.label}` (`{o.id}`){where} but never defines it",
                    span=o.span, clause=_cite(o.citation), subject=o.id,
                    explanation="The text's list of options does not have it: either the list lacks an option or "
                                "the clause that names it means another one.",
                    explanation_ja="本文のオプションの一覧にありません。一覧にオプションが欠けているか、それを挙げる"
                                   "条項が別のオプションを指しています。",
                    message_ja=f"「{o.label}」は{where}で言及されていますが、定義されていません"))
    return out


_DECL_KIND = {M.Rule: ("rule", "規定"), M.Fee: ("fee", "料金"), M.Period: ("period", "期間"),
              M.Derived: ("derived day", "日付")}


def _speaks_of(decl, option: str) -> bool:
    """The declaration is about the option (`for`), or reads it."""
    if option in decl.subjects:
        return True
    nodes: list = []
    if isinstance(decl, M.Rule):
        nodes = [decl.condition(s) for s in decl.subjects]
    elif isinstance(decl, M.Fee):
        nodes = [n for line in decl.lines + [x for lines in decl.by_subject.values() for x in lines]
                 for n in (line.when, line.per, line.formula)]
    elif isinstance(decl, M.Period):
        nodes = [*decl.starts.values(), *decl.whens.values()]
    elif isinstance(decl, M.Derived):
        nodes = [*decl.values.values(), *decl.whens.values()]
    return any(f.path and f.path[0] == option and f.kind.startswith("opt")
               for n in nodes if n is not None for f in ir.fields_of(n))


# ---- helpers ----------------------------------------------------------------------------------

def _cite(c: Citation | None) -> str | None:
    return None if c is None else str(c)


def _within(inner: Span, outer: Span) -> bool:
    return (inner.file == outer.file
            and (inner.line, inner.column) >= (outer.line, outer.column)
            and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)
            and inner != outer)
