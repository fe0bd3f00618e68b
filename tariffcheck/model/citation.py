"""Citations as structured values (../shared/READINGS.md, "Citing a clause").

`第8条第2項(19)` is article 8, paragraph 2, item 19. Annexes (`別紙1 2(1) 備考(1)`),
supplementary provisions (`附則(令和7年10月1日変更)第2項`) and the numbered sections of
a service specification (`5.(4)`, `16.`) have their own shapes. Spaces that PDF extraction
puts inside numbers are dropped before parsing, so `第 5 条` is `第5条`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_ARTICLE = re.compile(r"^第(\d+)条(?:第(\d+)項)?(?:\((\d+)\))?(?:\(([ivx]+)\))?$")
_SUPPLEMENT = re.compile(r"^附則(?:\(([^()]+)\))?(?:第(\d+)項)?$")
_ANNEX = re.compile(r"^別紙(\d+)(?:\s+(.+))?$")
_SECTION = re.compile(r"^(\d+)\.(?:\((\d+)\))?(?:([a-z])\.)?$")


@dataclass(frozen=True, order=True)
class Citation:
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    subitem: str | None = None
    annex: int | None = None
    annex_part: str | None = None
    supplement: str | None = None
    section: int | None = None

    def __str__(self) -> str:
        if self.annex is not None:
            return f"別紙{self.annex}" + (f" {self.annex_part}" if self.annex_part else "")
        if self.supplement is not None or (self.article is None and self.section is None):
            head = "附則" + (f"({self.supplement})" if self.supplement else "")
            return head + (f"第{self.paragraph}項" if self.paragraph else "")
        if self.section is not None:
            return f"{self.section}." + (f"({self.item})" if self.item else "")
        text = f"第{self.article}条"
        if self.paragraph is not None:
            text += f"第{self.paragraph}項"
        if self.item is not None:
            text += f"({self.item})"
        if self.subitem is not None:
            text += f"({self.subitem})"
        return text

    def to_json(self) -> dict:
        """The citation's fields that are set, and its text. A new dict each call (the caller may
        change it), copied from the one worked out once per citation: every violation of a check
        result names its clause, and a service writes thousands of them a second."""
        return dict(_json_of(self))


@lru_cache(maxsize=4096)
def _json_of(c: Citation) -> dict:
    """Citation.to_json, kept per citation (a frozen value: equal citations have equal JSON)."""
    return {k: v for k, v in c.__dict__.items() if v is not None} | {"text": str(c)}


class CitationError(ValueError):
    pass


def parse_citation(text: str) -> Citation:
    """Parse a citation's text; raise CitationError naming the accepted shapes."""
    try:
        return _parse_citation(text)
    except CitationError:
        raise
    except ValueError:  # a number Python will not read (thousands of digits)
        raise _error(text.strip()) from None


def _parse_citation(text: str) -> Citation:
    raw = text.strip()
    compact = re.sub(r"\s+", "", raw)
    compact = compact.replace("（", "(").replace("）", ")")
    m = _ARTICLE.match(compact)
    if m:
        article, paragraph, item, sub = m.groups()
        return Citation(
            article=int(article),
            paragraph=int(paragraph) if paragraph else None,
            item=int(item) if item else None,
            subitem=sub,
        )
    m = _SUPPLEMENT.match(compact)
    if m:
        title, paragraph = m.groups()
        return Citation(supplement=title or "", paragraph=int(paragraph) if paragraph else None)
    m = _ANNEX.match(re.sub(r"^別紙\s*(\d+)", r"別紙\1", raw))
    if m:
        annex, rest = m.groups()
        return Citation(annex=int(annex), annex_part=re.sub(r"\s+", " ", rest).strip() if rest else None)
    m = _SECTION.match(compact)
    if m:
        section, item, _letter = m.groups()
        return Citation(section=int(section), item=int(item) if item else None)
    raise _error(raw)


def _error(raw: str) -> CitationError:
    return CitationError(
        f"`{raw}` is not a citation this project reads; "
        "write `第N条`, `第N条第M項`, `第N条第M項(k)`, `第N条(k)`, `別紙N ...`, "
        "`附則(...)第M項` or a section such as `5.(4)`"
    )
