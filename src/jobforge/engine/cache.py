"""A read-through cache for hot reads (Describe/Get), safe against concurrent writers.

Single-node only (the default): every write goes through this process, which invalidates the
entry when its transaction ends. Each key has a version; a reader may only store what it read
if no write to that key finished meanwhile, so a slow reader can never re-insert stale data.
With several jobforge nodes sharing PostgreSQL the cache is off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

V = TypeVar("V")
_PENDING = "jobforge_after_end"


class ReadCache(Generic[V]):
    def __init__(self, max_items: int = 20_000) -> None:
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._versions: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self._floor = 0  # the version of keys not written since the last clear()
        self.max_items = max_items

    def get(self, key: Hashable) -> tuple[V | None, int]:
        """The cached value (or None) and the key's version, to pass back to :meth:`put`."""
        with self._lock:
            return self._items.get(key), self._versions.get(key, self._floor)

    def put(self, key: Hashable, value: V, version: int) -> None:
        with self._lock:
            if self._versions.get(key, self._floor) != version:
                return  # a write finished while the value was being read
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def invalidate(self, key: Hashable) -> None:
        with self._lock:
            self._versions[key] = self._versions.get(key, self._floor) + 1
            self._items.pop(key, None)

    def clear(self) -> None:
        """Forget every entry (after a wholesale delete); reads in flight may not store theirs."""
        with self._lock:
            self._floor = max(self._versions.values(), default=self._floor) + 1
            self._versions.clear()
            self._items.clear()

    def invalidate_on_end(self, conn: Connection, key: Hashable) -> None:
        """Invalidate now and again when ``conn``'s transaction commits or rolls back."""
        self.invalidate(key)
        pending_callbacks(conn).append(lambda: self.invalidate(key))


def pending_callbacks(conn: Connection) -> list[Callable[[], Any]]:
    """The callbacks to run once ``conn``'s transaction has ended (see ``Database.begin``)."""
    return conn.info.setdefault(_PENDING, [])  # type: ignore[no-any-return]
