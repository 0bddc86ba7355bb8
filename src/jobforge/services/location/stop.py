"""A job's request that its pieces stop, seen by every node that runs them.

It is an empty object in the internal bucket (``pieces/<job id>/stop-<attempt>``): the object store
is what all nodes share (they read the job's inputs and write its outputs there), so a piece on any
worker sees it, where a flag file would reach only the orchestrating node's own processes. A piece
looks at most every :data:`CHECK_INTERVAL` seconds, between batches; the job removes the object when
it ends, with the rest of its staged objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from jobforge.storage import StoreSpec

CHECK_INTERVAL = 0.5  # seconds between two looks of one piece (a HEAD on S3, a stat locally)


@dataclass(frozen=True)
class StopSignal:
    store: StoreSpec  # the server's own access to the internal bucket
    bucket: str
    key: str

    def send(self) -> None:
        """Tell the job's pieces to stop (idempotent)."""
        store = self.store.open()
        store.create_bucket(self.bucket)
        store.put_bytes(self.bucket, self.key, b"")

    def watch(self, interval: float = CHECK_INTERVAL) -> Callable[[], bool]:
        """A check for one piece: True once the signal was sent (and from then on)."""
        store = self.store.open()
        seen = False
        next_look = 0.0

        def stopped() -> bool:
            nonlocal seen, next_look
            if not seen and time.monotonic() >= next_look:
                next_look = time.monotonic() + interval
                seen = store.exists(self.bucket, self.key)
            return seen

        return stopped
