"""The job state machine shared by every service, and per-service status words.

Engine states are service-agnostic; each service maps them onto its own words with a
:class:`StatusWords` table (RoboMaker ``Running``, Data Exchange ``IN_PROGRESS``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class JobState(StrEnum):
    WAITING = "WAITING"  # created, waits for an explicit start (Data Exchange CreateJob)
    PENDING = "PENDING"  # queued for an executor
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    SUCCEEDED = "SUCCEEDED"
    PARTIALLY_SUCCEEDED = "PARTIALLY_SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    TIMED_OUT = "TIMED_OUT"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def active(self) -> bool:
        """Counts against concurrency quotas: queued or holding a worker."""
        return self in (JobState.PENDING, JobState.RUNNING, JobState.CANCELING)


TERMINAL_STATES = frozenset(
    {
        JobState.SUCCEEDED,
        JobState.PARTIALLY_SUCCEEDED,
        JobState.FAILED,
        JobState.CANCELED,
        JobState.TIMED_OUT,
    }
)

ALLOWED_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.WAITING: frozenset({JobState.PENDING, JobState.CANCELED}),
    JobState.PENDING: frozenset({JobState.RUNNING, JobState.CANCELED, JobState.FAILED}),
    JobState.RUNNING: frozenset(
        {
            JobState.PENDING,  # requeued by restart recovery
            JobState.CANCELING,
            JobState.SUCCEEDED,
            JobState.PARTIALLY_SUCCEEDED,
            JobState.FAILED,
            JobState.TIMED_OUT,
        }
    ),
    JobState.CANCELING: frozenset({JobState.CANCELED, JobState.FAILED}),
    **{state: frozenset() for state in TERMINAL_STATES},
}


def can_transition(current: JobState, target: JobState) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


@dataclass(frozen=True)
class StatusWords:
    """How one service spells the engine states; unmapped states fall back to ``default``."""

    words: dict[JobState, str]

    def word(self, state: JobState | str) -> str:
        return self.words[JobState(state)]

    def states(self, word: str) -> list[JobState]:
        """Engine states a service status word stands for (for list filters)."""
        return [state for state, spelled in self.words.items() if spelled == word]
