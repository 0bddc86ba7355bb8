"""What the ``jobforge`` commands share: the flags of the commands that run a node (``serve`` and
``worker`` take the same ones) and settings built from them, errors, and signed requests to a
server's own ``/_jobforge/`` endpoints."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jobforge.config import LOG_FORMATS, LOG_LEVELS, Settings

if TYPE_CHECKING:
    import httpx


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


def sigv4_headers(method: str, url: str) -> dict[str, str]:
    """SigV4 headers for a request to jobforge's own endpoints, signed (service ``jobforge``) with
    the standard AWS credentials and region (``AWS_*`` variables, profiles...); none without them."""
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.exceptions import BotoCoreError

    try:
        session = botocore.session.Session()
        credentials = session.get_credentials()
        region = session.get_config_variable("region") or "us-east-1"
    except BotoCoreError as exc:
        raise CliError(f"cannot read the AWS credentials to sign with: {exc}") from exc
    target = urlsplit(url)
    if credentials is None or target.scheme not in ("http", "https") or not target.netloc:
        return {}  # unsigned: fine against --auth none (and a bad URL fails in httpx, as before)
    request = AWSRequest(method=method, url=url)
    SigV4Auth(credentials.get_frozen_credentials(), "jobforge", region).add_auth(request)
    return dict(request.headers.items())


def server_message(response: httpx.Response) -> str:
    """The ``message`` of a jobforge error answer, else the start of its body, on one line."""
    try:
        message = str(response.json()["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:200] or "no answer"
    return " ".join(message.split())


def fetch(url: str, server: str) -> httpx.Response:
    """``GET url`` on jobforge's own endpoints, signed as :func:`sigv4_headers` says; a 200 answer,
    or CliError naming the server's message (or why it could not be reached)."""
    import httpx

    try:
        response = httpx.get(url, headers=sigv4_headers("GET", url), timeout=30)
    except httpx.ConnectError as exc:
        raise CliError(f"cannot reach the jobforge server at {server} ({exc}); is it running?") from exc
    except httpx.TimeoutException as exc:
        raise CliError(f"the jobforge server at {server} did not answer in time") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise CliError(f"cannot ask the jobforge server at {server}: {exc}") from exc
    if response.status_code != 200:
        raise CliError(f"{server_message(response)} (HTTP {response.status_code} from {server})")
    return response
