"""Furniture and fixture models for exported worlds, built from primitives by the project.

Every catalogue variant (``wf_<type>_<nn>``) becomes a Gazebo model directory: ``model.config``,
``model.sdf`` and ``meshes/<name>.dae``. The visual is one coloured COLLADA mesh composed of boxes
and cylinders; the collision is the same primitives as exact SDF shapes (so physics needs no mesh
collisions); the inertial comes from the parts' volumes (hollow parts weigh less) and the type's
mass from ``catalog.PHYSICS``, which also says whether the type is static. Model
frame: origin at the footprint centre on the floor, the front facing +y (as in the world model).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import trimesh

from jobforge.services.robomaker.export.collada import ColouredMesh, box_uvs, collada_document
from jobforge.services.robomaker.export.textures import (
    MATERIALS_MODEL,
    TEXTURES_DIR,
    TextureId,
    part_texture,
)
from jobforge.services.robomaker.export.xml import fmt, pose_text
from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, PHYSICS, Variant
from jobforge.services.robomaker.worldgen.surfaces import (
    BOOKCASE_BACK,
    BOOKCASE_PLINTH,
    BOOKCASE_SIDE,
    PAINTED_BOOKS,
    SHELF_THICKNESS,
    shelf_centres,
)

Colour = tuple[float, float, float, float]

PALETTE: dict[str, Colour] = {
    "wood": (0.62, 0.45, 0.30, 1.0),
    "dark_wood": (0.36, 0.24, 0.16, 1.0),
    "light_wood": (0.80, 0.68, 0.50, 1.0),
    "white": (0.93, 0.93, 0.91, 1.0),
    "porcelain": (0.97, 0.97, 0.97, 1.0),
    "fabric": (0.45, 0.50, 0.56, 1.0),
    "fabric_warm": (0.62, 0.52, 0.42, 1.0),
    "cushion": (0.55, 0.60, 0.66, 1.0),
    "linen": (0.95, 0.94, 0.90, 1.0),
    "steel": (0.72, 0.73, 0.75, 1.0),
    "chrome": (0.85, 0.86, 0.88, 1.0),
    "black": (0.08, 0.08, 0.09, 1.0),
    "dark_glass": (0.12, 0.14, 0.16, 1.0),
    "lampshade": (0.96, 0.92, 0.80, 1.0),
    "counter": (0.30, 0.30, 0.32, 1.0),
    "glass": (0.75, 0.85, 0.90, 0.35),
    # decor
    "rug": (0.55, 0.22, 0.20, 1.0),
    "rug_field": (0.86, 0.78, 0.62, 1.0),
    "terracotta": (0.72, 0.40, 0.26, 1.0),
    "soil": (0.25, 0.18, 0.12, 1.0),
    "leaf": (0.22, 0.52, 0.24, 1.0),
    "leaf_dark": (0.12, 0.36, 0.16, 1.0),
    "book_red": (0.62, 0.14, 0.14, 1.0),
    "book_blue": (0.16, 0.27, 0.55, 1.0),
    "book_green": (0.18, 0.42, 0.30, 1.0),
    "book_ochre": (0.80, 0.60, 0.22, 1.0),
    "ceramic_blue": (0.35, 0.55, 0.75, 1.0),
    "flower": (0.90, 0.35, 0.50, 1.0),
}

FRICTION = 0.8


@dataclass(frozen=True)
class Part:
    """A box (size = x, y, z extents) or cylinder (size = radius, length; axis "x", "y" or "z")."""

    name: str
    shape: str
    size: tuple[float, ...]
    centre: tuple[float, float, float]
    colour: str
    axis: str = "z"
    collide: bool = True
    density: float = 1.0  # relative to the model's other parts (a lampshade is hollow)
    visible: bool = True  # False: a collision-only shape (a round object's box collision)

    @property
    def rpy(self) -> tuple[float, float, float]:
        return {"z": (0.0, 0.0, 0.0), "x": (0.0, math.pi / 2, 0.0), "y": (math.pi / 2, 0.0, 0.0)}[self.axis]

    @property
    def volume(self) -> float:
        if self.shape == "box":
            return self.size[0] * self.size[1] * self.size[2]
        return math.pi * self.size[0] ** 2 * self.size[1]

    def mesh(self) -> trimesh.Trimesh:
        transform = trimesh.transformations.euler_matrix(*self.rpy)
        transform[:3, 3] = self.centre
        if self.shape == "box":
            return trimesh.creation.box(extents=self.size, transform=transform)
        return trimesh.creation.cylinder(
            radius=self.size[0], height=self.size[1], sections=24, transform=transform
        )

    def inertia(self, mass: float) -> np.ndarray:
        """Inertia tensor about the part's own centre, in the model frame."""
        if self.shape == "box":
            x, y, z = self.size
            return np.diag([y * y + z * z, x * x + z * z, x * x + y * y]) * mass / 12
        r, length = self.size
        across = mass * (3 * r * r + length * length) / 12
        along = mass * r * r / 2
        index = "xyz".index(self.axis)
        diagonal = [across, across, across]
        diagonal[index] = along
        return np.diag(diagonal)


def box(
    name: str,
    x0: float,
    y0: float,
    z0: float,
    x1: float,
    y1: float,
    z1: float,
    colour: str,
    collide: bool = True,
) -> Part:
    """A box from its extents (handier than centre + size when composing furniture)."""
    return Part(
        name,
        "box",
        (x1 - x0, y1 - y0, z1 - z0),
        ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2),
        colour,
        collide=collide,
    )


def cylinder(
    name: str,
    x: float,
    y: float,
    z: float,
    radius: float,
    length: float,
    colour: str,
    axis: str = "z",
    collide: bool = True,
    density: float = 1.0,
) -> Part:
    return Part(name, "cylinder", (radius, length), (x, y, z), colour, axis, collide, density)


# -- builders: (width along the front, depth, height) -> parts -------------------------------------
def _legs(w: float, d: float, z1: float, colour: str, t: float = 0.045, inset: float = 0.03) -> list[Part]:
    xs = (-w / 2 + inset, w / 2 - inset - t)
    ys = (-d / 2 + inset, d / 2 - inset - t)
    return [
        box(f"leg{i}", x, y, 0, x + t, y + t, z1, colour)
        for i, (x, y) in enumerate((x, y) for x in xs for y in ys)
    ]


def table(w: float, d: float, h: float, colour: str = "wood", shelf: bool = False) -> list[Part]:
    top = 0.035
    parts = [box("top", -w / 2, -d / 2, h - top, w / 2, d / 2, h, colour), *_legs(w, d, h - top, colour)]
    if shelf:
        parts.append(
            box("shelf", -w / 2 + 0.05, -d / 2 + 0.05, 0.12, w / 2 - 0.05, d / 2 - 0.05, 0.14, colour)
        )
    return parts


def desk(w: float, d: float, h: float) -> list[Part]:
    parts = table(w, d, h, "light_wood")
    x0 = w / 2 - 0.45
    parts.append(box("drawers", x0, -d / 2 + 0.03, 0.05, w / 2 - 0.03, d / 2 - 0.03, h - 0.035, "light_wood"))
    parts += _seams(x0, w / 2 - 0.03, 0.05, h - 0.05, d / 2 - 0.026, 3, "z", depth=0.01)  # 2 mm proud
    for i in range(3):
        z = 0.05 + (h - 0.1) * (i + 0.5) / 3
        parts.append(
            box(
                f"handle{i}",
                x0 + 0.17,
                d / 2 - 0.03,
                z - 0.01,
                x0 + 0.27,
                d / 2,
                z + 0.01,
                "chrome",
                collide=False,
            )
        )
    return parts


def cabinet(
    w: float,
    d: float,
    h: float,
    colour: str = "wood",
    fronts: int = 2,
    drawers: bool = False,
    plinth: float = 0.08,
    top_colour: str | None = None,
) -> list[Part]:
    """A carcass on a plinth, with door or drawer fronts and handles on the +y face."""
    back, front = -d / 2, d / 2
    parts = [
        box("plinth", -w / 2 + 0.02, back, 0, w / 2 - 0.02, front - 0.05, plinth, "black"),
        box("body", -w / 2, back, plinth, w / 2, front - 0.025, h - (0.03 if top_colour else 0), colour),
    ]
    if top_colour:
        parts.append(box("counter", -w / 2, back, h - 0.03, w / 2, front, h, top_colour))
    span_z = (plinth + 0.01, h - 0.04)
    for i in range(fronts):
        if drawers:
            z0 = span_z[0] + (span_z[1] - span_z[0]) * i / fronts
            z1 = span_z[0] + (span_z[1] - span_z[0]) * (i + 1) / fronts
            x0, x1 = -w / 2 + 0.01, w / 2 - 0.01
            handle = box(
                f"handle{i}",
                -0.08,
                front - 0.01,
                (z0 + z1) / 2 - 0.01,
                0.08,
                front,
                (z0 + z1) / 2 + 0.01,
                "chrome",
                collide=False,
            )
        else:
            x0 = -w / 2 + 0.01 + (w - 0.02) * i / fronts
            x1 = -w / 2 + 0.01 + (w - 0.02) * (i + 1) / fronts
            z0, z1 = span_z
            hx = x1 - 0.05 if i % 2 == 0 else x0 + 0.03
            handle = box(
                f"handle{i}", hx, front - 0.01, z1 - 0.2, hx + 0.02, front, z1 - 0.05, "chrome", collide=False
            )
        parts.append(
            box(
                f"front{i}",
                x0 + 0.004,
                front - 0.025,
                z0 + 0.004,
                x1 - 0.004,
                front - 0.01,
                z1 - 0.004,
                colour,
                collide=False,
            )
        )
        parts.append(handle)
    parts += _seams(-w / 2 + 0.01, w / 2 - 0.01, *span_z, front - 0.01, fronts, "z" if drawers else "x")
    return parts


def _seams(
    x0: float, x1: float, z0: float, z1: float, face: float, count: int, across: str, depth: float = 0.016
) -> list[Part]:
    """Dark reveals in the gaps between ``count`` fronts on the +y face at ``face`` (their front
    plane): vertical lines between doors (``across`` "x") or horizontal ones between drawers ("z"),
    recessed 2 mm behind the fronts so the seam reads as a shadow line."""
    seams = []
    for i in range(1, count):
        if across == "x":
            x = x0 + (x1 - x0) * i / count
            extents = (x - 0.003, face - depth, z0, x + 0.003, face - 0.002, z1)
        else:
            z = z0 + (z1 - z0) * i / count
            extents = (x0, face - depth, z - 0.003, x1, face - 0.002, z + 0.003)
        seams.append(box(f"seam{i}", *extents, "black", collide=False))
    return seams


def bed(w: float, d: float, h: float) -> list[Part]:
    back = -d / 2
    return [
        box("frame", -w / 2, back, 0.05, w / 2, d / 2, 0.3, "wood"),
        *_legs(w, d, 0.05, "dark_wood", t=0.06, inset=0.0),
        box("mattress", -w / 2 + 0.03, back + 0.06, 0.3, w / 2 - 0.03, d / 2 - 0.03, h, "linen"),
        box("headboard", -w / 2, back, 0.05, w / 2, back + 0.06, h + 0.45, "dark_wood"),
        box(
            "pillow0",
            -w / 2 + 0.08,
            back + 0.1,
            h,
            -0.03 if w > 1.2 else w / 2 - 0.08,
            back + 0.45,
            h + 0.1,
            "white",
            collide=False,
        ),
        *(
            [box("pillow1", 0.03, back + 0.1, h, w / 2 - 0.08, back + 0.45, h + 0.1, "white", collide=False)]
            if w > 1.2
            else []
        ),
        box(
            "blanket",
            -w / 2 + 0.02,
            back + 0.6,
            h,
            w / 2 - 0.02,
            d / 2 - 0.02,
            h + 0.03,
            "fabric",
            collide=False,
        ),
        box(
            "fold",
            -w / 2 + 0.015,
            back + 0.6,
            h + 0.03,
            w / 2 - 0.015,
            back + 0.78,
            h + 0.045,
            "linen",
            collide=False,
        ),
        box(
            "piping",
            -w / 2 + 0.025,
            back + 0.055,
            h - 0.06,
            w / 2 - 0.025,
            d / 2 - 0.025,
            h - 0.05,
            "white",
            collide=False,
        ),
    ]


def sofa(w: float, d: float, h: float, colour: str = "fabric", seats: int | None = None) -> list[Part]:
    back, arm = -d / 2, 0.16
    seats = seats or max(1, round((w - 2 * arm) / 0.6))
    parts = [
        *_legs(w, d, 0.08, "dark_wood", t=0.05, inset=0.02),
        box("base", -w / 2 + arm, back, 0.08, w / 2 - arm, d / 2, 0.36, colour),
        box("arm_left", -w / 2, back, 0.08, -w / 2 + arm, d / 2, 0.62, colour),
        box("arm_right", w / 2 - arm, back, 0.08, w / 2, d / 2, 0.62, colour),
        box("back", -w / 2 + arm, back, 0.36, w / 2 - arm, back + 0.2, h, colour),
    ]
    inner = w - 2 * arm
    for i in range(seats):
        x0 = -w / 2 + arm + inner * i / seats
        parts.append(
            box(
                f"cushion{i}",
                x0 + 0.01,
                back + 0.2,
                0.36,
                x0 + inner / seats - 0.01,
                d / 2 - 0.01,
                0.46,
                "cushion",
            )
        )
        parts.append(
            box(
                f"back_cushion{i}",
                x0 + 0.015,
                back + 0.2,
                0.46,
                x0 + inner / seats - 0.015,
                back + 0.3,
                h - 0.03,
                "cushion",
                collide=False,
            )
        )
    if seats > 1:  # a throw pillow against each arm
        for side, x in (("left", -w / 2 + arm + 0.04), ("right", w / 2 - arm - 0.34)):
            parts.append(
                box(
                    f"pillow_{side}",
                    x,
                    back + 0.3,
                    0.46,
                    x + 0.3,
                    back + 0.42,
                    0.76,
                    "fabric_warm",
                    collide=False,
                )
            )
    return parts


def chair(w: float, d: float, h: float, colour: str = "wood", seat_colour: str = "fabric_warm") -> list[Part]:
    back, seat = -d / 2, 0.46
    return [
        *_legs(w, d, seat - 0.04, colour, t=0.04, inset=0.02),
        box("seat", -w / 2, back, seat - 0.04, w / 2, d / 2, seat, seat_colour),
        box("back", -w / 2 + 0.02, back, seat, w / 2 - 0.02, back + 0.04, h, colour),
    ]


def desk_chair(w: float, d: float, h: float) -> list[Part]:
    back = -d / 2
    return [
        cylinder("base", 0, 0, 0.03, min(w, d) / 2 - 0.02, 0.06, "black"),
        cylinder("column", 0, 0, 0.25, 0.03, 0.38, "chrome"),
        box("seat", -w / 2 + 0.03, back + 0.04, 0.42, w / 2 - 0.03, d / 2 - 0.02, 0.5, "black"),
        box("back", -w / 2 + 0.06, back, 0.55, w / 2 - 0.06, back + 0.05, h, "black"),
        box("back_post", -0.03, back, 0.44, 0.03, back + 0.04, 0.56, "chrome"),
    ]


def bookcase(w: float, d: float, h: float) -> list[Part]:
    back, t, s = -d / 2, BOOKCASE_SIDE, SHELF_THICKNESS
    parts = [
        box("side_left", -w / 2, back, 0, -w / 2 + t, d / 2, h, "wood"),
        box("side_right", w / 2 - t, back, 0, w / 2, d / 2, h, "wood"),
        box("back", -w / 2 + t, back, 0, w / 2 - t, back + BOOKCASE_BACK, h, "dark_wood"),
        box("bottom", -w / 2 + t, back, 0, w / 2 - t, d / 2, BOOKCASE_PLINTH, "wood"),
        box("top", -w / 2 + t, back, h - s, w / 2 - t, d / 2, h, "wood"),
    ]
    for i, z in enumerate(shelf_centres(h)):
        parts.append(
            box(f"shelf{i}", -w / 2 + t, back + BOOKCASE_BACK, z - s / 2, w / 2 - t, d / 2, z + s / 2, "wood")
        )
        parts.append(
            box(
                f"books{i}",
                -w / 2 + 0.05,
                back + 0.03,
                z + s / 2,
                -w / 2 + 0.05 + w * PAINTED_BOOKS,
                d / 2 - 0.05,
                z + 0.22,
                "fabric_warm",
                collide=False,
            )
        )
    return parts


def floor_lamp(w: float, d: float, h: float) -> list[Part]:
    radius = min(w, d) / 2
    return [
        cylinder("base", 0, 0, 0.015, radius * 0.7, 0.03, "black"),
        cylinder("pole", 0, 0, (h - 0.3) / 2 + 0.015, 0.012, h - 0.33, "chrome"),
        cylinder("shade", 0, 0, h - 0.15, radius, 0.3, "lampshade", density=0.02),
    ]


def storage_bench(w: float, d: float, h: float) -> list[Part]:
    return [
        box("body", -w / 2, -d / 2, 0, w / 2, d / 2, h - 0.06, "wood"),
        box("cushion", -w / 2 + 0.01, -d / 2 + 0.01, h - 0.06, w / 2 - 0.01, d / 2 - 0.01, h, "cushion"),
    ]


def ottoman(w: float, d: float, h: float) -> list[Part]:
    return [
        *_legs(w, d, 0.06, "dark_wood", t=0.04, inset=0.03),
        box("body", -w / 2, -d / 2, 0.06, w / 2, d / 2, h, "fabric_warm"),
    ]


def corner_cabinet(w: float, d: float, h: float) -> list[Part]:
    lower = cabinet(w, d, h * 0.45, "wood", fronts=2)
    split = h * 0.45
    return [
        *lower,
        box("upper_body", -w / 2, -d / 2, split, w / 2, d / 2 - 0.1, h, "wood"),
        box(
            "upper_glass",
            -w / 2 + 0.03,
            d / 2 - 0.12,
            split + 0.03,
            w / 2 - 0.03,
            d / 2 - 0.1,
            h - 0.05,
            "glass",
            collide=False,
        ),
        box("upper_counter", -w / 2, -d / 2, split, w / 2, d / 2, split + 0.03, "dark_wood"),
        box(
            "upper_seam",
            -0.003,
            d / 2 - 0.125,
            split + 0.03,
            0.003,
            d / 2 - 0.095,
            h - 0.05,
            "wood",
            collide=False,
        ),
        *[
            box(
                f"upper_handle{i}",
                x,
                d / 2 - 0.1,
                split + 0.1,
                x + 0.02,
                d / 2 - 0.085,
                split + 0.25,
                "chrome",
                collide=False,
            )
            for i, x in enumerate((-0.05, 0.03))
        ],
    ]


def serving_cart(w: float, d: float, h: float) -> list[Part]:
    parts = [
        box("top", -w / 2, -d / 2, h - 0.03, w / 2, d / 2, h, "steel"),
        box("shelf", -w / 2, -d / 2, 0.18, w / 2, d / 2, 0.2, "steel"),
    ]
    for i, (x, y) in enumerate((x, y) for x in (-w / 2, w / 2 - 0.03) for y in (-d / 2, d / 2 - 0.03)):
        parts.append(box(f"post{i}", x, y, 0.08, x + 0.03, y + 0.03, h - 0.03, "chrome"))
        wheel_y = min(max(y + 0.015, -d / 2 + 0.04), d / 2 - 0.04)  # the wheel stays under the cart
        parts.append(cylinder(f"wheel{i}", x + 0.015, wheel_y, 0.04, 0.04, 0.025, "black", axis="x"))
    return parts


def fridge(w: float, d: float, h: float) -> list[Part]:
    front = d / 2
    split = h * 0.62
    return [
        box("body", -w / 2, -d / 2, 0, w / 2, front - 0.04, h, "white"),
        box(
            "freezer_door",
            -w / 2 + 0.005,
            front - 0.04,
            0.01,
            w / 2 - 0.005,
            front - 0.01,
            split - 0.01,
            "white",
        ),
        box(
            "fridge_door",
            -w / 2 + 0.005,
            front - 0.04,
            split + 0.01,
            w / 2 - 0.005,
            front - 0.01,
            h - 0.01,
            "white",
        ),
        box(
            "handle_top",
            w / 2 - 0.08,
            front - 0.01,
            split + 0.1,
            w / 2 - 0.06,
            front,
            split + 0.5,
            "chrome",
            collide=False,
        ),
        box(
            "handle_bottom",
            w / 2 - 0.08,
            front - 0.01,
            split - 0.5,
            w / 2 - 0.06,
            front,
            split - 0.1,
            "chrome",
            collide=False,
        ),
    ]


def oven(w: float, d: float, h: float) -> list[Part]:
    front = d / 2
    return [
        box("body", -w / 2, -d / 2, 0, w / 2, front - 0.02, h - 0.02, "steel"),
        box("cooktop", -w / 2, -d / 2, h - 0.02, w / 2, front, h, "black"),
        box(
            "window",
            -w / 2 + 0.06,
            front - 0.02,
            0.15,
            w / 2 - 0.06,
            front - 0.005,
            h - 0.25,
            "dark_glass",
            collide=False,
        ),
        box(
            "handle",
            -w / 2 + 0.08,
            front - 0.02,
            h - 0.2,
            w / 2 - 0.08,
            front,
            h - 0.18,
            "chrome",
            collide=False,
        ),
        *[
            cylinder(
                f"knob{i}",
                -w / 2 + (i + 1) * w / 5,
                front - 0.01,
                h - 0.08,
                0.02,
                0.02,
                "black",
                axis="y",
                collide=False,
            )
            for i in range(4)
        ],
        *[
            cylinder(f"burner{i}", x, y, h + 0.005, 0.08, 0.01, "counter", collide=False)
            for i, (x, y) in enumerate((x, y) for x in (-w / 4, w / 4) for y in (-d / 4, d / 4))
        ],
    ]


def dishwasher(w: float, d: float, h: float) -> list[Part]:
    front = d / 2
    return [
        box("body", -w / 2, -d / 2, 0, w / 2, front - 0.02, h, "steel"),
        box(
            "door",
            -w / 2 + 0.005,
            front - 0.02,
            0.08,
            w / 2 - 0.005,
            front - 0.005,
            h - 0.1,
            "steel",
            collide=False,
        ),
        box(
            "panel",
            -w / 2 + 0.005,
            front - 0.02,
            h - 0.1,
            w / 2 - 0.005,
            front - 0.005,
            h - 0.01,
            "black",
            collide=False,
        ),
        box(
            "handle",
            -w / 2 + 0.1,
            front - 0.005,
            h - 0.16,
            w / 2 - 0.1,
            front,
            h - 0.13,
            "chrome",
            collide=False,
        ),
    ]


def washing_machine(w: float, d: float, h: float) -> list[Part]:
    front = d / 2
    return [
        box("body", -w / 2, -d / 2, 0, w / 2, front - 0.03, h, "white"),
        cylinder(
            "door_ring", 0, front - 0.015, h * 0.45, min(w, h) * 0.3, 0.03, "chrome", axis="y", collide=False
        ),
        cylinder(
            "door_glass",
            0,
            front - 0.005,
            h * 0.45,
            min(w, h) * 0.24,
            0.01,
            "dark_glass",
            axis="y",
            collide=False,
        ),
        box(
            "panel",
            -w / 2 + 0.02,
            front - 0.03,
            h - 0.12,
            w / 2 - 0.02,
            front - 0.02,
            h - 0.02,
            "steel",
            collide=False,
        ),
        box(
            "handle",
            min(w, h) * 0.3 - 0.02,
            front - 0.01,
            h * 0.45 - 0.05,
            min(w, h) * 0.3 + 0.01,
            front,
            h * 0.45 + 0.05,
            "chrome",
            collide=False,
        ),
        cylinder("dial", w / 4, front - 0.015, h - 0.07, 0.03, 0.01, "chrome", axis="y", collide=False),
    ]


def kitchen_island(w: float, d: float, h: float) -> list[Part]:
    """A counter over a cabinet body, overhanging +y (for stools); doors and handles face -y."""
    parts = [
        box("body", -w / 2 + 0.05, -d / 2 + 0.05, 0, w / 2 - 0.05, d / 2 - 0.25, h - 0.04, "white"),
        box("counter", -w / 2, -d / 2, h - 0.04, w / 2, d / 2, h, "counter"),
    ]
    doors = max(1, round((w - 0.1) / 0.5))
    span = (w - 0.1) / doors
    for i in range(doors):
        x0 = -w / 2 + 0.05 + span * i
        parts.append(
            box(
                f"door{i}",
                x0 + 0.003,
                -d / 2 + 0.04,
                0.1,
                x0 + span - 0.003,
                -d / 2 + 0.05,
                h - 0.06,
                "white",
                collide=False,
            )
        )
        hx = x0 + span - 0.06 if i % 2 == 0 else x0 + 0.04
        parts.append(
            box(
                f"handle{i}",
                hx,
                -d / 2 + 0.03,
                h - 0.25,
                hx + 0.02,
                -d / 2 + 0.04,
                h - 0.1,
                "chrome",
                collide=False,
            )
        )
    return parts


def bath(w: float, d: float, h: float) -> list[Part]:
    t = 0.08
    return [
        box("base", -w / 2, -d / 2, 0, w / 2, d / 2, 0.15, "porcelain"),
        box("rim_back", -w / 2, -d / 2, 0.15, w / 2, -d / 2 + t, h, "porcelain"),
        box("rim_front", -w / 2, d / 2 - t, 0.15, w / 2, d / 2, h, "porcelain"),
        box("rim_left", -w / 2, -d / 2 + t, 0.15, -w / 2 + t, d / 2 - t, h, "porcelain"),
        box("rim_right", w / 2 - t, -d / 2 + t, 0.15, w / 2, d / 2 - t, h, "porcelain"),
        cylinder("tap", -w / 2 + 0.15, -d / 2 + 0.04, h + 0.1, 0.015, 0.2, "chrome", collide=False),
        cylinder(
            "spout", -w / 2 + 0.15, -d / 2 + 0.1, h + 0.19, 0.012, 0.12, "chrome", axis="y", collide=False
        ),
    ]


def shower(w: float, d: float, h: float) -> list[Part]:
    return [
        box("tray", -w / 2, -d / 2, 0, w / 2, d / 2, 0.08, "porcelain"),
        box("glass_front", -w / 2, d / 2 - 0.01, 0.08, w / 2, d / 2, h - 0.1, "glass"),
        box("glass_side", w / 2 - 0.01, -d / 2, 0.08, w / 2, d / 2 - 0.01, h - 0.1, "glass"),
        cylinder("riser", -w / 2 + 0.1, -d / 2 + 0.03, h / 2 + 0.3, 0.012, h - 0.6, "chrome", collide=False),
        cylinder("head", -w / 2 + 0.1, -d / 2 + 0.12, h - 0.25, 0.08, 0.02, "chrome", collide=False),
    ]


def toilet(w: float, d: float, h: float) -> list[Part]:
    back = -d / 2
    bowl_r = min(w / 2, 0.19)
    return [
        cylinder("bowl", 0, back + 0.18 + bowl_r, 0.2, bowl_r, 0.4, "porcelain"),
        box("pedestal", -0.12, back + 0.12, 0, 0.12, back + 0.4, 0.38, "porcelain"),
        cylinder("seat", 0, back + 0.18 + bowl_r, 0.41, bowl_r + 0.01, 0.02, "white", collide=False),
        box("tank", -w / 2, back, 0.38, w / 2, back + 0.18, h, "porcelain"),
        box(
            "tank_lid",
            -w / 2,
            back,
            h,
            w / 2 + 0.01,
            back + 0.19,
            h + 0.02,
            "porcelain",
            collide=False,
        ),
        cylinder("flush", 0, back + 0.09, h + 0.025, 0.025, 0.01, "chrome", collide=False),
    ]


def vanity(w: float, d: float, h: float) -> list[Part]:
    parts = cabinet(w, d, h, "light_wood", fronts=2, top_colour="counter")
    parts.append(cylinder("basin", 0, 0.02, h + 0.005, min(w, d) * 0.3, 0.01, "porcelain", collide=False))
    parts.append(cylinder("tap", 0, -d / 2 + 0.06, h + 0.12, 0.015, 0.24, "chrome", collide=False))
    parts.append(
        cylinder("spout", 0, -d / 2 + 0.12, h + 0.225, 0.012, 0.12, "chrome", axis="y", collide=False)
    )
    parts.append(cylinder("tap_knob", 0, -d / 2 + 0.06, h + 0.25, 0.02, 0.02, "chrome", collide=False))
    return parts


# -- kitchen runs and TVs (generated types: worldgen/kitchen.py) ----------------------------------
WORKTOP = 0.04
OVERHANG = 0.02  # the worktop's front edge beyond the doors
SEAM = 0.004  # gap between neighbouring fronts


def _fronts(x0: float, x1: float, z0: float, z1: float, y: float, across: int, prefix: str) -> list[Part]:
    """``across`` door fronts side by side between x0 and x1 (seams between), each with a bar handle
    near its top edge on the inner side."""
    parts = []
    step = (x1 - x0) / across
    for i in range(across):
        a, b = x0 + i * step + SEAM, x0 + (i + 1) * step - SEAM
        parts.append(box(f"{prefix}{i}", a, y - 0.02, z0 + SEAM, b, y, z1 - SEAM, "white", collide=False))
        hx = b - 0.05 if i % 2 == 0 or across == 1 else a + 0.03
        parts.append(
            box(f"{prefix}_handle{i}", hx, y, z1 - 0.17, hx + 0.02, y + 0.015, z1 - 0.04, "chrome", False)
        )
    return parts


def base_unit(w: float, d: float, h: float, drawer: bool = True) -> list[Part]:
    """A kitchen base unit: recessed plinth, carcass, a drawer over door fronts, worktop overhanging
    the fronts."""
    back, front = -d / 2, d / 2 - OVERHANG - 0.02
    plinth = 0.1
    top = h - WORKTOP
    parts = [
        box("plinth", -w / 2, back, 0, w / 2, front - 0.06, plinth, "black"),
        box("carcass", -w / 2, back, plinth, w / 2, front, top, "white"),
        box("worktop", -w / 2, -d / 2, top, w / 2, d / 2, h, "counter"),
    ]
    split = top - 0.17 if drawer else top
    if drawer:
        parts += [
            box(
                "drawer",
                -w / 2 + SEAM,
                front,
                split + SEAM,
                w / 2 - SEAM,
                front + 0.02,
                top - SEAM,
                "white",
                False,
            ),
            box(
                "drawer_handle",
                -0.1,
                front + 0.02,
                split + 0.07,
                0.1,
                front + 0.035,
                split + 0.09,
                "chrome",
                False,
            ),
        ]
    return parts + _fronts(-w / 2, w / 2, plinth, split, front + 0.02, 1 if w < 0.55 else 2, "door")


def kitchen_sink(w: float, d: float, h: float) -> list[Part]:
    """A base unit whose worktop frames a sunk steel basin, a mixer tap behind it."""
    parts = [p for p in base_unit(w, d, h, drawer=False) if p.name != "worktop"]
    bw, bd, depth = min(w - 0.16, 0.5), 0.38, 0.18
    by0, by1 = -d / 2 + 0.12, -d / 2 + 0.12 + bd
    top = h - WORKTOP
    parts += [
        box("worktop_back", -w / 2, -d / 2, top, w / 2, by0, h, "counter"),
        box("worktop_front", -w / 2, by1, top, w / 2, d / 2, h, "counter"),
        box("worktop_left", -w / 2, by0, top, -bw / 2, by1, h, "counter"),
        box("worktop_right", bw / 2, by0, top, w / 2, by1, h, "counter"),
        box("basin", -bw / 2, by0, h - depth, bw / 2, by1, h - depth + 0.01, "steel"),
        box("basin_back", -bw / 2, by0, h - depth, bw / 2, by0 + 0.01, h, "steel", False),
        box("basin_front", -bw / 2, by1 - 0.01, h - depth, bw / 2, by1, h, "steel", False),
        cylinder("tap", 0, -d / 2 + 0.06, h + 0.15, 0.015, 0.3, "chrome", collide=False),
        cylinder("spout", 0, -d / 2 + 0.13, h + 0.29, 0.012, 0.15, "chrome", axis="y", collide=False),
    ]
    return parts


def cooktop_unit(w: float, d: float, h: float) -> list[Part]:
    """A base unit with a black glass hob in the worktop: four rings and front knobs."""
    parts = base_unit(w, d, h)
    hw, hd = min(w - 0.06, 0.58), 0.5
    parts.append(box("hob", -hw / 2, -hd / 2, h, hw / 2, hd / 2, h + 0.006, "dark_glass", False))
    for i, (x, y) in enumerate((x, y) for x in (-hw / 4, hw / 4) for y in (-hd / 4, hd / 4)):
        radius = 0.09 if i % 3 == 0 else 0.07
        parts.append(cylinder(f"ring{i}", x, y, h + 0.008, radius, 0.004, "steel", collide=False))
    return parts


def wall_cabinet(w: float, d: float, h: float) -> list[Part]:
    """A wall-hung cupboard: carcass, door fronts with seams, handles at their lower edge."""
    front = d / 2 - 0.02
    parts = [box("carcass", -w / 2, -d / 2, 0, w / 2, front, h, "white")]
    for p in _fronts(-w / 2, w / 2, 0, h, d / 2, 1 if w < 0.55 else 2, "door"):
        if "handle" in p.name:  # upper cupboards open from below
            p = box(
                p.name,
                p.centre[0] - 0.01,
                front + 0.02,
                0.04,
                p.centre[0] + 0.01,
                d / 2 + 0.015,
                0.17,
                "chrome",
                False,
            )
        parts.append(p)
    return parts


def range_hood(w: float, d: float, h: float) -> list[Part]:
    """A chimney hood: a steel canopy over the hob, a narrower chimney up to ``h``."""
    return [
        box("canopy", -w / 2, -d / 2, 0, w / 2, d / 2, 0.1, "steel"),
        box("filter", -w / 2 + 0.03, -d / 2 + 0.03, -0.002, w / 2 - 0.03, d / 2 - 0.03, 0.0, "black", False),
        box("chimney", -0.15, -d / 2, 0.1, 0.15, -d / 2 + 0.26, h, "steel"),
    ]


def television(w: float, d: float, h: float) -> list[Part]:
    """A flat screen on a foot: thin black panel, dark screen on its +y face."""
    return [
        box("foot", -0.2, -d / 2, 0, 0.2, d / 2, 0.02, "black"),
        box("neck", -0.04, -0.03, 0.02, 0.04, 0.0, 0.1, "black"),
        box("panel", -w / 2, -0.03, 0.1, w / 2, 0.02, h, "black"),
        box("screen", -w / 2 + 0.015, 0.02, 0.115, w / 2 - 0.015, 0.024, h - 0.015, "dark_glass", False),
    ]


# -- decor (worldgen/decor.py): round things are visual cylinders on a hidden box collision, whose
# flat faces rest steadily on the box tops they stand on.
def _round(
    name: str, x: float, y: float, z0: float, z1: float, radius: float, colour: str, density: float = 1.0
) -> list[Part]:
    side = radius * 1.5  # between the inscribed (1.41 r) and the enclosing (2 r) square
    return [
        cylinder(name, x, y, (z0 + z1) / 2, radius, z1 - z0, colour, collide=False),
        Part(f"{name}_box", "box", (side, side, z1 - z0), (x, y, (z0 + z1) / 2), colour, density=density,
             visible=False),
    ]  # fmt: skip


def rug(w: float, d: float, h: float) -> list[Part]:
    border = min(w, d) * 0.08
    return [
        box("rug", -w / 2, -d / 2, 0, w / 2, d / 2, h, "rug"),
        box("field", -w / 2 + border, -d / 2 + border, h, w / 2 - border, d / 2 - border, h + 0.001,
            "rug_field", collide=False),
    ]  # fmt: skip


def plant(w: float, d: float, h: float) -> list[Part]:
    r = min(w, d) / 2
    pot_r, pot_h = r * 0.55, min(0.35, h * 0.3)
    parts = [
        *_round("pot", 0, 0, 0, pot_h, pot_r, "terracotta"),
        cylinder("soil", 0, 0, pot_h + 0.005, pot_r * 0.9, 0.01, "soil", collide=False),
        cylinder("stem", 0, 0, (pot_h + h * 0.6) / 2, 0.02, h * 0.6 - pot_h, "dark_wood", collide=False),
        *_round("crown", 0, 0, h * 0.45, h, r * 0.9, "leaf", density=0.03),
    ]
    for i, (x, y) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):  # leaves sticking out of the crown
        cx, cy = x * r * 0.55, y * r * 0.55
        parts.append(
            box(f"leaf{i}", cx - r * 0.4, cy - r * 0.4, h * 0.55, cx + r * 0.4, cy + r * 0.4, h * 0.8,
                "leaf_dark", collide=False)
        )  # fmt: skip
    return parts


def table_lamp(w: float, d: float, h: float) -> list[Part]:
    r = min(w, d) / 2
    shade_h = h * 0.4
    return [
        *_round("base", 0, 0, 0, 0.03, r * 0.55, "ceramic_blue"),
        cylinder("stem", 0, 0, (h - shade_h) / 2 + 0.03, 0.012, h - shade_h - 0.03, "chrome", collide=False),
        *_round("shade", 0, 0, h - shade_h, h, r, "lampshade", density=0.05),
    ]


BOOK_COLOURS = ("book_red", "book_blue", "book_ochre", "book_green", "dark_wood", "linen")


def books(w: float, d: float, h: float) -> list[Part]:
    """A row of standing books of varied heights and colours, or (low variants) a stack lying flat;
    one collision box under them all (a box per book would multiply the contacts to solve)."""
    if h < 0.15:
        layer = h / 3
        visuals = [
            box(f"book{i}", -w / 2 + 0.01 * (i % 2), -d / 2 + 0.008 * i, layer * i,
                w / 2 - 0.01 * ((i + 1) % 2), d / 2 - 0.008 * (2 - i), layer * (i + 1), BOOK_COLOURS[i],
                collide=False)
            for i in range(3)
        ]  # fmt: skip
    else:
        count = max(3, round(w / 0.04))
        step = w / count
        visuals = [
            box(f"book{i}", -w / 2 + step * i, -d / 2 + 0.02 * (i % 2), 0, -w / 2 + step * (i + 1) - 0.002,
                d / 2, h * (0.78 + 0.22 * ((i * 7) % 5) / 4), BOOK_COLOURS[i % len(BOOK_COLOURS)],
                collide=False)
            for i in range(count)
        ]  # fmt: skip
    body = Part("books", "box", (w - 0.02, d - 0.02, h * 0.78), (0, 0, h * 0.39), "linen", visible=False)
    return [*visuals, body]


def plate(w: float, d: float, h: float) -> list[Part]:
    r = min(w, d) / 2
    return [
        *_round("plate", 0, 0, 0, h, r, "porcelain"),
        cylinder("well", 0, 0, h + 0.0005, r * 0.7, 0.001, "white", collide=False),
    ]


def cup(w: float, d: float, h: float) -> list[Part]:
    r = d / 2
    x = -w / 2 + r
    return [
        *_round("cup", x, 0, 0, h, r, "ceramic_blue"),
        box("handle", x + r, -0.006, h * 0.3, w / 2, 0.006, h * 0.75, "ceramic_blue", collide=False),
    ]


def bowl(w: float, d: float, h: float) -> list[Part]:
    r = min(w, d) / 2
    return [
        *_round("foot", 0, 0, 0, h * 0.3, r * 0.55, "porcelain"),
        *_round("bowl", 0, 0, h * 0.3, h, r, "porcelain"),
    ]


def vase(w: float, d: float, h: float) -> list[Part]:
    r = min(w, d) / 2
    body = h * 0.6
    parts = [
        *_round("body", 0, 0, 0, body, r * 0.75, "ceramic_blue"),
        cylinder("neck", 0, 0, body + 0.04, r * 0.35, 0.08, "ceramic_blue", collide=False),
    ]
    for i, (x, y) in enumerate(((-0.3, 0.2), (0.35, 0.1), (0.0, -0.35))):  # flowers
        parts.append(
            cylinder(f"stalk{i}", x * r, y * r, (body + h) / 2, 0.004, h - body, "leaf", collide=False)
        )
        parts.append(cylinder(f"flower{i}", x * r, y * r, h - 0.02, r * 0.3, 0.04, "flower", collide=False))
    return parts


Builder = Callable[[float, float, float], list[Part]]

BUILDERS: dict[str, Builder] = {
    "Beds": bed,
    "Nightstands": lambda w, d, h: cabinet(w, d, h, "wood", fronts=2, drawers=True, plinth=0.05),
    "Dressers": lambda w, d, h: cabinet(w, d, h, "wood", fronts=4, drawers=True),
    "Desks": desk,
    "DeskChairs": desk_chair,
    "Bookcases": bookcase,
    "FloorLamps": floor_lamp,
    "StorageBenches": storage_bench,
    "Sofas": sofa,
    "CoffeeTables": lambda w, d, h: table(w, d, h, "dark_wood", shelf=True),
    "LivingRoomChairs": lambda w, d, h: sofa(w, d, h, "fabric_warm", seats=1),
    "MediaStorage": lambda w, d, h: cabinet(w, d, h, "dark_wood", fronts=3),
    "EndAndSideTables": lambda w, d, h: table(w, d, h, "dark_wood", shelf=True),
    "Ottomans": ottoman,
    "ConsoleTables": lambda w, d, h: table(w, d, h, "wood", shelf=True),
    "CornerCabinets": corner_cabinet,
    "DiningTables": lambda w, d, h: table(w, d, h, "wood"),
    "DiningChairs": chair,
    "SideboardsAndBuffets": lambda w, d, h: cabinet(w, d, h, "dark_wood", fronts=3),
    "BarCabinets": lambda w, d, h: cabinet(w, d, h, "dark_wood", fronts=2),
    "ServingCarts": serving_cart,
    "Fridges": fridge,
    "Ovens": oven,
    "DishWashers": dishwasher,
    "KitchenIslandsAndCarts": kitchen_island,
    "Storage": lambda w, d, h: cabinet(w, d, h, "white", fronts=2),
    "Baths": bath,
    "Showers": shower,
    "Toilets": toilet,
    "VanityCounters": vanity,
    "WashingMachinesAndDryers": washing_machine,
    # kitchen runs and TVs (generated types)
    "KitchenCounters": base_unit,
    "KitchenSinks": kitchen_sink,
    "Cooktops": cooktop_unit,
    "WallCabinets": wall_cabinet,
    "RangeHoods": range_hood,
    "Televisions": television,
    # decor (worldgen/decor.py)
    "Rugs": rug,
    "Plants": plant,
    "TableLamps": table_lamp,
    "Books": books,
    "Plates": plate,
    "Cups": cup,
    "Bowls": bowl,
    "Vases": vase,
}
assert set(BUILDERS) == set(ITEM_TYPES), "every item type needs a model builder"


@dataclass(frozen=True)
class GazeboModel:
    """One shared model directory: its files by relative path."""

    name: str
    files: dict[str, bytes]
    textures: tuple[TextureId, ...] = ()  # in the shared materials model, referenced by the mesh

    def mesh_paths(self) -> list[str]:
        return [path for path in self.files if path.startswith("meshes/")]


def _variants() -> dict[str, tuple[str, Variant]]:
    return {v.model: (t.type, v) for t in ITEM_TYPES.values() for v in t.variants}


VARIANTS: dict[str, tuple[str, Variant]] = _variants()


def model_names() -> list[str]:
    """Every model the catalogue can place."""
    return sorted(VARIANTS)


def _inertial(parts: list[Part], mass: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre of mass and inertia tensor of the colliding parts, mass shared by volume and density."""
    solid = [p for p in parts if p.collide] or parts
    volumes = np.array([p.volume * p.density for p in solid])
    masses = mass * volumes / volumes.sum()
    centres = np.array([p.centre for p in solid])
    com = (centres * masses[:, None]).sum(axis=0) / mass
    tensor = np.zeros((3, 3))
    for part, m, c in zip(solid, masses, centres, strict=True):
        offset = c - com
        tensor += part.inertia(m) + m * (offset @ offset * np.eye(3) - np.outer(offset, offset))
    return com, tensor


def _geometry(part: Part) -> str:
    if part.shape == "box":
        return f"<box><size>{fmt(part.size)}</size></box>"
    return f"<cylinder><radius>{fmt(part.size[0])}</radius><length>{fmt(part.size[1])}</length></cylinder>"


def build_parts(model: str) -> tuple[str, list[Part]]:
    """(furniture type, parts) of a catalogue model; KeyError for unknown names."""
    type_, variant = VARIANTS[model]
    return type_, BUILDERS[type_](variant.width, variant.depth, variant.height)


def model_sdf(name: str, type_: str, parts: list[Part], mesh_uri: str) -> str:
    physics = PHYSICS[type_]
    mass = float(physics.mass)
    com, tensor = _inertial(parts, mass)
    collisions = "".join(
        f'<collision name="{p.name}_{i}_collision"><pose>{pose_text(*p.centre, *p.rpy)}</pose>'
        f"<geometry>{_geometry(p)}</geometry><surface><friction><ode><mu>{FRICTION}</mu>"
        f"<mu2>{FRICTION}</mu2></ode></friction></surface></collision>"
        for i, p in enumerate(parts)
        if p.collide
    )
    tint = fmt(PALETTE["glass"][:3])
    glass = "".join(
        f'<visual name="{p.name}_{i}_visual"><pose>{pose_text(*p.centre, *p.rpy)}</pose>'
        f"<geometry>{_geometry(p)}</geometry><transparency>0.6</transparency>"
        f"<material><ambient>{tint} 1</ambient><diffuse>{tint} 1</diffuse>"
        "</material></visual>"
        for i, p in enumerate(parts)
        if p.colour == "glass"
    )
    return (
        '<?xml version="1.0"?>\n<sdf version="1.6">\n'
        f'<model name="{name}">\n<static>{"true" if physics.static else "false"}</static>\n'
        '<link name="link">\n'
        f"<inertial><pose>{pose_text(*com)}</pose><mass>{fmt(mass)}</mass><inertia>"
        f"<ixx>{fmt(tensor[0, 0])}</ixx><ixy>{fmt(tensor[0, 1])}</ixy><ixz>{fmt(tensor[0, 2])}</ixz>"
        f"<iyy>{fmt(tensor[1, 1])}</iyy><iyz>{fmt(tensor[1, 2])}</iyz><izz>{fmt(tensor[2, 2])}</izz>"
        "</inertia></inertial>\n"
        f"{collisions}\n"
        f'<visual name="visual"><geometry><mesh><uri>{mesh_uri}</uri></mesh></geometry></visual>\n'
        f"{glass}\n</link>\n</model>\n</sdf>\n"
    )


def model_config(name: str, description: str) -> str:
    return (
        '<?xml version="1.0"?>\n<model>\n'
        f"  <name>{name}</name>\n  <version>1.0</version>\n"
        '  <sdf version="1.6">model.sdf</sdf>\n'
        "  <author>\n    <name>jobforge</name>\n    <email>jobforge@localhost</email>\n  </author>\n"
        f"  <description>{description}</description>\n</model>\n"
    )


@lru_cache(maxsize=64)
def furniture_model(name: str) -> GazeboModel:
    """The model directory of catalogue model ``name`` (cached: archives share models)."""
    type_, parts = build_parts(name)
    by_colour: dict[str, list[trimesh.Trimesh]] = {}
    for part in parts:
        if part.colour != "glass" and part.visible:
            by_colour.setdefault(part.colour, []).append(part.mesh())
    meshes = [
        _surface(colour, trimesh.util.concatenate(found)) for colour, found in sorted(by_colour.items())
    ]
    mesh_path = f"meshes/{name}.dae"
    _, variant = VARIANTS[name]
    size = f"{variant.width:g} x {variant.depth:g} x {variant.height:g} m"
    return GazeboModel(
        name,
        {
            "model.config": model_config(name, f"{type_} ({size}), generated by jobforge").encode(),
            "model.sdf": model_sdf(name, type_, parts, f"model://{name}/{mesh_path}").encode(),
            mesh_path: collada_document(meshes, name),
        },
        tuple(("part", colour) for colour in sorted(by_colour) if part_texture(colour) is not None),
    )


def _surface(colour: str, mesh: trimesh.Trimesh) -> ColouredMesh:
    """The parts of one palette colour: textured where :data:`textures.SURFACES` has the colour
    (box-projected coordinates, images in the shared materials model), else flat."""
    found = part_texture(colour)
    if found is None:
        return ColouredMesh(colour, PALETTE[colour], mesh)
    folder = f"../../{MATERIALS_MODEL}/{TEXTURES_DIR}"  # from models/<name>/meshes/
    return ColouredMesh(
        colour,
        PALETTE[colour],
        mesh,
        box_uvs(mesh, found.repeat),
        f"{folder}/{found.albedo_file}",
        f"{folder}/{found.normal_file}",
    )
