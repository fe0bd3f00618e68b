"""A tariff's source text, indexed by its clauses: which articles, paragraphs, items, annexes,
supplementary provisions and sections it has.

The texts are machine-extracted (../shared/seeds/README.md): `第 5 条` and `第5条` alike, items
written `(3)` or `- (3)`, an article's first paragraph unnumbered. Two shapes are read:

- IIJ 個別規程: `第N条(見出し)` starts an article and its first paragraph; a line that starts with
  a number and a space (`2 トンネル…`) starts the next paragraph; `(k)` an item of it, `(ii)` a
  sub-item of that item. `別紙 N` starts an annex; `附則` the supplementary provisions, each headed
  by its day (`令和 7 年 10 月 1 日変更`), with numbered paragraphs of their own.
- a service specification (FENCE-Mobile): `N. 見出し` starts a section, `(k)` an item of it.

`ClauseIndex.has(citation)` says whether the text has the clause a citation names (READINGS.md,
"Citing a clause": `第8条(1)` is an item of an article whose one paragraph is unnumbered). An
annex is checked by its number only: its parts (`2(1) 備考(1)`) are tables, not numbered clauses.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .citation import Citation

_ARTICLE = re.compile(r"^(?:#+\s*)?第\s*(\d+)\s*条\s*[(（]")
_PARAGRAPH = re.compile(r"^(\d+)\s+\S")
_ITEM = re.compile(r"^(?:[-・]\s*)?[(（]\s*(\d+)\s*[)）]")
_SUBITEM = re.compile(r"^(?:[-・]\s*)?[(（]\s*([ivx]+)\s*[)）]")
_ANNEX = re.compile(r"^(?:#+\s*)?別紙\s*(\d+)")
_SUPPLEMENT = re.compile(r"^(?:#+\s*)?附則\s*$")
_SUPPLEMENT_DAY = re.compile(r"^((?:明治|大正|昭和|平成|令和)[0-9元]+年[0-9]+月[0-9]+日(?:施行|変更))$")
_SECTION = re.compile(r"^(?:[-・]\s*)?(\d+)\.\s*\S")

_FULL_LINE = 40  # a line the extraction broke is at least this long; a heading is shorter

# Where the texts are when no folder is given: $TARIFFCHECK_SOURCES, else ../shared/seeds beside the
# repository that holds the spec (the specs' headers cite them so).
SOURCES_ENV = "TARIFFCHECK_SOURCES"


@dataclass
class ClauseIndex:
    """The clauses a source text has, as tuples: (article,), (article, paragraph),
    (article, paragraph, item), (article, paragraph, item, subitem); ("annex", n); ("supplement",),
    ("supplement", day), ("supplement", day, paragraph); ("section", n), ("section", n, item).
    `lines` keeps each clause's own words (with its parts'), as (line, starts a clause)."""

    path: str
    clauses: set[tuple] = field(default_factory=set)
    lines: dict[tuple, list[tuple[str, bool]]] = field(default_factory=dict)

    def has(self, c: Citation) -> bool:
        key = clause_key(c)
        return True if key is None else key in self.clauses

    def words(self, c: Citation) -> str | None:
        """The words of the clause `c` cites, as the text has them (its items and sub-items
        included; an annex whole); None when the text has no such clause, or `c` names none."""
        key = clause_key(c)
        if key is None or key not in self.clauses:
            return None
        return _joined(self.lines.get(key, []))

    def nearest(self, c: Citation, n: int = 3) -> list[Citation]:
        """Up to `n` clauses the text has next to the one `c` names (for a `help:` line): its
        siblings nearest in number under the deepest part the text has, or that part itself."""
        key = clause_key(c)
        if key is None or key in self.clauses:
            return []
        tagged = isinstance(key[0], str)  # ("annex", n), ("section", n, …), ("supplement", …)
        for cut in range(len(key) - 1, -1, -1):
            parent = key[:cut]
            if tagged and cut == 0:
                break
            if parent and parent not in self.clauses and not (tagged and cut == 1):
                continue
            pool = [k for k in self.clauses if len(k) == len(key) and k[:cut] == parent
                    and isinstance(k[0], str) == tagged and (not tagged or k[0] == key[0])]
            if not pool:
                if parent in self.clauses:
                    return [key_citation(parent, self)]
                continue
            wanted = key[cut]
            pool.sort(key=lambda k: (abs(k[cut] - wanted), k[cut]) if isinstance(wanted, int)
                      and isinstance(k[cut], int) else (0, str(k[cut])))
            return [key_citation(k, self) for k in sorted(pool[:n], key=_order)]
        return []


def _order(key: tuple) -> tuple:
    return tuple((0, x, "") if isinstance(x, int) else (1, 0, x) for x in key)


def clause_key(c: Citation) -> tuple | None:
    """The index's key of the clause `c` cites; None when `c` names no clause (an empty citation).
    An annex is keyed by its number only: its parts are tables, not numbered clauses."""
    if c.annex is not None:
        return ("annex", c.annex)
    if c.supplement is not None:
        if not c.supplement:
            return ("supplement",)
        day = re.sub(r"\s+", "", c.supplement)
        return ("supplement", day) if c.paragraph is None else ("supplement", day, c.paragraph)
    if c.section is not None:
        return ("section", c.section) if c.item is None else ("section", c.section, c.item)
    if c.article is None:
        return None
    key: tuple = (c.article,)
    if c.paragraph is not None or c.item is not None:
        key += (c.paragraph or 1,)
    if c.item is not None:
        key += (c.item,)
    if c.subitem is not None:
        key += (c.subitem,)
    return key


def key_citation(key: tuple, index: ClauseIndex | None = None) -> Citation:
    """The citation of an index key, written as the text would cite it: the paragraph of an item
    left out when its article has one paragraph only (`第8条(1)`)."""
    if key[0] == "annex":
        return Citation(annex=key[1])
    if key[0] == "supplement":
        return Citation(supplement=key[1] if len(key) > 1 else "", paragraph=key[2] if len(key) > 2 else None)
    if key[0] == "section":
        return Citation(section=key[1], item=key[2] if len(key) > 2 else None)
    article, paragraph, item, subitem = (*key, None, None, None)[:4]
    if item is not None and paragraph == 1 and index is not None and (article, 2) not in index.clauses:
        paragraph = None
    return Citation(article=article, paragraph=paragraph, item=item, subitem=subitem)


def _joined(lines: list[tuple[str, bool]]) -> str:
    """A clause's lines as one text: a line that starts a clause (or looks like one: an annex's
    parts are numbered too), a table row, or one after a
    heading or a sentence's end starts a line of its own; any other continues the long line
    before it (the extraction broke that line, often inside a word, at a page's end)."""
    out: list[str] = []
    for line, starts in lines:
        if out and not starts and not _PARAGRAPH.match(line) and not _ITEM.match(line) and "\t" not in line and "\t" not in out[-1] and len(out[-1]) >= _FULL_LINE \
                and not out[-1].endswith(("。", ":", "：")):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def index_text(text: str, path: str = "<text>") -> ClauseIndex:
    out = ClauseIndex(path)
    sections = not any(_ARTICLE.match(line.strip()) for line in text.splitlines())
    article = paragraph = item = None
    part = "body"  # body | annex | supplement
    day = None
    current: list[tuple] = []  # the clauses the next line belongs to, outermost first

    def enter(*keys: tuple) -> None:
        out.clauses.update(keys)
        current[:] = list(keys)

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        starts = True
        if sections:
            m = _SECTION.match(line)
            if m and not _ITEM.match(line):
                article = int(m.group(1))
                enter(("section", article))
            elif (m := _ITEM.match(line)) and article is not None:
                enter(("section", article), ("section", article, int(m.group(1))))
            else:
                starts = False
        elif m := _ANNEX.match(line):
            part, article = "annex", None
            enter(("annex", int(m.group(1))))
        elif _SUPPLEMENT.match(line):
            part, article, day = "supplement", None, None
            current.clear()
            continue
        elif part != "annex" and (m := _ARTICLE.match(line)):
            part, article, paragraph, item = "body", int(m.group(1)), 1, None
            out.clauses.add((article, 1))
            enter((article,))
            _add(out, current, line, True)
            current.append((article, 1))  # the first paragraph is unnumbered: it starts after the heading
            continue
        elif part == "supplement":
            compact = re.sub(r"\s+", "", line)
            if m := _SUPPLEMENT_DAY.match(compact):
                day = m.group(1)
                out.clauses.add(("supplement", day, 1))
                enter(("supplement",), ("supplement", day))
                _add(out, current, line, True)
                current.append(("supplement", day, 1))
                continue
            if day is not None and (m := _PARAGRAPH.match(line)):
                enter(("supplement",), ("supplement", day), ("supplement", day, int(m.group(1))))
            else:
                starts = False
        elif part != "body" or article is None:
            starts = False
        elif (m := _PARAGRAPH.match(line)) and int(m.group(1)) == paragraph + 1:
            paragraph, item = int(m.group(1)), None
            enter((article,), (article, paragraph))
        elif m := _SUBITEM.match(line):
            if item is not None:
                enter((article,), (article, paragraph), (article, paragraph, item),
                      (article, paragraph, item, m.group(1)))
            else:
                starts = False
        elif m := _ITEM.match(line):
            item = int(m.group(1))
            enter((article,), (article, paragraph), (article, paragraph, item))
        else:
            starts = False
        _add(out, current, line, starts)
    return out


def _add(index: ClauseIndex, keys: list[tuple], line: str, starts: bool) -> None:
    for k in keys:
        index.lines.setdefault(k, []).append((line, starts))


def source_path(source: str | None, spec_path: str | None, folder: str | None = None) -> Path | None:
    """The file of a spec's `source "…"`: in `folder`, else $TARIFFCHECK_SOURCES, else
    ../shared/seeds beside the repository of the spec; None when it is not there."""
    if not source or Path(source).name != source or source in (".", ".."):
        return None  # a source names a file in the sources folder, never a path elsewhere (the service reads uploaded specs)
    folders = [folder] if folder else []
    if os.environ.get(SOURCES_ENV):
        folders.append(os.environ[SOURCES_ENV])
    if spec_path:
        repo = Path(spec_path).resolve().parent.parent
        folders.append(str(repo.parent / "shared" / "seeds"))
    for f in folders:
        p = Path(f) / source
        if p.is_file():
            return p
    return None


def load_index(source: str | None, spec_path: str | None, folder: str | None = None) -> ClauseIndex | None:
    path = source_path(source, spec_path, folder)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return index_text(text, str(path))


@dataclass(frozen=True)
class ClauseText:
    """The words a citation cites, looked up in the tariff's source text."""

    citation: Citation
    words: str | None  # None when the text was not found, or has no such clause
    source: str | None  # the text's file, when found
    nearest: tuple[Citation, ...] = ()  # clauses the text has next to a missing one

    @property
    def found(self) -> bool:
        return self.words is not None


_CACHE: dict[tuple[str, int, int], ClauseIndex] = {}


def cached_index(source: str | None, spec_path: str | None, folder: str | None = None) -> ClauseIndex | None:
    """load_index, kept per file and version of it: a report looks up many citations of one text."""
    path = source_path(source, spec_path, folder)
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        index = load_index(source, spec_path, folder)
        if index is None:
            return None
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = index
    return _CACHE[key]


def cited_words(source: str | None, spec_path: str | None, citation: Citation,
                folder: str | None = None) -> ClauseText:
    """The words `citation` cites in the text a spec names by `source "…"` (found as
    `source_path` finds it); the nearest clauses the text has when it has not this one."""
    index = cached_index(source, spec_path, folder)
    if index is None:
        return ClauseText(citation, None, None)
    name = Path(index.path).name
    words = index.words(citation)
    return ClauseText(citation, words, name, () if words is not None else tuple(index.nearest(citation)))
