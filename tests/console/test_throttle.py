"""The console's sign-in throttle (console/throttle.py) with a fake clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jobforge.console.throttle import LoginThrottle
from jobforge.engine.db import Database, login_failures
from tests.support import fresh_postgres_database


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
        database.migrate()
        yield database
        return
    url = os.environ.get("JOBFORGE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("JOBFORGE_TEST_POSTGRES_URL is not set (scripts/test starts PostgreSQL)")
    with fresh_postgres_database(url) as fresh:
        database = Database(fresh)
        database.migrate()
        yield database
        database.engine.dispose()


def _rows(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(login_failures)).scalar_one()


def test_the_limit_applies_per_address_and_key_and_slides(db: Database) -> None:
    clock = Clock()
    throttle = LoginThrottle(db, limit=3, window=60.0, clock=clock)
    start = clock.now
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1", "AKID") == 0
        throttle.failed("10.0.0.1", "AKID")
        clock.now += 10
    assert throttle.retry_after("10.0.0.1", "AKID") == 30  # the first failure leaves at start + 60
    assert throttle.retry_after("10.0.0.2", "AKID") == 0  # another address
    assert throttle.retry_after("10.0.0.1", "AKIDOTHER") == 0  # another key
    clock.now = start + 60
    assert throttle.retry_after("10.0.0.1", "AKID") == 0


def test_a_success_forgets_the_failures(db: Database) -> None:
    throttle = LoginThrottle(db, limit=2, window=60.0, clock=Clock())
    throttle.failed("a", "k")
    throttle.succeeded("a", "k")
    throttle.failed("a", "k")
    assert throttle.retry_after("a", "k") == 0


def test_every_node_counts_the_failures_of_every_other(db: Database) -> None:
    """Two API nodes (two throttles on one database): failures on either count on both."""
    clock = Clock()
    node_1, node_2 = (LoginThrottle(db, limit=4, window=60.0, clock=clock) for _ in range(2))
    for node in (node_1, node_2, node_1, node_2):
        node.failed("203.0.113.7", "AKID")
        clock.now += 1
    assert node_1.retry_after("203.0.113.7", "AKID") == node_2.retry_after("203.0.113.7", "AKID") == 56
    node_2.succeeded("203.0.113.7", "AKID")
    assert node_1.retry_after("203.0.113.7", "AKID") == 0


def test_rows_are_bounded_by_the_window_and_the_limit(db: Database) -> None:
    clock = Clock()
    throttle = LoginThrottle(db, limit=3, window=60.0, clock=clock)
    for _ in range(20):  # one pair failing again and again keeps its newest 3 failures
        throttle.failed("10.0.0.1", "AKID")
        clock.now += 1
    assert _rows(db) == 3
    assert throttle.retry_after("10.0.0.1", "AKID") == 60 - 3  # the oldest kept failed 3 s ago
    for i in range(50):
        throttle.failed(f"10.0.1.{i}", "AKID")
    assert _rows(db) == 53
    clock.now += 61
    throttle.failed("new", "k")
    assert _rows(db) == 1  # failures out of the window went


def test_any_access_key_typed_is_counted_without_being_kept(db: Database) -> None:
    throttle = LoginThrottle(db, limit=1, window=60.0, clock=Clock())
    typed = "a secret typed into the key field by mistake \udcff" + "x" * 5000
    throttle.failed("x" * 100, typed)
    assert throttle.retry_after("x" * 100, typed) > 0
    with db.read() as conn:
        client, key_hash = conn.execute(select(login_failures.c.client, login_failures.c.key_hash)).one()
    assert client == "x" * 64 and len(key_hash) == 64 and "secret" not in key_hash
