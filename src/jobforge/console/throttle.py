"""Failed console sign-ins, counted per (client address, access key) on every API node alike.

After :data:`LIMIT` failures within :data:`WINDOW_SECONDS`, further sign-ins of that access key from
that address are refused until the oldest of those failures leaves the window. Other addresses are
not affected (a stranger cannot lock a user out), and a success forgets the pair's failures. The
failures live in the database (``login_failures``), so a deployment of several nodes behind one
address counts them once, whichever node a sign-in reaches; behind a proxy, the client address is
the one the proxy forwards (``X-Forwarded-For``, from the peers ``FORWARDED_ALLOW_IPS`` trusts).
Rows go once they leave the window, and a pair keeps its newest :data:`LIMIT` at most.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, delete, insert, select

from jobforge.engine.db import Database, login_failures

LIMIT = 5
WINDOW_SECONDS = 900.0
_CLIENT_CHARS = 64  # the column's width; an address is at most 45 characters (IPv6)


class LoginThrottle:
    """Failures per (client, access key) in a sliding window, shared through the database."""

    def __init__(
        self,
        db: Database,
        limit: int = LIMIT,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,  # wall time: the nodes share it, not a monotonic one
    ) -> None:
        self.db, self.limit, self.window, self.clock = db, limit, window, clock

    @staticmethod
    def _row(client: str, access_key: str) -> dict[str, str]:
        """The pair's columns: the address (cut to the column's width) and the key's SHA-256."""
        digest = hashlib.sha256(access_key.encode("utf-8", "surrogatepass")).hexdigest()
        return {"client": client[:_CLIENT_CHARS], "key_hash": digest}

    @staticmethod
    def _pair(row: dict[str, str]) -> ColumnElement[bool]:
        """The rows of the pair whose columns are ``row`` (see :meth:`_row`)."""
        return and_(login_failures.c.client == row["client"], login_failures.c.key_hash == row["key_hash"])

    def retry_after(self, client: str, access_key: str) -> int:
        """Seconds until this pair may try again; 0 when it may now."""
        now = self.clock()
        query = (
            select(login_failures.c.failed_at)
            .where(self._pair(self._row(client, access_key)), login_failures.c.failed_at > now - self.window)
            .order_by(login_failures.c.failed_at.desc())
            .limit(self.limit)
        )
        with self.db.read() as conn:
            times = conn.execute(query).scalars().all()
        if len(times) < self.limit:
            return 0
        return max(1, math.ceil(min(times) + self.window - now))

    def failed(self, client: str, access_key: str) -> None:
        now = self.clock()
        row = self._row(client, access_key)
        pair = self._pair(row)
        newest = (
            select(login_failures.c.id)
            .where(pair)
            .order_by(login_failures.c.failed_at.desc(), login_failures.c.id.desc())
            .limit(self.limit)
        )
        with self.db.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.failed_at <= now - self.window))
            conn.execute(insert(login_failures).values(**row, failed_at=now))
            # the pair's older failures no longer count: retry_after reads its newest `limit`
            conn.execute(
                delete(login_failures).where(pair, login_failures.c.id.not_in(newest.scalar_subquery()))
            )

    def succeeded(self, client: str, access_key: str) -> None:
        with self.db.begin() as conn:
            conn.execute(delete(login_failures).where(self._pair(self._row(client, access_key))))
