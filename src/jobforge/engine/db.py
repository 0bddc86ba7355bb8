"""Durable storage of the engine: SQLAlchemy tables, engine set-up and migrations.

SQLite (WAL) is the embedded default; the same schema runs on PostgreSQL. The schema is
created and upgraded by Alembic migrations in ``engine/migrations``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection

from jobforge.engine.cache import pending_callbacks

log = logging.getLogger("jobforge.db")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

# Every service's non-job resources (templates, worlds, data sets, revisions, assets, ...).
resources = Table(
    "resources",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("resource_id", String(255), nullable=False),
    Column("arn", String(1224), nullable=False),
    Column("parent_id", String(255), nullable=True),
    Column("name", String(1024), nullable=True),
    Column("status", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("arn", name="uq_resources_arn"),
    UniqueConstraint("service", "kind", "account_id", "region", "resource_id", name="uq_resources_identity"),
    Index("ix_resources_listing", "service", "kind", "account_id", "region", "created_at", "pk"),
    Index("ix_resources_parent", "service", "kind", "account_id", "region", "parent_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(128), nullable=False),
    Column("service", String(32), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("arn", String(1224), nullable=False),
    Column("state", String(32), nullable=False),
    Column("parent_id", String(255), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("request", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("progress", JSON, nullable=False),
    Column("failure_code", String(128), nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("attempt", Integer, nullable=False, default=0),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", UTCDateTime(), nullable=True),
    Column("timeout_seconds", Integer, nullable=True),
    UniqueConstraint("arn", name="uq_jobs_arn"),
    UniqueConstraint("service", "account_id", "region", "job_id", name="uq_jobs_identity"),
    Index("ix_jobs_listing", "service", "kind", "account_id", "region", "created_at", "pk"),
    Index("ix_jobs_state", "state", "created_at"),
    Index("ix_jobs_state_counts", "service", "kind", "state"),  # metrics: jobs by state (0003)
    Index("ix_jobs_account_recent", "account_id", "created_at", "pk"),  # an account's jobs, newest first
    Index("ix_jobs_recent", "created_at", "pk"),  # everyone's jobs, newest first (both: 0005)
)

tags = Table(
    "tags",
    metadata,
    Column("arn", String(1224), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
    Column("account_id", String(12), nullable=False),
)

idempotency_tokens = Table(
    "idempotency_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("scope", String(128), primary_key=True),  # service + operation
    Column("token", String(128), primary_key=True),
    Column("params_hash", String(64), nullable=False),
    Column("target_arn", String(1224), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Binary outputs owned by a resource (a world's preview PNG, its world document...), written in
# the same transaction as their owner so that no half-made resource is ever visible.
artifacts = Table(
    "artifacts",
    metadata,
    Column("owner_arn", String(1224), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("content_type", String(128), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

revoked_tokens = Table(  # signed tokens ended before their expiry (a console session signed out)
    "revoked_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("expires_at", Integer, nullable=False),  # Unix seconds: the token is dead anyway after
)

# Run times of the jobs that ended (engine/durations.py), recorded in the transaction that ends each
# job, in whichever process ends it (an API node, a Celery worker): per service, kind, final state
# and histogram bucket, the jobs and their seconds. /metrics reads them (the whole deployment's).
job_durations = Table(
    "job_durations",
    metadata,
    Column("service", String(32), primary_key=True),
    Column("kind", String(64), primary_key=True),
    Column("state", String(32), primary_key=True),
    Column("bucket", Integer, primary_key=True),  # index into DURATION_BUCKETS; its length: above all
    Column("jobs", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
)

# Failed console sign-ins (console/throttle.py), counted by every API node alike: a row per failure
# still within the throttle's window, at most its limit per (client address, access key); the key
# as typed is kept only as its SHA-256.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("failed_at", Float, nullable=False),  # Unix seconds
    Index("ix_login_failures_pair", "client", "key_hash", "failed_at"),
    Index("ix_login_failures_failed_at", "failed_at"),
)

# The control API's settings (engine/control.py), shared by every API node and worker: the pace
# set through it (no row: each node keeps the pace it started with), failures forced on the next
# job of an id or kind, and the steps each job may still take in step mode.
control_pace = Table(
    "control_pace",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: one row at most
    Column("pace", String(16), nullable=False),
    Column("step_delay", Float, nullable=False),
)

forced_failures = Table(
    "forced_failures",
    metadata,
    Column("target", String(256), primary_key=True),  # a job id or a job kind
    Column("failure_code", String(256), nullable=False),
    Column("reason", Text, nullable=False),
)

step_credits = Table(
    "step_credits",
    metadata,
    Column("job_id", String(256), primary_key=True),
    Column("credits", Integer, nullable=False),
)


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL, a busy timeout and immediate transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Writers serialize up front instead of failing on lock upgrade mid-transaction;
            # readers (``Database.read``) take no write lock.
            if conn.get_execution_options().get("jobforge_read_only"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'jobforge.db'}"


MIGRATION_LOCK = 0x6A6F62666F726765  # "jobforge": the PostgreSQL advisory lock key of migrations


def run_migrations(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent). On PostgreSQL, nodes that start at
    once take turns (a session advisory lock): the first migrates, the others find it done."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()


class Database:
    """Owns the SQLAlchemy engine; hands out transactional connections."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = url.startswith("sqlite")

    def migrate(self) -> None:
        run_migrations(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any exception. Callbacks that
        cache users registered (``pending_callbacks``) run once it has ended either way."""
        callbacks: list[Any] = []
        try:
            with self.engine.begin() as conn:
                callbacks = pending_callbacks(conn)
                yield conn
        finally:
            for callback in callbacks:
                callback()
            callbacks.clear()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads; on SQLite no write lock is taken."""
        with self.engine.connect() as conn:
            conn.execution_options(jobforge_read_only=True)
            yield conn
            conn.rollback()

    def lock_scope(self, conn: Connection, key: str) -> None:
        """Serialize check-then-insert sections (quotas) across processes sharing PostgreSQL."""
        if not self.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serializes writers
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(k)s))", {"k": key})

    def dispose(self) -> None:
        self.engine.dispose()
