"""The ValidateAddress job: every Parquet file under the input location, validated row by row.

Order of work, so that job-level problems fail the job before any output exists:

1. list the input (a bucket, a prefix or one object; at most ``Input files per job`` files);
2. check the output bucket, then every input file's footer and column types;
3. validate the files on the engine's worker processes, several at a time, each into its own
   atomically written output file ``<output>/<JobId>/part-NNNNN.parquet``; a file larger than
   ``JOBFORGE_LOCATION_SPLIT_BYTES`` is split by row groups into pieces validated apart, whose
   outputs (staged in an internal bucket) are then merged into its part file (:mod:`fanout`);
4. write ``<output>/<JobId>/manifest.json`` last: its presence means the output is complete.

A Failed or Cancelled job deletes the part files it had already published, so output exists
only for Completed jobs; when the server died first and restart recovery ends the job, the
handler's ``cleanup`` deletes them instead, and the job's staged pieces too. A restarted job starts
over and overwrites the same keys. On an S3 endpoint with STS every read and write of the job's
buckets uses the ExecutionRoleArn's credentials (:mod:`roles`); the internal bucket, the server's.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from jobforge.engine import Job, JobContext, JobFailed, JobHandler, JobOutcome, JobState
from jobforge.services.location.fanout import FileRun, InputFile, Workers
from jobforge.services.location.file_worker import INTERNAL_ERROR, VALIDATION_ERROR
from jobforge.services.location.locations import LocationError, S3Location, parse_location
from jobforge.services.location.pieces import Staging, split_row_groups
from jobforge.services.location.roles import assume_role
from jobforge.services.location.settings import LocationSettings
from jobforge.storage import (
    AccessDenied,
    BucketAccessDenied,
    NoSuchBucket,
    NoSuchKey,
    ObjectInfo,
    ObjectStore,
    StorageError,
    StoreSpec,
)

KIND = "location.validate-address"
MANIFEST = "manifest.json"
PART = re.compile(r"part-\d{5,}\.parquet")

log = logging.getLogger("jobforge.location")


def requested_features(request: dict[str, Any]) -> list[str]:
    """ActionOptions.ValidateAddress.AdditionalFeatures (Position, CountrySpecificAttributes)."""
    options = (request.get("ActionOptions") or {}).get("ValidateAddress") or {}
    return list(options.get("AdditionalFeatures") or [])


def is_input_file(key: str, prefix: str) -> bool:
    """Objects under the prefix, except folder markers and hidden names (``_SUCCESS``, ``.crc``)."""
    if key.endswith("/"):
        return False
    name = key.rsplit("/", 1)[-1]
    return not name.startswith(("_", "."))


@dataclass(frozen=True)
class Plan:
    """Where a job reads and writes: its input location and its own output folder."""

    source: S3Location
    folder: S3Location  # <output>/<JobId>/


class ValidateAddressHandler(JobHandler[Plan]):
    kind = KIND
    resumable = True  # nothing counts as output before the manifest: a restart starts over
    internal_failure_code = INTERNAL_ERROR

    def __init__(self, store: ObjectStore, settings: LocationSettings, parallelism: int) -> None:
        self.store = store
        self.settings = settings
        self.limits = settings.limits
        self.parallelism = max(1, parallelism)
        data_dir = settings.data_dir.resolve()
        self.store_spec = StoreSpec(str(data_dir), settings.s3_endpoint_url)
        self.reference = str(settings.reference.resolve())
        self.staging = Staging(store, settings.bucket)  # reserves the internal bucket

    def plan(self, ctx: JobContext) -> Plan:
        request = ctx.request
        source = _location(request["InputOptions"]["Location"], "InputOptions.Location")
        output = _location(request["OutputOptions"]["Location"], "OutputOptions.Location").as_prefix()
        return Plan(source, output.child(ctx.job.job_id + "/"))

    def run(self, ctx: JobContext, plan: Plan) -> JobOutcome:
        source, folder = plan.source, plan.folder
        ctx.step()  # honour pace controls before any work
        for field, location in (("InputOptions.Location", source), ("OutputOptions.Location", folder)):
            try:  # StartJob checked it too; the policy may have changed since
                self.store.policy.check(location.bucket, ctx.job.account_id)
            except BucketAccessDenied as exc:
                raise _failed(f"{field}: {exc}") from None
        store, spec = self._job_store(ctx.job)
        output = (store, folder, spec.credentials is not None)
        if ctx.job.attempt > 1 and (done := self._completed(ctx.job, output)) is not None:
            self.staging.discard(ctx.job.job_id)  # the dead attempt got as far as its manifest
            return done
        inputs = self._input_files(store, source)
        self._check_output(store, folder)
        files = self._check_inputs(ctx, store, inputs)
        if ctx.job.attempt > 1:  # an earlier attempt's parts never counted; it may have written more
            _remove(store, folder.bucket, _part_keys(store, folder))
        ctx.report(progress={"files": len(inputs), "filesDone": 0, "rows": 0})
        published: list[str] = []
        try:
            entries = self._validate(ctx, spec, files, folder, published)
            ctx.step()
            manifest = self._manifest(ctx, source, folder, entries)
            store.put_bytes(
                folder.bucket,
                folder.key + MANIFEST,
                json.dumps(manifest, indent=2).encode(),
                "application/json",
            )
        except BaseException:
            _remove(store, folder.bucket, published)
            self.staging.discard(ctx.job.job_id)  # staged pieces, and the stop signal a stop sent
            raise
        if ctx.job.attempt > 1 or any(file.split for file in files):
            self.staging.discard(ctx.job.job_id)
        return JobOutcome(JobState.SUCCEEDED, _result(folder, len(entries), spec.credentials is not None))

    # -- phases ------------------------------------------------------------------------------

    def interrupted(self, job: Job, reason: str) -> JobOutcome:
        """Succeeded if the dead run wrote its manifest (the output is complete), else Failed."""
        return self._completed(job) or super().interrupted(job, reason)

    def cleanup(self, job: Job) -> None:
        """After a crash, for a job restart recovery ended Cancelled or Failed: delete its staged
        pieces, and the part files under ``<output>/<JobId>/`` unless its manifest exists (then the
        output is complete)."""
        staged = self.staging.discard(job.job_id)
        if staged:
            log.info("removed staged pieces of an interrupted job", extra={"job": job.arn, "pieces": staged})
        output = self._output(job)
        if output is None:
            return
        store, folder, _ = output
        try:
            store.head(folder.bucket, folder.key + MANIFEST)
            return
        except NoSuchKey:
            pass
        except NoSuchBucket:
            return
        parts = _part_keys(store, folder)
        _remove(store, folder.bucket, parts)
        if parts:
            log.info("removed part files of an interrupted job", extra={"job": job.arn, "files": len(parts)})

    def _output(self, job: Job) -> tuple[ObjectStore, S3Location, bool] | None:
        """The store, ``<output>/<JobId>/`` folder and whether the store has the execution role's
        access, of a job that ran, for recovery: None when its request has no readable output
        location or the bucket is no longer the job's."""
        try:
            folder = parse_location(job.request["OutputOptions"]["Location"]).as_prefix()
        except (KeyError, TypeError, LocationError):
            return None
        folder = folder.child(job.job_id + "/")
        try:
            self.store.policy.check(folder.bucket, job.account_id)
        except BucketAccessDenied:  # no longer the job's bucket: leave it alone
            return None
        try:
            store, spec = self._job_store(job)
        except JobFailed:  # the role is refused now: the server's own access may still do
            return self.store, folder, False
        return store, folder, spec.credentials is not None

    def _completed(
        self, job: Job, output: tuple[ObjectStore, S3Location, bool] | None = None
    ) -> JobOutcome | None:
        """Succeeded, with the result a finished run reports, if the job's manifest exists
        (``output``: the job's store and folder when the caller has them, see :meth:`_output`)."""
        output = output or self._output(job)
        if output is None:
            return None
        store, folder, assumed = output
        try:
            manifest = json.loads(store.get_bytes(folder.bucket, folder.key + MANIFEST))
            files = len(manifest["files"])
        except (NoSuchKey, NoSuchBucket, ValueError, KeyError, TypeError):
            return None
        return JobOutcome(JobState.SUCCEEDED, _result(folder, files, assumed))

    def _job_store(self, job: Job) -> tuple[ObjectStore, StoreSpec]:
        """The server's store, or on an S3 endpoint with STS one with the execution role's access."""
        endpoint = self.store_spec.s3_endpoint_url
        if not endpoint:
            return self.store, self.store_spec
        credentials = assume_role(endpoint, job.request["ExecutionRoleArn"], job.job_id, job.region)
        if credentials is None:
            return self.store, self.store_spec
        spec = replace(self.store_spec, credentials=credentials)
        return spec.open(), spec

    def _input_files(self, store: ObjectStore, source: S3Location) -> list[ObjectInfo]:
        """Every input object, in key order; JobFailed when there is none or too many."""
        limit = self.limits.max_input_files
        try:
            if not source.is_prefix:
                try:
                    return [store.head(source.bucket, source.key)]
                except NoSuchKey:
                    source = source.as_prefix()  # "s3://b/in" may mean the folder in/
            found: list[ObjectInfo] = []
            for info in store.list_objects(source.bucket, source.key):
                if is_input_file(info.key, source.key):
                    found.append(info)
                    if len(found) > limit:
                        raise _failed(
                            f"More than {limit} input files under {source}; a job reads at most {limit}"
                        )
        except NoSuchBucket:
            raise _failed(f"The input bucket {source.bucket} does not exist") from None
        except AccessDenied as exc:
            raise _failed(f"Listing the input location {source} was denied: {exc}") from None
        if not found:
            raise _failed(f"No input files found at {source}: the prefix is empty or does not exist")
        return found

    def _check_output(self, store: ObjectStore, output: S3Location) -> None:
        try:
            exists = store.bucket_exists(output.bucket)
        except AccessDenied:
            exists = True  # a role without ListBucket: the writes will tell
        if not exists:
            raise _failed(f"The output bucket {output.bucket} does not exist")

    def _check_inputs(self, ctx: JobContext, store: ObjectStore, inputs: list[ObjectInfo]) -> list[InputFile]:
        """Footer and column types of every file, before any output is written (reads footers only);
        the files with their pieces."""
        from jobforge.services.location.parquet_io import InputSchemaError, open_input  # pyarrow: on use

        files: list[InputFile] = []
        rows = 0  # the inputs' rows, from their footers: the total of the job's progress
        for index, info in enumerate(inputs):
            uri = f"s3://{info.bucket}/{info.key}"
            try:
                with store.open_read(info.bucket, info.key) as stream:
                    metadata = open_input(stream).metadata
                rows += metadata.num_rows
                pieces = split_row_groups(metadata, info.size, self.settings.split_bytes)
                files.append(InputFile(index, info, pieces))
            except InputSchemaError as exc:
                raise _failed(f"{uri}: {exc}") from None
            except (NoSuchBucket, NoSuchKey):
                raise _failed(f"{uri} does not exist (it was removed while the job ran)") from None
            except AccessDenied as exc:
                raise _failed(f"Reading {uri} was denied: {exc}") from None
            except StorageError as exc:
                raise JobFailed(INTERNAL_ERROR, f"Could not read {uri}: {exc}") from None
            ctx.check()
        ctx.report(progress={"rowsTotal": rows})
        return files

    def _validate(
        self,
        ctx: JobContext,
        spec: StoreSpec,
        files: list[InputFile],
        folder: S3Location,
        published: list[str],
    ) -> list[dict[str, Any]]:
        """Run the files' pieces on the worker pool, ``parallelism`` at a time, then the merges of the
        split files; the manifest entries in order."""
        stop = self.staging.stop_signal(self.store_spec, ctx.job.job_id, ctx.job.attempt)
        features = tuple(requested_features(ctx.request))
        # the index as this node has it when the job starts; a worker without it fails the job
        reference = self.reference if os.path.exists(self.reference) else None
        workers = Workers(spec, self.store_spec, self.staging, reference, features, stop, self.parallelism)
        return FileRun(ctx, workers, folder, published).run(files)  # the job's end discards the signal

    def _manifest(
        self, ctx: JobContext, source: S3Location, folder: S3Location, files: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "jobId": ctx.job.job_id,
            "jobArn": ctx.job.arn,
            "input": ctx.request["InputOptions"]["Location"],
            "output": f"s3://{folder.bucket}/{folder.key}",
            "additionalFeatures": requested_features(ctx.request),
            "completedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "rows": sum(entry["rows"] for entry in files),
            "errorRows": sum(entry["errorRows"] for entry in files),
            "files": files,
        }


def _result(folder: S3Location, files: int, assumed: bool) -> dict[str, Any]:
    """A finished job's result: its output folder, file count and whose access wrote it."""
    return {"output": str(folder), "files": files, "role": "assumed" if assumed else "recorded"}


def _part_keys(store: ObjectStore, folder: S3Location) -> list[str]:
    """The part files directly under a job's output folder."""
    return [
        info.key
        for info in store.list_objects(folder.bucket, folder.key)
        if PART.fullmatch(info.key[len(folder.key) :])
    ]


def _remove(store: ObjectStore, bucket: str, keys: list[str]) -> None:
    """Best effort: a failed or cancelled job leaves no part files behind."""
    for key in keys:
        try:
            store.delete(bucket, key)
        except StorageError:
            pass


def _location(value: str, field: str) -> S3Location:
    try:
        return parse_location(value)
    except LocationError as exc:  # StartJob checked it; a changed rule must not crash the job
        raise _failed(f"{field}: {exc}") from None


def _failed(message: str) -> JobFailed:
    return JobFailed(VALIDATION_ERROR, message)
