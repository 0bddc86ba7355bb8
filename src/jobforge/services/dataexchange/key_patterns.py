"""Key patterns of revision exports: ``${Asset.Name}``, ``${Revision.CreatedAt.Year}``, ...

A pattern is literal text with ``${Variable}`` references. It must reference ``${Asset.Name}`` or
``${Asset.Id}`` so each asset gets its own key; unknown variables are refused (a typo would
otherwise export every asset under a literal ``${...}``). Day and month are zero-padded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from jobforge.services.dataexchange.common import iso

JOB_DEFAULT = "${Asset.Name}"
EVENT_ACTION_DEFAULT = "${Revision.CreatedAt}/${Asset.Name}"

_REFERENCE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class KeyContext:
    """What a pattern can refer to for one asset."""

    asset_id: str
    asset_name: str
    data_set_id: str
    data_set_name: str
    revision_id: str
    revision_created_at: datetime


def _created(ctx: KeyContext) -> datetime:
    moment = ctx.revision_created_at
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


VARIABLES: dict[str, Callable[[KeyContext], str]] = {
    "Asset.Id": lambda c: c.asset_id,
    "Asset.Name": lambda c: c.asset_name,
    "DataSet.Id": lambda c: c.data_set_id,
    "DataSet.Name": lambda c: c.data_set_name,
    "Revision.Id": lambda c: c.revision_id,
    "Revision.CreatedAt": lambda c: iso(_created(c)),
    "Revision.CreatedAt.Day": lambda c: f"{_created(c).day:02d}",
    "Revision.CreatedAt.Month": lambda c: f"{_created(c).month:02d}",
    "Revision.CreatedAt.Year": lambda c: f"{_created(c).year:04d}",
}


class KeyPatternError(ValueError):
    """A pattern that cannot name assets uniquely or refers to unknown variables."""


class KeyPattern:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        references = _REFERENCE.findall(pattern)
        unknown = sorted({name for name in references if name not in VARIABLES})
        if unknown:
            raise KeyPatternError(
                f"Unknown key pattern variable(s) {', '.join('${' + n + '}' for n in unknown)}; "
                f"use {', '.join('${' + n + '}' for n in VARIABLES)}"
            )
        if not {"Asset.Name", "Asset.Id"} & set(references):
            raise KeyPatternError(
                f"Key pattern {pattern!r} must contain ${{Asset.Name}} or ${{Asset.Id}} "
                "so that assets get distinct keys"
            )
        if "${" in _REFERENCE.sub("", pattern):
            raise KeyPatternError(f"Key pattern {pattern!r} has an unterminated ${{ reference")

    def render(self, ctx: KeyContext) -> str:
        return _REFERENCE.sub(lambda match: VARIABLES[match.group(1)](ctx), self.pattern)
