"""boto3 clients configured for a jobforge server: its endpoint, a region, test credentials, no
retries (a test sees the first answer), no host prefixes (``runtime.``/``jobs.`` would not resolve
to 127.0.0.1), path-style S3; RoboMaker from the model jobforge ships (current botocore has none),
without installing anything into ``~/.aws``."""

from __future__ import annotations

from typing import Any

SERVICES = ("robomaker", "dataexchange", "location", "s3")


def make_client(
    service: str,
    endpoint_url: str,
    *,
    access_key: str,
    secret_key: str,
    region: str = "us-east-1",
    **config: Any,
) -> Any:
    """A boto3 client of ``service`` at ``endpoint_url``; ``config``: botocore ``Config`` options
    that replace the defaults above (e.g. ``read_timeout=5``)."""
    import boto3
    import botocore.session
    from botocore.config import Config

    if service not in SERVICES:
        raise ValueError(f"jobforge serves {', '.join(SERVICES)}, not {service!r}")
    core = botocore.session.Session()
    if service == "robomaker":
        from jobforge.model_files import models_data_path

        core.get_component("data_loader").search_paths.insert(0, str(models_data_path()))
    options: dict[str, Any] = {
        "retries": {"total_max_attempts": 1},
        "inject_host_prefix": False,
        "s3": {"addressing_style": "path"},
        **config,
    }
    return boto3.Session(botocore_session=core).client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(**options),
    )
