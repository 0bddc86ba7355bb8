"""The job engine facade: one database, its stores, the executor and the control hooks."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from jobforge.engine.artifacts import ArtifactStore
from jobforge.engine.control import JobControl, Pace
from jobforge.engine.db import Database, settings
from jobforge.engine.executor import InProcessExecutor
from jobforge.engine.handlers import JobHandler
from jobforge.engine.jobs import Job, JobStore
from jobforge.engine.pagination import PageTokens
from jobforge.engine.progress import JobProgress
from jobforge.engine.resources import Resource, ResourceStore, Scope
from jobforge.engine.revocations import Revocations
from jobforge.engine.tags import TagStore

if TYPE_CHECKING:
    from jobforge.engine.celery_app import CeleryConfig
    from jobforge.engine.celery_executor import CeleryExecutor

log = logging.getLogger("jobforge.jobs")


class JobEngine:
    """Everything services share: durable records, tags, pagination, jobs and their execution."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 4,
        cpu_workers: int | None = None,
        single_node: bool = True,
        pace: Pace = "instant",
        step_delay: float = 0.0,
        celery: CeleryConfig | None = None,
    ) -> None:
        """``single_node``: no other process writes this database (read caches are safe); never
        with ``celery`` (the Celery executor: several API nodes and workers share the database).
        ``pace``, ``step_delay``: how fast jobs advance unless the control API says otherwise."""
        self.db = Database(database_url)
        self.db.migrate()
        self.tokens = PageTokens(self._secret("page-token-secret"))
        self.single_node = single_node and celery is None
        self.tags = TagStore(self.db, cache=self.single_node)
        self.jobs = JobStore(self.db, self.tokens, self.tags)
        self.progress = JobProgress(self.jobs)  # the services declare their job kinds
        self.artifacts = ArtifactStore(self.db)
        self.revocations = Revocations(self.db)
        self.control = JobControl(self.db, pace, step_delay)
        if (self.control.pace, self.control.step_delay) != (pace, step_delay):
            log.warning(
                "the pace set through the control API holds, not this node's own (reset to end it)",
                extra={"pace": self.control.pace, "step_delay": self.control.step_delay},
            )
        self.executor: InProcessExecutor | CeleryExecutor
        if celery is not None:
            from jobforge.engine.celery_executor import CeleryExecutor

            self.executor = CeleryExecutor(self.jobs, self.control, celery)
        else:
            self.executor = InProcessExecutor(
                self.jobs, self.control, workers=workers, cpu_workers=cpu_workers
            )
        self._stores: dict[str, ResourceStore] = {}

    def resources(self, service: str) -> ResourceStore:
        if service not in self._stores:
            self._stores[service] = ResourceStore(
                self.db, self.tokens, self.tags, service, cache=self.single_node
            )
        return self._stores[service]

    def find_by_arn(
        self, scope: Scope, service: str, arn: str, kinds: Iterable[str]
    ) -> Resource | Job | None:
        """The caller's resource or job of one of ``kinds`` (engine kinds) named by ``arn``."""
        kinds = tuple(kinds)
        found = self.resources(service).find_by_arn(scope, arn, kinds)
        return found if found is not None else self.jobs.find_by_arn(scope, service, arn, kinds)

    def clear_caches(self) -> None:
        """Forget every cached read (after rows were deleted wholesale, see :mod:`.reset`)."""
        caches = [self.tags.cache]
        for store in self._stores.values():
            caches += [store.cache, store.arn_hints]
        for cache in caches:
            if cache is not None:
                cache.clear()

    def register(self, handler: JobHandler[Any]) -> None:
        self.executor.register(handler)

    def start(self) -> None:
        self.executor.start()

    def stop(self) -> None:
        self.executor.stop()
        self.db.dispose()

    def secret(self, name: str) -> bytes:
        """A persistent random secret (for signing tokens and URLs), created on first use."""
        return self._secret(name)

    def _secret(self, name: str) -> bytes:
        with self.db.read() as conn:
            value = conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar()
        if value is None:
            try:
                with self.db.begin() as conn:
                    conn.execute(insert(settings).values(name=name, value=secrets.token_hex(32)))
            except IntegrityError:
                pass  # another process created it first
            with self.db.read() as conn:
                value = conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar_one()
        return bytes.fromhex(value)
