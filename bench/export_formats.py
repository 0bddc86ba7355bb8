"""Export formats (issue #17): peak memory of an export of 50 worlds with every registered format,
and the time per world per format against the default package's in the same run.

    python bench/export_formats.py [--worlds 50] [--formats gz+mjcf] [--skip-server]

1. Memory: as ``bench/export.py``, a ``jobforge serve`` child generates the worlds and one export
   job (tag ``jobforge:formats`` naming every registered format) writes them; the server's and its
   worker processes' peak RSS during the export. Target: < 300 MB each.
2. Time: the same kind of worlds rendered in this process, one at a time: the default package
   (``sdf``: SDF 1.6 world, model, meshes) and each extra format from it; milliseconds per world
   (mean and max) and the ratio to ``sdf``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples
from export import _one, server_peak
from jobforge.services.robomaker.export import ExportWorld, render_world
from jobforge.services.robomaker.export.formats import DEFAULT, FORMATS, TAG, parse_formats
from jobforge.services.robomaker.worldgen import World
from tests.robomaker.samples import SIX_ROOMS_V2

MB = 1024 * 1024
TARGET_MB = 300


def memory(worlds: int, formats: tuple[str, ...]) -> None:
    peak, baseline, size, workers = server_peak(worlds, {TAG: "+".join(formats)})
    print(f"export of {worlds} worlds with {', '.join((DEFAULT, *formats))}: archive {size / MB:.1f} MB")
    ratio = peak / TARGET_MB
    print(
        f"  server peak RSS {peak:.0f} MB (before: {baseline:.0f} MB), ratio to {TARGET_MB} MB: {ratio:.2f}"
    )
    print(f"  largest worker peak RSS {workers:.0f} MB, ratio to {TARGET_MB} MB: {workers / TARGET_MB:.2f}")


def timing(worlds: int, formats: tuple[str, ...]) -> None:
    body = json.dumps(SIX_ROOMS_V2)
    with ProcessPoolExecutor() as pool:
        documents = list(pool.map(_one, [(body, n, 7) for n in range(worlds)]))
    first = World.from_dict(json.loads(documents[0][0]))
    for name in formats:  # warm: imports and the shared model cache
        FORMATS[name].render_world(first, render_world(ExportWorld(first, "{}")))
    times: dict[str, list[float]] = {name: [] for name in (DEFAULT, *formats)}
    sizes: dict[str, int] = dict.fromkeys(times, 0)
    for document, description, preview in documents:
        world = World.from_dict(json.loads(document))
        started = time.perf_counter()
        base = render_world(ExportWorld(world, description, preview))
        times[DEFAULT].append(time.perf_counter() - started)
        sizes[DEFAULT] += sum(len(data) for _, data in base.files)
        for name in formats:
            started = time.perf_counter()
            files = FORMATS[name].render_world(world, base)
            times[name].append(time.perf_counter() - started)
            sizes[name] += sum(len(data) for data in files.values())
    reference = statistics.mean(times[DEFAULT])
    print(f"time per world ({worlds} six-room V2 worlds, one process):")
    for name, taken in times.items():
        mean, size = statistics.mean(taken), sizes[name] / worlds / 1024
        print(f"  {name:6} mean {1000 * mean:7.1f} ms  max {1000 * max(taken):7.1f} ms  ", end="")
        print(f"{size:8.0f} kB/world  ratio to {DEFAULT}: {mean / reference:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", type=int, default=50)
    parser.add_argument("--formats", default="+".join(FORMATS), help="formats to add (default: all)")
    parser.add_argument("--skip-server", action="store_true", help="only the per-format times")
    args = parser.parse_args()
    formats = parse_formats(args.formats)
    if not args.skip_server:
        memory(args.worlds, formats)
    timing(args.worlds, formats)


if __name__ == "__main__":
    main()
