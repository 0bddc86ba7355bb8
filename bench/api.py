"""API throughput: DescribeWorldTemplate on jobforge vs a bare endpoint on the same ASGI stack
(uvicorn) vs moto's server on a comparable describe call (IoT DescribeThing, rest-json).

    python bench/api.py [--seconds 10] [--connections 16]

Prints requests/s and p50/p99 latency for each, and the ratios. Targets: jobforge >= 50% of the
bare stack's throughput and several times moto's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples
from harness import PYTHON, ChildServer, LoadResult, client, free_port, run_load
from tests.robomaker.samples import MINIMAL_BODY


def auth_header(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )


def jobforge_argv(port: int, log_level: str = "info") -> list[str]:
    """``jobforge serve`` on ``port`` with a fresh data directory."""
    data_dir = tempfile.mkdtemp(prefix="bench-jobforge-")
    argv = [PYTHON, "-m", "jobforge.cli", "serve", "--port", str(port), "--data-dir", data_dir]
    return [*argv, "--log-level", log_level]


def bench_template(url: str) -> str:
    """A world template on the server at ``url`` (its ARN), described once (warm caches)."""
    robomaker = client("robomaker", url)
    arn = robomaker.create_world_template(name="bench", templateBody=MINIMAL_BODY)["arn"]
    robomaker.describe_world_template(template=arn)
    return arn


def describe_load(url: str, arn: str, seconds: float, connections: int) -> LoadResult:
    """DescribeWorldTemplate of ``arn`` as fast as ``connections`` connections go."""
    headers = {
        "Content-Type": "application/json",
        "Authorization": auth_header("robomaker"),
        "X-Amz-Date": "20260101T000000Z",
    }
    body = json.dumps({"template": arn}).encode()
    return run_load(f"{url}/describeWorldTemplate", "POST", body, headers, seconds, connections)


def measure_jobforge(seconds: float, connections: int, log_level: str = "info") -> LoadResult:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ChildServer(jobforge_argv(port, log_level), f"{url}/_jobforge/health"):
        return describe_load(url, bench_template(url), seconds, connections)


def measure_bare(seconds: float, connections: int) -> LoadResult:
    port = free_port()
    argv = [
        PYTHON,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--app-dir",
        str(Path(__file__).resolve().parent),
    ]
    url = f"http://127.0.0.1:{port}"
    with ChildServer(argv, url):
        return run_load(
            f"{url}/describeWorldTemplate",
            "POST",
            b'{"template": "x"}',
            {"Content-Type": "application/json"},
            seconds,
            connections,
        )


def measure_moto(seconds: float, connections: int) -> LoadResult:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ChildServer([PYTHON, "-m", "moto.server", "-p", str(port)], f"{url}/moto-api/"):
        iot = client("iot", url)
        iot.create_thing(thingName="bench")
        iot.describe_thing(thingName="bench")
        return run_load(
            f"{url}/things/bench",
            "GET",
            b"",
            {"Authorization": auth_header("iot"), "X-Amz-Date": "20260101T000000Z"},
            seconds,
            connections,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    bare = measure_bare(args.seconds, args.connections)
    print(f"bare ASGI endpoint (uvicorn)      {bare}")
    jobforge = measure_jobforge(args.seconds, args.connections)
    print(f"jobforge DescribeWorldTemplate    {jobforge}")
    print(f"ratio jobforge / bare stack       {jobforge.rps / bare.rps:9.2f}   (target >= 0.50)")
    quiet = measure_jobforge(args.seconds, args.connections, log_level="warning")
    print(f"jobforge, no per-request log line {quiet}")
    print(f"ratio (no request log) / bare     {quiet.rps / bare.rps:9.2f}")
    if not args.skip_moto:
        moto = measure_moto(args.seconds, args.connections)
        print(f"moto server IoT DescribeThing     {moto}")
        print(f"ratio jobforge / moto             {jobforge.rps / moto.rps:9.2f}   (target: several times)")


if __name__ == "__main__":
    main()
