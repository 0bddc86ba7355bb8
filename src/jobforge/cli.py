"""The ``jobforge`` command: serve, models install, and service utilities."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobforge import __version__


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from jobforge.app import build_app
    from jobforge.config import Settings
    from jobforge.logs import configure_logging

    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        database_url=args.database_url,
        s3_endpoint_url=args.s3_endpoint_url,
        auth=args.auth,
        credentials_file=args.credentials_file,
        workers=args.workers,
        pace=args.pace,
        log_level=args.log_level,
        log_format=args.log_format,
    )
    configure_logging(settings.log_level, settings.log_format)
    app = build_app(settings)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, lifespan="on", access_log=False, log_config=None
    )
    uvicorn.Server(config).run()
    return 0


def _models_install(args: argparse.Namespace) -> int:
    from jobforge.model_files import install_models, models_data_path

    if args.print_path:
        print(models_data_path())
        return 0
    written = install_models(args.target)
    print(f"RoboMaker model installed in {written}")
    print(f"(or, without installing: export AWS_DATA_PATH={models_data_path()})")
    return 0


def _worlds_preview(args: argparse.Namespace) -> int:
    import httpx

    response = httpx.get(
        f"{args.endpoint_url.rstrip('/')}/_jobforge/worlds/preview.png",
        params={"arn": args.world},
        timeout=30,
    )
    if response.status_code != 200:
        print(f"jobforge: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    args.output.write_bytes(response.content)
    print(f"wrote {args.output} ({len(response.content)} bytes)")
    return 0


def _location_import(args: argparse.Namespace) -> int:
    import sqlite3

    from jobforge.config import Settings
    from jobforge.services.location.addresses import ReferenceImportError, import_reference

    settings = Settings.from_env(data_dir=args.data_dir, location_reference=args.reference)
    index = settings.resolved_location_reference
    try:
        result = import_reference(args.file, index, args.country)
    except (ReferenceImportError, OSError, sqlite3.Error) as exc:
        print(f"jobforge: {exc}", file=sys.stderr)
        return 1
    if result.removed:
        print(f"upgraded {index}: removed {result.removed} duplicate address points")
    print(
        f"imported {result.added} new {args.country} address points into {index}"
        f" ({result.present} already present)"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobforge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"jobforge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server (SQLite + local buckets by default)")
    serve.add_argument("--host", help="address to listen on (JOBFORGE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (JOBFORGE_PORT, default 4580)")
    serve.add_argument(
        "--data-dir", type=Path, help="state directory (JOBFORGE_DATA_DIR, default ./.jobforge)"
    )
    serve.add_argument(
        "--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... (default SQLite)"
    )
    serve.add_argument("--s3-endpoint-url", help="use this S3-compatible endpoint instead of local buckets")
    serve.add_argument("--auth", choices=["none", "sigv4"], help="verify SigV4 signatures (default none)")
    serve.add_argument("--credentials-file", type=Path, help='JSON {"AKID": {"secret": ..., "account": ...}}')
    serve.add_argument("--workers", type=int, help="concurrent jobs (default 4)")
    serve.add_argument("--pace", choices=["instant", "realistic", "step"], help="how jobs advance")
    serve.add_argument("--log-level", help="debug, info, warning (default info)")
    serve.add_argument("--log-format", choices=["json", "text"], help="log line format (default json)")
    serve.set_defaults(func=_serve)

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

    location = commands.add_parser("location", help="Amazon Location Service address validation")
    location_commands = location.add_subparsers(dest="location_command", required=True)
    load = location_commands.add_parser(
        "import", help="add OpenAddresses points (CSV or GeoJSON, optionally .gz) to the reference index"
    )
    load.add_argument("file", type=Path, help="an OpenAddresses CSV/GeoJSON file")
    load.add_argument("--country", default="US", help="AU, CA, GB or US (default US)")
    load.add_argument(
        "--data-dir", type=Path, help="state directory (JOBFORGE_DATA_DIR, default ./.jobforge)"
    )
    load.add_argument(
        "--reference",
        type=Path,
        help="index file (JOBFORGE_LOCATION_REFERENCE, default <data-dir>/location/reference.sqlite)",
    )
    load.set_defaults(func=_location_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
