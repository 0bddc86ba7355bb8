"""The RoboMaker provider: the WorldForge operations jobforge implements, one method each."""

from __future__ import annotations

from jobforge.services.robomaker.export_jobs import ExportOperations
from jobforge.services.robomaker.generation import GenerationOperations
from jobforge.services.robomaker.tagging import TagOperations
from jobforge.services.robomaker.templates import TemplateOperations
from jobforge.services.robomaker.worlds import WorldOperations


class RoboMakerProvider(
    TemplateOperations, GenerationOperations, WorldOperations, ExportOperations, TagOperations
):
    """World templates, world generation jobs, worlds, world export jobs and tags."""
