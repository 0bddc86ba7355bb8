"""MuJoCo loads of exported worlds (through their MJCF rendering): overlaps at rest, and what moves
while a world is stepped. Used by the physics tests and by ``bench/physics.py``."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

import mujoco
import numpy as np

from tests.robomaker.samples import hallway_house_body

MAX_SHIFT = 0.01  # m: nothing may move more than this while the world settles
MAX_PENETRATION = 0.002  # m: deeper contacts at rest are interpenetrating items


def furnished_six_rooms() -> str:
    """The six-room hallway house (hinged doors at their default opening), densely furnished."""
    body = json.loads(hallway_house_body())
    body["Buildings"][0]["Floors"][0]["Interior"] = {
        "Furniture": {
            "FurnitureArrangements": [
                {"Name": "Dense", "TargetSet": "Target.All", "DesiredSpatialDensity": "Dense"}
            ]
        }
    }
    return json.dumps(body)


def _geom(model: mujoco.MjModel, index: int) -> str:
    return mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, index) or f"geom {index}"


def overlaps(mjcf: str, tolerance: float = MAX_PENETRATION) -> list[str]:
    """Contacts deeper than ``tolerance`` in the world as written (before any step).

    Static bodies never collide with each other in MuJoCo: probe the rendering with
    ``furniture_static=False`` to see static furniture overlapping walls or other furniture.
    """
    model = mujoco.MjModel.from_xml_string(mjcf)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    found = []
    for index in range(data.ncon):
        contact = data.contact[index]
        if contact.dist < -tolerance:
            found.append(
                f"{_geom(model, contact.geom1)} x {_geom(model, contact.geom2)}: "
                f"{-contact.dist * 1000:.1f} mm deep"
            )
    return found


@dataclass(frozen=True)
class Settled:
    """What stepping a world did: the largest move of any geom, NaNs, and the speed."""

    simulated: float  # s of simulated time
    elapsed: float  # s of wall-clock time spent stepping
    max_shift: float  # m, over every geom centre
    worst: str  # the geom that moved most
    finite: bool
    bodies: int
    moving: int  # degrees of freedom

    @property
    def real_time_factor(self) -> float:
        return self.simulated / self.elapsed if self.elapsed > 0 else math.inf

    def problems(self, limit: float = MAX_SHIFT) -> list[str]:
        found = [] if self.finite else ["the state became NaN or infinite"]
        if not self.max_shift <= limit:
            found.append(f"{self.worst} moved {self.max_shift * 1000:.1f} mm")
        return found


def settle(mjcf: str, seconds: float = 2.0) -> Settled:
    """Load the MJCF and step it (untouched) for ``seconds`` of simulated time."""
    model = mujoco.MjModel.from_xml_string(mjcf)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    start = data.geom_xpos.copy()
    steps = math.ceil(seconds / model.opt.timestep)
    began = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data)
    elapsed = time.perf_counter() - began
    finite = bool(np.isfinite(data.qpos).all() and np.isfinite(data.qvel).all())
    shifts = np.linalg.norm(data.geom_xpos - start, axis=1)
    shifts = np.where(np.isfinite(shifts), shifts, np.inf)
    worst = int(shifts.argmax())
    return Settled(
        simulated=steps * model.opt.timestep,
        elapsed=elapsed,
        max_shift=float(shifts[worst]),
        worst=_geom(model, worst),
        finite=finite,
        bodies=model.nbody - 1,
        moving=model.nv,
    )
