"""The RoboMaker provider: the WorldForge operations jobforge implements, one method each."""

from __future__ import annotations

from jobforge.services.robomaker import export_job, generation_job
from jobforge.services.robomaker.common import SERVICE, TEMPLATE, WORLD, not_found
from jobforge.services.robomaker.export_jobs import ExportOperations
from jobforge.services.robomaker.generation import GenerationOperations
from jobforge.services.robomaker.templates import TemplateOperations
from jobforge.services.robomaker.worlds import WorldOperations
from jobforge.services.tagging import TagOperations, TagResolver


class RoboMakerProvider(
    TemplateOperations, GenerationOperations, WorldOperations, ExportOperations, TagOperations
):
    """World templates, world generation jobs, worlds, world export jobs and tags."""

    tagging = TagResolver(
        SERVICE,
        kinds=(TEMPLATE, WORLD, generation_job.KIND, export_job.KIND),
        not_found=lambda arn: not_found(f"The resource {arn} does not exist"),
        arn_member="resourceArn",
        tags_member="tags",
        keys_member="tagKeys",
    )
