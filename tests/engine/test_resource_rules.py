"""The engine's resource rules: quotas checked and inserts made under one lock (concurrent
creates never pass a quota, on SQLite or PostgreSQL), client tokens, tags at creation, and
lookups by ARN restricted to kinds."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobforge.config import Settings
from jobforge.engine import (
    ClientToken,
    IdempotencyMismatch,
    InvalidTags,
    JobEngine,
    QuotaExceeded,
    ResourceQuota,
)
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.services.dataexchange.binding import PACKAGE as DATAEXCHANGE
from jobforge.storage import LocalObjectStore

SERVICE = "test"
THREADS = 8


@dataclass(frozen=True)
class Owner:
    account_id: str = "111111111111"
    region: str = "us-east-1"


OWNER = Owner()


@pytest.fixture
def engine(database_url: str) -> Iterator[JobEngine]:
    engine = JobEngine(database_url, workers=1, cpu_workers=1)
    try:
        yield engine
    finally:
        engine.db.dispose()


def arn(resource_id: str, owner: Owner = OWNER) -> str:
    return f"arn:aws:{SERVICE}:{owner.region}:{owner.account_id}:thing/{resource_id}"


def race(attempt: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Run ``attempt(i)`` for i in 0..n-1 at once; each one's result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempt(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_creates_never_pass_the_quota(database_url: str, engine: JobEngine) -> None:
    other_node = JobEngine(database_url, workers=1, cpu_workers=1)  # as a second process would
    stores = [engine.resources(SERVICE), other_node.resources(SERVICE)]
    quotas = [ResourceQuota("Things per box", 3, "thing", "box"), ResourceQuota("Things", 5, "thing")]

    def create(i: int) -> Any:
        return stores[i % 2].create(OWNER, "thing", f"t{i}", arn(f"t{i}"), {}, parent_id="box", quotas=quotas)

    try:
        results = race(create)
    finally:
        other_node.db.dispose()
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(refused) == THREADS - 3, results
    assert {r.limit_name for r in refused} == {"Things per box"}
    assert refused[0].message == "The limit 'Things per box' (3) was reached"
    assert stores[0].count(OWNER, "thing", "box") == 3
    assert stores[0].count(OWNER, "thing") == 3
    assert stores[0].count(Owner(account_id="222222222222"), "thing") == 0


def test_a_quota_counts_what_is_added_at_once(engine: JobEngine) -> None:
    store = engine.resources(SERVICE)
    quota = ResourceQuota("Things", 4, "thing")
    store.create(OWNER, "thing", "t0", arn("t0"), {}, quotas=[quota])
    with engine.db.begin() as conn:
        store.check_quotas(conn, OWNER, [quota], adding=3)  # 1 + 3 fits
        with pytest.raises(QuotaExceeded):
            store.check_quotas(conn, OWNER, [quota], adding=4)


def test_a_client_token_returns_the_first_resource(engine: JobEngine) -> None:
    store = engine.resources(SERVICE)
    token = ClientToken("CreateThing", "tok", {"name": "a"})
    first = store.create(OWNER, "thing", "t1", arn("t1"), {}, client_token=token, tags={"k": "v"})
    again = store.create(OWNER, "thing", "t2", arn("t2"), {}, client_token=token, tags={"k": "v"})
    assert again.arn == first.arn and store.find(OWNER, "thing", "t2") is None
    with pytest.raises(IdempotencyMismatch):
        store.create(OWNER, "thing", "t3", arn("t3"), {}, client_token=ClientToken("CreateThing", "tok", {}))
    assert store.count(OWNER, "thing") == 1


def test_bad_tags_create_nothing(engine: JobEngine) -> None:
    store = engine.resources(SERVICE)
    with pytest.raises(InvalidTags):
        store.create(OWNER, "thing", "t1", arn("t1"), {}, tags={"aws:x": "y"})
    assert store.find(OWNER, "thing", "t1") is None
    store.create(OWNER, "thing", "t1", arn("t1"), {}, tags={"k": "v"})
    assert engine.tags.list(OWNER.account_id, arn("t1")) == {"k": "v"}


def test_find_by_arn_keeps_to_the_kinds_and_the_caller(engine: JobEngine) -> None:
    store = engine.resources(SERVICE)
    store.create(OWNER, "thing", "t1", arn("t1"), {"v": 1})
    assert store.find_by_arn(OWNER, arn("t1"), kinds=["thing"]) is not None
    assert store.find_by_arn(OWNER, arn("t1"), kinds=["thing"]) is not None  # cached hint path
    assert store.find_by_arn(OWNER, arn("t1"), kinds=["other"]) is None
    assert store.find_by_arn(Owner(region="eu-west-1"), arn("t1"), kinds=["thing"]) is None
    assert engine.resources("elsewhere").find_by_arn(OWNER, arn("t1"), kinds=["thing"]) is None
    store.update(OWNER, "thing", "t1", data={"v": 2})
    found = store.find_by_arn(OWNER, arn("t1"), kinds=["thing"])
    assert found is not None and found.data == {"v": 2}
    store.delete(OWNER, "thing", "t1")
    assert store.find_by_arn(OWNER, arn("t1"), kinds=["thing"]) is None


def test_the_engine_finds_resources_and_jobs_by_arn(engine: JobEngine) -> None:
    engine.resources(SERVICE).create(OWNER, "thing", "t1", arn("t1"), {})
    job, _ = engine.jobs.create(
        OWNER, service=SERVICE, kind="test.job", job_id="j1", arn=arn("job-j1"), request={}
    )
    assert engine.find_by_arn(OWNER, SERVICE, arn("job-j1"), kinds=["test.job"]) == job
    assert engine.find_by_arn(OWNER, SERVICE, arn("job-j1"), kinds=["thing"]) is None
    assert engine.find_by_arn(OWNER, SERVICE, arn("t1"), kinds=["thing", "test.job"]) is not None
    assert engine.find_by_arn(Owner(account_id="222222222222"), SERVICE, arn("t1"), kinds=["thing"]) is None


def test_data_exchange_revisions_race_to_their_quota(
    database_url: str, engine: JobEngine, tmp_path: Path
) -> None:
    """CreateRevision checks its quota under the engine's lock (it used to take none)."""
    settings = Settings.from_env({"JOBFORGE_DATAEXCHANGE_LIMITS": json.dumps({"Revisions per data set": 2})})
    binding = DATAEXCHANGE.build(
        engine, LocalObjectStore(tmp_path / "objects"), DATAEXCHANGE.settings(settings)
    )
    provider = binding.provider
    ctx = RequestContext(OWNER.account_id, OWNER.region, "dataexchange", "CreateRevision", "r")
    data_set = provider.create_data_set(ctx, {"AssetType": "S3_SNAPSHOT", "Name": "d", "Description": ""})
    results = race(lambda i: provider.create_revision(ctx, {"DataSetId": data_set["Id"]}))
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(refused) == THREADS - 2, results
    assert {r.code for r in refused} == {"ServiceLimitExceededException"}
    listed = provider.list_data_set_revisions(ctx, {"DataSetId": data_set["Id"]})
    assert len(listed["Revisions"]) == 2
