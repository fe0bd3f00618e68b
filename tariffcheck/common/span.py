"""Where a piece of source text stands: file, line and column of its start and end.

Every syntax node, diagnostic and finding carries one, so any later error can point back at the
line a product manager wrote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"
