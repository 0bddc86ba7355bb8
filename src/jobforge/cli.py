"""The ``jobforge`` command: serve, models install, and service utilities.

Every failure the user can cause (impossible settings, a server that is not there, a missing
file, an unwritable output) ends in one ``jobforge: ...`` line on stderr and a non-zero exit code:
2 for bad usage or settings, 1 for everything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

from jobforge import __version__
from jobforge.cli_common import (
    CliError,
    add_node_arguments,
    database_errors,
    fetch,
    node_settings,
)
from jobforge.cli_jobs import add_jobs_parser
from jobforge.cli_location import add_import_parser, add_validate_parser
from jobforge.cli_worker import add_worker_parser
from jobforge.cli_worlds import add_generate_parser
from jobforge.config import AUTH_MODES, EXECUTORS, PACES, SettingsError


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in one line (exit code 2) like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"jobforge: {message} (see {self.prog} --help)\n")


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from jobforge.app import build_app
    from jobforge.logs import configure_logging
    from jobforge.protocol.http_server import http_protocol
    from jobforge.services.registry import check_settings

    settings = node_settings(
        args, "host", "port", "auth", "credentials_file", "control", "executor", "workers", "pace"
    )
    check_settings(settings)
    _check_listen(settings.host, settings.port)
    configure_logging(settings.log_level, settings.log_format)
    with database_errors(settings):
        app = build_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        access_log=False,
        log_config=None,
        http=http_protocol(settings.http_protocol),  # malformed HTTP gets AWS-shaped errors
    )
    uvicorn.Server(config).run()
    return 0


def _check_listen(host: str, port: int) -> None:
    """Fail fast, before the engine starts, if the address cannot be listened on (in use, unknown)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {_os_reason(exc)}") from exc


def _models_install(args: argparse.Namespace) -> int:
    from jobforge.model_files import install_models, models_data_path

    if args.print_path:
        print(models_data_path())
        return 0
    try:
        written = install_models(args.target)
    except OSError as exc:
        where = exc.filename or args.target or "~/.aws/models"
        raise CliError(f"cannot install the models into {where}: {_os_reason(exc)}") from exc
    print(f"RoboMaker model installed in {written}")
    print(f"(or, without installing: export AWS_DATA_PATH={models_data_path()})")
    return 0


def _worlds_preview(args: argparse.Namespace) -> int:
    from jobforge.services.arns import parse_arn

    arn = parse_arn(args.world)
    if arn is None or arn.service != "robomaker" or arn.resource_type != "world":
        raise CliError(
            f"not a world ARN: {args.world!r} (expected arn:aws:robomaker:<region>:<account>:world/<id>)"
        )
    output: Path = args.output
    if not output.parent.is_dir():
        raise CliError(f"cannot write {output}: directory {output.parent} does not exist")
    server = args.endpoint_url.rstrip("/")
    response = fetch(f"{server}/_jobforge/worlds/preview.png?arn={quote(args.world, safe='')}", server)
    try:
        output.write_bytes(response.content)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {_os_reason(exc)}") from exc
    print(f"wrote {args.output} ({len(response.content)} bytes)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="jobforge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"jobforge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server (SQLite + local buckets by default)")
    serve.add_argument("--host", help="address to listen on (JOBFORGE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", help="port, 1-65535 (JOBFORGE_PORT, default 4580)")
    serve.add_argument(
        "--auth", metavar="{" + ",".join(AUTH_MODES) + "}", help="verify SigV4 signatures (default none)"
    )
    serve.add_argument(
        "--credentials-file",
        type=Path,
        help='JSON {"AKID": {"secret": ..., "account": ..., "admin": false}}',
    )
    serve.add_argument(
        "--control",
        metavar="{on,off}",
        help="the control API /_jobforge/control/... (JOBFORGE_CONTROL, default on; off: 404)",
    )
    serve.add_argument(
        "--executor",
        metavar="{" + ",".join(EXECUTORS) + "}",
        help="local: run jobs in this process (default); celery: queue them for `jobforge worker`",
    )
    serve.add_argument("--workers", help="concurrent jobs, at least 1 (JOBFORGE_WORKERS, default 4)")
    serve.add_argument(
        "--pace", metavar="{" + ",".join(PACES) + "}", help="how jobs advance (default instant)"
    )
    add_node_arguments(serve)
    serve.set_defaults(func=_serve)

    add_worker_parser(commands)

    models = commands.add_parser("models", help="service model files for AWS SDKs")
    models_commands = models.add_subparsers(dest="models_command", required=True)
    install = models_commands.add_parser(
        "install", help="install the RoboMaker model for boto3 / the AWS CLI"
    )
    install.add_argument("--target", type=Path, help="models directory (default ~/.aws/models)")
    install.add_argument("--print-path", action="store_true", help="only print a directory for AWS_DATA_PATH")
    install.set_defaults(func=_models_install)

    worlds = commands.add_parser("worlds", help="generated RoboMaker worlds")
    worlds_commands = worlds.add_subparsers(dest="worlds_command", required=True)
    preview = worlds_commands.add_parser("preview", help="write a world's top-down preview PNG to a file")
    preview.add_argument("world", help="the world's ARN")
    preview.add_argument("-o", "--output", type=Path, default=Path("preview.png"))
    preview.add_argument("--endpoint-url", default="http://127.0.0.1:4580", help="the jobforge server")
    preview.set_defaults(func=_worlds_preview)
    add_generate_parser(worlds_commands)

    location = commands.add_parser("location", help="Amazon Location Service address validation")
    location_commands = location.add_subparsers(dest="location_command", required=True)
    add_import_parser(location_commands)
    add_validate_parser(location_commands)
    add_jobs_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `jobforge worker` starts itself again
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        return _fail(str(exc), 2)
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return 130


def _fail(message: str, code: int) -> int:
    print(f"jobforge: {' '.join(message.split())}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
