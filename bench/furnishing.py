"""Homely furnishing (issue #15): kitchens with a full counter run, chairs per dining table, sofa to
TV-unit distances and angles, over many worlds of the 6-room bench template (bench/generation.py)
at Moderate and Dense density.

    python bench/furnishing.py [--floorplans 10] [--interiors 3]

"Full run": a sink and a cooktop in the kitchen's base units, a fridge standing next to them and
wall cabinets above. The same numbers on the parent commit are the "before" of the change.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generation import template

from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import World, generate_job_worlds
from jobforge.services.robomaker.worldgen.household import (
    distance,
    facing_angle,
    kitchen_runs,
    sofa_views,
    table_chairs,
)


def worlds(density: str, floorplans: int, interiors: int) -> list[World]:
    body = json.loads(template(6))
    rule = body["Buildings"][0]["Floors"][0]["Interior"]["Furniture"]["FurnitureArrangements"][0]
    rule["DesiredSpatialDensity"] = density
    spec = parse_template_body(json.dumps(body))
    out = [w for _, w in generate_job_worlds(spec, floorplans, interiors, f"furnishing-{density}")]
    return [w for w in out if isinstance(w, World)]


def report(batch: list[World]) -> dict[str, float]:
    runs = [r for w in batch for r in kitchen_runs(w)]
    tables = [c for w in batch for c in table_chairs(w).values()]
    views = [(s, tv) for w in batch for s, tv in sofa_views(w)]
    paired = [(s, tv) for s, tv in views if tv is not None]
    dists = [distance(s, tv) for s, tv in paired]
    facing = [
        s for s, tv in paired if facing_angle(s, tv) < math.radians(15) and 2.0 <= distance(s, tv) <= 4.0
    ]
    return {
        "kitchens": len(runs),
        "with sink": sum(r.has_sink for r in runs) / max(1, len(runs)),
        "full run": sum(r.full for r in runs) / max(1, len(runs)),
        "tables": len(tables),
        "chairs/table": statistics.mean(len(c) for c in tables) if tables else 0.0,
        "tables >=2 chairs": sum(len(c) >= 2 for c in tables) / max(1, len(tables)),
        "sofas": len(views),
        "sofas with TV": len(paired) / max(1, len(views)),
        "sofa-TV m median": statistics.median(dists) if dists else 0.0,
        "sofa-TV m max": max(dists, default=0.0),
        "facing TV 2-4 m": len(facing) / max(1, len(views)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floorplans", type=int, default=10)
    parser.add_argument("--interiors", type=int, default=3)
    args = parser.parse_args()
    for density in ("Moderate", "Dense"):
        numbers = report(worlds(density, args.floorplans, args.interiors))
        shown = (f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in numbers.items())
        print(f"{density}: " + ", ".join(shown))


if __name__ == "__main__":
    main()
