"""`tariff list`: the bundled tariffs. (The module's name ends in `_` so that it does not hide
the builtin `list` in the package.)"""

from __future__ import annotations

from .. import catalog
from ..report.check_report import version_text
from ..report.terminal import safe_lines
from .shared import EXIT_VALID, emit


def register(commands) -> None:
    p = commands.add_parser("list", help="list the bundled tariffs")
    p.set_defaults(run=run)


def run(args) -> int:
    lines = []
    for name in catalog.bundled_names():
        t = catalog.load(name)
        lines.append(f"{name:24} {t.title}  ({version_text(t)}, {len(t.rules)} rules)")
    if lines:
        emit(safe_lines(lines))
    return EXIT_VALID
