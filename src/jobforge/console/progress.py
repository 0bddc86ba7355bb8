"""A job's progress as the console shows it: a short text and a percentage (None if unknown)."""

from __future__ import annotations

from jobforge.engine import Job


def progress_text(job: Job) -> tuple[str, float | None]:
    counters = {key: value for key, value in job.progress.items() if isinstance(value, int | float)}
    text = ", ".join(f"{key} {value:g}" for key, value in counters.items())
    return text, 100.0 if job.state.terminal else None
