"""Room shape tolerances: how close a generated room must be to its template's ``DesiredShape``.

The one place these numbers live; the floorplan generator aims inside them and the quality report
checks them (docs/world-quality.md explains the choice). Both are relative errors
``|achieved - requested| / requested``; aspect ratios are compared orientation-free, as long side /
short side, so a 1:3 request is met by a 3 m x 9 m room either way round.

* Area ±10%: at most 2 m² on a 20 m² room (4.5 m x 4.5 m becoming 4.5 m x 4.05 m).
* Aspect ratio ±15%: a 3:1 hall comes out between 2.55 and 3.45, a 1.2 bedroom between 1.02
  and 1.38 - a bedroom that is visibly "a bit longer than wide", never 2.25.
"""

from __future__ import annotations

from typing import Any

ROOM_AREA_TOLERANCE = 0.10
ROOM_ASPECT_TOLERANCE = 0.15


def long_short(aspect: float) -> float:
    """An aspect ratio as long side / short side (>= 1)."""
    return max(aspect, 1 / aspect)


def area_error(requested: float, achieved: float) -> float:
    """Relative area error."""
    return abs(achieved - requested) / requested


def aspect_error(requested: float, achieved: float) -> float:
    """Relative error of the orientation-free aspect ratio."""
    req = long_short(requested)
    return abs(long_short(achieved) - req) / req


def room_shape_check(
    requested_area: float, area: float, requested_aspect: float, aspect: float
) -> dict[str, Any]:
    """Requested vs achieved area and aspect ratio of one room, their errors and the outcomes."""
    a_err = area_error(requested_area, area)
    r_err = aspect_error(requested_aspect, aspect)
    return {
        "requested_area": requested_area,
        "area": round(area, 3),
        "area_error": round(a_err, 4),
        "area_ok": a_err <= ROOM_AREA_TOLERANCE + 1e-9,
        "requested_aspect": round(long_short(requested_aspect), 3),
        "aspect": round(long_short(aspect), 3),
        "aspect_error": round(r_err, 4),
        "aspect_ok": r_err <= ROOM_ASPECT_TOLERANCE + 1e-9,
    }
