"""Raster navigability check for a round robot, fast enough to run after every furniture placement.

Cells are blocked when their centre lies within a radius of an obstacle (walls, furniture) or
outside every room. Three layers are kept: for reachability the radius is the robot radius plus half
a cell (a 4-connected path of free cells keeps the exact clearance), for enclosed pockets it is the
robot radius minus half a cell (so small pockets the exact check would see are not missed), and
reachability again with the door leaves solid at their initial opening (:meth:`NavGrid.block_leaf`),
as Gazebo simulates them. The quality report re-checks everything with exact shapely geometry.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from jobforge.services.robomaker.worldgen.geometry import Box

ROBOT_RADIUS = 0.25
POCKET_CELLS = 2  # free components smaller than this are raster noise, not pockets


class NavGrid:
    """Free-space raster over a floorplan with incremental obstacles."""

    def __init__(
        self,
        footprint: Box,
        rooms: list[tuple[Box, ...]],
        wall_boxes: list[Box],
        spawn: tuple[float, float],
        robot_radius: float = ROBOT_RADIUS,
    ) -> None:
        x0, y0, x1, y1 = footprint
        area = (x1 - x0) * (y1 - y0)
        self.res = float(min(0.1, max(0.05, 0.05 * (area / 150.0) ** 0.5)))
        self.radius = robot_radius + self.res / 2
        self.pocket_radius = robot_radius - self.res / 2
        self.x0, self.y0 = x0 - 0.2, y0 - 0.2
        nx = int(np.ceil((x1 - x0 + 0.4) / self.res))
        ny = int(np.ceil((y1 - y0 + 0.4) / self.res))
        self.cx = self.x0 + (np.arange(nx) + 0.5) * self.res
        self.cy = self.y0 + (np.arange(ny) + 0.5) * self.res
        self.room_id = np.full((ny, nx), -1, dtype=np.int16)
        for i, parts in enumerate(rooms):  # a room's rectangle parts (two for an L room)
            for rx0, ry0, rx1, ry1 in parts:
                xs = (self.cx > rx0) & (self.cx < rx1)
                ys = (self.cy > ry0) & (self.cy < ry1)
                self.room_id[np.ix_(ys, xs)] = i
        self.n_rooms = len(rooms)
        self.min_room_cells = max(1, int(0.05 / self.res**2))
        outside = self.room_id < 0
        # [reachability layer, pocket layer, reachability with solid door leaves]
        self.blocked = np.stack([outside, outside.copy(), outside.copy()])
        for box in wall_boxes:
            self.block(self.blocked, box)
        self.spawn_cell = (
            int(np.clip((spawn[1] - self.y0) // self.res, 0, ny - 1)),
            int(np.clip((spawn[0] - self.x0) // self.res, 0, nx - 1)),
        )

    def block(self, mask: np.ndarray, box: Box) -> None:
        """Mark cells whose centre lies within each layer's radius of ``box``."""
        r = self.radius
        i0 = max(0, int((box[0] - r - self.x0) // self.res))
        i1 = min(mask.shape[2], int((box[2] + r - self.x0) // self.res) + 2)
        j0 = max(0, int((box[1] - r - self.y0) // self.res))
        j1 = min(mask.shape[1], int((box[3] + r - self.y0) // self.res) + 2)
        if i0 >= i1 or j0 >= j1:
            return
        cx = self.cx[i0:i1]
        cy = self.cy[j0:j1]
        dx = np.maximum(np.maximum(box[0] - cx, cx - box[2]), 0.0)
        dy = np.maximum(np.maximum(box[1] - cy, cy - box[3]), 0.0)
        d2 = dy[:, None] ** 2 + dx[None, :] ** 2
        mask[0, j0:j1, i0:i1] |= d2 <= r * r
        mask[1, j0:j1, i0:i1] |= d2 <= self.pocket_radius**2
        mask[2, j0:j1, i0:i1] |= d2 <= r * r

    def block_leaf(
        self, mask: np.ndarray, start: tuple[float, float], end: tuple[float, float], half: float
    ) -> None:
        """Mark, on the solid-leaf layer only, cells within the reachability radius of a door leaf
        (the segment ``start``-``end``, ``half`` its half thickness)."""
        r = self.radius + half
        (ax, ay), (bx, by) = start, end
        i0 = max(0, int((min(ax, bx) - r - self.x0) // self.res))
        i1 = min(mask.shape[2], int((max(ax, bx) + r - self.x0) // self.res) + 2)
        j0 = max(0, int((min(ay, by) - r - self.y0) // self.res))
        j1 = min(mask.shape[1], int((max(ay, by) + r - self.y0) // self.res) + 2)
        if i0 >= i1 or j0 >= j1:
            return
        px = self.cx[None, i0:i1] - ax
        py = self.cy[j0:j1, None] - ay
        dx, dy = bx - ax, by - ay
        t = np.clip((px * dx + py * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
        d2 = (px - t * dx) ** 2 + (py - t * dy) ** 2
        mask[2, j0:j1, i0:i1] |= d2 <= r * r

    def rooms_reached_with_leaves(self, mask: np.ndarray) -> frozenset[int]:
        """Rooms the spawn's component enters with solid leaves and that hold no other component:
        the rooms placement must keep that way."""
        labels, _ = ndimage.label(~mask[2])
        spawn_label = labels[self.spawn_cell]
        if spawn_label == 0:
            return frozenset()
        reach = labels == spawn_label
        per_room = np.bincount(self.room_id[reach] + 1, minlength=self.n_rooms + 1)[1:]
        other = (labels > 0) & ~reach
        cut = np.bincount(self.room_id[other] + 1, minlength=self.n_rooms + 1)[1:]
        return frozenset(
            i for i in range(self.n_rooms) if per_room[i] >= self.min_room_cells and cut[i] < POCKET_CELLS
        )

    def evaluate(self, mask: np.ndarray, required: frozenset[int] = frozenset()) -> tuple[bool, list[int]]:
        """(ok, reachable cells per room): ok when the spawn's free component reaches every room and
        no other free component (pocket) of meaningful size exists, and with solid door leaves it
        still reaches every ``required`` room whole (no piece of it cut off)."""
        if required and not required <= self.rooms_reached_with_leaves(mask):
            return False, [0] * self.n_rooms
        labels, n = ndimage.label(~mask[0])
        spawn_label = labels[self.spawn_cell]
        if spawn_label == 0:
            return False, [0] * self.n_rooms
        reach = labels == spawn_label
        per_room = np.bincount(self.room_id[reach] + 1, minlength=self.n_rooms + 1)[1:]
        if not np.all(per_room >= self.min_room_cells):
            return False, per_room.tolist()
        sizes = np.bincount(labels.ravel(), minlength=n + 1)
        sizes[0] = 0
        sizes[spawn_label] = 0
        if np.any(sizes >= POCKET_CELLS):
            return False, per_room.tolist()
        pocket_labels, n = ndimage.label(~mask[1])
        sizes = np.bincount(pocket_labels.ravel(), minlength=n + 1)
        sizes[0] = 0
        sizes[pocket_labels[self.spawn_cell]] = 0
        return not bool(np.any(sizes >= POCKET_CELLS)), per_room.tolist()

    def try_add(
        self, mask: np.ndarray, boxes: list[Box], required: frozenset[int] = frozenset()
    ) -> np.ndarray | None:
        """A new mask with ``boxes`` blocked if navigability still holds, else None."""
        trial = mask.copy()
        for box in boxes:
            self.block(trial, box)
        ok, _ = self.evaluate(trial, required)
        return trial if ok else None
