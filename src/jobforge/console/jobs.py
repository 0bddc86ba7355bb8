"""The console's job list: one account's jobs of every service, newest first, a page at a time,
with status, progress (the engine's :class:`~jobforge.engine.progress.JobProgress`), duration and
failure reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class JobRow:
    """One line of the job list, ready to render: the job's progress document and more."""

    progress: dict[str, Any]
    link: str | None  # its page in the console, below /console/
    percent: float | None
    counts: str  # "3 of 10 worlds"
    duration: str


def duration(seconds: float | None) -> str:
    """``1h 02m 03s``; empty when the job has not started."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def counts(progress: dict[str, Any]) -> str:
    done, total, unit = progress["done"], progress["total"], progress["unit"]
    if done is None:
        return ""
    text = f"{_number(done)} of {_number(total)} {unit}" if total is not None else f"{_number(done)} {unit}"
    rate = progress.get("ratePerSecond")
    if rate and not progress["terminal"]:
        text += f", {_number(rate)}/s"
        if progress.get("etaSeconds") is not None:
            text += f", {duration(progress['etaSeconds'])} left"
    return text


def job_row(progress: dict[str, Any], link: Callable[[dict[str, Any]], str | None] | None) -> JobRow:
    fraction = progress.get("fraction")
    return JobRow(
        progress,
        link(progress) if link is not None else None,
        None if fraction is None else round(100 * fraction, 1),
        counts(progress),
        duration(progress.get("elapsedSeconds")),
    )
