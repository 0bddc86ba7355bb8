"""The RoboMaker provider: the WorldForge operations jobforge implements, one method each."""

from __future__ import annotations

from jobforge.services.robomaker.tagging import TagOperations
from jobforge.services.robomaker.templates import TemplateOperations


class RoboMakerProvider(TemplateOperations, TagOperations):
    """World templates and tags (generation and export operations join here as they land)."""
