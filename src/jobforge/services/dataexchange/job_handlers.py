"""The work of each job type, run by the engine's executor after StartJob.

Imports stage every object under its asset's storage key first and create all asset records in
one transaction at the end, after re-checking that the revision is still open and within its
limits; any failure deletes what was staged, so a revision never holds half an import. Exports
check every source, destination and key before writing anything, record the objects they are about
to create, and on a later failure remove them. Every asset copy is a piece of its own on the
engine's worker processes (:func:`~jobforge.services.dataexchange.transfer.copy_piece`), at most
``COPY_PARALLELISM`` at a time. Errors name the failing sources in ``Errors[].Details``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from jobforge.engine import Job, JobContext, JobHandler, JobOutcome, JobState, QuotaExceeded, Resource
from jobforge.services.dataexchange.common import (
    ASSET,
    DATA_SET,
    REVISION,
    UPLOAD,
    DataExchangeRuntime,
    asset_arn,
    iso,
)
from jobforge.services.dataexchange.errors import (
    JOB_INTERNAL_ERROR,
    JOB_INVALID,
    JOB_NOT_FOUND,
    JOB_QUOTA_EXCEEDED,
    JobProblem,
    job_error,
    public_message,
    storage_error_code,
    storage_message,
)
from jobforge.services.dataexchange.key_patterns import KeyContext, KeyPattern, KeyPatternError
from jobforge.services.dataexchange.transfer import copy_piece
from jobforge.storage import (
    InvalidObjectName,
    NoSuchKey,
    ObjectInfo,
    StorageError,
    validate_key,
)

if TYPE_CHECKING:
    from jobforge.services.dataexchange.job_types import JobType

GB = 1024**3
COPY_PARALLELISM = 4
UPLOAD_POLL_SECONDS = 0.25


CREATED = "createdObjects"  # job progress: [bucket, key] of objects an export created
ASSETS_DONE = "assetsDone"  # job progress: assets copied so far (imports from S3, exports to S3)
ASSETS_TOTAL = "assetsTotal"  # job progress: assets an export copies (imports: their AssetIds)


def created_objects(progress: dict[str, Any]) -> list[tuple[str, str]]:
    return [(bucket, key) for bucket, key in progress.get(CREATED) or []]


def copy_counter(ctx: JobContext) -> Callable[[int, object], None]:
    """An ``on_result`` for asset copies: reports each successful one as ``assetsDone``."""
    done = 0

    def count(index: int, result: object) -> None:
        nonlocal done
        if not isinstance(result, Exception):
            done += 1
            ctx.report(progress={ASSETS_DONE: done})

    return count


@dataclass
class Work:
    """One run's leftovers to undo if it does not complete."""

    staged: list[str] = field(default_factory=list)  # keys in the asset bucket
    created: list[tuple[str, str]] = field(default_factory=list)  # (bucket, key) written by an export


@dataclass
class NewAsset:
    asset_id: str
    name: str
    details: dict[str, Any]
    storage_key: str | None = None
    checksum: str | None = None


class DataExchangeJobHandler(JobHandler[dict[str, Any]]):
    """Shared skeleton: outcome and error reporting, cleanup, revision checks, asset commits."""

    resumable = True  # every job type can simply run again after a crash (fixed asset ids)
    internal_failure_code = JOB_INTERNAL_ERROR

    def __init__(self, runtime: DataExchangeRuntime, spec: JobType) -> None:
        self.runtime = runtime
        self.spec = spec
        self.kind = spec.kind

    def plan(self, ctx: JobContext) -> dict[str, Any]:
        """The job's Details member, as CreateJob planned it."""
        return dict(ctx.request["Details"][self.spec.member])

    def run(self, ctx: JobContext, plan: dict[str, Any]) -> JobOutcome:
        work = Work(created=created_objects(ctx.job.progress))  # an interrupted attempt's writes
        try:
            ctx.step()
            added = self.execute(ctx, plan, work)
        except JobProblem as problem:
            self.undo(ctx, work)
            first = problem.errors[0]
            return JobOutcome(
                problem.state,
                {"Errors": problem.errors},
                failure_code=first["Code"],
                failure_reason=first["Message"],
            )
        except BaseException:
            self.undo(ctx, work)
            raise
        return JobOutcome(JobState.SUCCEEDED, {"Details": added or {}, "Errors": []})

    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        raise NotImplementedError

    def undo(self, ctx: JobContext, work: Work) -> None:
        """Remove what this run staged or wrote (the run failed or was canceled)."""
        for key in work.staged:
            self.runtime.storage.discard(key)
        self.delete_created(work.created)

    def delete_created(self, created: list[tuple[str, str]]) -> None:
        for bucket, key in created:
            try:
                self.runtime.store.delete(bucket, key)
            except Exception:
                pass

    def cleanup(self, job: Job) -> None:
        """The :meth:`~jobforge.engine.JobHandler.cleanup` hook: restart recovery ended ``job``
        without running it again. Drops the bytes staged for assets the job never committed
        (an upload that arrived at its signed URL, a half-finished import) and the upload record;
        the bytes of assets it did commit before the crash stay. An export's objects that did not
        exist before it are deleted, as when it fails while running."""
        runtime = self.runtime
        self.delete_created(created_objects(job.progress))
        for asset_id, key in zip(
            job.request.get("AssetIds") or [], job.request.get("StorageKeys") or [], strict=False
        ):
            if runtime.resources.find(job, ASSET, asset_id) is None:
                runtime.storage.discard(key)
        if runtime.resources.find(job, UPLOAD, job.job_id) is not None:
            runtime.resources.delete(job, UPLOAD, job.job_id)

    # -- shared checks ---------------------------------------------------------------------

    def revision(self, ctx: JobContext, revision_id: str, conn: Any = None) -> Resource:
        revision = self.runtime.resources.find(ctx.job, REVISION, revision_id, conn)
        if revision is None:
            raise JobProblem(
                [
                    job_error(
                        JOB_NOT_FOUND,
                        f"Revision {revision_id} no longer exists",
                        resource_id=revision_id,
                        resource_type="REVISION",
                    )
                ]
            )
        return revision

    def exportable_revision(self, ctx: JobContext, revision_id: str) -> Resource:
        """The revision, unless it was revoked since CreateJob: a revoked revision is never exported."""
        revision = self.revision(ctx, revision_id)
        if revision.data.get("Revoked"):
            raise JobProblem(
                [
                    job_error(
                        JOB_INVALID,
                        f"Revision {revision_id} was revoked ({revision.data.get('RevocationComment')}); "
                        "a revoked revision cannot be exported",
                        resource_id=revision_id,
                        resource_type="REVISION",
                    )
                ]
            )
        return revision

    def open_revision(self, ctx: JobContext, revision_id: str, conn: Any = None) -> Resource:
        revision = self.revision(ctx, revision_id, conn)
        if revision.data.get("Finalized") or revision.data.get("Revoked"):
            raise JobProblem(
                [
                    job_error(
                        JOB_INVALID,
                        f"Revision {revision_id} was finalized; assets can only be added to an open revision",
                        resource_id=revision_id,
                        resource_type="REVISION",
                    )
                ]
            )
        return revision

    def already_done(self, ctx: JobContext) -> bool:
        """After a restart: the assets were committed before the crash."""
        ids = ctx.request.get("AssetIds") or []
        return bool(ids) and self.runtime.resources.find(ctx.job, ASSET, ids[0]) is not None

    def commit_assets(self, ctx: JobContext, revision_id: str, assets: list[NewAsset], work: Work) -> None:
        """Create every asset record in one transaction, if the revision is still open and has room;
        from then on the staged bytes belong to the assets and are no longer cleaned up."""
        runtime, job = self.runtime, ctx.job
        data_set_id = ctx.request["DataSetId"]
        tags = ctx.request.get("AssetTags") or {}
        limit_names = ["Assets per revision", self.spec.revision_limit or "Assets per revision"]
        quotas = [runtime.limits.quota(name, ASSET, revision_id) for name in dict.fromkeys(limit_names)]
        with runtime.engine.db.begin() as conn:
            self.open_revision(ctx, revision_id, conn)
            try:
                runtime.resources.check_quotas(conn, job, quotas, adding=len(assets))
            except QuotaExceeded as exc:
                limit = runtime.limits[exc.limit_name]
                existing = runtime.resources.count(job, ASSET, revision_id, conn)
                raise JobProblem(
                    [
                        job_error(
                            JOB_QUOTA_EXCEEDED,
                            f"Revision {revision_id} has {existing} assets; adding {len(assets)} would "
                            f"exceed the limit '{exc.limit_name}' of {limit:g}",
                            resource_id=revision_id,
                            resource_type="REVISION",
                            limit_name=exc.limit_name,
                            limit_value=limit,
                        )
                    ]
                ) from None
            for asset in assets:
                data: dict[str, Any] = {
                    "DataSetId": data_set_id,
                    "AssetType": self.spec.asset_type,
                    "AssetDetails": asset.details,
                    "SourceJobId": job.job_id,
                }
                if asset.storage_key:
                    data["StorageKey"] = asset.storage_key
                    data["Checksum"] = asset.checksum
                arn = asset_arn(job, data_set_id, revision_id, asset.asset_id)
                runtime.resources.create(
                    job, ASSET, asset.asset_id, arn, data, name=asset.name, parent_id=revision_id, conn=conn
                )
                runtime.engine.tags.tag(job.account_id, arn, tags, conn)
        work.staged.clear()


# -- imports -------------------------------------------------------------------------------------


class ImportAssetsFromS3Handler(DataExchangeJobHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        if self.already_done(ctx):
            return None
        runtime = self.runtime
        sources = details["AssetSources"]
        revision_id = details["RevisionId"]
        self.open_revision(ctx, revision_id)
        size_limit = runtime.limits["Asset size in GB"]
        failures: list[tuple[dict[str, Any], str, str]] = []  # (source, code, message)
        sizes: list[int | None] = []
        for source in sources:
            try:
                runtime.store.policy.check(source["Bucket"], ctx.job.account_id)
                size = runtime.store.size(source["Bucket"], source["Key"])
            except StorageError as exc:
                failures.append((source, storage_error_code(exc), storage_message(exc)))
                sizes.append(None)
                continue
            sizes.append(size)
            if size > size_limit * GB:
                failures.append((source, JOB_QUOTA_EXCEEDED, f"{source['Key']} is over {size_limit:g} GB"))
        if failures:
            raise JobProblem(self._errors(failures, size_limit))
        runtime.storage.ensure_bucket()
        keys = ctx.request["StorageKeys"]
        work.staged.extend(keys)
        pieces = [
            partial(
                copy_piece, runtime.store_spec, s["Bucket"], s["Key"], runtime.storage.bucket, key, None, n
            )
            for s, key, n in zip(sources, keys, sizes, strict=True)
        ]
        results = ctx.run_bounded(pieces, COPY_PARALLELISM, on_result=copy_counter(ctx), processes=True)
        for source, result in zip(sources, results, strict=True):
            if isinstance(result, StorageError):
                failures.append((source, storage_error_code(result), storage_message(result)))
            elif isinstance(result, Exception):
                failures.append((source, JOB_INTERNAL_ERROR, public_message(f"Copy failed: {result}")))
        if failures:
            raise JobProblem(self._errors(failures, size_limit))
        ctx.step()
        assets = [
            NewAsset(
                asset_id,
                source["Key"],
                {"S3SnapshotAsset": {"Size": float(info.size)}},
                key,
                info.etag,
            )
            for asset_id, source, key, info in zip(
                ctx.request["AssetIds"], sources, keys, results, strict=True
            )
        ]
        self.commit_assets(ctx, revision_id, assets, work)
        return None

    @staticmethod
    def _errors(failures: list[tuple[dict[str, Any], str, str]], size_limit: float) -> list[dict[str, Any]]:
        """One JobError per failure kind, each listing its sources in ImportAssetsFromS3JobErrorDetails."""
        by_code: dict[str, list[tuple[dict[str, Any], str]]] = {}
        for source, code, message in failures:
            by_code.setdefault(code, []).append((source, message))
        errors = []
        for code, items in by_code.items():
            listed = "; ".join(message for _, message in items[:10])
            errors.append(
                job_error(
                    code,
                    f"{len(items)} source object(s) could not be imported: {listed}",
                    limit_name="Asset size in GB" if code == JOB_QUOTA_EXCEEDED else None,
                    limit_value=size_limit if code == JOB_QUOTA_EXCEEDED else None,
                    details={
                        "ImportAssetsFromS3JobErrorDetails": [
                            {"Bucket": s["Bucket"], "Key": s["Key"]} for s, _ in items
                        ]
                    },
                )
            )
        return errors


class UploadImportHandler(DataExchangeJobHandler):
    """Imports whose bytes arrive at a signed upload URL (a file, or an API specification)."""

    expires_field = "SignedUrlExpiresAt"

    def undo(self, ctx: JobContext, work: Work) -> None:
        """Any failure, from the run's first check on, discards what arrived at the URL."""
        super().undo(ctx, work)
        self.drop_upload(ctx.job)

    def drop_upload(self, job: Job) -> None:
        """The upload's bytes and record (its bytes are never an asset once the job failed)."""
        runtime = self.runtime
        if runtime.resources.find(job, ASSET, job.request["AssetIds"][0]) is not None:
            return  # committed: the bytes are the asset's now
        runtime.storage.discard(job.request["StorageKeys"][0])
        if runtime.resources.find(job, UPLOAD, job.job_id) is not None:
            runtime.resources.delete(job, UPLOAD, job.job_id)

    def wait_for_upload(self, ctx: JobContext, details: dict[str, Any], work: Work) -> ObjectInfo:
        job, runtime = ctx.job, self.runtime
        key = ctx.request["StorageKeys"][0]
        deadline = datetime.fromisoformat(details[self.expires_field].replace("Z", "+00:00")).timestamp()
        while True:
            upload = runtime.resources.find(job, UPLOAD, job.job_id)
            state = upload.data.get("State") if upload is not None else None
            if state == "UPLOADED":
                try:
                    return runtime.store.head(runtime.storage.bucket, key)
                except NoSuchKey:
                    raise JobProblem(
                        [self.upload_error("The uploaded file is gone from storage", details)]
                    ) from None
            if state == "REJECTED":
                reason = upload.data.get("Reason", "") if upload is not None else ""
                raise JobProblem(
                    [
                        self.upload_error(
                            f"The uploaded file did not match the job's MD5 hash ({reason})", details
                        )
                    ]
                )
            if state != "RECEIVING" and time.time() > deadline:
                raise JobProblem(
                    [self.upload_error("Nothing was uploaded to the signed URL before it expired", details)],
                    JobState.TIMED_OUT,
                )
            ctx.check()
            time.sleep(UPLOAD_POLL_SECONDS)

    def upload_error(self, message: str, details: dict[str, Any]) -> dict[str, Any]:
        return job_error(JOB_INVALID, message)


class ImportAssetFromSignedUrlHandler(UploadImportHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        if self.already_done(ctx):
            return None
        self.open_revision(ctx, details["RevisionId"])
        info = self.wait_for_upload(ctx, details, work)
        ctx.step()
        asset = NewAsset(
            ctx.request["AssetIds"][0],
            details["AssetName"],
            {"S3SnapshotAsset": {"Size": float(info.size)}},
            info.key,
            details["Md5Hash"],
        )
        self.commit_assets(ctx, details["RevisionId"], [asset], work)
        self.runtime.resources.delete(ctx.job, UPLOAD, ctx.job.job_id)
        return None

    def upload_error(self, message: str, details: dict[str, Any]) -> dict[str, Any]:
        return job_error(
            JOB_INVALID,
            message,
            details={"ImportAssetFromSignedUrlJobErrorDetails": {"AssetName": details["AssetName"]}},
        )


class ImportAssetFromApiGatewayApiHandler(UploadImportHandler):
    expires_field = "ApiSpecificationUploadUrlExpiresAt"

    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        if self.already_done(ctx):
            return None
        self.open_revision(ctx, details["RevisionId"])
        info = self.wait_for_upload(ctx, details, work)
        problem = self._check_spec(self.runtime.store.get_bytes(info.bucket, info.key))
        if problem:
            raise JobProblem([job_error(JOB_INVALID, f"The API specification is not usable: {problem}")])
        job = ctx.job
        api = {
            "ApiDescription": details.get("ApiDescription"),
            "ApiEndpoint": f"https://{details['ApiId']}.execute-api.{job.region}.amazonaws.com/{details['Stage']}",
            "ApiId": details["ApiId"],
            "ApiKey": details.get("ApiKey"),
            "ApiName": details["ApiName"],
            "ProtocolType": details["ProtocolType"],
            "Stage": details["Stage"],
        }
        asset = NewAsset(
            ctx.request["AssetIds"][0],
            details["ApiName"],
            {"ApiGatewayApiAsset": {k: v for k, v in api.items() if v is not None}},
            info.key,
            details["ApiSpecificationMd5Hash"],
        )
        self.commit_assets(ctx, details["RevisionId"], [asset], work)
        self.runtime.resources.delete(job, UPLOAD, job.job_id)
        return None

    @staticmethod
    def _check_spec(raw: bytes) -> str | None:
        """An OpenAPI 3.0 document in JSON: what API Gateway imports accept."""
        try:
            spec = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"not JSON ({exc})"
        if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3."):
            return "no 'openapi': '3.x' field"
        if not isinstance(spec.get("info"), dict) or not isinstance(spec.get("paths"), dict):
            return "'info' and 'paths' objects are required"
        return None


class ImportAssetsFromRedshiftDataSharesHandler(DataExchangeJobHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        if self.already_done(ctx):
            return None
        assets = [
            NewAsset(
                asset_id,
                source["DataShareArn"].rsplit("/", 1)[1],
                {"RedshiftDataShareAsset": {"Arn": source["DataShareArn"]}},
            )
            for asset_id, source in zip(ctx.request["AssetIds"], details["AssetSources"], strict=True)
        ]
        self.commit_assets(ctx, details["RevisionId"], assets, work)
        return None


class CreateS3DataAccessHandler(DataExchangeJobHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        if self.already_done(ctx):
            return None
        store, job = self.runtime.store, ctx.job
        source = details["AssetSource"]
        bucket = source["Bucket"]
        missing: list[str] = []
        try:
            store.policy.check(bucket, job.account_id)
            if not store.bucket_exists(bucket):
                missing.append(f"bucket {bucket}")
            else:
                for key in source.get("Keys", []):
                    try:
                        store.head(bucket, key)
                    except NoSuchKey:
                        missing.append(f"key {key}")
                for prefix in source.get("KeyPrefixes", []):
                    if next(iter(store.list_objects(bucket, prefix)), None) is None:
                        missing.append(f"prefix {prefix}")
        except StorageError as exc:
            raise JobProblem([job_error(storage_error_code(exc), storage_message(exc))]) from None
        if missing:
            raise JobProblem([job_error(JOB_NOT_FOUND, f"Not found in the source: {', '.join(missing)}")])
        asset_id = ctx.request["AssetIds"][0]
        access_point = f"dx-{asset_id[:24]}"
        access = {
            "Bucket": bucket,
            "KeyPrefixes": source.get("KeyPrefixes", []),
            "Keys": source.get("Keys", []),
            "S3AccessPointAlias": f"{access_point}-{asset_id[24:]}-s3alias",
            "S3AccessPointArn": f"arn:aws:s3:{job.region}:{job.account_id}:accesspoint/{access_point}",
        }
        if source.get("KmsKeysToGrant"):
            access["KmsKeysToGrant"] = source["KmsKeysToGrant"]
        asset = NewAsset(asset_id, bucket, {"S3DataAccessAsset": access})
        self.commit_assets(ctx, details["RevisionId"], [asset], work)
        return None


class ImportAssetsFromLakeFormationHandler(DataExchangeJobHandler):
    NAMES = {
        "DATABASE": "Database(s) included in LF-tag policy",
        "TABLE": "Table(s) included in LF-tag policy",
    }

    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        if self.already_done(ctx):
            return None
        assets = []
        ids = iter(ctx.request["AssetIds"])
        for member, resource_type in (("Database", "DATABASE"), ("Table", "TABLE")):
            policy = details.get(member)
            if not policy:
                continue
            permission = {
                "LakeFormationDataPermissionType": "LFTagPolicy",
                "LakeFormationDataPermissionDetails": {
                    "LFTagPolicy": {
                        "CatalogId": details["CatalogId"],
                        "ResourceType": resource_type,
                        "ResourceDetails": {member: {"Expression": policy["Expression"]}},
                    }
                },
                "Permissions": policy["Permissions"],
                "RoleArn": details["RoleArn"],
            }
            assets.append(
                NewAsset(
                    next(ids), self.NAMES[resource_type], {"LakeFormationDataPermissionAsset": permission}
                )
            )
        self.commit_assets(ctx, details["RevisionId"], assets, work)
        return None


# -- exports -------------------------------------------------------------------------------------


@dataclass
class Destination:
    asset: Resource
    bucket: str
    key: str


class S3ExportHandler(DataExchangeJobHandler):
    """Copies assets to S3 destinations, all checks first, objects it created removed on failure."""

    def export(self, ctx: JobContext, destinations: list[Destination], encryption: Any, work: Work) -> None:
        store = self.runtime.store
        problems = []
        for bucket in sorted({d.bucket for d in destinations}):
            try:
                store.policy.check(bucket, ctx.job.account_id)
                if not store.bucket_exists(bucket):
                    problems.append(job_error(JOB_NOT_FOUND, f"Destination bucket {bucket} does not exist"))
            except StorageError as exc:
                problems.append(job_error(storage_error_code(exc), storage_message(exc)))
        if problems:
            raise JobProblem(problems)
        self._record_created(ctx, destinations, work)
        pieces = [
            partial(
                copy_piece,
                self.runtime.store_spec,
                self.runtime.storage.bucket,
                d.asset.data["StorageKey"],
                d.bucket,
                d.key,
                encryption,
                int(d.asset.data["AssetDetails"]["S3SnapshotAsset"]["Size"]),
            )
            for d in destinations
        ]
        stopping = False
        ctx.report(progress={ASSETS_TOTAL: len(destinations), ASSETS_DONE: 0})
        count = copy_counter(ctx)

        def copied(index: int, result: ObjectInfo | Exception) -> None:
            """A step after each copy (pace, cancel); the first failure ends the export."""
            nonlocal stopping
            if stopping:  # copies still in flight when the export stopped: only waited for
                return
            if isinstance(result, Exception):
                stopping = True
                raise JobProblem([self._copy_error(destinations[index], result)])
            count(index, result)
            try:
                ctx.step()
            except BaseException:
                stopping = True
                raise

        ctx.run_bounded(pieces, COPY_PARALLELISM, on_result=copied, processes=True)

    def _record_created(self, ctx: JobContext, destinations: list[Destination], work: Work) -> None:
        """Record every destination object that does not exist yet before any copy: a crash may
        follow, and then recovery deletes them (objects that existed before the job stay)."""
        fresh = []
        for destination in destinations:
            where = (destination.bucket, destination.key)
            try:
                if where not in work.created and where not in fresh and not self._exists(*where):
                    fresh.append(where)
            except StorageError as exc:
                raise JobProblem([self._copy_error(destination, exc)]) from None
        if fresh:
            work.created.extend(fresh)
            ctx.report(progress={CREATED: [list(item) for item in work.created]})

    @staticmethod
    def _copy_error(destination: Destination, exc: Exception) -> dict[str, Any]:
        if isinstance(exc, StorageError):
            code, reason = storage_error_code(exc), storage_message(exc)
        else:
            code, reason = JOB_INTERNAL_ERROR, public_message(str(exc))
        return job_error(
            code,
            f"Export of asset {destination.asset.resource_id} to "
            f"s3://{destination.bucket}/{destination.key} failed: {reason}",
            resource_id=destination.asset.resource_id,
            resource_type="ASSET",
        )

    def _exists(self, bucket: str, key: str) -> bool:
        try:
            self.runtime.store.size(bucket, key)
        except NoSuchKey:
            return False
        return True

    def asset(self, ctx: JobContext, asset_id: str, revision_id: str) -> Resource:
        asset = self.runtime.resources.find(ctx.job, ASSET, asset_id)
        if asset is None or asset.parent_id != revision_id:
            raise JobProblem(
                [
                    job_error(
                        JOB_NOT_FOUND,
                        f"Asset {asset_id} no longer exists",
                        resource_id=asset_id,
                        resource_type="ASSET",
                    )
                ]
            )
        return asset

    @staticmethod
    def check_keys(destinations: list[Destination]) -> None:
        """Every key usable, and no two assets written to the same object."""
        seen: dict[tuple[str, str], Destination] = {}
        errors = []
        for destination in destinations:
            try:
                validate_key(destination.key, bucket=destination.bucket, allow_empty_segments=True)
            except InvalidObjectName as exc:
                errors.append(
                    job_error(
                        JOB_INVALID,
                        f"Asset {destination.asset.resource_id} would be exported to an invalid key: {exc}",
                        resource_id=destination.asset.resource_id,
                        resource_type="ASSET",
                    )
                )
                continue
            where = (destination.bucket, destination.key)
            if where in seen:
                errors.append(
                    job_error(
                        JOB_INVALID,
                        f"Assets {seen[where].asset.resource_id} ({seen[where].asset.name}) and "
                        f"{destination.asset.resource_id} ({destination.asset.name}) would both be exported "
                        f"to s3://{where[0]}/{where[1]}; "
                        "use ${Asset.Id} in the key pattern to make keys unique",
                        resource_id=destination.asset.resource_id,
                        resource_type="ASSET",
                    )
                )
            else:
                seen[where] = destination
        if errors:
            raise JobProblem(errors)


class ExportAssetsToS3Handler(S3ExportHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        self.exportable_revision(ctx, details["RevisionId"])
        destinations = []
        for entry in details["AssetDestinations"]:
            asset = self.asset(ctx, entry["AssetId"], details["RevisionId"])
            destinations.append(
                Destination(asset, entry["Bucket"], entry.get("Key") or asset.name or asset.resource_id)
            )
        self.check_keys(destinations)
        self.export(ctx, destinations, details.get("Encryption"), work)
        return None


class ExportRevisionsToS3Handler(S3ExportHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        runtime, job = self.runtime, ctx.job
        data_set = runtime.resources.find(job, DATA_SET, details["DataSetId"])
        if data_set is None:
            raise JobProblem(
                [
                    job_error(
                        JOB_NOT_FOUND,
                        f"Data set {details['DataSetId']} no longer exists",
                        resource_id=details["DataSetId"],
                        resource_type="DATA_SET",
                    )
                ]
            )
        destinations = []
        for entry in details["RevisionDestinations"]:
            revision = self.exportable_revision(ctx, entry["RevisionId"])
            try:
                pattern = KeyPattern(entry.get("KeyPattern") or "${Asset.Name}")
            except KeyPatternError as exc:
                raise JobProblem([job_error(JOB_INVALID, str(exc))]) from None
            for asset in runtime.children(job, ASSET, revision.resource_id):
                if not asset.data.get("StorageKey"):
                    raise JobProblem(
                        [
                            job_error(
                                JOB_INVALID,
                                f"Asset {asset.resource_id} is a {asset.data['AssetType']} asset; "
                                "only S3_SNAPSHOT assets can be exported",
                                resource_id=asset.resource_id,
                                resource_type="ASSET",
                            )
                        ]
                    )
                key = pattern.render(
                    KeyContext(
                        asset_id=asset.resource_id,
                        asset_name=asset.name or "",
                        data_set_id=data_set.resource_id,
                        data_set_name=data_set.name or "",
                        revision_id=revision.resource_id,
                        revision_created_at=revision.created_at,
                    )
                )
                destinations.append(Destination(asset, entry["Bucket"], key))
        self.check_keys(destinations)
        self.export(ctx, destinations, details.get("Encryption"), work)
        return None


class ExportAssetToSignedUrlHandler(S3ExportHandler):
    def execute(self, ctx: JobContext, details: dict[str, Any], work: Work) -> dict[str, Any] | None:
        from jobforge.services.dataexchange.signed_urls import EXPORT_ACTION, expires_at  # imports job_types

        self.exportable_revision(ctx, details["RevisionId"])
        self.asset(ctx, details["AssetId"], details["RevisionId"])
        expires = expires_at(self.runtime.limits["Export signed URL lifetime in seconds"])
        url = self.runtime.signer.url(ctx.request["BaseUrl"], EXPORT_ACTION, ctx.job, ctx.job.job_id, expires)
        return {"SignedUrl": url, "SignedUrlExpiresAt": iso(expires)}
