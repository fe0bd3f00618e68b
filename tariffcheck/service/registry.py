"""The tariffs a service serves, each compiled once into a shared Checker, and their reload.

A reload compiles each spec beside the one serving and then swaps the whole table at once, so
a request sees either the old version or the new one, never a mix. A request takes its `Served`
entry when it starts and keeps it to the end: it finishes on the version it started with even
when a reload lands meanwhile. A spec that does not load leaves its old version serving, and the
reason is kept for the reload's answer and for `/readyz`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog
from ..api import Checker
from ..common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from ..model.tariff import Tariff


@dataclass(frozen=True)
class Served:
    name: str  # as in URLs: the file's stem with `-` (secure-endpoint)
    path: str
    checker: Checker
    loaded_at: float

    @property
    def tariff(self) -> Tariff:
        return self.checker.tariff


@dataclass
class ReloadReport:
    loaded: list[str] = field(default_factory=list)  # new, or changed (a new content hash)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, list[dict]] = field(default_factory=dict)  # name -> diagnostics (the old one serves)

    def to_json(self, served: dict[str, Served]) -> dict:
        return {"loaded": self.loaded, "unchanged": self.unchanged, "removed": self.removed,
                "failed": [{"tariff": n, "errors": errs} for n, errs in sorted(self.failed.items())],
                "serving": {n: {"version": s.tariff.version, "content_hash": s.tariff.content_hash}
                            for n, s in sorted(served.items())}}


class Registry:
    """The served tariffs by name. `folder` is a folder of `.tariff` files; None means the
    bundled tariffs. `timeout_ms` is each solver call's limit in the checkers it builds."""

    def __init__(self, folder: str | None, timeout_ms: int):
        self.folder = folder
        self.timeout_ms = timeout_ms
        self._served: dict[str, Served] = {}
        self._reload_lock = threading.Lock()  # one reload at a time; readers never wait for it
        self.generation = 0  # counts the swaps, so the OpenAPI document knows when to rebuild
        self.last_failures: dict[str, list[dict]] = {}

    @property
    def source(self) -> Path:
        return Path(self.folder) if self.folder is not None else catalog.bundled_dir()

    def spec_files(self) -> dict[str, Path]:
        base = self.source
        if not base.is_dir():
            raise DiagnosticError([Diagnostic("E012", f"cannot read the folder of tariffs `{base}`",
                                              help="give `--tariffs` a folder that holds .tariff files")])
        return {p.stem.replace("_", "-"): p for p in sorted(base.glob("*.tariff"))}

    @property
    def served(self) -> dict[str, Served]:
        return self._served  # a dict that is replaced, never changed: safe to read without a lock

    def get(self, name: str) -> Served:
        table = self._served
        found = table.get(name) or table.get(name.replace("_", "-"))
        if found is None:
            names = sorted(table)
            raise DiagnosticError([Diagnostic(
                "T001", f"this service serves no tariff called `{name}`",
                help=did_you_mean(name, names) or "served tariffs: " + ", ".join(names))])
        return found

    def reload(self) -> ReloadReport:
        """Compile every spec of the folder beside the versions serving, then swap them in at once."""
        with self._reload_lock:
            report = ReloadReport()
            old = self._served
            new: dict[str, Served] = {}
            try:
                files = self.spec_files()
            except DiagnosticError as exc:  # the folder is gone or unreadable: keep serving what is served
                report.failed["*"] = [d.to_json() for d in exc.diagnostics]
                report.unchanged = sorted(old)
                self.last_failures = report.failed
                return report
            for name, path in files.items():
                try:
                    tariff = catalog.load(str(path))
                except DiagnosticError as exc:
                    report.failed[name] = [d.to_json() for d in exc.diagnostics]
                    if name in old:
                        new[name] = old[name]  # the old version keeps serving
                    continue
                current = old.get(name)
                if current is not None and current.tariff.content_hash == tariff.content_hash:
                    new[name] = current  # the same rules: keep its warm solvers
                    report.unchanged.append(name)
                    continue
                new[name] = Served(name, str(path), Checker(tariff, self.timeout_ms), time.time())
                report.loaded.append(name)
            report.removed = sorted(set(old) - set(new))
            self._served = new
            self.generation += 1
            self.last_failures = report.failed
            return report
