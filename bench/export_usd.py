"""The ``usd`` export format: time per world against the SDF world folder, and peak memory.

    python bench/export_usd.py [--worlds 50]

Generates the worlds (the six-room V2 template, 4 interiors per floorplan), then renders each
world's SDF folder (:func:`render_world`: the world file, model.sdf, textured meshes: the
baseline) and its ``usd`` files (:func:`render_usd`: the stage and its textures), one world at a
time as the export job does. Prints seconds per world for both, their ratio, the stage's size,
and this process's RSS before the renders and its peak (VmHWM, reset) during them (the issue's target for a
50-world export with every format: < 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples
from harness import status_kb
from jobforge.services.robomaker.export.archive import ExportWorld, render_world
from jobforge.services.robomaker.export.usd import render_usd, usd_file
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import generate_world
from tests.robomaker.samples import SIX_ROOMS_V2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=50)
    args = parser.parse_args()
    template = parse_template_body(json.dumps(SIX_ROOMS_V2))
    worlds = [
        generate_world(template, n // 4, 1000 + n, world_id=f"bench_{n + 1}") for n in range(args.worlds)
    ]
    sdf_times, usd_times, sizes = [], [], []
    render_usd(worlds[0])  # textures are generated once per process: keep them out of the timing
    render_world(ExportWorld(worlds[0], ""))
    before = status_kb(os.getpid(), "VmRSS") / 1024
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here on: the renders' peak
    for world in worlds:
        start = time.perf_counter()
        render_world(ExportWorld(world, ""))
        sdf_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        files = render_usd(world)
        usd_times.append(time.perf_counter() - start)
        sizes.append(len(files[usd_file(world)]))
    peak = status_kb(os.getpid(), "VmHWM") / 1024
    sdf, usd = statistics.mean(sdf_times), statistics.mean(usd_times)
    print(f"{args.worlds} worlds, {sum(len(w.furniture) for w in worlds) / len(worlds):.0f} items each")
    print(f"sdf folder (baseline): {sdf * 1000:.0f} ms/world")
    print(f"usd stage + textures:  {usd * 1000:.0f} ms/world (max {max(usd_times) * 1000:.0f} ms)")
    print(f"ratio usd/sdf: {usd / sdf:.2f}")
    print(f"stage size: {statistics.mean(sizes) / 1e6:.2f} MB/world (max {max(sizes) / 1e6:.2f} MB)")
    print(f"RSS {before:.0f} MB before the renders (worlds generated), peak {peak:.0f} MB during them")


if __name__ == "__main__":
    main()
