"""A run: the job every partition shares, one partition's work, the output folder and its manifest,
and the two ways to run the partitions (on Dask, or in this process).

The output folder holds `manifest.json` (what was asked: the base, the versions' hashes, the
options and the partition size), `parts/part-NNNNNN.jsonl` (one result per row, in the base's
order) and `parts/part-NNNNNN.summary.json` (that partition's counts) for every partition that
finished, and `summary.json` once all have. Both files of a partition are written to a
temporary name and renamed (os.replace, atomic): the summary last, so a partition is finished
exactly when its summary exists. A run over a folder whose manifest matches redoes only the
partitions without one; a manifest that does not match stops the run (B003), and nothing of the
earlier run is touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import catalog
from ..common.diagnostics import DiagnosticError
from ..model.tariff import Tariff
from . import sources, summary
from .judge import Judge, Options, Spec
from .lines import result_line

FORMAT = 1


@dataclass(frozen=True)
class Job:
    new: Spec
    old: Spec | None
    options: Options
    out: str  # the output folder, which every worker must see
    results: str = "jsonl"  # the form of the per-contract results: "jsonl" or "parquet"
    # the versions as loaded here, sent once to each worker of a Dask run so that it need not
    # parse them again (judge.checker); not part of what the job is
    models: tuple[Tariff, ...] = field(default=(), compare=False, repr=False)


def part_paths(out: str | Path, number: int, results: str = "jsonl") -> tuple[Path, Path]:
    folder = Path(out) / "parts"
    return folder / f"part-{number:06d}.{results}", folder / f"part-{number:06d}.summary.json"


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C or a full disk: no half-written file is left behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def run_partition(job: Job, part: sources.Part) -> dict:
    """Judge every row of `part`, write its results and counts, and return the counts. Run again
    (a retry after a lost worker), it rewrites the same files with the same bytes."""
    results_path, summary_path = part_paths(job.out, part.number, job.results)
    if summary_path.exists():
        return json.loads(summary_path.read_text(encoding="utf-8"))
    counts = summary.Tally()
    # each row is kept as its result line (bytes, which the garbage collector does not walk),
    # not as its result's dicts: a partition's rows then cost neither memory nor collections
    lines: list[bytes] = []
    columns: list[tuple] = []  # for Parquet, the columns of each row beside its line
    source = sources.display(part.source)
    judge = Judge(job.new, job.old, job.options, job.models).judge
    for row in sources.read(part):
        judged = judge(row, source)
        counts.add(judged)
        lines.append(judged.line or result_line(judged.result))
        if job.results == "parquet":
            key = judged.result.get("key")
            columns.append((judged.result["row"], None if key is None else str(key), judged.cls,
                            [r for r, _, _ in judged.rules]))
    counts = counts.summary()
    counts["lines"] = part.count
    if job.results == "parquet":
        write_atomically(results_path, _parquet_bytes(source, columns, lines))
    else:
        write_atomically(results_path, b"".join(lines))
    write_atomically(summary_path, json.dumps(counts, ensure_ascii=False, sort_keys=True).encode())
    return counts


def _parquet_bytes(source: str, columns: list[tuple], lines: list[bytes]) -> bytes:
    """The results as Parquet: a row's place and class in columns of their own, the rules it
    breaks under the new version as a list, and its whole result as the JSON line gives it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "source": pa.array([source] * len(columns), pa.string()),
        "row": pa.array([c[0] for c in columns], pa.int64()),
        "key": pa.array([c[1] for c in columns], pa.string()),
        "class": pa.array([c[2] for c in columns], pa.string()),
        "rules": pa.array([c[3] for c in columns], pa.list_(pa.string())),
        "result": pa.array([line[:-1].decode() for line in lines], pa.string()),
    })
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


# ---- the output folder -----------------------------------------------------------------------------
def manifest(job: Job, plan: sources.Plan, partition_size: int) -> dict:
    asked = {"base": plan.fingerprint, "new": job.new.content_hash,
             "old": job.old.content_hash if job.old else None, "options": job.options.as_json(),
             "partition_size": partition_size, "results": job.results}
    return {"format": FORMAT, "key": sources.fingerprint_hash(asked), "asked": asked, "partitions": len(plan.parts),
            "rows": plan.rows}


def prepare(job: Job, plan: sources.Plan, partition_size: int) -> list[sources.Part]:
    """Make the output folder ready and return the partitions still to do (B003 when it holds
    the results of another job)."""
    out = Path(job.out)
    wanted = manifest(job, plan, partition_size)
    path = out / "manifest.json"
    try:
        (out / "parts").mkdir(parents=True, exist_ok=True)
        if path.exists():
            found = json.loads(path.read_text(encoding="utf-8"))
            if found.get("key") != wanted["key"]:
                raise sources.base_error(
                    "B003", f"the folder `{job.out}` holds the results of another impact run",
                    "give another `-o` folder, or delete this one to start again; a run resumes only "
                    "with the same base, versions, options and partition size")
        else:
            write_atomically(path, json.dumps(wanted, ensure_ascii=False, indent=2, sort_keys=True).encode())
    except OSError as exc:
        raise sources.base_error("R001", f"cannot write the results to `{job.out}`: {exc.strerror or exc}",
                                 "give a folder you can write with `-o`") from None
    return [p for p in plan.parts if not part_paths(out, p.number)[1].exists()]


def collect(job: Job, plan: sources.Plan) -> dict:
    """The whole run's counts, from the summaries of its partitions, in partition order."""
    total = summary.empty()
    for p in plan.parts:
        data = json.loads(part_paths(job.out, p.number)[1].read_text(encoding="utf-8"))
        data.pop("lines", None)
        summary.merge(total, data)
    return summary.ordered(total)


# ---- running the partitions ---------------------------------------------------------------------------
Progress = Callable[[int], None]  # called with the rows (lines) of each partition that finishes


def run_here(job: Job, todo: list[sources.Part], progress: Progress | None = None) -> None:
    """Every partition in this process, one after the other."""
    for part in todo:
        run_partition(job, part)
        if progress:
            progress(part.count)


def run_on_dask(job: Job, todo: list[sources.Part], client, progress: Progress | None = None) -> None:
    """Every partition as a task of `client`'s cluster. A task whose worker dies is run again by
    the scheduler on another; a partition's files are the same whichever worker writes them.

    The job, with the versions' models as loaded here, goes to every worker once (scattered,
    broadcast) and the tasks name it: a task then carries its partition alone, not the two
    specs' text, and a worker compiles the versions without parsing them (judge.checker). A
    worker that joins later gets the job from one that holds it."""
    from distributed import as_completed

    token = sources.fingerprint_hash({"out": str(Path(job.out).resolve()), "new": job.new.content_hash})[:12]
    shipped = client.scatter(replace(job, models=_models(job)), broadcast=True, hash=False)
    try:
        counts = {}
        pending = as_completed()
        for part in todo:
            future = client.submit(run_partition, shipped, part, key=f"tariff-impact-{token}-{part.number:06d}",
                                   pure=False, retries=2)
            counts[future.key] = part.count
            pending.add(future)
        for future in pending:  # only the iterator holds a task's future: its result is released once seen
            future.result()  # a task that failed every retry raises here
            if progress:
                progress(counts[future.key])
            future.release()
    finally:
        shipped.release()  # a cluster the caller keeps does not keep the job


def _models(job: Job) -> tuple[Tariff, ...]:
    """The versions as this process loads them (catalog.load keeps them: `impact` loaded both);
    a spec whose file changed or went since is left to the workers to load, from its text."""
    models = []
    for spec in (job.new, job.old):
        if spec is None:
            continue
        try:
            model = catalog.load(spec.path)
        except DiagnosticError:
            continue
        if model.content_hash == spec.content_hash:
            models.append(model)
    return tuple(models)
