"""Durable non-job resources (templates, worlds, data sets, ...) of every service.

A resource is a JSON document plus the columns the engine indexes (identity, ARN, parent,
name, status, timestamps). Everything is scoped by account and region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from jobforge.engine.cache import ReadCache
from jobforge.engine.db import Database, resources
from jobforge.engine.errors import AlreadyExists, NotFound, QuotaExceeded
from jobforge.engine.idempotency import ClientToken, IdempotencyTokens
from jobforge.engine.listing import Page, keyset_page
from jobforge.engine.pagination import PageTokens
from jobforge.engine.tags import TagStore


class Scope(Protocol):
    """Who owns a record: an account in a region (a RequestContext fits)."""

    account_id: str
    region: str


_UNSET: Any = object()


def record_values(record_type: type, row: Row[Any]) -> dict[str, Any]:
    """A table row's columns for the record dataclass's fields (JSON columns copied as dicts)."""
    mapping = row._mapping
    values = {f.name: mapping[f.name] for f in fields(record_type)}
    return {k: dict(v) if isinstance(v, dict) else v for k, v in values.items()}


@dataclass
class Resource:
    service: str
    kind: str
    account_id: str
    region: str
    resource_id: str
    arn: str
    created_at: datetime
    updated_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    name: str | None = None
    status: str | None = None
    pk: int = 0

    @classmethod
    def from_row(cls, row: Row[Any]) -> Resource:
        return cls(**record_values(cls, row))


@dataclass(frozen=True)
class ResourceQuota:
    """At most ``limit`` resources of ``kind`` (below ``parent_id``, if given) per account and region."""

    name: str
    limit: int
    kind: str
    parent_id: str | None = None


@contextmanager
def transaction(db: Database, conn: Connection | None) -> Iterator[Connection]:
    """Join the caller's transaction, or open one."""
    if conn is not None:
        yield conn
    else:
        with db.begin() as tx:
            yield tx


def first_row(db: Database, query: Select[Any], conn: Connection | None) -> Row[Any] | None:
    """The query's first row, read on the caller's connection or a fresh read connection."""
    if conn is not None:
        return conn.execute(query).first()
    with db.read() as read_conn:
        return read_conn.execute(query).first()


class ResourceStore:
    """CRUD and listing of one service's resources."""

    def __init__(
        self, db: Database, tokens: PageTokens, tags: TagStore, service: str, cache: bool = False
    ) -> None:
        self.db = db
        self.tokens = tokens
        self.tags = tags
        self.service = service
        self.cache: ReadCache[Resource] | None = ReadCache() if cache else None
        # ARN -> (kind, id): a hint that lets find_by_arn use the read cache; always verified
        self.arn_hints: ReadCache[tuple[str, str]] | None = ReadCache() if cache else None
        self.idempotency = IdempotencyTokens()
        self._find = select(resources).where(
            resources.c.service == bindparam("service"),
            resources.c.kind == bindparam("kind"),
            resources.c.account_id == bindparam("account_id"),
            resources.c.region == bindparam("region"),
            resources.c.resource_id == bindparam("resource_id"),
        )

    def _key(self, scope: Scope, kind: str, resource_id: str) -> tuple[str, ...]:
        return (self.service, kind, scope.account_id, scope.region, resource_id)

    def _invalidate(self, conn: Connection, scope: Scope, kind: str, resource_id: str) -> None:
        if self.cache is not None:
            self.cache.invalidate_on_end(conn, self._key(scope, kind, resource_id))

    def create(
        self,
        scope: Scope,
        kind: str,
        resource_id: str,
        arn: str,
        data: dict[str, Any],
        *,
        name: str | None = None,
        parent_id: str | None = None,
        status: str | None = None,
        created_at: datetime | None = None,
        quotas: Iterable[ResourceQuota] = (),
        client_token: ClientToken | None = None,
        tags: dict[str, str] | None = None,
        conn: Connection | None = None,
    ) -> Resource:
        """Insert a resource and its ``tags`` in one transaction, once the ``quotas`` allow it
        (checked under a lock, so concurrent creates cannot both take the last place). With a
        ``client_token`` used before with the same parameters, the earlier resource is returned;
        if that resource was deleted since, the token is taken afresh for a new one."""
        with transaction(self.db, conn) as tx:
            if client_token is not None:
                earlier = self.idempotency.earlier(tx, scope, client_token)
                if earlier is not None:
                    query = select(resources).where(*self._where_scope(scope), resources.c.arn == earlier)
                    row = first_row(self.db, query, tx)
                    if row is not None:
                        return Resource.from_row(row)
                    # the resource it made was deleted: the token is free, this request makes a new one
                    self.idempotency.forget(tx, scope, client_token)
            self.check_quotas(tx, scope, quotas)
            now = created_at or datetime.now(UTC)
            values = {
                "service": self.service,
                "kind": kind,
                "account_id": scope.account_id,
                "region": scope.region,
                "resource_id": resource_id,
                "arn": arn,
                "parent_id": parent_id,
                "name": name,
                "status": status,
                "created_at": now,
                "updated_at": now,
                "data": data,
            }
            self._invalidate(tx, scope, kind, resource_id)
            try:
                pk = tx.execute(insert(resources).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            except IntegrityError as exc:
                raise AlreadyExists(f"{kind} {resource_id} already exists") from exc
            if tags:
                self.tags.tag(scope.account_id, arn, tags, tx)
            if client_token is not None:
                self.idempotency.remember(tx, scope, client_token, arn)
        return Resource(**values, pk=pk)

    def count(
        self, scope: Scope, kind: str, parent_id: str | None = None, conn: Connection | None = None
    ) -> int:
        """How many resources of ``kind`` (below ``parent_id``, if given) the caller has."""
        query = select(func.count()).where(*self._where(scope, kind))
        if parent_id is not None:
            query = query.where(resources.c.parent_id == parent_id)
        if conn is not None:
            return int(conn.execute(query).scalar_one())
        with self.db.read() as read_conn:
            return int(read_conn.execute(query).scalar_one())

    def check_quotas(
        self, conn: Connection, scope: Scope, quotas: Iterable[ResourceQuota], adding: int = 1
    ) -> None:
        """Raise :class:`QuotaExceeded` unless ``adding`` more resources fit every quota. Locks
        each counted set until ``conn``'s transaction ends, so the caller's inserts in it are
        counted by any concurrent check (the locks are taken in one order: no deadlock)."""
        quotas = list(quotas)
        for kind, parent_id in sorted({(quota.kind, quota.parent_id or "") for quota in quotas}):
            where = f"{self.service}:{scope.account_id}:{scope.region}:{kind}:{parent_id}"
            self.db.lock_scope(conn, f"resources:{where}")
        for quota in quotas:
            if self.count(scope, quota.kind, quota.parent_id, conn) + adding > quota.limit:
                message = f"The limit '{quota.name}' ({quota.limit:g}) was reached"
                raise QuotaExceeded(message, quota.name, quota.limit)

    def _where_scope(self, scope: Scope) -> list[Any]:
        return [
            resources.c.service == self.service,
            resources.c.account_id == scope.account_id,
            resources.c.region == scope.region,
        ]

    def _where(self, scope: Scope, kind: str) -> list[Any]:
        return [*self._where_scope(scope), resources.c.kind == kind]

    def find(
        self, scope: Scope, kind: str, resource_id: str, conn: Connection | None = None
    ) -> Resource | None:
        params = {
            "service": self.service,
            "kind": kind,
            "account_id": scope.account_id,
            "region": scope.region,
            "resource_id": resource_id,
        }
        if conn is not None:
            row = conn.execute(self._find, params).first()
            return None if row is None else Resource.from_row(row)
        if self.cache is None:
            with self.db.read() as read_conn:
                row = read_conn.execute(self._find, params).first()
            return None if row is None else Resource.from_row(row)
        key = self._key(scope, kind, resource_id)
        cached, version = self.cache.get(key)
        if cached is None:
            with self.db.read() as read_conn:
                row = read_conn.execute(self._find, params).first()
            if row is None:
                return None
            cached = Resource.from_row(row)
            self.cache.put(key, cached, version)
        return replace(cached, data=dict(cached.data))  # callers may edit their copy

    def get(self, scope: Scope, kind: str, resource_id: str, conn: Connection | None = None) -> Resource:
        found = self.find(scope, kind, resource_id, conn)
        if found is None:
            raise NotFound(kind, resource_id)
        return found

    def get_by_arn(self, scope: Scope, arn: str, conn: Connection | None = None) -> Resource:
        query = select(resources).where(*self._where_scope(scope), resources.c.arn == arn)
        row = first_row(self.db, query, conn)
        if row is None:
            raise NotFound("resource", arn)
        return Resource.from_row(row)

    def find_by_arn(
        self, scope: Scope, arn: str, kinds: Iterable[str], conn: Connection | None = None
    ) -> Resource | None:
        """The caller's resource of one of ``kinds`` whose ARN is ``arn``, or None (read
        through the cache, like :meth:`find`)."""
        kinds = tuple(kinds)
        hint = self.arn_hints.get(arn)[0] if self.arn_hints is not None else None
        if hint is not None and hint[0] in kinds:
            found = self.find(scope, hint[0], hint[1], conn)
            if found is not None and found.arn == arn:
                return found
        query = select(resources).where(
            *self._where_scope(scope), resources.c.kind.in_(kinds), resources.c.arn == arn
        )
        row = first_row(self.db, query, conn)
        if row is None:
            return None
        found = Resource.from_row(row)
        if self.arn_hints is not None:
            self.arn_hints.put(arn, (found.kind, found.resource_id), 0)
        return found

    def update(
        self,
        scope: Scope,
        kind: str,
        resource_id: str,
        *,
        data: dict[str, Any] | None = None,
        name: Any = _UNSET,
        status: Any = _UNSET,
        conn: Connection | None = None,
    ) -> Resource:
        """Replace the document and/or indexed columns; bumps ``updated_at``."""
        values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if data is not None:
            values["data"] = data
        if name is not _UNSET:
            values["name"] = name
        if status is not _UNSET:
            values["status"] = status
        with transaction(self.db, conn) as tx:
            self._invalidate(tx, scope, kind, resource_id)
            result = tx.execute(
                update(resources)
                .where(*self._where(scope, kind), resources.c.resource_id == resource_id)
                .values(**values)
            )
            if result.rowcount == 0:
                raise NotFound(kind, resource_id)
            return self.get(scope, kind, resource_id, tx)

    def delete(self, scope: Scope, kind: str, resource_id: str, conn: Connection | None = None) -> Resource:
        with transaction(self.db, conn) as tx:
            found = self.get(scope, kind, resource_id, tx)
            self._invalidate(tx, scope, kind, resource_id)
            tx.execute(delete(resources).where(resources.c.pk == found.pk))
            self.tags.drop(found.account_id, found.arn, tx)
            return found

    def list(
        self,
        scope: Scope,
        kind: str,
        *,
        max_results: int = 100,
        next_token: str | None = None,
        parent_id: str | None = None,
        name: str | None = None,
        status: str | None = None,
        keep: Callable[[Resource], bool] | None = None,
        newest_first: bool = False,
        token_scope: Any = None,
    ) -> Page[Resource]:
        where = self._where(scope, kind)
        if parent_id is not None:
            where.append(resources.c.parent_id == parent_id)
        if name is not None:
            where.append(resources.c.name == name)
        if status is not None:
            where.append(resources.c.status == status)
        fingerprint = [
            self.service,
            kind,
            scope.account_id,
            scope.region,
            parent_id,
            name,
            status,
            token_scope,
        ]
        with self.db.read() as conn:
            return keyset_page(
                conn,
                resources,
                where,
                tokens=self.tokens,
                token_scope=fingerprint,
                max_results=max_results,
                next_token=next_token,
                newest_first=newest_first,
                build=Resource.from_row,
                keep=keep,
            )
