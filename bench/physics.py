"""Physics speed of an exported world: a furnished 6-room house stepped in MuJoCo on one core,
heavy furniture static (as exported) vs everything dynamic (the baseline, same run), and as exported
with every body kept awake (MuJoCo's sleeping off: what the decor's small objects cost while
something keeps touching them).

    python bench/physics.py [--seconds 10] [--worlds 3]

Each world is generated, exported to SDF, rendered as MJCF (``export/mjcf.py``) and stepped
untouched for ``--seconds`` of simulated time; the process is pinned to one core (MuJoCo steps on
one thread anyway). The real-time factor is simulated time over wall-clock time spent stepping.
Goal: at least 1x real time with heavy furniture static. The ratio is static vs all-dynamic.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker

from jobforge.services.robomaker.export.mjcf import world_mjcf
from jobforge.services.robomaker.export.models import VARIANTS
from jobforge.services.robomaker.export.sdf import WorldSdf
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import generate_world
from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, PHYSICS
from tests.robomaker.physics import furnished_six_rooms, settle


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated seconds per run")
    parser.add_argument("--worlds", type=int, default=3)
    args = parser.parse_args()
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    spec = parse_template_body(furnished_six_rooms())
    ratios, static_rtf, awake_rtf = [], [], []
    for seed in range(args.worlds):
        world = generate_world(spec, 500 + seed, 600 + seed, world_id=f"physics_bench_{seed}")
        document = WorldSdf(world).world_document()
        heavy = sum(PHYSICS[VARIANTS[item.model][0]].static for item in world.furniture)
        static = settle(world_mjcf(document), args.seconds)
        dynamic = settle(world_mjcf(document, furniture_static=False), args.seconds)
        awake = settle(world_mjcf(document, sleep=False), args.seconds)
        decor = sum(ITEM_TYPES[item.type].placement == "surface" or item.type in ("Rugs", "Plants")
                    for item in world.furniture)  # fmt: skip
        doors = sum(1 for d in world.doorways if d.has_door and d.hinge is not None)
        print(
            f"world {seed}: {len(world.furniture)} items ({heavy} static, {decor} decor), "
            f"{doors} hinged doors; "
            f"static {static.real_time_factor:5.1f}x real time ({static.moving} dofs, largest move "
            f"{static.max_shift * 1000:.2f} mm); all dynamic {dynamic.real_time_factor:5.1f}x "
            f"({dynamic.moving} dofs, {dynamic.max_shift * 1000:.2f} mm); "
            f"ratio {static.real_time_factor / dynamic.real_time_factor:.2f}; "
            f"static, never sleeping {awake.real_time_factor:5.1f}x"
        )
        awake_rtf.append(awake.real_time_factor)
        ratios.append(static.real_time_factor / dynamic.real_time_factor)
        static_rtf.append(static.real_time_factor)
    worst = min(static_rtf)
    print(
        f"median static vs all-dynamic speed ratio {statistics.median(ratios):.2f}; slowest static world "
        f"{worst:.1f}x real time on core {core} (goal >= 1x: {'met' if worst >= 1 else 'NOT met'}); "
        f"never sleeping: slowest {min(awake_rtf):.1f}x"
    )


if __name__ == "__main__":
    main()
