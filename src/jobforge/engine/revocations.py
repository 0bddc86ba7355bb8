"""Revoked tokens: a signed token (a console session) ended before its expiry, for every node.

A token carries its own signature and expiry, so it needs no row to be valid; a row here ends it
early. Rows go once their token has expired anyway (purged on each revocation).
"""

from __future__ import annotations

import time

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from jobforge.engine.db import Database, revoked_tokens


class Revocations:
    """Revoke tokens by id and ask whether one is revoked."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def revoke(self, token_id: str, expires_at: int) -> None:
        """End ``token_id`` (valid until ``expires_at``, Unix seconds) now."""
        now = int(time.time())
        try:
            with self.db.begin() as conn:
                conn.execute(delete(revoked_tokens).where(revoked_tokens.c.expires_at < now))
                conn.execute(insert(revoked_tokens).values(token_id=token_id, expires_at=expires_at))
        except IntegrityError:
            pass  # revoked already

    def revoked(self, token_id: str) -> bool:
        with self.db.read() as conn:
            query = select(revoked_tokens.c.token_id).where(revoked_tokens.c.token_id == token_id)
            return conn.execute(query).first() is not None
