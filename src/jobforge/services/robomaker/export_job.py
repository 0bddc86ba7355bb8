"""The world export job: streams the requested worlds as one zip of Gazebo ROS packages to S3.

The ``jobforge:formats`` job tag adds formats (gz-sim, MuJoCo...) to every world of the zip
(:mod:`~jobforge.services.robomaker.export.formats`).

Each world is rendered by a piece of its own on the engine's worker processes
(:func:`~jobforge.services.robomaker.export.render_stored_world`, given the world's stored
document, description and preview); the job assembles the archive from their results in the
requested order, a window of worlds at a time, so memory holds a few worlds, never all of them.
The archive is written straight into an object-store writer (multipart on S3), one world at a
time, and appears only when complete: a failed or canceled export aborts the upload and leaves
no object and no pending multipart upload. With an S3 endpoint configured, the job's ``iamRole``
is assumed through that endpoint's STS when it offers one and the archive is written with the
role's credentials; otherwise the role is only recorded (``result.role``).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from jobforge.engine import (
    Job,
    JobCanceled,
    JobContext,
    JobEngine,
    JobFailed,
    JobHandler,
    JobOutcome,
    JobState,
    Resource,
)
from jobforge.services.robomaker.common import SERVICE, WORLD
from jobforge.services.robomaker.errors import ACCESS_DENIED, INTERNAL_SERVICE_ERROR, RESOURCE_NOT_FOUND
from jobforge.services.robomaker.generation_job import PREVIEW, WORLD_DOCUMENT
from jobforge.services.robomaker.settings import RoboMakerSettings
from jobforge.storage import (
    AccessDenied,
    BucketAccessDenied,
    NoSuchBucket,
    ObjectStore,
    StorageError,
)
from jobforge.storage.roles import RoleRefused, assume_role

if TYPE_CHECKING:  # the export library (trimesh, numpy...) loads only when an export runs
    from jobforge.services.robomaker.export import ArchiveSummary, ArchiveWriter, RenderedWorld

KIND = "robomaker.world-export"
CONTENT_TYPE = "application/zip"
WINDOW_PER_WORKER = 2  # worlds read and rendered ahead of the writer, per worker process


def archive_key(prefix: str | None, job_id: str) -> str:
    """``<s3Prefix>/aws-robomaker-worldforge-export-<id>.zip`` (the id without ``export-``).

    Trailing ``/`` of the prefix are dropped; a leading one is kept, as S3 would keep it, so the
    key check refuses it (a key cannot start with ``/`` in jobforge's stores) rather than the
    archive landing under another key than the job reports."""
    name = f"aws-robomaker-worldforge-export-{job_id.removeprefix('export-')}.zip"
    return f"{prefix.rstrip('/')}/{name}" if prefix else name


def _may_exist(store: ObjectStore, bucket: str) -> bool:
    """False only for a bucket known to be missing, checked before any work is done.

    The role WorldForge documents (s3:PutObject, s3:GetObject, s3:AbortMultipartUpload) may not
    list the bucket: a denied HeadBucket says nothing, so the upload itself decides.
    """
    try:
        return store.bucket_exists(bucket)
    except AccessDenied:
        return True


class WorldExportHandler(JobHandler[list[Resource]]):
    kind = KIND
    resumable = True  # nothing is published before the end, so a restart simply starts over

    def __init__(
        self, engine: JobEngine, store: ObjectStore, settings: RoboMakerSettings, parallelism: int = 2
    ) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self.worlds = engine.resources(SERVICE)
        self.parallelism = max(1, parallelism)  # worlds rendered at once

    def run(self, ctx: JobContext, plan: list[Resource]) -> JobOutcome:
        job, request, worlds = ctx.job, ctx.request, plan
        location = request["outputLocation"]
        bucket, key = location["s3Bucket"], archive_key(location.get("s3Prefix"), job.job_id)
        try:  # CreateWorldExportJob checked it too; the policy may have changed since
            self.store.policy.check(bucket, job.account_id)
        except BucketAccessDenied as exc:
            raise JobFailed(ACCESS_DENIED, str(exc)) from None
        store, role = self._output_store(ctx)
        ctx.report(progress={"worldsWritten": 0, "worldCount": len(worlds)}, result={"role": role})
        try:
            if not _may_exist(store, bucket):
                raise JobFailed(RESOURCE_NOT_FOUND, f"The output bucket {bucket!r} does not exist")
            with store.writer(bucket, key, CONTENT_TYPE) as out:
                from jobforge.services.robomaker.export import ArchiveWriter

                archive = ArchiveWriter(out, formats=_formats(ctx))
                summary = self._assemble(ctx, archive, worlds)
                if self.engine.jobs.cancel_requested(job.pk):  # unthrottled, right before publishing
                    raise JobCanceled()
        except NoSuchBucket:
            raise JobFailed(RESOURCE_NOT_FOUND, f"The output bucket {bucket!r} does not exist") from None
        except AccessDenied as exc:
            raise JobFailed(
                ACCESS_DENIED, f"Writing s3://{bucket}/{key} was denied (role {request['iamRole']}): {exc}"
            ) from None
        except StorageError as exc:
            raise JobFailed(INTERNAL_SERVICE_ERROR, f"Could not write s3://{bucket}/{key}: {exc}") from None
        info = out.info
        result = {
            "role": role,
            "object": {"bucket": bucket, "key": key, "size": info.size, "etag": info.etag},
            "models": len(summary.models),
        }
        return JobOutcome(JobState.SUCCEEDED, result)

    def cleanup(self, job: Job) -> None:
        """The :meth:`~jobforge.engine.JobHandler.cleanup` hook: restart recovery ended ``job``
        Failed or Canceled, perhaps after a dead attempt had published the archive (a crash between
        the upload and the job's end). A failed or canceled export leaves no object: delete it."""
        location = job.request["outputLocation"]
        bucket = location["s3Bucket"]
        try:
            self.store.policy.check(bucket, job.account_id)
        except BucketAccessDenied:  # no longer the job's bucket: leave it alone
            return
        self.store.delete(bucket, archive_key(location.get("s3Prefix"), job.job_id))

    def plan(self, ctx: JobContext) -> list[Resource]:
        """Every requested world (each once), or the job fails with ResourceNotFound."""
        found: dict[str, Resource] = {}
        for arn in ctx.request["worlds"]:
            world = self.worlds.find_by_arn(ctx.job, arn, kinds=(WORLD,))
            if world is None:
                raise JobFailed(RESOURCE_NOT_FOUND, f"The world {arn} does not exist")
            found.setdefault(world.arn, world)
        return list(found.values())

    def _assemble(self, ctx: JobContext, archive: ArchiveWriter, worlds: list[Resource]) -> ArchiveSummary:
        """The assembling step: every world's rendered files in the requested order, then the shared
        models and package files. A step (pace, cancel) comes before each world and before the end."""
        try:
            window = self.parallelism * WINDOW_PER_WORKER
            for start in range(0, len(worlds), window):
                self._write_window(ctx, archive, worlds[start : start + window], start)
            ctx.step()
            return archive.close()
        except BaseException:
            archive.abandon()
            raise

    def _write_window(
        self, ctx: JobContext, archive: ArchiveWriter, worlds: list[Resource], written: int
    ) -> None:
        """Render ``worlds`` on the worker processes; write each as soon as those before it are."""
        ready: dict[int, RenderedWorld] = {}
        following = 0  # the next world to write, in this window

        def arrived(index: int, rendered: RenderedWorld | Exception) -> None:
            nonlocal following
            if isinstance(rendered, Exception):  # a bug, or a worker process that died
                raise JobFailed(INTERNAL_SERVICE_ERROR, f"Rendering {worlds[index].arn} failed: {rendered}")
            ready[index] = rendered
            while following in ready:
                ctx.step()
                archive.add_rendered(ready.pop(following))
                following += 1
                ctx.report(progress={"worldsWritten": written + following})

        pieces = [self._piece(world, archive.formats) for world in worlds]
        ctx.run_bounded(pieces, self.parallelism, on_result=arrived, processes=True, wait_on_stop=False)

    def _piece(self, world: Resource, formats: tuple[str, ...] = ()) -> partial[RenderedWorld]:
        """The rendering piece of one world: its stored document, description and preview, and the
        extra export formats to render."""
        from jobforge.services.robomaker.export import render_stored_world

        document = self.engine.artifacts.get(world.arn, WORLD_DOCUMENT)
        if document is None:  # deleted while the export runs
            raise JobFailed(RESOURCE_NOT_FOUND, f"The world {world.arn} does not exist")
        preview = self.engine.artifacts.get(world.arn, PREVIEW)
        return partial(
            render_stored_world,
            document.data,
            world.data.get("worldDescriptionBody") or "{}",
            preview.data if preview is not None else None,
            formats=formats,
        )

    def _output_store(self, ctx: JobContext) -> tuple[ObjectStore, str]:
        """The store to write with: the role's credentials where STS can give them, else the server's."""
        endpoint = self.settings.s3_endpoint_url
        if not endpoint:
            return self.store, "recorded"
        store = role_store(
            self.store, endpoint, ctx.request["iamRole"], f"jobforge-{ctx.job.job_id}", ctx.job.region
        )
        return (self.store, "recorded") if store is None else (store, "assumed")


def _formats(ctx: JobContext) -> tuple[str, ...]:
    """The extra formats the job's ``jobforge:formats`` tag selected (checked at creation)."""
    from jobforge.services.robomaker.export.formats import formats_from_tags

    return formats_from_tags(ctx.request.get("tags"))


def role_store(store: ObjectStore, endpoint: str, role: str, session: str, region: str) -> ObjectStore | None:
    """``store`` reached with ``role``'s credentials from ``endpoint``'s STS AssumeRole.

    None when the endpoint offers no STS; JobFailed(AccessDenied) when STS refuses the role.
    """
    try:
        credentials = assume_role(endpoint, role, session, region)
    except RoleRefused as exc:
        raise JobFailed(ACCESS_DENIED, str(exc)) from None
    if credentials is None:
        return None
    return store.with_credentials(credentials, region)
