"""RoboMaker's pages in the web console: the world gallery and each world's details, world
templates with a JSON editor validated as the API validates, generation and export jobs, and
export downloads (streamed through the console with the signed-in account's rights)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from jobforge.console.section import ConsoleSection, PageNotFound, PageRequest, Raw, Redirect, Rendered
from jobforge.engine import JobEngine
from jobforge.protocol.errors import ServiceError
from jobforge.services.robomaker.common import SERVICE
from jobforge.services.robomaker.export_job import KIND as EXPORT_KIND
from jobforge.services.robomaker.generation_job import KIND as GENERATION_KIND
from jobforge.services.robomaker.routes import find_world
from jobforge.services.robomaker.templates import check_template_body
from jobforge.storage import BucketAccessDenied, ObjectStore, StorageError

GALLERY_PAGE = 24
LIST_PAGE = 50


def _job_link(progress: dict[str, Any]) -> str | None:
    if progress["kind"] in (GENERATION_KIND, EXPORT_KIND):
        return "robomaker/job?" + urlencode({"arn": progress["arn"]})
    return None


def _page(request: PageRequest, size: int) -> dict[str, Any]:
    """maxResults and the page token of a list operation."""
    token = request.query.get("page")
    return {"maxResults": size, **({"nextToken": token} if token else {})}


class RoboMakerConsole:
    def __init__(self, engine: JobEngine, store: ObjectStore) -> None:
        self.engine = engine
        self.store = store

    def section(self) -> ConsoleSection:
        return ConsoleSection(
            name=SERVICE,
            title="RoboMaker WorldForge",
            pages={
                "worlds": self.worlds,
                "world": self.world,
                "preview.png": self.preview,
                "templates": self.templates,
                "template": self.template,
                "exports": self.exports,
                "download": self.download,
                "job": self.job,
            },
            nav=[("worlds", "Worlds"), ("templates", "Templates"), ("exports", "Exports")],
            templates=("jobforge.services.robomaker", "console_templates"),
            job_link=_job_link,
        )

    # -- worlds ------------------------------------------------------------------------------

    def worlds(self, request: PageRequest) -> Rendered:
        filters = []
        if request.query.get("job"):  # the job's ARN (or id): ListWorlds filters by the id alone
            job_id = request.query["job"].rsplit("/", 1)[-1]
            filters.append({"name": "generationJobId", "values": [job_id]})
        listed = request.call(
            SERVICE,
            "ListWorlds",
            {**_page(request, GALLERY_PAGE), **({"filters": filters} if filters else {})},
        )
        return Rendered(
            "robomaker/worlds.html",
            {
                "worlds": listed["worldSummaries"],
                "next_token": listed.get("nextToken"),
                "query": request.query,
            },
        )

    def _world(self, request: PageRequest) -> Any:
        world = find_world(self.engine, request.query.get("arn", ""), request.account_id)
        if world is None:
            raise PageNotFound(f"world {request.query.get('arn')}")
        return world

    def world(self, request: PageRequest) -> Rendered:
        world = self._world(request)
        description = json.loads(world.data.get("worldDescriptionBody") or "{}")
        furniture_by_room: dict[str, int] = {}
        for item in description.get("furniture", []):
            furniture_by_room[item.get("room", "")] = furniture_by_room.get(item.get("room", ""), 0) + 1
        return Rendered(
            "robomaker/world.html",
            {
                "world": world,
                "description": description,
                "furniture_by_room": furniture_by_room,
                "quality": world.data.get("quality") or {},
            },
        )

    def preview(self, request: PageRequest) -> Raw:
        world = self._world(request)
        artifact = self.engine.artifacts.get(world.arn, "preview.png")
        if artifact is None:
            raise PageNotFound(f"preview of {world.arn}")
        return Raw(artifact.data, artifact.content_type, [("cache-control", "private, max-age=3600")])

    # -- templates ---------------------------------------------------------------------------

    def templates(self, request: PageRequest) -> Rendered:
        listed = request.call(SERVICE, "ListWorldTemplates", _page(request, LIST_PAGE))
        return Rendered(
            "robomaker/templates.html",
            {"templates": listed["templateSummaries"], "next_token": listed.get("nextToken")},
        )

    def template(self, request: PageRequest) -> Rendered | Redirect:
        """The JSON editor: ``check`` validates as CreateWorldTemplate would, ``save`` creates or
        updates the template; either way an AWS error is shown with the text kept as typed."""
        arn = request.query.get("arn") or request.form.get("arn") or ""
        described: dict[str, Any] = {}
        if arn:
            described = request.call(SERVICE, "DescribeWorldTemplate", {"template": arn})
        body = request.form.get("body")
        if body is None:
            body = (
                request.call(SERVICE, "GetWorldTemplateBody", {"template": arn})["templateBody"]
                if arn
                else ""
            )
            body = _pretty(body)
        name = request.form.get("name", described.get("name") or "")
        named = {"name": name} if name else {}
        context: dict[str, Any] = {"arn": arn, "described": described, "body": body, "name": name}
        action = request.form.get("action") if request.method == "POST" else None
        try:
            if action == "check":
                request.validate(SERVICE, "CreateWorldTemplate", {"templateBody": body, **named})
                check_template_body(body)
                context["notice"] = "The template is valid."
            elif action == "save" and arn:
                request.call(SERVICE, "UpdateWorldTemplate", {"template": arn, "templateBody": body, **named})
                return Redirect("robomaker/template?" + urlencode({"arn": arn, "saved": "1"}))
            elif action == "save":
                made = request.call(SERVICE, "CreateWorldTemplate", {"templateBody": body, **named})
                return Redirect("robomaker/template?" + urlencode({"arn": made["arn"], "saved": "1"}))
        except ServiceError as exc:
            context["error"] = {"code": exc.code, "message": exc.message}
        if request.query.get("saved"):
            context["notice"] = "Saved."
        status = 400 if "error" in context else 200
        return Rendered("robomaker/template.html", context, status)

    # -- jobs and exports --------------------------------------------------------------------

    def exports(self, request: PageRequest) -> Rendered:
        listed = request.call(SERVICE, "ListWorldExportJobs", _page(request, LIST_PAGE))
        return Rendered(
            "robomaker/exports.html",
            {"exports": listed["worldExportJobSummaries"], "next_token": listed.get("nextToken")},
        )

    def job(self, request: PageRequest) -> Rendered:
        arn = request.query.get("arn", "")
        job = self.engine.jobs.find_by_arn(request, SERVICE, arn, (GENERATION_KIND, EXPORT_KIND))
        if job is None:
            raise PageNotFound(f"job {arn}")
        export = job.kind == EXPORT_KIND
        operation = "DescribeWorldExportJob" if export else "DescribeWorldGenerationJob"
        described = request.call(SERVICE, operation, {"job": arn})
        context = {"job": job, "described": described, "export": export}
        if export:  # the formats the job writes: its jobforge:formats tag as created (checked then)
            from jobforge.services.robomaker.export.formats import DEFAULT, formats_from_tags

            context["formats"] = [DEFAULT, *formats_from_tags(job.request.get("tags"))]
        return Rendered("robomaker/job.html", context)

    def download(self, request: PageRequest) -> Raw:
        """The export's zip, read with the signed-in account's rights on the output bucket."""
        arn = request.query.get("job", "")
        job = self.engine.jobs.find_by_arn(request, SERVICE, arn, (EXPORT_KIND,))
        stored = (job.result.get("object") or {}) if job is not None else {}
        if not stored:
            raise PageNotFound(f"finished export job {arn}")
        bucket, key = stored["bucket"], stored["key"]
        try:
            self.store.policy.check(bucket, request.account_id)
            size = self.store.head(bucket, key).size
        except BucketAccessDenied:
            raise PageNotFound(f"export archive of {arn}") from None
        except StorageError:
            raise PageNotFound(f"export archive of {arn} (s3://{bucket}/{key} is gone)") from None
        name = key.rsplit("/", 1)[-1]
        return Raw(
            b"",
            "application/zip",
            [("content-disposition", f'attachment; filename="{name}"')],
            chunks=lambda: self.store.iter_chunks(bucket, key),
            length=size,
        )


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2)
    except ValueError:
        return body
