"""Room shape accuracy and desired connections: the share of generated rooms whose area and aspect
ratio are within the quality report's tolerances, the share of floor plans with every desired
connection met, over many templates and floorplan seeds, and the floorplan time.

    python bench/room_shapes.py [--seeds 40] [--random 60]

Templates: the samples of ``tests/robomaker/samples.py``, the 6-room template of ``bench/generation.py``,
a 6-room hallway house (Hall 3:1, bedrooms 1:1.2, mixed areas), and ``--random`` random feasible
templates (1..6 rooms, areas 10..60 m² with some up to 150 m², aspects 1:4..4:1, random footprint
and connections), each over ``--seeds`` floorplan seeds. Aspect ratios are compared
orientation-free (long side / short side). "Feasible" requests are those for which some slicing
floor plan gives every room exactly its requested area and an aspect ratio within tolerance
(decided exactly by ``room_layout._feasible_trees``); the others may still fit by trading area.
"Jointly feasible" requests are those for which some slicing floor plan has every room within
the tolerances (trading area) and a wall long enough for every desired connection: either the
exact interval search says so (``room_layout._feasible_trees(..., connections=True)``, exact areas)
or a witness is found independently of the generator: every slicing structure that meets the
desired connections at exact areas and some aspect (one per set of room shapes, up to 2000) is
given its minimax layout (SLSQP: the worst room's error relative to the tolerances, under the
walls the connections need); one at most 1 is a witness. A request without a witness may still be
feasible (the minimax is local), so "other" is an upper bound of the infeasible ones.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import optimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.robomaker.samples

from generation import template as bench_template
from jobforge.services.robomaker.template_format import ROOM_TYPES, WorldTemplateSpec, parse_template_body
from jobforge.services.robomaker.worldgen import room_layout, shape
from jobforge.services.robomaker.worldgen.floorplan import generate_floorplan
from jobforge.services.robomaker.worldgen.room_layout import _feasible_trees
from tests.robomaker.samples import (
    SAMPLE_TEMPLATES,
    floorplan_body,
    hallway_house_body,
    sample_body,
    shaped_room,
)

AREA_TOL = shape.ROOM_AREA_TOLERANCE
ASPECT_TOL = shape.ROOM_ASPECT_TOLERANCE


def random_template(rng: random.Random) -> str:
    n = rng.randint(1, 6)
    rooms = []
    for i in range(n):
        area = rng.uniform(10, 150) if rng.random() < 0.15 else rng.uniform(10, 60)
        x, y = rng.uniform(1, 4), rng.uniform(1, 4)
        if rng.random() < 0.5:  # many real requests are near-square
            x, y = 1.0, rng.uniform(1, 1.6)
        kind = rng.choice(ROOM_TYPES)
        rooms.append(shaped_room(kind, f"Room {i}", round(area, 1), round(x, 2), round(y, 2)))
    connections = []
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    for a, b in rng.sample(pairs, min(len(pairs), rng.randint(0, n))):
        kind = rng.choice(["Doorway", "Opening"])
        connections.append({"Location": [f"Room {a}", f"Room {b}"], "ConnectionType": kind})
    return floorplan_body(rooms, connections, (round(rng.uniform(1, 2.5), 2), 1))


def templates(random_count: int) -> dict[str, str]:
    out = {name: sample_body(name) for name in sorted(SAMPLE_TEMPLATES)}
    out["bench 6 rooms"] = bench_template(6)
    out["hallway house"] = hallway_house_body()
    rng = random.Random(7)
    for i in range(random_count):
        out[f"random {i}"] = random_template(rng)
    return out


def within(
    spec: WorldTemplateSpec, seed: int
) -> tuple[int, int, float, list[tuple[str, float, float]], int, float]:
    """(rooms within tolerance, rooms, seconds, misses as (room, area error, aspect error),
    unmet desired connections, the worst room's error in tolerances: max of area error / 10 % and
    aspect error / 15 %, at most 1 when every room is within tolerance)."""
    started = time.process_time()
    plan = generate_floorplan(spec, seed)
    seconds = time.process_time() - started
    ok = 0
    misses = []
    worst = 0.0
    for room in plan.rooms:
        check = shape.room_shape_check(room.requested_area, room.area, room.requested_aspect, room.aspect)
        worst = max(worst, check["area_error"] / AREA_TOL, check["aspect_error"] / ASPECT_TOL)
        if check["area_ok"] and check["aspect_ok"]:
            ok += 1
        else:
            misses.append((room.name, check["area_error"], check["aspect_error"]))
    return ok, len(plan.rooms), seconds, misses, len(plan.unmet_connections), worst


def _minimax(spec: WorldTemplateSpec, tree: room_layout.Tree, log_fp: float) -> float:
    """The worst room's error relative to the tolerances of the minimax layout of ``tree`` (cut
    positions and footprint free) whose desired connections have the walls they need; inf if
    SLSQP finds no such layout."""
    total = sum(r.area for r in spec.rooms)
    needs = list(room_layout._connection_needs(spec).items())
    logits = [math.log(f / (1 - f)) for f in room_layout._fractions(tree)]

    def constraints(z: np.ndarray) -> np.ndarray:
        x = np.clip(z[:-1], -30.0, 30.0)
        height = math.sqrt(total / math.exp(log_fp + x[0]))
        fracs = [1 / (1 + math.exp(-(lg + d))) for lg, d in zip(logits, x[1:], strict=True)]
        rects: dict[str, room_layout.Box] = {}
        room_layout._realize(tree, (0.0, 0.0, total / height, height), fracs, rects)
        out = []
        for r in spec.rooms:
            x0, y0, x1, y1 = rects[r.name]
            w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
            out.append(z[-1] - shape.aspect_error(r.aspect, w / h) / ASPECT_TOL)
            out.append(z[-1] - shape.area_error(r.area, w * h) / AREA_TOL)
            out.append(min(w, h) - room_layout.MIN_ROOM_SIDE)
        for key, need in needs:
            a, b = tuple(key)
            out.append(room_layout._wall_length(rects[a], rects[b]) - need)
        return np.asarray(out)

    start = np.zeros(len(logits) + 2)
    start[-1] = 5.0
    result = optimize.minimize(
        lambda z: z[-1], start, method="SLSQP", constraints=[{"type": "ineq", "fun": constraints}]
    )
    return float(result.x[-1]) if constraints(result.x).min() >= -1e-6 else math.inf


def jointly_feasible(spec: WorldTemplateSpec) -> bool:
    """Some slicing floor plan meets every room's shape and every desired connection (see above)."""
    if _feasible_trees(spec, shape.ROOM_ASPECT_TOLERANCE, connections=True):
        return True
    if len(spec.rooms) == 1:
        return False
    saved, room_layout.SHAPES_CAP = room_layout.SHAPES_CAP, 2000
    try:
        blocks = room_layout._interval_search(spec, 8 * ASPECT_TOL, connections=True, shapes=True)
    finally:
        room_layout.SHAPES_CAP = saved
    tried: set[tuple[float, ...]] = set()
    target = np.array([math.log(r.aspect) for r in spec.rooms])
    for lo, hi, tree, _, offsets in blocks:
        key = tuple(round(o, 6) for _, o in offsets)
        key = min(key, tuple(-o for o in key))
        if key in tried:
            continue
        tried.add(key)
        # Start where the exact-area shapes are best (the worst room's log aspect error).
        grid = np.linspace(lo, hi, 33)
        off = np.array([o for _, o in offsets])
        worst = np.abs(np.abs(grid[:, None] + off[None, :]) - target[None, :]).max(axis=1)
        if _minimax(spec, tree, float(grid[int(worst.argmin())])) <= 1.0:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--random", type=int, default=60)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    print(f"tolerances: area ±{AREA_TOL:.0%}, aspect ±{ASPECT_TOL:.0%} (long/short)")
    print(
        f"{'template':20s} {'rooms within tolerance':>28s}   {'plans with all connections':>26s}"
        "   worst room in tolerances: median, max"
    )
    total_ok = total = 0
    random_ok = random_total = random_met = random_plans = 0
    # class -> [rooms within, rooms, plans with all desired connections met, plans]
    by_class: dict[str, list[int]] = {}
    worst_by_class: dict[str, list[float]] = {}  # class -> the worst room's error of every plan
    times: list[float] = []
    for name, body in templates(args.random).items():
        spec = parse_template_body(body)
        feasible = bool(_feasible_trees(spec, shape.ROOM_ASPECT_TOLERANCE))
        joint = jointly_feasible(spec)
        ok = count = met = 0
        worsts: list[float] = []
        for seed in range(args.seeds):
            good, n, seconds, misses, unmet, worst = within(spec, 1000 + seed)
            ok, count, met = ok + good, count + n, met + (unmet == 0)
            worsts.append(worst)
            times.append(seconds)
            if (misses or unmet) and args.verbose:
                print(f"  {name} seed {1000 + seed}: {misses} unmet {unmet}")
        total_ok, total = total_ok + ok, total + count
        label = "jointly feasible" if joint else "shapes only feasible" if feasible else "other"
        row = by_class.setdefault(label, [0, 0, 0, 0])
        row[0], row[1], row[2], row[3] = row[0] + ok, row[1] + count, row[2] + met, row[3] + args.seeds
        worst_by_class.setdefault(label, []).extend(worsts)
        if name.startswith("random"):
            random_ok, random_total = random_ok + ok, random_total + count
            random_met, random_plans = random_met + met, random_plans + args.seeds
        else:
            print(
                f"{name:20s} {ok:5d}/{count:<5d} ({ok / count:6.1%})  {met:5d}/{args.seeds:<5d}"
                f" ({met / args.seeds:6.1%})  {statistics.median(worsts):5.2f} {max(worsts):5.2f}  {label}"
            )
    print(
        f"{'random templates':20s} {random_ok:5d}/{random_total:<5d} ({random_ok / random_total:6.1%})"
        f"  {random_met:5d}/{random_plans:<5d} ({random_met / random_plans:6.1%})"
    )
    print(f"{'all':20s} {total_ok:5d}/{total:<5d} ({total_ok / total:6.1%})")
    for label, (ok, count, met, plans) in sorted(by_class.items()):
        share = f"{met:5d}/{plans:<5d} ({met / plans:6.1%})"
        worsts = worst_by_class[label]
        spread = f"{statistics.median(worsts):5.2f} {max(worsts):5.2f}"
        print(f"{label:20s} {ok:5d}/{count:<5d} ({ok / count:6.1%})  {share}  {spread}")
    times.sort()
    print(
        f"floorplan time: median {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
