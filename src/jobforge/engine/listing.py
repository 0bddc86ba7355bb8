"""Keyset pagination over (created_at, pk), shared by resources and jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from jobforge.engine.pagination import PageTokens

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


def keyset_page(
    conn: Connection,
    table: Table,
    where: list[ColumnElement[bool]],
    *,
    tokens: PageTokens,
    token_scope: Any,
    max_results: int,
    next_token: str | None,
    newest_first: bool,
    build: Callable[[Row[Any]], T],
    keep: Callable[[T], bool] | None = None,
) -> Page[T]:
    """One page of rows matching ``where`` (and ``keep``, applied in Python), in creation order."""
    created, pk = table.c.created_at, table.c.pk
    conditions = list(where)
    if next_token:
        stamp, last_pk = tokens.decode(token_scope, next_token)
        last_created = datetime.fromisoformat(stamp)
        if newest_first:
            conditions.append(or_(created < last_created, and_(created == last_created, pk < last_pk)))
        else:
            conditions.append(or_(created > last_created, and_(created == last_created, pk > last_pk)))
    order = (created.desc(), pk.desc()) if newest_first else (created.asc(), pk.asc())
    items: list[T] = []
    last: Row[Any] | None = None
    batch = max_results + 1 if keep is None else max(4 * max_results, 50)
    query = select(table).where(*conditions).order_by(*order)
    offset = 0
    while True:
        rows = conn.execute(query.limit(batch).offset(offset)).all()
        for row in rows:
            item = build(row)
            if keep is not None and not keep(item):
                last = row
                continue
            if len(items) == max_results:
                assert last is not None
                position = [last.created_at.isoformat(), last.pk]
                return Page(items, tokens.encode(token_scope, position))
            items.append(item)
            last = row
        if len(rows) < batch:
            return Page(items, None)
        offset += batch
