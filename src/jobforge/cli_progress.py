"""How the ``jobforge`` commands show a job's progress: a rich progress bar on a terminal (done/total
unit, rate, ETA), else one plain line per change, for logs and pipes."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO


@dataclass(frozen=True)
class Snapshot:
    """One look at a job: its status word and counts, with rate and ETA (None: not known)."""

    status: str
    done: float | None
    total: float | None
    unit: str
    rate: float | None = None  # units per second
    eta: float | None = None  # seconds

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Snapshot:
        """From a ``GET /_jobforge/jobs/<id>`` document."""
        return cls(
            doc["status"], doc["done"], doc["total"], doc["unit"], doc["ratePerSecond"], doc["etaSeconds"]
        )

    def counts(self) -> str:
        done = "?" if self.done is None else _number(self.done)
        total = "?" if self.total is None else _number(self.total)
        return f"{done}/{total} {self.unit}"

    def speed(self) -> str:
        return "" if self.rate is None else f"{self.rate:.3g} {self.unit}/s"

    def remaining(self) -> str:
        return "" if self.eta is None else f"eta {_duration(self.eta)}"

    def line(self) -> str:
        return " ".join(part for part in (self.status, self.counts(), self.speed(), self.remaining()) if part)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class ProgressDisplay:
    """Shows ``label``'s snapshots; ``plain`` (default: stdout is not a terminal) prints a line
    whenever status or counts change, prefixed by the time."""

    def __init__(self, label: str, *, plain: bool | None = None, out: TextIO | None = None) -> None:
        self.label = label
        self.out = out or sys.stdout
        self.plain = (not self.out.isatty()) if plain is None else plain
        self._last: tuple[str, float | None, float | None] | None = None
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressDisplay:
        if not self.plain:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[counts]}"),
                TextColumn("{task.fields[speed]}"),
                TextColumn("{task.fields[remaining]}"),
                TimeElapsedColumn(),
                console=Console(file=self.out),
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None, counts="", speed="", remaining="")
        return self

    def show(self, snapshot: Snapshot) -> None:
        if self._bar is not None:
            self._bar.update(
                self._task,
                description=f"{self.label} {snapshot.status}",
                completed=snapshot.done or 0,
                total=snapshot.total,
                counts=snapshot.counts(),
                speed=snapshot.speed(),
                remaining=snapshot.remaining(),
            )
            return
        key = (snapshot.status, snapshot.done, snapshot.total)
        if key != self._last:
            self._last = key
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            print(f"{stamp} {self.label} {snapshot.line()}", file=self.out, flush=True)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
