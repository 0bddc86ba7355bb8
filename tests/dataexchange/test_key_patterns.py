"""Key patterns of revision exports, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobforge.services.dataexchange.key_patterns import (
    EVENT_ACTION_DEFAULT,
    JOB_DEFAULT,
    KeyContext,
    KeyPattern,
    KeyPatternError,
)

CONTEXT = KeyContext(
    asset_id="a" * 32,
    asset_name="daily/prices.csv",
    data_set_id="d" * 32,
    data_set_name="Prices",
    revision_id="r" * 32,
    revision_created_at=datetime(2021, 3, 8, 16, 33, 19, 787000, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        (JOB_DEFAULT, "daily/prices.csv"),
        (EVENT_ACTION_DEFAULT, "2021-03-08T16:33:19.787Z/daily/prices.csv"),
        ("${DataSet.Name}/${Revision.Id}/${Asset.Name}", f"Prices/{'r' * 32}/daily/prices.csv"),
        (
            "exports/${Revision.CreatedAt.Year}/${Revision.CreatedAt.Month}/${Revision.CreatedAt.Day}/${Asset.Id}",
            f"exports/2021/03/08/{'a' * 32}",
        ),
        ("${DataSet.Id}-${Asset.Name}", f"{'d' * 32}-daily/prices.csv"),
    ],
)
def test_render(pattern: str, key: str) -> None:
    assert KeyPattern(pattern).render(CONTEXT) == key


@pytest.mark.parametrize(
    "pattern",
    [
        "${Revision.Id}",
        "plain-key",
        "${Asset.Nmae}",
        "${Asset.Name}/${Unknown}",
        "${Asset.Name}/${Revision.Id",
    ],
)
def test_refused(pattern: str) -> None:
    with pytest.raises(KeyPatternError):
        KeyPattern(pattern)


def test_naive_creation_time_is_utc() -> None:
    naive = KeyContext(**{**CONTEXT.__dict__, "revision_created_at": datetime(2021, 12, 1, 0, 0, 0)})
    assert (
        KeyPattern("${Revision.CreatedAt}/${Asset.Id}").render(naive).startswith("2021-12-01T00:00:00.000Z/")
    )
