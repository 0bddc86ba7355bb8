"""A process-wide cap on the request-body bytes held in memory at once.

Every request body the gateway reads into memory reserves its bytes here first (the declared
``Content-Length``, or chunk by chunk for chunked bodies) and returns them once the response is
sent. A reservation that does not fit waits briefly for others to finish and is otherwise refused,
so many concurrent large bodies cannot grow the server's memory without bound.
"""

from __future__ import annotations

import asyncio
from collections import deque

DEFAULT_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024
DEFAULT_WAIT_SECONDS = 2.0


class BodyBudget:
    """Bytes of request bodies in flight across all connections (one event loop, no locks)."""

    def __init__(self, limit: int = DEFAULT_BODY_BYTES_IN_FLIGHT, wait: float = DEFAULT_WAIT_SECONDS) -> None:
        if limit < 1:
            raise ValueError(f"the body budget must be at least 1 byte, not {limit}")
        self.limit = limit
        self.wait = wait
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, size: int) -> bool:
        """Reserve ``size`` bytes; wait up to ``wait`` seconds for room. False: no room (or
        ``size`` exceeds the whole budget), nothing reserved."""
        if size <= 0:
            return True
        if size > self.limit:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        while self.in_flight + size > self.limit:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                return False
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.in_flight += size
        return True

    def release(self, size: int) -> None:
        """Return ``size`` reserved bytes and wake every waiter to try again."""
        if size <= 0:
            return
        self.in_flight = max(0, self.in_flight - size)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
