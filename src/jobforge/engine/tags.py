"""Tags on any resource or job ARN, shared by every service, and AWS's tagging rules for all of
them: keys 1..128 characters, values 0..256, at most 50 tags per resource, and keys starting
with ``aws:`` (any case) reserved for AWS: no one else sets or removes them. :class:`TagStore`
enforces them on every write; services call :func:`check_tags` to refuse bad tags before
creating anything."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from jobforge.engine.cache import ReadCache
from jobforge.engine.db import Database, tags
from jobforge.engine.errors import InvalidTags

MAX_TAGS_PER_RESOURCE = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
RESERVED_PREFIX = "aws:"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def check_tag_keys(keys: Iterable[str]) -> None:
    """Tag keys as AWS allows them (1..128 characters); raises :class:`InvalidTags`."""
    for key in keys:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
            shown = _shown(key) if isinstance(key, str) else type(key).__name__
            raise InvalidTags(f"Tag key {shown} must be 1 to {MAX_KEY_LENGTH} characters long")


def check_unreserved(keys: Iterable[str]) -> None:
    """No key starting with ``aws:`` (any case): AWS's own tags can be neither set nor removed."""
    reserved = sorted(key for key in keys if key.lower().startswith(RESERVED_PREFIX))
    if reserved:
        raise InvalidTags(
            f"Tag keys starting with '{RESERVED_PREFIX}' are reserved for AWS: {', '.join(reserved)}"
        )


def check_tags(new_tags: Mapping[str, str], max_tags: int = MAX_TAGS_PER_RESOURCE) -> None:
    """A tag map as AWS allows it: at most ``max_tags`` tags, keys 1..128 characters and not
    starting with ``aws:``, values 0..256 characters. Raises :class:`InvalidTags`."""
    if len(new_tags) > max_tags:
        raise InvalidTags(f"A resource can have at most {max_tags} tags; {len(new_tags)} were given")
    check_tag_keys(new_tags)
    check_unreserved(new_tags)
    for key, value in new_tags.items():
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
            raise InvalidTags(
                f"The value of tag {_shown(key)} must be a string of at most {MAX_VALUE_LENGTH} characters"
            )


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
        """Add or overwrite tags; refuses bad tags and going past the per-resource limit."""
        if not new_tags:
            return
        check_tags(new_tags, self.max_tags)
        if conn is None:
            with self.db.begin() as tx:
                self.tag(account_id, arn, new_tags, tx)
            return
        self._invalidate(conn, account_id, arn)
        current = self.list(account_id, arn, conn)
        if len(set(current) | set(new_tags)) > self.max_tags:
            raise InvalidTags(
                f"A resource can have at most {self.max_tags} tags; it would have "
                f"{len(set(current) | set(new_tags))}"
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
        """Remove tags; refuses bad keys and AWS's reserved ones, as :meth:`tag` does."""
        check_tag_keys(keys)
        check_unreserved(keys)
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
