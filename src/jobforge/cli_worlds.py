"""``jobforge worlds generate TEMPLATE.json --count 2x3 [--export s3://bucket/prefix [--formats gz,mjcf]]
[--wait]``: worlds from a template file through the RoboMaker API (boto3 with the project's model).

The template is created, or one with the same body is reused; then a generation job starts. With
``--export`` the command waits for it and exports the worlds that succeeded to the S3 location;
``--formats`` adds export formats to the zip (the export job's ``jobforge:formats`` tag);
``--wait`` waits for the last job started. The exit code is the last waited-for job's
(:func:`jobforge.cli_jobs.outcome_code`), or 1 if the generation left no world to export.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from jobforge.cli_common import CliError
from jobforge.cli_jobs import Endpoint, add_endpoint_argument, call, outcome_code, watch

_COUNT = re.compile(r"([1-9][0-9]*)x([1-9][0-9]*)")


def parse_count(text: str) -> tuple[int, int]:
    """``FLOORPLANSxINTERIORS``, e.g. ``2x3``: two floor plans with three interiors each."""
    match = _COUNT.fullmatch(text.strip())
    if match is None:
        raise CliError(f"--count {text!r}: give FLOORPLANSxINTERIORS, e.g. 2x3", 2)
    return int(match.group(1)), int(match.group(2))


def parse_s3(text: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    if not text.startswith("s3://") or not text[5:].split("/", 1)[0]:
        raise CliError(f"--export {text!r}: give s3://bucket/prefix", 2)
    bucket, _, prefix = text[5:].partition("/")
    return bucket, prefix.strip("/")


def parse_formats_option(text: str) -> dict[str, str]:
    """``--formats gz,mjcf`` -> the export job's tags (``+``-separated: RoboMaker's tag values allow
    no comma)."""
    from jobforge.services.robomaker.export.formats import TAG, parse_formats

    try:
        formats = parse_formats(text)
    except ValueError as exc:
        raise CliError(f"--formats {text!r}: {exc}", 2) from None
    return {TAG: "+".join(formats)} if formats else {}


def _same_body(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b


def template_for(robomaker: Any, body: str, name: str) -> tuple[str, bool]:
    """(ARN, created): an existing template whose body equals ``body`` (as JSON), else a new one."""
    token: str | None = None
    while True:
        page = call(robomaker, "ListWorldTemplates", **({"nextToken": token} if token else {}))
        for summary in page.get("templateSummaries", []):
            found = call(robomaker, "GetWorldTemplateBody", template=summary["arn"])
            if _same_body(found.get("templateBody", ""), body):
                return summary["arn"], False
        token = page.get("nextToken")
        if not token:
            break
    return call(robomaker, "CreateWorldTemplate", name=name, templateBody=body)["arn"], True


def _generate(args: argparse.Namespace) -> int:
    floorplans, interiors = parse_count(args.count)
    export_to = parse_s3(args.export) if args.export else None
    if args.formats and export_to is None:
        raise CliError("--formats needs --export", 2)
    tags = parse_formats_option(args.formats) if args.formats else {}
    try:
        body = args.template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the template {args.template}: {exc}") from exc
    endpoint = Endpoint(args.endpoint_url)
    robomaker = endpoint.client("robomaker")
    template, created = template_for(robomaker, body, args.name or args.template.stem)
    print(f"{'created' if created else 'reusing'} template {template}")
    job = call(
        robomaker,
        "CreateWorldGenerationJob",
        template=template,
        worldCount={"floorplanCount": floorplans, "interiorCountPerFloorplan": interiors},
    )
    print(f"started world generation job {job['arn']}")
    if export_to is None and not args.wait:
        return 0
    generated = watch(endpoint, job["arn"], "generation", args.interval)
    code = outcome_code(generated)
    if export_to is None:
        return code
    summary = call(robomaker, "DescribeWorldGenerationJob", job=job["arn"]).get("finishedWorldsSummary", {})
    worlds = summary.get("succeededWorlds") or []
    if not worlds:
        raise CliError("no world was generated: nothing to export")
    bucket, prefix = export_to
    role = args.iam_role or f"arn:aws:iam::{generated['accountId']}:role/WorldExport"
    location = {"s3Bucket": bucket, "s3Prefix": prefix} if prefix else {"s3Bucket": bucket}
    export = call(
        robomaker,
        "CreateWorldExportJob",
        worlds=worlds,
        outputLocation=location,
        iamRole=role,
        **({"tags": tags} if tags else {}),
    )
    print(f"started world export job {export['arn']} ({len(worlds)} worlds to s3://{bucket}/{prefix})")
    if not args.wait:
        return code
    exported = watch(endpoint, export["arn"], "export", args.interval)
    if exported["outcome"] == "succeeded":
        from jobforge.services.robomaker.export_job import archive_key

        print(f"exported s3://{bucket}/{archive_key(prefix, exported['id'])}")
    return outcome_code(exported) or code


def add_generate_parser(worlds_commands: Any) -> None:
    generate = worlds_commands.add_parser(
        "generate", help="generate worlds from a template file (and export them to S3)"
    )
    generate.add_argument("template", type=Path, help="a WorldForge template body (JSON)")
    generate.add_argument("--count", default="1x1", help="FLOORPLANSxINTERIORS (default 1x1)")
    generate.add_argument("--name", help="the template's name when created (default: the file's stem)")
    generate.add_argument("--export", metavar="S3_URI", help="export the worlds to s3://bucket/prefix")
    generate.add_argument(
        "--formats",
        help="extra export formats, comma-separated (gz, mjcf...; see docs/export-formats.md)",
    )
    generate.add_argument(
        "--iam-role", help="the export job's role (default arn:aws:iam::<account>:role/WorldExport)"
    )
    generate.add_argument("--wait", action="store_true", help="wait for the last job, with a progress bar")
    generate.add_argument("--interval", type=float, default=1.0, help="seconds between progress requests")
    add_endpoint_argument(generate)
    generate.set_defaults(func=_generate)
