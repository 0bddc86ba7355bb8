"""Event actions (auto-export): create, get, list, update, delete, and what finalizing a revision
triggers: one EXPORT_REVISIONS_TO_S3 job per event action watching the data set, started at once
and listed by ListJobs with its ``EventActionArn``."""

from __future__ import annotations

import logging
from typing import Any

from jobforge.engine import Resource, Scope
from jobforge.protocol.context import RequestContext
from jobforge.services.dataexchange.common import (
    EVENT_ACTION,
    DataExchangeBase,
    DataExchangeRuntime,
    event_action_arn,
    invalid,
    new_dx_id,
    not_found,
)
from jobforge.services.dataexchange.key_patterns import EVENT_ACTION_DEFAULT, KeyPattern, KeyPatternError

log = logging.getLogger("jobforge.dataexchange")


def event_action_view(action: Resource, tags: dict[str, str] | None = None) -> dict[str, Any]:
    view = {
        "Action": action.data["Action"],
        "Arn": action.arn,
        "CreatedAt": action.created_at,
        "Event": action.data["Event"],
        "Id": action.resource_id,
        "UpdatedAt": action.updated_at,
    }
    if tags is not None:
        view["Tags"] = tags
    return view


def start_auto_exports(
    runtime: DataExchangeRuntime, scope: Scope, data_set: Resource, revision: Resource
) -> list[str]:
    """Run every auto-export of ``data_set`` for a newly finalized revision; returns the job ids."""
    from jobforge.services.dataexchange.jobs import create_revision_export_job

    started = []
    for action in runtime.children(scope, EVENT_ACTION, data_set.resource_id):
        export = action.data["Action"]["ExportRevisionToS3"]
        job = create_revision_export_job(
            runtime,
            scope,
            data_set.resource_id,
            revision.resource_id,
            dict(export["RevisionDestination"]),
            export.get("Encryption"),
            action.arn,
        )
        log.info("auto-export started", extra={"job": job.arn, "event_action": action.arn})
        started.append(job.job_id)
    return started


class EventActionOperations(DataExchangeBase):
    def _event_action(self, ctx: RequestContext, event_action_id: str) -> Resource:
        found = self.resources.find(ctx, EVENT_ACTION, event_action_id)
        if found is None:
            raise not_found(EVENT_ACTION, event_action_id)
        return found

    def _checked_action(self, ctx: RequestContext, action: dict[str, Any]) -> dict[str, Any]:
        from jobforge.services.dataexchange.job_plans import check_encryption, check_object_name

        export = action.get("ExportRevisionToS3")
        if not export:
            raise invalid("Action.ExportRevisionToS3 is required")
        destination = dict(export["RevisionDestination"])
        destination.setdefault("KeyPattern", EVENT_ACTION_DEFAULT)
        try:
            KeyPattern(destination["KeyPattern"])
        except KeyPatternError as exc:
            raise invalid(str(exc)) from None
        check_object_name(self.store, ctx, destination["Bucket"])
        if not self.store.bucket_exists(destination["Bucket"]):
            raise invalid(
                f"The destination bucket {destination['Bucket']} does not exist or cannot be written",
                cause="S3AccessDenied",
            )
        check_encryption(export.get("Encryption"))
        checked: dict[str, Any] = {"RevisionDestination": destination}
        if export.get("Encryption"):
            checked["Encryption"] = export["Encryption"]
        return {"ExportRevisionToS3": checked}

    def create_event_action(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        published = (request["Event"] or {}).get("RevisionPublished")
        if not published:
            raise invalid("Event.RevisionPublished is required")
        data_set = self._data_set(ctx, published["DataSetId"])
        if data_set.data["AssetType"] != "S3_SNAPSHOT":
            raise invalid(
                "Only S3_SNAPSHOT data sets can be exported automatically; "
                f"data set {data_set.resource_id} is {data_set.data['AssetType']}"
            )
        action = self._checked_action(ctx, request["Action"])
        event_action_id = new_dx_id()
        tags = request.get("Tags") or {}
        created = self.resources.create(
            ctx,
            EVENT_ACTION,
            event_action_id,
            event_action_arn(ctx, event_action_id),
            {"Action": action, "Event": {"RevisionPublished": {"DataSetId": data_set.resource_id}}},
            parent_id=data_set.resource_id,
            quotas=[
                self.limits.quota("Event actions per account", EVENT_ACTION),
                self.limits.quota(
                    "Auto export event actions per data set", EVENT_ACTION, data_set.resource_id
                ),
            ],
            tags=tags,
        )
        return event_action_view(created, tags)

    def get_event_action(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        action = self._event_action(ctx, request["EventActionId"])
        return event_action_view(action, self.engine.tags.list(ctx.account_id, action.arn))

    def list_event_actions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source = request.get("EventSourceId")
        page = self.resources.list(
            ctx,
            EVENT_ACTION,
            parent_id=source,
            max_results=self._page_size(request),
            next_token=request.get("NextToken"),
            newest_first=True,
        )
        return {
            "EventActions": [event_action_view(item) for item in page.items],
            "NextToken": page.next_token,
        }

    def update_event_action(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        action = self._event_action(ctx, request["EventActionId"])
        data = dict(action.data)
        if request.get("Action") is not None:
            data["Action"] = self._checked_action(ctx, request["Action"])
        updated = self.resources.update(ctx, EVENT_ACTION, action.resource_id, data=data)
        return event_action_view(updated)

    def delete_event_action(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        action = self._event_action(ctx, request["EventActionId"])
        self.resources.delete(ctx, EVENT_ACTION, action.resource_id)
        return {}
