"""Revoked tokens on SQLite and PostgreSQL: revoked for every engine on the database, idempotent,
and rows of tokens expired anyway purged."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from jobforge.engine import JobEngine
from jobforge.engine.db import revoked_tokens


def test_revoked_tokens_are_shared_idempotent_and_purged(database_url: str) -> None:
    first, second = JobEngine(database_url, workers=1), JobEngine(database_url, workers=1)
    try:
        now = int(time.time())
        first.revocations.revoke("old", now - 1)  # expired already: purged by the next revocation
        first.revocations.revoke("session-a", now + 3600)
        first.revocations.revoke("session-a", now + 3600)  # twice: no error
        assert second.revocations.revoked("session-a")  # another node sees it at once
        assert not second.revocations.revoked("session-b")
        with first.db.read() as conn:
            ids = set(conn.execute(select(revoked_tokens.c.token_id)).scalars())
            total = conn.execute(select(func.count()).select_from(revoked_tokens)).scalar_one()
        assert ids == {"session-a"} and total == 1
    finally:
        first.stop()
        second.stop()
