"""One attempt's validation work on the engine's workers: every piece of every input file, then the
merges of the files that were split (:mod:`~jobforge.services.location.pieces`).

A file of one piece is validated straight into its part file. A split file's pieces go to the
internal bucket, and once every piece of every file is done, one merge task per split file writes
its part file. Progress counts the rows of each piece as it finishes (``rows``), the pieces
(``pieces``, ``piecesDone``), the split files (``splitFiles``) and the published part files
(``filesDone``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from jobforge.engine import JobContext, JobFailed
from jobforge.services.location.file_worker import INTERNAL_ERROR, FileTask, transform_file
from jobforge.services.location.locations import S3Location
from jobforge.services.location.pieces import MergeTask, Staging, merge_pieces, row_id_seed
from jobforge.services.location.stop import StopSignal
from jobforge.storage import ObjectInfo, StoreSpec

log = logging.getLogger("jobforge.location")


def part_name(index: int) -> str:
    """Output file of the ``index``-th input file (inputs in key order, from 0)."""
    return f"part-{index:05d}.parquet"


@dataclass(frozen=True)
class InputFile:
    """One input file and its pieces: ranges of row groups (one range: validated whole)."""

    index: int
    info: ObjectInfo
    pieces: list[tuple[int, int]]

    @property
    def split(self) -> bool:
        return len(self.pieces) > 1

    @property
    def uri(self) -> str:
        return f"s3://{self.info.bucket}/{self.info.key}"


@dataclass(frozen=True)
class Workers:
    """What every task of a job shares: stores, reference index, features, stop signal, parallelism."""

    job_store: StoreSpec  # the job's access (its execution role on S3 with STS)
    server_store: StoreSpec  # the server's own access: the internal bucket
    staging: Staging
    reference: str | None  # the address index, when the job's node has one
    features: tuple[str, ...]
    stop: StopSignal
    parallelism: int


@dataclass
class _File:
    rows: int = 0
    error_rows: int = 0


class FileRun:
    """Validate ``files`` into ``folder``; the part keys published go to ``published`` at once."""

    def __init__(self, ctx: JobContext, workers: Workers, folder: S3Location, published: list[str]) -> None:
        self.ctx = ctx
        self.workers = workers
        self.folder = folder
        self.published = published
        self.entries: dict[int, dict[str, Any]] = {}
        self.counts: dict[int, _File] = {}
        self.rows = 0
        self.pieces_done = 0

    def run(self, files: list[InputFile]) -> list[dict[str, Any]]:
        """Run every piece, then every merge; the manifest entries in input order."""
        split = [file for file in files if file.split]
        pieces = [(file, piece) for file in files for piece in range(len(file.pieces))]
        self.counts = {file.index: _File() for file in files}
        self.ctx.report(progress={"pieces": len(pieces), "piecesDone": 0, "splitFiles": len(split)})
        if split:
            self.workers.staging.open_for(self.ctx.job.job_id)
            log.info(
                "input files split into pieces",
                extra={"job": self.ctx.job.arn, "files": len(split), "pieces": len(pieces)},
            )
        tasks = [partial(transform_file, self._piece_task(file, piece)) for file, piece in pieces]
        self._run(tasks, self._piece_done(pieces))
        if split:
            self.ctx.check()
            self._run([partial(merge_pieces, self._merge_task(file)) for file in split], self._merged(split))
        return [self.entries[index] for index in sorted(self.entries)]

    def _run(self, tasks: list[Callable[[], dict[str, Any]]], record: Callable[[int, Any], None]) -> None:
        self.ctx.run_bounded(
            tasks,
            self.workers.parallelism,
            on_result=record,
            processes=True,
            pace=True,
            on_stop=self.workers.stop.send,  # the pieces, on any node, abort at their next batch
        )

    def _target(self, file: InputFile) -> tuple[str, str]:
        return self.folder.bucket, self.folder.key + part_name(file.index)

    def _piece_task(self, file: InputFile, piece: int) -> FileTask:
        job_id, workers = self.ctx.job.job_id, self.workers
        whole = not file.split
        staged = workers.staging.bucket, workers.staging.key(job_id, file.index, piece)
        return FileTask(
            workers.job_store,
            workers.reference,
            workers.features,
            (file.info.bucket, file.info.key),
            self._target(file) if whole else staged,
            workers.stop,
            row_groups=None if whole else file.pieces[piece],
            id_seed=row_id_seed(job_id, file.index),
            target_store=None if whole else workers.server_store,
            live=None if whole else workers.staging.live_marker(job_id),
        )

    def _merge_task(self, file: InputFile) -> MergeTask:
        staging, job_id = self.workers.staging, self.ctx.job.job_id
        keys = tuple((staging.bucket, staging.key(job_id, file.index, p)) for p in range(len(file.pieces)))
        workers = self.workers
        return MergeTask(workers.server_store, keys, workers.job_store, self._target(file), workers.stop)

    def _piece_done(self, pieces: list[tuple[InputFile, int]]) -> Callable[[int, Any], None]:
        def record(index: int, outcome: dict[str, Any] | Exception) -> None:
            if not _finished(outcome):
                return
            file = pieces[index][0]
            counts = self.counts[file.index]
            counts.rows += outcome["rows"]
            counts.error_rows += outcome["errorRows"]
            self.rows += outcome["rows"]
            self.pieces_done += 1
            if not file.split:
                self._publish(file)
            progress = {"piecesDone": self.pieces_done, "rows": self.rows, "filesDone": len(self.entries)}
            self.ctx.report(progress=progress)

        return record

    def _merged(self, split: list[InputFile]) -> Callable[[int, Any], None]:
        def record(index: int, outcome: dict[str, Any] | Exception) -> None:
            if not _finished(outcome):
                return
            file = split[index]
            self._publish(file)
            expected, merged = self.counts[file.index].rows, outcome["rows"]
            if merged != expected:  # a staged piece that is not this attempt's
                message = f"{file.uri}: the merged pieces hold {merged} rows, not {expected}"
                raise JobFailed(INTERNAL_ERROR, message)
            self.ctx.report(progress={"filesDone": len(self.entries)})

        return record

    def _publish(self, file: InputFile) -> None:
        bucket, key = self._target(file)
        self.published.append(key)
        counts = self.counts[file.index]
        self.entries[file.index] = {
            "input": file.uri,
            "output": f"s3://{bucket}/{key}",
            "rows": counts.rows,
            "errorRows": counts.error_rows,
        }


def _finished(outcome: dict[str, Any] | Exception) -> bool:
    """Whether a task's outcome is finished work; JobFailed for a failed one, False if cancelled."""
    if isinstance(outcome, Exception):  # the worker process died (out of memory, killed)
        raise JobFailed(INTERNAL_ERROR, f"A validation worker failed: {outcome}")
    if "error" in outcome:
        raise JobFailed(outcome["error"]["code"], outcome["error"]["message"])
    return not outcome.get("cancelled")
