"""Room shape tolerances: how close a generated room must be to its template's ``DesiredShape``.

The one place these numbers live; the floorplan generator aims inside them and the quality report
checks them (docs/world-quality.md explains the choice). Both are relative errors
``|achieved - requested| / requested``; the tolerance compares aspect ratios orientation-free, as
long side / short side. Orientation is kept separately: ratios are x/y (extent along x over extent
along y, as the template's ``AspectRatio`` x:y); the floor plan keeps the requested orientation
whenever a layout can (:func:`oriented_aspect_error`), and the report says per room whether it did
(``orientation_kept``), so a 1:3 request met by a 9 m (x) by 3 m (y) room is within the tolerance
but not in its orientation.

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


def along_request(requested: float, achieved: float) -> float:
    """The achieved x/y aspect measured along the requested long side: ``achieved`` for a request
    longer along x, its inverse for one longer along y (< 1 when the room is turned the other way),
    long/short for a square request."""
    if requested > 1:
        return achieved
    if requested < 1:
        return 1 / achieved
    return long_short(achieved)


def aspect_error(requested: float, achieved: float) -> float:
    """Relative error of the orientation-free aspect ratio (long side / short side)."""
    req = long_short(requested)
    return abs(long_short(achieved) - req) / req


def oriented_aspect_error(requested: float, achieved: float) -> float:
    """Relative error of the x/y aspect ratio in the requested orientation: a 3:1 request met by a
    1:3 room is 89% off (a square request has no orientation: as :func:`aspect_error`)."""
    req = long_short(requested)
    return abs(along_request(requested, achieved) - req) / req


def orientation_kept(requested: float, achieved: float) -> bool:
    """Whether a room's long side lies along the requested one (always, for a square request)."""
    return along_request(requested, achieved) >= 1.0 - 1e-9


def room_shape_check(
    requested_area: float, area: float, requested_aspect: float, aspect: float
) -> dict[str, Any]:
    """Requested vs achieved area and aspect ratio of one room, their errors and the outcomes
    (aspects as x/y ratios, or long/short where orientation is unknown; reported long/short)."""
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
        "orientation_kept": orientation_kept(requested_aspect, aspect),
    }
