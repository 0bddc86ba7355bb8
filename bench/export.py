"""World export: peak memory while exporting 50 worlds, and MB/s against plain zipfile.

    python bench/export.py [--worlds 50] [--s3-endpoint-url URL]

1. Memory: a ``jobforge serve`` child generates the worlds (a six-room V2 template), its peak
   RSS is reset (``/proc/PID/clear_refs``), and one export job writes all of them to a local
   bucket; the server's peak RSS during the export (VmHWM) is the number. Target: < 300 MB.
2. Throughput: the export library (SDF, models, meshes, zip) writing the worlds into an object
   store writer, against plain ``zipfile`` writing the same entries, already rendered, into the
   same store (local directory, or S3 with ``--s3-endpoint-url``). Prints MB/s and the ratio.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples
from harness import PYTHON, ChildServer, client, free_port, status_kb
from jobforge.services.robomaker.export import ExportWorld, write_archive
from jobforge.services.robomaker.generation_job import build_world
from jobforge.services.robomaker.worldgen import World
from jobforge.storage import LocalObjectStore, ObjectStore, make_object_store
from tests.robomaker.samples import SIX_ROOMS_V2

MB = 1024 * 1024


def _wait(describe, arn: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while (job := describe(job=arn))["status"] not in ("Completed", "Failed", "PartialFailed", "Canceled"):
        if time.monotonic() > deadline:
            raise TimeoutError(arn)
        time.sleep(0.2)
    return job


def descendants(pid: int) -> list[int]:
    """The process ids under ``pid`` (the engine's worker processes), from ``/proc``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in map(int, (task / "children").read_text().split()):
            found += [child, *descendants(child)]
    return found


def server_peak(worlds: int, tags: dict[str, str] | None = None) -> tuple[float, float, int, float]:
    """(the server's peak RSS MB during the export, its RSS MB before it, archive bytes, the largest
    peak RSS MB of its worker processes during the export); ``tags`` are the export job's."""
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    argv = [PYTHON, "-m", "jobforge.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    url = f"http://127.0.0.1:{port}"
    with ChildServer(argv, f"{url}/_jobforge/health") as child:
        assert child.process is not None
        pid = child.process.pid
        robomaker = client("robomaker", url)
        template = robomaker.create_world_template(templateBody=json.dumps(SIX_ROOMS_V2))["arn"]
        floorplans = max(1, worlds // 10)
        job = robomaker.create_world_generation_job(
            template=template,
            worldCount={"floorplanCount": floorplans, "interiorCountPerFloorplan": worlds // floorplans},
        )
        done = _wait(robomaker.describe_world_generation_job, job["arn"])
        arns = done["finishedWorldsSummary"]["succeededWorlds"]
        LocalObjectStore(data_dir).create_bucket("bench")
        httpx.get(f"{url}/_jobforge/health")
        for process in (pid, *descendants(pid)):
            Path(f"/proc/{process}/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
        baseline = status_kb(pid, "VmHWM") / 1024
        export = robomaker.create_world_export_job(
            worlds=arns,
            outputLocation={"s3Bucket": "bench"},
            iamRole="arn:aws:iam::000000000000:role/bench",
            **({"tags": tags} if tags else {}),
        )
        finished = _wait(robomaker.describe_world_export_job, export["arn"])
        assert finished["status"] == "Completed", finished
        peak = status_kb(pid, "VmHWM") / 1024
        workers = max((status_kb(p, "VmHWM") / 1024 for p in descendants(pid)), default=0.0)
        size = sum(p.stat().st_size for p in (data_dir / "buckets" / "bench").glob("*.zip"))
        return peak, baseline, size, workers


def _one(args: tuple[str, int, int]) -> tuple[str, str, bytes]:
    body, number, seed = args
    built = build_world(body, seed, number // 4, number % 4, f"generation_benchbenchben_world_{number + 1}")
    return json.dumps(built["world"]), built["description"], built["preview"]


def throughput(worlds: int, store: ObjectStore, bucket: str) -> None:
    body = json.dumps(SIX_ROOMS_V2)
    with ProcessPoolExecutor() as pool:
        documents = list(pool.map(_one, [(body, n, 7) for n in range(worlds)]))

    def items() -> Iterator[ExportWorld]:  # decoded one at a time, as the job does
        for document, description, preview in documents:
            yield ExportWorld(World.from_dict(json.loads(document)), description, preview)

    started = time.perf_counter()
    write_archive(io.BytesIO(), items())  # warm the model cache (the server keeps it warm too)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    with store.writer(bucket, "bench/export.zip") as out:
        summary = write_archive(out, items())
    ours = time.perf_counter() - started
    data = store.get_bytes(bucket, "bench/export.zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    started = time.perf_counter()
    with store.writer(bucket, "bench/plain.zip") as out, zipfile.ZipFile(out, "w") as plain:
        for info, content in entries:
            plain.writestr(info, content)
    baseline = time.perf_counter() - started
    size = summary.bytes_written / MB
    print(f"archive: {len(summary.worlds)} worlds, {len(summary.models)} models, {size:.1f} MB")
    print(f"export library: {size / ours:8.1f} MB/s ({ours:.2f} s, renders SDF/meshes and deflates)")
    print(f"plain zipfile:  {size / baseline:8.1f} MB/s ({baseline:.2f} s, same entries pre-rendered)")
    print(f"ratio export/plain: {baseline / ours:.2f}")
    print(f"first (cold) archive: {cold:.2f} s, builds every model and texture once per process")
    print(f"ratio cold/warm: {cold / ours:.2f}")
    textures_cold()


def textures_cold() -> None:
    """Seconds to generate every texture the templates' materials and the palette can use."""
    try:
        from jobforge.services.robomaker.export import textures
    except ImportError:  # a checkout from before textures
        return
    refs = [
        *[("floor", name) for name in textures.FLOORINGS],
        *[("wall", name) for name in textures.WALLS],
        *[("part", name) for name in textures.SURFACES],
    ]
    for cached in (textures.floor_texture, textures.wall_texture, textures.part_texture):
        cached.cache_clear()
    started = time.perf_counter()
    size = sum(len(t.albedo) + len(t.normal) for t in map(textures.texture, refs))
    took = time.perf_counter() - started
    print(
        f"textures: all {len(refs)} generated in {took:.2f} s ({1000 * took / len(refs):.0f} ms each), "
        f"{size / MB:.1f} MB of PNG"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", type=int, default=50)
    parser.add_argument("--s3-endpoint-url", help="measure throughput against this S3 endpoint")
    args = parser.parse_args()
    peak, baseline, size, workers = server_peak(args.worlds)
    print(f"server peak RSS while exporting {args.worlds} worlds: {peak:.0f} MB (before: {baseline:.0f} MB)")
    print(f"  largest worker process peak RSS: {workers:.0f} MB")
    print(f"  archive {size / MB:.1f} MB; ratio peak/target(300 MB): {peak / 300:.2f}")
    if args.s3_endpoint_url:
        store = make_object_store(".", args.s3_endpoint_url)
    else:
        store = LocalObjectStore(tempfile.mkdtemp(prefix="bench-export-store-"))
    store.create_bucket("bench-export")
    throughput(args.worlds, store, "bench-export")


if __name__ == "__main__":
    main()
