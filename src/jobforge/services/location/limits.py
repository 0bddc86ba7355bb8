"""Amazon Location job quotas, configurable through ``JOBFORGE_LOCATION_LIMITS`` (JSON).

Defaults are AWS's documented values where AWS documents one. Request rates (5 per second per
job operation, 10 for tag operations) are off by default, because a local emulator that
throttles surprises more than it helps; set them to a positive number to enforce them.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

DEFAULT_LIMITS: dict[str, float] = {
    "Input files per job": 1000,  # AWS: max 1000 files per input prefix
    "Concurrent jobs": 0,  # AWS documents none; 0 = no limit
    "StartJob requests per second": 0,  # AWS: 5 (0 = not enforced)
    "GetJob requests per second": 0,  # AWS: 5
    "ListJobs requests per second": 0,  # AWS: 5
    "CancelJob requests per second": 0,  # AWS: 5
    "Tag requests per second": 0,  # AWS: 10 (TagResource, UntagResource, ListTagsForResource)
}
_RATED_OPERATIONS = {
    "StartJob": "StartJob requests per second",
    "GetJob": "GetJob requests per second",
    "ListJobs": "ListJobs requests per second",
    "CancelJob": "CancelJob requests per second",
    "TagResource": "Tag requests per second",
    "UntagResource": "Tag requests per second",
    "ListTagsForResource": "Tag requests per second",
}


@dataclass
class TokenBucket:
    """``rate`` requests per second, with a burst of at most ``rate`` (AWS allows 80 % in a second)."""

    rate: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.rate

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class LocationLimits:
    """The limits in force, and per-account request-rate buckets."""

    def __init__(self, overrides: dict[str, float] | None = None) -> None:
        unknown = set(overrides or {}) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"Unknown Location limits {sorted(unknown)}; known: {sorted(DEFAULT_LIMITS)}")
        self.values = {**DEFAULT_LIMITS, **(overrides or {})}
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, raw: str | None) -> LocationLimits:
        """The defaults with the overrides of ``raw`` (JSON); ValueError or TypeError if impossible."""
        return cls({str(key): float(value) for key, value in json.loads(raw or "{}").items()})

    @property
    def max_input_files(self) -> int:
        return int(self.values["Input files per job"])

    @property
    def concurrent_jobs(self) -> int:
        return int(self.values["Concurrent jobs"])

    def allow(self, account_id: str, region: str, operation: str) -> bool:
        """Whether this request fits its operation's rate (always, when no rate is set)."""
        name = _RATED_OPERATIONS.get(operation)
        rate = self.values[name] if name else 0
        if rate <= 0:
            return True
        with self._lock:
            key = (account_id, region, name or operation)
            bucket = self._buckets.get(key)
            if bucket is None or bucket.rate != rate:
                bucket = self._buckets[key] = TokenBucket(rate)
            return bucket.take()
