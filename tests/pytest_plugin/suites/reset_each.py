"""Two tests that share one server; the second passes only if the server was reset between them."""

from __future__ import annotations

from typing import Any


def test_makes_a_data_set(jobforge_client: Any) -> None:
    dataexchange = jobforge_client("dataexchange")
    dataexchange.create_data_set(AssetType="S3_SNAPSHOT", Name="first", Description="made by the first test")
    assert len(dataexchange.list_data_sets()["DataSets"]) == 1


def test_does_not_use_the_server() -> None:
    pass


def test_finds_none(jobforge_client: Any) -> None:
    assert jobforge_client("dataexchange").list_data_sets()["DataSets"] == []
