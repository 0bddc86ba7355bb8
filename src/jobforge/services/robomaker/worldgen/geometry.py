"""Small axis-aligned box helpers shared by the floorplan and interior stages (hot loops stay in numpy)."""

from __future__ import annotations

import itertools

import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

EPS = 1e-6


def boxes_array(boxes: list[Box]) -> np.ndarray:
    """An (n, 4) float array of boxes (empty-safe)."""
    return np.asarray(boxes, dtype=float).reshape(-1, 4)


def any_overlap(box: Box, others: np.ndarray, eps: float = EPS) -> bool:
    """Whether ``box`` overlaps any of ``others`` with positive area (touching is fine)."""
    if others.shape[0] == 0:
        return False
    x0, y0, x1, y1 = box
    return bool(
        np.any(
            (others[:, 0] < x1 - eps)
            & (x0 < others[:, 2] - eps)
            & (others[:, 1] < y1 - eps)
            & (y0 < others[:, 3] - eps)
        )
    )


def inside(box: Box, outer: Box, eps: float = EPS) -> bool:
    """Whether ``box`` lies within ``outer``."""
    return (
        box[0] >= outer[0] - eps
        and box[1] >= outer[1] - eps
        and box[2] <= outer[2] + eps
        and box[3] <= outer[3] + eps
    )


def circle_hits_box(cx: float, cy: float, r: float, box: Box) -> bool:
    """Whether a disc intersects a box's interior."""
    dx = max(box[0] - cx, 0.0, cx - box[2])
    dy = max(box[1] - cy, 0.0, cy - box[3])
    return dx * dx + dy * dy < r * r - EPS


def expand(box: Box, margin: float) -> Box:
    return (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)


def intersect(a: Box, b: Box) -> Box | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    if x1 - x0 <= EPS or y1 - y0 <= EPS:
        return None
    return (x0, y0, x1, y1)


Point = tuple[float, float]


def union_outline(boxes: list[Box], digits: int = 6) -> list[tuple[Point, ...]]:
    """The outlines of the union of non-overlapping boxes: counter-clockwise polygons (one per
    connected piece; a hole would come out clockwise), collinear vertices merged.

    Every box edge is cut at every box corner coordinate; a piece shared by two boxes appears once
    in each direction and cancels, the rest chain into the outline."""
    xs = sorted({round(v, digits) for b in boxes for v in (b[0], b[2])})
    ys = sorted({round(v, digits) for b in boxes for v in (b[1], b[3])})
    edges: set[tuple[Point, Point]] = set()

    def add(a: Point, b: Point) -> None:
        if (b, a) in edges:
            edges.discard((b, a))
        else:
            edges.add((a, b))

    for box in boxes:
        x0, y0, x1, y1 = (round(v, digits) for v in box)
        inner_x = [x for x in xs if x0 <= x <= x1]
        inner_y = [y for y in ys if y0 <= y <= y1]
        for a, b in itertools.pairwise(inner_x):
            add((a, y0), (b, y0))
            add((b, y1), (a, y1))
        for a, b in itertools.pairwise(inner_y):
            add((x1, a), (x1, b))
            add((x0, b), (x0, a))
    following = dict(edges)
    loops: list[tuple[Point, ...]] = []
    while following:
        start = min(following)
        loop = [start]
        point = following.pop(start)
        while point != start:
            loop.append(point)
            point = following.pop(point)
        loops.append(_merge_collinear(loop))
    return loops


def _merge_collinear(loop: list[Point]) -> tuple[Point, ...]:
    """``loop`` without the vertices that lie on a straight run (axis-aligned polygons)."""
    n = len(loop)
    kept = []
    for i, (x, y) in enumerate(loop):
        (px, py), (qx, qy) = loop[i - 1], loop[(i + 1) % n]
        if not ((px == x == qx) or (py == y == qy)):
            kept.append((x, y))
    return tuple(kept)


def polygon_area(polygon: tuple[Point, ...] | list[Point]) -> float:
    """Signed area (shoelace formula): positive for a counter-clockwise polygon."""
    n = len(polygon)
    return 0.5 * sum(
        polygon[i][0] * polygon[(i + 1) % n][1] - polygon[(i + 1) % n][0] * polygon[i][1] for i in range(n)
    )


def rect_parts(polygon: tuple[Point, ...] | list[Point]) -> tuple[Box, ...]:
    """An axis-aligned room polygon as rectangles without a wall between them: a rectangle's own
    box, or an L's two parts (the cut through its reflex corner that leaves the thicker parts,
    the larger part first). Other shapes are not room shapes (ValueError)."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    if len(polygon) == 4:
        return ((x0, y0, x1, y1),)
    if len(polygon) != 6:
        raise ValueError(f"a room polygon has 4 or 6 corners, not {len(polygon)}")
    corners = {(round(x, 6), round(y, 6)) for x, y in polygon}
    cx, cy = next(
        c for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)) if (round(c[0], 6), round(c[1], 6)) not in corners
    )
    rx, ry = next((x, y) for x, y in polygon if x not in (x0, x1) and y not in (y0, y1))
    away_x = (x0, rx) if cx == x1 else (rx, x1)  # the x-range clear of the notch
    away_y = (y0, ry) if cy == y1 else (ry, y1)
    notch_x = (rx, x1) if cx == x1 else (x0, rx)
    notch_y = (ry, y1) if cy == y1 else (y0, ry)
    vertical = ((away_x[0], y0, away_x[1], y1), (notch_x[0], away_y[0], notch_x[1], away_y[1]))
    horizontal = ((x0, away_y[0], x1, away_y[1]), (away_x[0], notch_y[0], away_x[1], notch_y[1]))

    def thinnest(parts: tuple[Box, Box]) -> float:
        return min(min(b[2] - b[0], b[3] - b[1]) for b in parts)

    best = vertical if thinnest(vertical) >= thinnest(horizontal) - EPS else horizontal
    return tuple(sorted(best, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1])))
