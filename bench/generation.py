"""World generation speed: worlds per second for a 6-room template with one worker process and
with all of them, and how the time per world scales from 2 to 6 rooms.

    python bench/generation.py [--worlds 24]

Each world is what a generation job stores: the furnished world, its description, its preview
PNG and its quality report (plus the SDF when the export library is installed). Ratios are
against measurements of the same run: all workers vs one worker, n rooms vs 2 rooms. Target: a
6-room world in under 0.5 s of one core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from jobforge.services.robomaker.generation_job import build_world

ROOM_TYPES = ["Living", "Kitchen", "Bedroom", "Bathroom", "Dining", "Hallway"]


def template(rooms: int) -> str:
    """A Version 2 template with ``rooms`` rooms, a chain of doorways and dense furniture everywhere."""
    names = [f"{kind} {i}" for i, kind in enumerate(ROOM_TYPES[:rooms])]
    areas = [30, 14, 18, 10, 14, 10]
    body = {
        "Version": "2",
        "Buildings": [
            {
                "Floors": [
                    {
                        "Floorplan": {
                            "Footprint": {"DesiredAspectRatio": {"x": 1.4, "y": 1}},
                            "Ceiling": {"Height": 2.8},
                            "Rooms": [
                                {
                                    "Type": kind,
                                    "Name": name,
                                    "DesiredShape": {"Area": areas[i], "AspectRatio": {"x": 1, "y": 1.3}},
                                }
                                for i, (kind, name) in enumerate(zip(ROOM_TYPES, names, strict=False))
                            ],
                            "DesiredConnections": [
                                {"Location": [names[0], other], "ConnectionType": "Doorway"}
                                for other in names[1:]
                            ],
                        },
                        "Interior": {
                            "Furniture": {
                                "FurnitureArrangements": [
                                    {
                                        "Name": "All dense",
                                        "TargetSet": "Target.All",
                                        "DesiredSpatialDensity": "Dense",
                                    }
                                ]
                            }
                        },
                    }
                ]
            }
        ],
    }
    return json.dumps(body)


def one_world(args: tuple[str, int]) -> float:
    body, index = args
    started = time.process_time()
    build_world(body, 1234, index, index, f"generation_bench_world_{index}")
    return time.process_time() - started


def throughput(body: str, worlds: int, workers: int) -> float:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        list(pool.map(one_world, [(body, i) for i in range(workers)]))  # warm the workers
        started = time.perf_counter()
        list(pool.map(one_world, [(body, 100 + i) for i in range(worlds)]))
        return worlds / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worlds", type=int, default=24)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    six = template(6)
    one = throughput(six, args.worlds, 1)
    many = throughput(six, args.worlds, cores)
    print(f"6 rooms, 1 worker        {one:6.2f} worlds/s   ({1 / one:.3f} s per world)")
    print(f"6 rooms, {cores} workers       {many:6.2f} worlds/s   ratio vs 1 worker {many / one:.2f}")
    cpu = {rooms: sorted(one_world((template(rooms), i)) for i in range(8))[4] for rooms in range(2, 7)}
    for rooms, seconds in cpu.items():
        print(
            f"{rooms} rooms: {seconds:.3f} s of one core per world   ratio vs 2 rooms {seconds / cpu[2]:.2f}"
        )
    print(f"6-room world vs the 0.5 s target: {cpu[6] / 0.5:.2f} (below 1 meets it)")


if __name__ == "__main__":
    main()
