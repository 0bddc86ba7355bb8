"""Small axis-aligned box helpers shared by the floorplan and interior stages (hot loops stay in numpy)."""

from __future__ import annotations

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
