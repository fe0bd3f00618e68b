"""`tariff list`: the bundled tariffs. (The module's name ends in `_` so that it does not hide
the builtin `list` in the package.)"""

from __future__ import annotations

from .. import catalog
from .shared import EXIT_VALID


def register(commands) -> None:
    p = commands.add_parser("list", help="list the bundled tariffs")
    p.set_defaults(run=run)


def run(args) -> int:
    for name in catalog.bundled_names():
        t = catalog.load(name)
        print(f"{name:24} {t.title}  (as of {t.version}, {len(t.rules)} rules)")
    return EXIT_VALID
