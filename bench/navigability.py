"""Navigability of generated worlds with door leaves solid at their initial opening (issue #15).

    python bench/navigability.py [--worlds 20]

Generates ``--worlds`` worlds from each of the five templates of
``tests.robomaker.samples.navigation_templates`` (Version 2, default doors: fully open) and prints,
per template and in total: the share of worlds with every room reachable from the spawn point by a
0.25 m-radius robot with every door leaf solid (the quality report's ``unreachable_rooms`` empty;
a world the generator could not make counts as a failure), and how many bathrooms/closets and
bedrooms are pass-through rooms without a requested connection (``pass_through_rooms``), the
worlds with an exterior door, and the time per world.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples

from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_job_worlds, quality_report
from tests.robomaker.samples import navigation_templates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--worlds", type=int, default=20, help="worlds per template (floorplans x 2 interiors)"
    )
    args = parser.parse_args()
    totals = {"worlds": 0, "reachable": 0, "failed": 0, "bath": 0, "bed": 0, "exterior": 0}
    print(
        f"{'template':20} {'worlds':>6} {'all rooms reachable':>20} {'failed':>6} "
        f"{'pass-through bath/closet':>24} {'bedroom':>8} {'exterior door':>13} {'s/world':>8}"
    )
    for name, body in navigation_templates().items():
        spec = parse_template_body(body)
        row = dict.fromkeys(totals, 0)
        started = time.perf_counter()
        for _, world in generate_job_worlds(spec, (args.worlds + 1) // 2, 2, f"nav-{name}"):
            row["worlds"] += 1
            if not isinstance(world, World):
                row["failed"] += 1
                continue
            report = quality_report(world)
            row["reachable"] += not report["unreachable_rooms"]
            types = {r.name: r.type for r in world.rooms}
            passing = report["pass_through_rooms"]
            row["bath"] += sum(types[n] in ("Bathroom", "Closet") for n in passing)
            row["bed"] += sum(types[n] == "Bedroom" for n in passing)
            row["exterior"] += report["exterior_doors"] > 0
        per_world = (time.perf_counter() - started) / row["worlds"]
        for key in totals:
            totals[key] += row[key]
        _print(name, row, per_world)
    _print("total", totals, None)


def _print(name: str, row: dict[str, int], per_world: float | None) -> None:
    share = f"{row['reachable']}/{row['worlds']} ({row['reachable'] / row['worlds']:.0%})"
    timing = f"{per_world:8.2f}" if per_world is not None else " " * 8
    print(
        f"{name:20} {row['worlds']:6d} {share:>20} {row['failed']:6d} {row['bath']:24d} "
        f"{row['bed']:8d} {row['exterior']:13d} {timing}"
    )


if __name__ == "__main__":
    main()
