"""Syntax tree to tariff model: bind every name, type every expression, structure citations.

The pass has two layers: .declarations resolves what a tariff file declares (contracts, services,
renames, rules, periods, derived days, fees), .expressions types the expressions inside them, and
.builtins holds the functions those expressions may call. All problems found are collected and
raised together as one DiagnosticError.
"""

from __future__ import annotations

from ..model import tariff as M
from ..syntax import tree as S
from .declarations import Linker, Resolver

__all__ = ["Linker", "load_tariff_file", "resolve"]


def resolve(tree: S.TariffFile, link: Linker | None = None) -> M.Tariff:
    """The tariff model of a parsed file; `link` loads the tariffs its services name."""
    return Resolver(tree, link).run()


def load_tariff_file(path: str, link: Linker | None = None) -> M.Tariff:
    """Parse and resolve a .tariff file (E001 and E012 come from the parser)."""
    from ..syntax.parser import parse_file

    return resolve(parse_file(path), link)
