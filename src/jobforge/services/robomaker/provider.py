"""The RoboMaker provider: the WorldForge operations jobforge implements, one method each."""

from __future__ import annotations

from jobforge.services.robomaker.generation import GenerationOperations
from jobforge.services.robomaker.tagging import TagOperations
from jobforge.services.robomaker.templates import TemplateOperations
from jobforge.services.robomaker.worlds import WorldOperations


class RoboMakerProvider(TemplateOperations, GenerationOperations, WorldOperations, TagOperations):
    """World templates, world generation jobs, worlds and tags (export jobs join here next)."""
