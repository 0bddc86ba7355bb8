"""Tags on any resource or job ARN, shared by every service."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from jobforge.engine.cache import ReadCache
from jobforge.engine.db import Database, tags
from jobforge.engine.errors import QuotaExceeded

MAX_TAGS_PER_RESOURCE = 50


class TagStore:
    def __init__(self, db: Database, max_tags: int = MAX_TAGS_PER_RESOURCE, cache: bool = False) -> None:
        self.db = db
        self.max_tags = max_tags
        self.cache: ReadCache[dict[str, str]] | None = ReadCache() if cache else None
        self._query = select(tags.c.tag_key, tags.c.tag_value).where(
            tags.c.arn == bindparam("arn"), tags.c.account_id == bindparam("account_id")
        )

    def list(self, account_id: str, arn: str, conn: Connection | None = None) -> dict[str, str]:
        params = {"arn": arn, "account_id": account_id}
        if conn is not None:
            return {key: value for key, value in conn.execute(self._query, params).all()}
        cached, version = self.cache.get((account_id, arn)) if self.cache is not None else (None, 0)
        if cached is None:
            with self.db.read() as read_conn:
                cached = {key: value for key, value in read_conn.execute(self._query, params).all()}
            if self.cache is not None:
                self.cache.put((account_id, arn), cached, version)
        return dict(cached)

    def _invalidate(self, conn: Connection, account_id: str, arn: str) -> None:
        if self.cache is not None:
            self.cache.invalidate_on_end(conn, (account_id, arn))

    def tag(
        self, account_id: str, arn: str, new_tags: dict[str, str], conn: Connection | None = None
    ) -> None:
        """Add or overwrite tags; refuses to go past the per-resource limit."""
        if not new_tags:
            return
        if conn is None:
            with self.db.begin() as tx:
                self.tag(account_id, arn, new_tags, tx)
            return
        self._invalidate(conn, account_id, arn)
        current = self.list(account_id, arn, conn)
        if len(set(current) | set(new_tags)) > self.max_tags:
            raise QuotaExceeded(
                f"A resource can have at most {self.max_tags} tags", "tags per resource", self.max_tags
            )
        conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.tag_key.in_(list(new_tags))))
        conn.execute(
            insert(tags),
            [
                {"arn": arn, "tag_key": key, "tag_value": value, "account_id": account_id}
                for key, value in new_tags.items()
            ],
        )

    def untag(self, account_id: str, arn: str, keys: list[str], conn: Connection | None = None) -> None:
        if conn is None:
            with self.db.begin() as tx:
                self.untag(account_id, arn, keys, tx)
            return
        self._invalidate(conn, account_id, arn)
        conn.execute(
            delete(tags).where(tags.c.arn == arn, tags.c.account_id == account_id, tags.c.tag_key.in_(keys))
        )

    def drop(self, account_id: str, arn: str, conn: Connection) -> None:
        """Forget every tag of a deleted resource."""
        self._invalidate(conn, account_id, arn)
        conn.execute(delete(tags).where(tags.c.arn == arn))
