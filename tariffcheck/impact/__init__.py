"""The impact of a new version of a tariff on the installed base (docs/impact.md).

    import tariffcheck
    result = tariffcheck.impact("specs/new.tariff", "base.parquet", old="secure-endpoint", out="impact-out")
    result.summary["classes"]        # {"newly_broken": 212, "still_valid": 98112, ...}
    result.results                   # the folder of per-contract results (JSON Lines)

Every contract of the base is checked under the new version and, with `old`, under the old one;
the partitions run on Dask (a LocalCluster on this machine's cores unless `scheduler` or
`client` names a cluster; `workers=0` runs them in this process, without Dask). Each partition's
results are written when it finishes, so a run that stops resumes where it was.

The layers: sources.py (reading and cutting the base), judge.py (one row under both versions),
summary.py (the counts), run.py (a partition's work, the output folder, running the tasks).
Dask, pyarrow and SQLAlchemy are the `[impact]` extra, imported when a run needs them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .. import catalog
from ..report import impact_report
from . import run as _run
from . import sources
from .judge import Options, Spec

DEFAULT_PARTITION_SIZE = 10_000
DEFAULT_OUT = "impact-results"


@dataclass
class ImpactResult:
    summary: dict  # the JSON of `tariff impact --format json` (docs/impact.md)
    results: Path  # the folder of per-contract results: parts/part-NNNNNN.jsonl (or .parquet)
    done: int  # partitions run by this call (the others were finished by an earlier run)


def impact(tariff: str, contracts: str | os.PathLike, *, old: str | None = None, out: str | os.PathLike = DEFAULT_OUT,
           repair: bool = False, locks=(), unlock=(), weights: dict[str, int] | None = None,
           workers: int | None = None, partition_size: int = DEFAULT_PARTITION_SIZE, scheduler: str | None = None,
           client=None, table: str | None = None, query: str | None = None, column: str = sources.DEFAULT_COLUMN,
           key: str | None = None, timeout_ms: int | None = None, results: str = "jsonl",
           progress=None) -> ImpactResult:
    """Judge every contract of the base `contracts` under `tariff` (and `old`); see the module.

    `progress(total_rows, rows_done_before)` returns a callable that is called with the rows of
    each partition as it finishes (the CLI's progress bar)."""
    if partition_size < 1:
        raise ValueError("partition_size must be 1 or more")
    if workers is not None and workers < 0:
        raise ValueError("workers must be 0 (no Dask) or more")
    if results not in ("jsonl", "parquet"):
        raise ValueError(f"unknown results form `{results}`: use jsonl or parquet")
    new_spec = Spec.of(tariff)
    old_spec = Spec.of(old) if old is not None else None
    options = Options(repair, tuple(locks), tuple(unlock), tuple(sorted((weights or {}).items())), timeout_ms)
    job = _run.Job(new_spec, old_spec, options, str(Path(out).resolve()), results)
    plan = sources.plan(os.fspath(contracts), partition_size, table=table, query=query, column=column, key=key)
    todo = _run.prepare(job, plan, partition_size)
    tick = progress(plan.rows, plan.rows - sum(p.count for p in todo)) if progress else None
    if todo:
        here = client is None and scheduler is None and (workers == 0 or (workers is None and len(todo) == 1))
        if here:  # no Dask asked for, or one partition, which a cluster would only delay
            _run.run_here(job, todo, tick)
        else:
            with _cluster(client, scheduler, workers) as c:
                _run.run_on_dask(job, todo, c, tick)
    counts = _run.collect(job, plan)
    new_t = catalog.load(tariff)
    old_t = catalog.load(old) if old is not None else None
    data = impact_report.to_json(new_t, old_t, sources.display(os.fspath(contracts)), len(plan.parts),
                                 str(Path(out) / "parts"), counts, options.repair)
    _run.write_atomically(Path(job.out) / "summary.json", impact_report.json_bytes(data))
    return ImpactResult(data, Path(out) / "parts", len(todo))


# What the workers of a cluster started here leave out: the statistical profiler samples the
# running task's stack every 10 ms for the dashboard's profile page, which a batch job nobody
# watches does not read (about a tenth of a worker's CPU beside impact's tasks in
# benchmarks/bench_impact_rate.py). The Nanny hands this configuration to each worker process.
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def local_cluster(workers: int):
    """A LocalCluster of `workers` processes of one thread each, on this machine, as `impact`
    starts one (the benchmarks start theirs here too)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_WORKER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                            silence_logs=logging.ERROR)


class _cluster:
    """The Dask client to run on: the caller's, one connected to `scheduler`, or a LocalCluster of
    `workers` processes (this machine's cores by default) started here and closed after."""

    def __init__(self, client, scheduler: str | None, workers: int | None):
        self.given, self.scheduler, self.workers = client, scheduler, workers
        self.owned = []

    def __enter__(self):
        if self.given is not None:
            return self.given
        try:
            from distributed import Client
        except ImportError:
            raise sources.base_error("B005", "running on Dask needs dask.distributed",
                                     "install the extra: `pip install tariffcheck[impact]`, or run in this "
                                     "process with `--workers 0`") from None
        if self.scheduler:
            try:
                client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise sources.base_error("B005", f"cannot reach the Dask scheduler `{self.scheduler}`: {exc}",
                                         "start it (`dask scheduler`) or check the address, e.g. "
                                         "`tcp://10.0.0.5:8786`") from None
            self.owned.append(client)
            return client
        cluster = local_cluster(self.workers or os.cpu_count() or 1)
        self.owned.append(cluster)
        client = Client(cluster)
        self.owned.insert(0, client)
        return client

    def __exit__(self, *exc):
        for thing in self.owned:
            thing.close()
        return False
