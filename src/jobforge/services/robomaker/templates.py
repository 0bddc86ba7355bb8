"""World template operations: create, describe, read the body, update, delete, list."""

from __future__ import annotations

from typing import Any

from jobforge.engine import ClientToken, Resource
from jobforge.protocol.context import RequestContext
from jobforge.services.base import fast_read, new_id
from jobforge.services.robomaker.common import (
    TEMPLATE,
    RoboMakerBase,
    invalid,
    not_found,
)
from jobforge.services.robomaker.generation_job import KIND as GENERATION_KIND
from jobforge.services.robomaker.template_format import (
    TemplateFormatError,
    parse_template_body,
    template_version,
)
from jobforge.storage import BucketAccessDenied, InvalidObjectName, StorageError

MAX_TEMPLATE_BODY = 262_144  # characters: the model's Json shape, for templateBody given inline


def check_template_body(body: str) -> None:
    """The template body parses as a WorldForge template (InvalidParameterException if not)."""
    try:
        parse_template_body(body)
    except TemplateFormatError as exc:
        raise invalid(f"Invalid template body: {exc}") from exc


class TemplateOperations(RoboMakerBase):
    def _body_from_request(self, ctx: RequestContext, request: dict[str, Any], required: bool) -> str | None:
        """The template body, given inline or as an object-store location, validated."""
        body = request.get("templateBody")
        location = request.get("templateLocation")
        if body is not None and location is not None:
            raise invalid("Specify either templateBody or templateLocation, not both")
        if location is not None:
            body = self._read_location(ctx, location["s3Bucket"], location["s3Key"])
        if body is None:
            if required:
                raise invalid("A template body is required: give templateBody or templateLocation")
            return None
        check_template_body(body)
        return body

    def _read_location(self, ctx: RequestContext, bucket: str, key: str) -> str:
        """The body stored at ``templateLocation``, held to the inline body's limit: reading stops
        past the most bytes ``MAX_TEMPLATE_BODY`` characters can take in UTF-8."""
        where = f"s3://{bucket}/{key}"
        try:
            self.store.policy.check(bucket, ctx.account_id)
            with self.store.open_read(bucket, key) as stream:
                raw = stream.read(4 * MAX_TEMPLATE_BODY + 1)
        except (InvalidObjectName, BucketAccessDenied) as exc:
            raise invalid(f"Invalid templateLocation {where}: {exc}") from exc
        except StorageError as exc:
            raise not_found(f"Cannot read the template body from {where}: {exc}") from exc
        too_long = invalid(
            f"The template body at {where} is longer than {MAX_TEMPLATE_BODY:,} characters, "
            "the most a template body may have"
        )
        if len(raw) > 4 * MAX_TEMPLATE_BODY:
            raise too_long
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise invalid("The template body at templateLocation is not UTF-8 text") from exc
        if len(body) > MAX_TEMPLATE_BODY:
            raise too_long
        return body

    @staticmethod
    def _template_data(body: str, token: str | None) -> dict[str, Any]:
        return {"templateBody": body, "clientRequestToken": token, "version": template_version(body)}

    def _template(self, ctx: RequestContext, arn: str) -> Resource:
        return self._resource(ctx, TEMPLATE, arn, "world template")

    def create_world_template(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        body = self._body_from_request(ctx, request, required=True)
        assert body is not None
        token = request.get("clientRequestToken")
        params = {k: v for k, v in request.items() if k != "clientRequestToken"}
        template_id = f"template-{new_id()}"
        template = self.resources.create(
            ctx,
            TEMPLATE,
            template_id,
            self._arn(ctx, TEMPLATE, template_id),
            self._template_data(body, token),
            name=request.get("name"),
            client_token=ClientToken("CreateWorldTemplate", token, params) if token else None,
            tags=request.get("tags") or {},
        )
        return self._created(ctx, template)

    def _created(self, ctx: RequestContext, template: Resource) -> dict[str, Any]:
        return {
            "arn": template.arn,
            "clientRequestToken": template.data.get("clientRequestToken"),
            "createdAt": template.created_at,
            "name": template.name,
            "tags": self.engine.tags.list(ctx.account_id, template.arn),
        }

    @fast_read
    def describe_world_template(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        template = self._template(ctx, request["template"])
        return {
            "arn": template.arn,
            "clientRequestToken": template.data.get("clientRequestToken"),
            "name": template.name,
            "createdAt": template.created_at,
            "lastUpdatedAt": template.updated_at,
            "tags": self.engine.tags.list(ctx.account_id, template.arn),
            "version": _version(template),
        }

    def get_world_template_body(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("template") and request.get("generationJob"):
            raise invalid("Specify either template or generationJob, not both")
        if request.get("template"):
            return {"templateBody": self._template(ctx, request["template"]).data["templateBody"]}
        job_arn = request.get("generationJob")
        if not job_arn:
            raise invalid("Specify template or generationJob")
        job = self._job(ctx, job_arn, GENERATION_KIND, "world generation job")
        return {"templateBody": job.request["templateBody"]}

    def update_world_template(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        template = self._template(ctx, request["template"])
        body = self._body_from_request(ctx, request, required=False)
        data = template.data
        if body is not None:
            data = self._template_data(body, data.get("clientRequestToken"))
        name = request["name"] if "name" in request else template.name
        updated = self.resources.update(ctx, TEMPLATE, template.resource_id, data=data, name=name)
        return {
            "arn": updated.arn,
            "name": updated.name,
            "createdAt": updated.created_at,
            "lastUpdatedAt": updated.updated_at,
        }

    def delete_world_template(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        template = self._template(ctx, request["template"])
        self.resources.delete(ctx, TEMPLATE, template.resource_id)
        return {}

    def list_world_templates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        page = self.resources.list(
            ctx, TEMPLATE, max_results=self._page_size(request), next_token=request.get("nextToken")
        )
        return {
            "templateSummaries": [
                {
                    "arn": t.arn,
                    "createdAt": t.created_at,
                    "lastUpdatedAt": t.updated_at,
                    "name": t.name,
                    "version": _version(t),
                }
                for t in page.items
            ],
            "nextToken": page.next_token,
        }


def _version(template: Resource) -> str:
    return str(template.data.get("version") or template_version(template.data["templateBody"]))
