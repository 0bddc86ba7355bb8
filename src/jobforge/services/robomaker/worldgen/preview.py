"""Top-down PNG preview of a world (Pillow): rooms by type with labels, walls, windows, doors with
swing arcs, openings, furniture footprints and the spawn cylinder. About 800 px on the long side."""

from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from jobforge.services.robomaker.worldgen.world import FLOOR_CLEARANCE, TRAVERSABLE_HEIGHT, World

LONG_SIDE_PX = 800
MARGIN_M = 0.8

ROOM_COLORS: dict[str, tuple[int, int, int]] = {
    "Bedroom": (198, 219, 239),
    "Bathroom": (199, 233, 229),
    "Living": (255, 237, 179),
    "Dining": (253, 208, 162),
    "Kitchen": (204, 235, 197),
    "Hallway": (225, 225, 225),
    "Closet": (218, 204, 232),
}
FURNITURE_FILL = (160, 140, 120)
FURNITURE_EDGE = (90, 70, 55)
HUNG_EDGE = (60, 110, 160)  # items hung on the wall above others
RUG_FILL = (205, 150, 140)  # rugs are drawn first, under the furniture standing on them
PLANT_FILL = (95, 155, 95)
OBJECT_FILL = (240, 232, 215)  # small objects on surfaces, drawn over what they stand on
WALL_COLOR = (30, 30, 30)
DOOR_COLOR = (150, 90, 30)
WINDOW_FILL = (190, 225, 245)
WINDOW_GLASS = (40, 110, 170)
ABBREVIATIONS: dict[str, str] = {
    "Beds": "bed", "Sofas": "sofa", "DiningTables": "table", "Baths": "bath", "Showers": "shower",
    "Fridges": "fridge", "Ovens": "oven", "Desks": "desk", "Dressers": "dresser", "Toilets": "wc",
    "KitchenIslandsAndCarts": "island", "VanityCounters": "vanity", "MediaStorage": "media",
    "SideboardsAndBuffets": "buffet", "Bookcases": "books", "CoffeeTables": "coffee", "Storage": "storage",
    "DishWashers": "dw", "WashingMachinesAndDryers": "wash", "ConsoleTables": "console",
    "BarCabinets": "bar", "StorageBenches": "bench", "ServingCarts": "cart", "CornerCabinets": "cab",
    "LivingRoomChairs": "chair", "Ottomans": "ott", "Nightstands": "ns", "FloorLamps": "lamp",
    "EndAndSideTables": "side", "KitchenSinks": "sink", "Cooktops": "hob", "Televisions": "tv",
}  # fmt: skip


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def render_preview(world: World, long_side: int = LONG_SIDE_PX) -> bytes:
    """PNG bytes of a top-down plan of ``world``."""
    fx0, fy0, fx1, fy1 = world.footprint
    span_x = fx1 - fx0 + 2 * MARGIN_M
    span_y = fy1 - fy0 + 2 * MARGIN_M
    scale = long_side / max(span_x, span_y)
    width, height = round(span_x * scale), round(span_y * scale)
    ox, oy = fx0 - MARGIN_M, fy1 + MARGIN_M

    def px(x: float, y: float) -> tuple[float, float]:
        return ((x - ox) * scale, (oy - y) * scale)

    def rect(b: tuple[float, float, float, float]) -> list[float]:
        x0, y0 = px(b[0], b[3])
        x1, y1 = px(b[2], b[1])
        return [x0, y0, x1, y1]

    img = Image.new("RGB", (width, height), (250, 250, 247))
    draw = ImageDraw.Draw(img)
    label_font = _font(max(11, int(scale * 0.28)))
    small_font = _font(max(9, int(scale * 0.2)))
    tiny_font = _font(max(8, int(scale * 0.16)))

    for room in world.rooms:  # polygons: a room need not be a rectangle, nor the house
        draw.polygon([px(*p) for p in room.polygon], fill=ROOM_COLORS.get(room.type, (235, 235, 235)))

    for item in sorted(world.furniture, key=lambda i: i.z):
        b = item.box()
        if item.z >= FLOOR_CLEARANCE:  # wall cabinets, hoods: an outline over what stands below
            draw.rectangle(rect(b), outline=HUNG_EDGE, width=1)
            continue
        draw.rectangle(rect(b), fill=FURNITURE_FILL, outline=FURNITURE_EDGE, width=1)
    for item in sorted(world.furniture, key=lambda it: it.blocks_floor or it.z > 0):  # rugs first
        b = item.box()
        on_surface = item.parent is not None and item.z >= TRAVERSABLE_HEIGHT
        fill = RUG_FILL if item.type == "Rugs" else PLANT_FILL if item.type == "Plants" else FURNITURE_FILL
        draw.rectangle(rect(b), fill=OBJECT_FILL if on_surface else fill, outline=FURNITURE_EDGE, width=1)
        if on_surface or item.type in ("Rugs", "Plants"):
            continue
        # Mark the front edge so orientation is visible.
        fx, fy = -math.sin(item.yaw), math.cos(item.yaw)
        if abs(fx) > 0.5:
            x = b[2] if fx > 0 else b[0]
            draw.line([px(x, b[1]), px(x, b[3])], fill=(240, 230, 210), width=2)
        else:
            y = b[3] if fy > 0 else b[1]
            draw.line([px(b[0], y), px(b[2], y)], fill=(240, 230, 210), width=2)
        abbr = ABBREVIATIONS.get(item.type)
        if abbr:
            cx, cy = px(item.x, item.y)
            tw = draw.textlength(abbr, font=tiny_font)
            if tw < (b[2] - b[0]) * scale - 4 and tiny_font.size < (b[3] - b[1]) * scale - 2:
                draw.text((cx, cy), abbr, fill=(255, 255, 255), font=tiny_font, anchor="mm")

    thickness = {wall.id: wall.thickness for wall in world.walls}
    for wall in world.walls:
        for b in wall.solid_boxes():
            draw.rectangle(rect(b), fill=WALL_COLOR)
    for window in world.windows:  # a pale gap in the wall with the glass as a line along it
        a, b = window.span()
        half = thickness[window.wall] / 2
        cx, cy = window.center
        box = (a, cy - half, b, cy + half) if window.axis == "x" else (cx - half, a, cx + half, b)
        draw.rectangle(rect(box), fill=WINDOW_FILL, outline=WALL_COLOR, width=1)
        ends = ((a, cy), (b, cy)) if window.axis == "x" else ((cx, a), (cx, b))
        draw.line([px(*ends[0]), px(*ends[1])], fill=WINDOW_GLASS, width=2)

    for d in world.doorways:
        cx, cy = d.center
        half = d.width / 2
        a, b = ((cx - half, cy), (cx + half, cy)) if d.axis == "x" else ((cx, cy - half), (cx, cy + half))
        if d.kind == "Opening":
            _dashed(draw, px(*a), px(*b), (120, 120, 120))
            continue
        leaf = d.door_leaf()
        if leaf is None:
            _dashed(draw, px(*a), px(*b), (150, 150, 150))
            continue
        (hx, hy), _ = leaf
        along = (cx - hx, cy - hy)
        n = math.hypot(*along)
        along = (along[0] / n, along[1] / n)
        normal = (0.0, d.swing_sign) if d.axis == "x" else (d.swing_sign, 0.0)
        b1 = -math.degrees(math.atan2(along[1], along[0]))
        b2 = -math.degrees(math.atan2(normal[1], normal[0]))
        start, end = (b1, b2) if (b2 - b1) % 360 == 90 else (b2, b1)
        r = d.width * scale
        hxp, hyp = px(hx, hy)
        draw.arc([hxp - r, hyp - r, hxp + r, hyp + r], start, end, fill=(170, 150, 130), width=1)
        draw.line([px(*leaf[0]), px(*leaf[1])], fill=DOOR_COLOR, width=3)

    # Spawn cylinder.
    sx, sy = px(*world.spawn)
    r = world.spawn_clear_radius * scale
    draw.ellipse([sx - r, sy - r, sx + r, sy + r], outline=(210, 40, 40), width=2)
    draw.line([sx - 5, sy, sx + 5, sy], fill=(210, 40, 40), width=2)
    draw.line([sx, sy - 5, sx, sy + 5], fill=(210, 40, 40), width=2)

    boxes = [it.box() for it in world.furniture]
    for room in world.rooms:
        lines = [(room.name, label_font), (f"{room.type} · {room.area:.1f} m2", small_font)]
        total = sum(f.size + 2 for _, f in lines) / scale
        widest = max(draw.textlength(t, font=f) for t, f in lines) / scale
        cx, cy = _label_spot(room.rects[0], widest, total, boxes, world.spawn, world.spawn_clear_radius)
        tx, ty = px(cx, cy)
        y = ty - total * scale / 2
        for text, font in lines:
            draw.text((tx, y), text, fill=(20, 20, 20), font=font, anchor="mt", stroke_width=2,
                      stroke_fill=(255, 255, 255))  # fmt: skip
            y += font.size + 2

    # Scale bar (1 m) and caption.
    bx, by = 10, height - 14
    draw.line([bx, by, bx + scale, by], fill=(0, 0, 0), width=3)
    draw.text((bx + scale + 6, by), "1 m", fill=(0, 0, 0), font=small_font, anchor="lm")
    draw.text((10, 8), world.world_id, fill=(60, 60, 60), font=small_font)

    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=3)
    return out.getvalue()


def _label_spot(
    bounds: tuple[float, float, float, float],
    w: float,
    h: float,
    boxes: list[tuple[float, float, float, float]],
    spawn: tuple[float, float],
    spawn_r: float,
) -> tuple[float, float]:
    """A label centre inside the room whose text box avoids furniture and the spawn mark if possible."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    best = (cx, cy)
    best_hits = None
    for fx, fy in (
        (0, 0),
        (0, 0.25),
        (0, -0.25),
        (0, 0.15),
        (0, -0.15),
        (-0.2, 0),
        (0.2, 0),
        (0, 0.33),
        (0, -0.33),
    ):
        px_, py_ = cx + fx * (x1 - x0), cy + fy * (y1 - y0)
        lb = (px_ - w / 2, py_ - h / 2, px_ + w / 2, py_ + h / 2)
        hits = sum(1 for b in boxes if b[0] < lb[2] and lb[0] < b[2] and b[1] < lb[3] and lb[1] < b[3])
        sx, sy = spawn
        if lb[0] - spawn_r < sx < lb[2] + spawn_r and lb[1] - spawn_r < sy < lb[3] + spawn_r:
            hits += 1
        if best_hits is None or hits < best_hits:
            best, best_hits = (px_, py_), hits
        if hits == 0:
            break
    return best


def _dashed(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], color: tuple) -> None:
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    steps = max(1, int(length // 6))
    for i in range(0, steps, 2):
        t0, t1 = i / steps, min(1.0, (i + 1) / steps)
        draw.line(
            [
                (a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1),
            ],
            fill=color,
            width=2,
        )
