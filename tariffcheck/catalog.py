"""Where the bundled tariffs live, and loading a tariff by name or path.

An installed package carries the specs inside it (`tariffcheck/bundled_specs`, put there by
the wheel build); a source checkout reads `specs/` beside the package. A tariff is named by
its file stem with `-` or `_` (`secure-endpoint`, `secure_endpoint`) or by a path to a
`.tariff` file.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from .common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from .model.tariff import Tariff
from .resolve import load_tariff_file

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir() -> Path:
    installed = _PACKAGE / "bundled_specs"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "specs"


def bundled_names() -> list[str]:
    d = bundled_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem.replace("_", "-") for p in d.glob("*.tariff"))


def spec_path(name_or_path: str) -> Path:
    """The file a `--tariff` argument means; raise DiagnosticError T001 when there is none."""
    p = Path(name_or_path)
    if name_or_path.endswith((".tariff", ".uvl")) or os.sep in name_or_path or p.is_file():
        return p
    stem = name_or_path.strip().replace("-", "_")
    candidate = bundled_dir() / f"{stem}.tariff"
    if candidate.is_file():
        return candidate
    names = bundled_names()
    raise DiagnosticError([Diagnostic(
        "T001", f"no bundled tariff is called `{name_or_path}`",
        help=did_you_mean(name_or_path, names) or "bundled tariffs: " + ", ".join(names) +
        "; or give the path of a .tariff file")])


def load(name_or_path: str) -> Tariff:
    path = spec_path(name_or_path)
    try:
        stat = path.stat()
    except OSError:
        return load_tariff_file(str(path), link_bundled)  # reports E012 with the reason
    return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)


class _Linking(threading.local):
    """The tariffs this thread is linking right now, to stop a cycle of links. Per thread:
    another thread loading the same tariff at the same time is no cycle."""

    def __init__(self):
        self.ids: list[str] = []


_linking = _Linking()


def link_bundled(tariff_id: str) -> Tariff | None:
    """The bundled tariff a `service ... tariff ID` names, or None when none is bundled."""
    path = bundled_dir() / f"{tariff_id.replace('-', '_')}.tariff"
    linking = _linking.ids
    if not path.is_file() or tariff_id in linking:
        return None
    linking.append(tariff_id)
    try:
        return load(str(path))
    finally:
        linking.pop()


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, size: int) -> Tariff:
    if path.endswith(".uvl"):
        return _load_uvl(path)
    return load_tariff_file(path, link_bundled)


def _load_uvl(path: str) -> Tariff:
    """A UVL feature model imported on the fly (docs/uvl.md); what does not carry over is
    warned about, each thing by name."""
    import warnings

    from .interop.uvl_import import import_uvl_file
    from .resolve import resolve
    from .syntax.parser import parse_text

    imported = import_uvl_file(path)
    if imported.not_carried:
        warnings.warn(f"{path}: {len(imported.not_carried)} things of the UVL model do not carry over:\n  "
                      + "\n  ".join(imported.not_carried), UserWarning, stacklevel=2)
    return resolve(parse_text(imported.text, path), link_bundled)


@lru_cache(maxsize=256)
def display_path(path: str) -> str:
    """A spec path as users should see it: relative to the bundled folder when it is bundled.
    Kept per path: resolving it costs file-system calls, and every violation of every result
    names its rule's file (a service answers thousands a second)."""
    try:
        rel = Path(path).resolve().relative_to(bundled_dir().resolve())
        return f"specs/{rel}"
    except ValueError:
        return path
