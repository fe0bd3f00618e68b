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

# Where the texts are when no folder is given: $TARIFFCHECK_SOURCES, else ../shared/seeds beside the
# repository that holds the spec (the specs' headers cite them so).
SOURCES_ENV = "TARIFFCHECK_SOURCES"


@dataclass
class ClauseIndex:
    """The clauses a source text has, as tuples: (article,), (article, paragraph),
    (article, paragraph, item), (article, paragraph, item, subitem); ("annex", n);
    ("supplement", day), ("supplement", day, paragraph); ("section", n), ("section", n, item)."""

    path: str
    clauses: set[tuple] = field(default_factory=set)

    def has(self, c: Citation) -> bool:
        if c.annex is not None:
            return ("annex", c.annex) in self.clauses
        if c.supplement is not None:
            if not c.supplement:
                return any(k[0] == "supplement" for k in self.clauses)
            day = re.sub(r"\s+", "", c.supplement)
            key = ("supplement", day) if c.paragraph is None else ("supplement", day, c.paragraph)
            return key in self.clauses
        if c.section is not None:
            return (("section", c.section) if c.item is None else ("section", c.section, c.item)) in self.clauses
        if c.article is None:
            return True
        key: tuple = (c.article,)
        if c.paragraph is not None or c.item is not None:
            key += (c.paragraph or 1,)
        if c.item is not None:
            key += (c.item,)
        if c.subitem is not None:
            key += (c.subitem,)
        return key in self.clauses


def index_text(text: str, path: str = "<text>") -> ClauseIndex:
    out = ClauseIndex(path)
    sections = not any(_ARTICLE.match(line.strip()) for line in text.splitlines())
    article = paragraph = item = None
    part = "body"  # body | annex | supplement
    day = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if sections:
            m = _SECTION.match(line)
            if m and not _ITEM.match(line):
                article = int(m.group(1))
                out.clauses.add(("section", article))
                continue
            m = _ITEM.match(line)
            if m and article is not None:
                out.clauses.add(("section", article, int(m.group(1))))
            continue
        if m := _ANNEX.match(line):
            part, article = "annex", None
            out.clauses.add(("annex", int(m.group(1))))
            continue
        if _SUPPLEMENT.match(line):
            part, article, day = "supplement", None, None
            continue
        if part != "annex" and (m := _ARTICLE.match(line)):
            part, article, paragraph, item = "body", int(m.group(1)), 1, None
            out.clauses.update({(article,), (article, 1)})
            continue
        if part == "supplement":
            compact = re.sub(r"\s+", "", line)
            if m := _SUPPLEMENT_DAY.match(compact):
                day = m.group(1)
                out.clauses.update({("supplement", day), ("supplement", day, 1)})
            elif day is not None and (m := _PARAGRAPH.match(line)):
                out.clauses.add(("supplement", day, int(m.group(1))))
            continue
        if part != "body" or article is None:
            continue
        if (m := _PARAGRAPH.match(line)) and int(m.group(1)) == paragraph + 1:
            paragraph, item = int(m.group(1)), None
            out.clauses.add((article, paragraph))
        elif m := _SUBITEM.match(line):
            if item is not None:
                out.clauses.add((article, paragraph, item, m.group(1)))
        elif m := _ITEM.match(line):
            item = int(m.group(1))
            out.clauses.add((article, paragraph, item))
    return out


def source_path(source: str | None, spec_path: str | None, folder: str | None = None) -> Path | None:
    """The file of a spec's `source "…"`: in `folder`, else $TARIFFCHECK_SOURCES, else
    ../shared/seeds beside the repository of the spec; None when it is not there."""
    if not source:
        return None
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
