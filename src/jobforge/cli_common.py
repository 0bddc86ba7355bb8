"""What the ``jobforge`` commands that run a node share: the storage, database, broker and log
flags (``serve`` and ``worker`` take the same ones), settings built from them, and errors."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jobforge.config import LOG_FORMATS, LOG_LEVELS, Settings


class CliError(Exception):
    """A failure reported as one line on stderr, exiting with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that runs jobs: where state lives, the broker, logging."""
    parser.add_argument(
        "--data-dir", type=Path, help="state directory (JOBFORGE_DATA_DIR, default ./.jobforge)"
    )
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... (default SQLite)"
    )
    parser.add_argument("--s3-endpoint-url", help="use this S3-compatible endpoint instead of local buckets")
    parser.add_argument(
        "--broker-url", help="Celery broker: redis://host:6379/0 or amqp://... (JOBFORGE_BROKER_URL)"
    )
    parser.add_argument(
        "--result-backend", help="Celery result backend (JOBFORGE_RESULT_BACKEND, default: a redis:// broker)"
    )
    parser.add_argument(
        "--broker-visibility-timeout",
        help="seconds before Redis delivers a dead worker's task again (default 300)",
    )
    parser.add_argument("--log-level", metavar="{" + ",".join(LOG_LEVELS) + "}", help="(default info)")
    parser.add_argument(
        "--log-format", metavar="{" + ",".join(LOG_FORMATS) + "}", help="log line format (default json)"
    )
    parser.add_argument(
        "--location-split-bytes",
        help="Location input files larger are split by row groups into pieces validated apart, 0: never "
        "(JOBFORGE_LOCATION_SPLIT_BYTES, default 268435456)",
    )


NODE_FLAGS = (  # the settings add_node_arguments' flags give
    "data_dir",
    "database_url",
    "s3_endpoint_url",
    "broker_url",
    "result_backend",
    "broker_visibility_timeout",
    "log_level",
    "log_format",
    "location_split_bytes",
)


def node_settings(args: argparse.Namespace, *names: str, **values: Any) -> Settings:
    """Prepared settings from the node flags, the flags ``names`` (each a setting's name) and
    ``values`` (typed or text, as if given as flags)."""
    flags = {name: getattr(args, name) for name in (*NODE_FLAGS, *names)}
    return Settings.from_env(**flags, **values).prepare()


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be opened, as one CliError line (the password hidden)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as exc:
        url = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
        raise CliError(f"cannot open the database {url}: {str(exc).splitlines()[0]}") from exc
