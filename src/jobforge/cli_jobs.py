"""``jobforge jobs list | watch | cancel``: jobs of every service, through a server's
``/_jobforge/jobs`` endpoints and, to cancel, the service's own API (boto3).

``watch`` asks the server at most once per ``--interval`` (at least a second) and exits 0 when the
job succeeds, 1 when it fails (or partly fails, or times out), 3 when it is canceled.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from urllib.parse import quote, urlencode

from jobforge.cli_common import CliError, fetch
from jobforge.cli_progress import ProgressDisplay, Snapshot

DEFAULT_ENDPOINT = "http://127.0.0.1:4580"
MIN_INTERVAL = 1.0  # seconds between two requests of one watcher
EXIT_CODES = {"succeeded": 0, "canceled": 3}  # any other end: 1


class Endpoint:
    """A jobforge server: its job progress endpoints, and boto3 clients of its services (region
    and credentials as boto3 finds them; without any, the key ``test`` of the default account)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def job(self, ref: str) -> dict[str, Any]:
        """The progress document of the job whose id or ARN is ``ref``."""
        return dict(fetch(f"{self.url}/_jobforge/jobs/{quote(ref, safe=':/')}", self.url).json())

    def jobs(self, **query: Any) -> dict[str, Any]:
        given = {name: value for name, value in query.items() if value is not None}
        return dict(fetch(f"{self.url}/_jobforge/jobs?{urlencode(given)}", self.url).json())

    def client(self, service: str) -> Any:
        import boto3
        import botocore.session
        from botocore.config import Config

        from jobforge.model_files import models_data_path

        core = botocore.session.Session()
        if service == "robomaker":  # botocore no longer ships its model: the project's
            core.get_component("data_loader").search_paths.insert(0, str(models_data_path()))
        session = boto3.Session(botocore_session=core)
        anonymous = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        keys = {} if session.get_credentials() else anonymous
        return session.client(
            service,
            endpoint_url=self.url,
            region_name=session.region_name or "us-east-1",
            config=Config(inject_host_prefix=False),
            **keys,
        )


def call(client: Any, operation: str, **parameters: Any) -> dict[str, Any]:
    """A service operation by its model name (``CancelJob``); its errors as CliError."""
    from botocore import xform_name
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return dict(getattr(client, xform_name(operation))(**parameters))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CliError(f"{operation}: {error.get('Code')}: {error.get('Message')}") from exc
    except BotoCoreError as exc:
        raise CliError(f"{operation}: {exc}") from exc


def watch(endpoint: Endpoint, ref: str, label: str, interval: float = MIN_INTERVAL) -> dict[str, Any]:
    """Show the job's progress until it ends; its last document. The next request leaves ``interval``
    after the last answer came, so the server never sees two within ``interval`` (at least 1 s)."""
    interval = max(interval, MIN_INTERVAL)
    with ProgressDisplay(label) as display:
        while True:
            doc = endpoint.job(ref)
            display.show(Snapshot.of(doc))
            if doc["terminal"]:
                return doc
            time.sleep(interval)


def outcome_code(doc: dict[str, Any]) -> int:
    """The exit code for an ended job; its failure reason on stderr unless it succeeded."""
    code = EXIT_CODES.get(doc["outcome"], 1)
    if code:
        reason = doc.get("failureReason") or "no reason given"
        failure = f"{doc['failureCode']}: " if doc.get("failureCode") else ""
        ended = f"{doc['type']} {doc['id']} ended {doc['status']}"
        print(f"jobforge: {ended}: {failure}{reason}", file=sys.stderr)
    return code


def _watch(args: argparse.Namespace) -> int:
    endpoint = Endpoint(args.endpoint_url)
    doc = watch(endpoint, args.job, args.job, args.interval)
    return outcome_code(doc)


def _list(args: argparse.Namespace) -> int:
    endpoint = Endpoint(args.endpoint_url)
    found: list[dict[str, Any]] = []
    token = None
    while len(found) < args.limit:
        wanted = min(args.limit - len(found), 100)
        page = endpoint.jobs(service=args.service, status=args.status, maxResults=wanted, nextToken=token)
        found.extend(page["jobs"])
        token = page["nextToken"]
        if not token:
            break
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    rows = [("ID", "SERVICE", "TYPE", "STATUS", "PROGRESS", "CREATED")]
    rows += [
        (doc["id"], doc["service"], doc["type"], doc["status"], Snapshot.of(doc).counts(), doc["createdAt"])
        for doc in found
    ]
    widths = [max(len(str(row[column])) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _cancel(args: argparse.Namespace) -> int:
    endpoint = Endpoint(args.endpoint_url)
    doc = endpoint.job(args.job)
    if doc["terminal"]:
        print(f"{doc['type']} {doc['id']} has already ended: {doc['status']}")
        return 0
    if doc["cancel"] is None:
        raise CliError(f"{doc['service']} cannot cancel {doc['type']} jobs")
    operation, parameters = doc["cancel"]["operation"], doc["cancel"]["parameters"]
    call(endpoint.client(doc["service"]), operation, **parameters)
    doc = endpoint.job(args.job)
    print(f"{operation} {doc['id']}: {doc['status']}")
    return 0


def add_endpoint_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint-url", default=DEFAULT_ENDPOINT, help=f"the jobforge server (default {DEFAULT_ENDPOINT})"
    )


def add_jobs_parser(commands: Any) -> None:
    jobs = commands.add_parser("jobs", help="jobs of every service: list, watch their progress, cancel")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True)

    listing = jobs_commands.add_parser("list", help="jobs, newest first")
    listing.add_argument("--service", help="robomaker, dataexchange or location")
    listing.add_argument(
        "--status", help="the service's status word (Running, IN_PROGRESS...) or an engine state"
    )
    listing.add_argument("--limit", type=int, default=50, help="at most this many jobs (default 50)")
    listing.add_argument("--json", action="store_true", help="the progress documents as JSON")
    add_endpoint_argument(listing)
    listing.set_defaults(func=_list)

    watching = jobs_commands.add_parser(
        "watch", help="a job's progress until it ends (exit 0: succeeded, 1: failed, 3: canceled)"
    )
    watching.add_argument("job", help="the job's id or ARN")
    watching.add_argument(
        "--interval", type=float, default=MIN_INTERVAL, help="seconds between requests (at least 1)"
    )
    add_endpoint_argument(watching)
    watching.set_defaults(func=_watch)

    cancel = jobs_commands.add_parser("cancel", help="cancel a job through its service's API")
    cancel.add_argument("job", help="the job's id or ARN")
    add_endpoint_argument(cancel)
    cancel.set_defaults(func=_cancel)
