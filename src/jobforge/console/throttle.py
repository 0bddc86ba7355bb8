"""Failed console sign-ins, counted per (client address, access key).

After :data:`LIMIT` failures within :data:`WINDOW_SECONDS`, further sign-ins of that access key from
that address are refused until the oldest failure leaves the window. Other addresses are not
affected (a stranger cannot lock a user out), and a success forgets the pair's failures. Counts live
in the node's memory, bounded to :data:`MAX_PAIRS` pairs.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

LIMIT = 5
WINDOW_SECONDS = 900.0
MAX_PAIRS = 10_000


class LoginThrottle:
    """Failures per (client, access key) in a sliding window."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_pairs: int = MAX_PAIRS,
    ) -> None:
        self.limit, self.window, self.clock, self.max_pairs = limit, window, clock, max_pairs
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, pair: tuple[str, str], now: float) -> deque[float] | None:
        times = self._failures.get(pair)
        while times and times[0] <= now - self.window:
            times.popleft()
        if times is not None and not times:
            del self._failures[pair]
            return None
        return times

    def retry_after(self, client: str, access_key: str) -> int:
        """Seconds until this pair may try again; 0 when it may now."""
        now = self.clock()
        times = self._recent((client, access_key), now)
        if times is None or len(times) < self.limit:
            return 0
        return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, client: str, access_key: str) -> None:
        now = self.clock()
        pair = (client, access_key)
        times = self._recent(pair, now)
        if times is None:
            if len(self._failures) >= self.max_pairs:
                self._prune(now)
            times = self._failures[pair] = deque(maxlen=self.limit)
        times.append(now)

    def succeeded(self, client: str, access_key: str) -> None:
        self._failures.pop((client, access_key), None)

    def _prune(self, now: float) -> None:
        """Drop pairs whose failures all left the window; then, if still full, the oldest pairs."""
        for pair in list(self._failures):
            self._recent(pair, now)
        while len(self._failures) >= self.max_pairs:
            del self._failures[next(iter(self._failures))]
