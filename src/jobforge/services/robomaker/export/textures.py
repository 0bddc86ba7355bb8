"""Procedural, tileable surface textures for exported worlds: an albedo and a normal map per material.

Every texture is a pure function of its name (numpy with a seed derived from the name, Pillow's
PNG encoder at fixed settings), so the same material always gives the same bytes. A generator
draws a height field and an albedo over one square tile that wraps at its edges (periodic noise
is band-limited white noise filtered in the Fourier domain; patterns use whole numbers of planks,
tiles or bricks per tile); the tangent-space normal map is the height field's gradient, encoded
as ``(n + 1) / 2`` in RGB (flat = 128, 128, 255). ``repeat`` is the tile's edge in metres: meshes
carry texture coordinates in metres / repeat, so planks and tiles keep their real size.

Texture names: the world's flooring and wall material types (``floor_<Type>``, ``wall_<Type>``,
their colours from :mod:`sdf`'s tables) and furniture surfaces by palette colour name
(``part_<colour>``, see :data:`SURFACES`).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

SIZE = 256  # pixels along each edge of a tile
Colour = tuple[float, float, float]
Field = np.ndarray  # (SIZE, SIZE) floats; rows are v (down the image), columns u
Pattern = tuple[np.ndarray, Field]  # (albedo factor around the base colour (SIZE, SIZE, 3), height 0..1)


@dataclass(frozen=True)
class Texture:
    """One material's PNGs and the metres one tile covers."""

    name: str
    albedo: bytes
    normal: bytes
    repeat: float

    @property
    def albedo_file(self) -> str:
        return f"{self.name}_albedo.png"

    @property
    def normal_file(self) -> str:
        return f"{self.name}_normal.png"


# -- building blocks -----------------------------------------------------------------------------
def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little"))


def _noise(rng: np.random.Generator, features: float, stretch: tuple[float, float] = (1.0, 1.0)) -> Field:
    """Periodic noise, 0..1, with blobs about SIZE / ``features`` pixels across (stretched along u/v)."""
    white = rng.standard_normal((SIZE, SIZE))
    fv = np.fft.fftfreq(SIZE)[:, None] * SIZE / stretch[1]
    fu = np.fft.fftfreq(SIZE)[None, :] * SIZE / stretch[0]
    filtered = np.fft.ifft2(np.fft.fft2(white) * np.exp(-(fu**2 + fv**2) / (2 * features**2))).real
    return (filtered - filtered.min()) / (np.ptp(filtered) or 1.0)


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """(u, v) pixel coordinates, each (SIZE, SIZE)."""
    v, u = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    return u, v


def _grooves(position: np.ndarray, period: float, width: float) -> Field:
    """1 in a groove ``width`` pixels wide every ``period`` pixels (soft edges), else 0."""
    distance = np.abs((position + width / 2) % period - width / 2)
    return np.clip(1.0 - distance / max(width, 1e-6), 0.0, 1.0)


def _grey(field: Field, amount: float) -> np.ndarray:
    """An albedo factor 1 +/- ``amount`` following ``field`` (0..1), the same on every channel."""
    return np.repeat((1.0 + amount * (field - 0.5) * 2)[..., None], 3, axis=2)


def _cells(index: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """One random brightness per integer cell ``index`` (planks, tiles, bricks), 1 +/- ``amount``."""
    shades = 1.0 + amount * (rng.random(int(index.max()) + 1) - 0.5) * 2
    return shades[index]


# -- patterns: (rng) -> (albedo factor, height) -------------------------------------------------------
def planks(rng: np.random.Generator, boards: int = 4, rows: int = 1, grain: float = 0.12) -> Pattern:
    """Boards along u (``boards`` across v), each with its own shade and wood grain; butt joints
    staggered when ``rows`` > 1."""
    u, v = _grid()
    pitch = SIZE / boards
    board = (v // pitch).astype(int)
    offset = (board * 0.37 % 1.0) * SIZE / rows if rows > 1 else 0.0
    along = (u + offset) % SIZE
    piece = board * rows + (along // (SIZE / rows)).astype(int)
    streaks = _noise(rng, 3.0, stretch=(0.08, 1.0))  # grain lines along u, wavering slowly
    wobble = _noise(rng, 2.0)
    rings = 0.5 + 0.5 * np.sin(2 * np.pi * (v / pitch * 3 + streaks * 4 + wobble * 3))
    joints = np.maximum(_grooves(v, pitch, 1.5), _grooves(along, SIZE / rows, 1.5) if rows > 1 else 0.0)
    height = 0.7 + 0.2 * rings * grain / 0.12 - 0.7 * joints
    factor = _grey(rings, grain) * _cells(piece, rng, 0.12)[..., None] * (1 - 0.45 * joints)[..., None]
    return factor, height


def tiles(rng: np.random.Generator, count: int = 2, grout: float = 4.0, shade: float = 0.04) -> Pattern:
    """``count`` x ``count`` square tiles separated by grout lines."""
    u, v = _grid()
    pitch = SIZE / count
    lines = np.maximum(_grooves(u, pitch, grout), _grooves(v, pitch, grout))
    cell = (v // pitch).astype(int) * count + (u // pitch).astype(int)
    speckle = _noise(rng, 40.0)
    factor = _grey(speckle, 0.03) * _cells(cell, rng, shade)[..., None] * (1 - 0.3 * lines)[..., None]
    return factor, 0.9 - 0.8 * lines + 0.02 * speckle


def bricks(rng: np.random.Generator, across: int = 4, courses: int = 12) -> Pattern:
    """Running-bond brick courses with mortar joints (mortar lighter, recessed)."""
    u, v = _grid()
    course = (v // (SIZE / courses)).astype(int)
    along = (u + (course % 2) * SIZE / across / 2) % SIZE
    brick = course * across + (along // (SIZE / across)).astype(int)
    mortar = np.maximum(_grooves(v, SIZE / courses, 3.0), _grooves(along, SIZE / across, 3.0))
    rough = _noise(rng, 30.0)
    factor = _grey(rough, 0.08) * _cells(brick, rng, 0.15)[..., None]
    factor = factor * (1 - mortar)[..., None] + 1.5 * mortar[..., None]
    return factor, 0.85 - 0.7 * mortar + 0.1 * rough


def flagstones(rng: np.random.Generator) -> Pattern:
    """Irregular stone: large-scale mottling over 2 x 2 slabs with narrow joints."""
    factor, height = tiles(rng, count=2, grout=3.0, shade=0.12)
    mottling = _noise(rng, 6.0)
    return factor * _grey(mottling, 0.12), height * (0.85 + 0.15 * mottling)


def mottled(features: float, amount: float, relief: float) -> Callable[[np.random.Generator], Pattern]:
    """Plaster, paint, concrete, linoleum, porcelain: noise at one scale plus fine grain."""

    def pattern(rng: np.random.Generator) -> Pattern:
        coarse, fine = _noise(rng, features), _noise(rng, 60.0)
        return _grey(0.7 * coarse + 0.3 * fine, amount), relief * (0.6 * coarse + 0.4 * fine)

    return pattern


def weave(rng: np.random.Generator, threads: int = 32, pile: bool = False) -> Pattern:
    """Fabric: a plain weave of ``threads`` threads per tile; ``pile`` makes it carpet (fuzzy)."""
    u, v = _grid()
    pitch = SIZE / threads
    warp = 0.5 + 0.5 * np.cos(2 * np.pi * u / pitch)
    weft = 0.5 + 0.5 * np.cos(2 * np.pi * v / pitch)
    over = ((u // pitch + v // pitch) % 2).astype(float)
    height = over * warp + (1 - over) * weft
    fuzz = _noise(rng, 90.0 if pile else 20.0)
    if pile:
        height = 0.4 * height + 0.6 * fuzz
    return _grey(0.6 * height + 0.4 * fuzz, 0.1 if pile else 0.08), height


def stripes(rng: np.random.Generator, count: int = 6) -> Pattern:
    """Wallpaper: alternating stripes with a faint paper texture."""
    u, _ = _grid()
    band = 0.5 + 0.5 * np.cos(2 * np.pi * u * count / SIZE)
    paper = _noise(rng, 50.0)
    return _grey(0.8 * band + 0.2 * paper, 0.08), 0.1 * paper


def brushed(rng: np.random.Generator) -> Pattern:
    """Brushed metal: fine streaks along u."""
    streaks = _noise(rng, 80.0, stretch=(0.02, 1.0))
    return _grey(streaks, 0.06), 0.15 * streaks


@dataclass(frozen=True)
class Surface:
    """How a material looks: its pattern, the tile's size in metres and the relief's strength."""

    pattern: Callable[[np.random.Generator], Pattern]
    repeat: float
    bumpiness: float = 4.0


# Floors: planks 0.18 m wide (4 per 0.72 m), tiles 0.4 m, parquet blocks 0.075 m (8 per 0.6 m).
FLOORINGS: dict[str, Surface] = {
    "Floorboards": Surface(lambda rng: planks(rng, boards=4, rows=2), 0.72),
    "Parquetry": Surface(lambda rng: planks(rng, boards=8, rows=4, grain=0.06), 0.6),
    "Tiles": Surface(tiles, 0.8),
    "Carpet": Surface(lambda rng: weave(rng, threads=64, pile=True), 0.25, 2.0),
    "Linoleum": Surface(mottled(10.0, 0.05, 0.05), 1.0, 1.0),
    "Concrete": Surface(mottled(12.0, 0.10, 0.3), 1.5, 2.0),
    "Stone": Surface(flagstones, 1.2),
}
# Walls: bricks 0.225 x 0.075 m with joints (4 x 12 per 0.9 m), tiles 0.2 m, panels 0.15 m.
WALLS: dict[str, Surface] = {
    "WallPaint": Surface(mottled(16.0, 0.03, 0.2), 1.0, 1.0),
    "Wallpaper": Surface(stripes, 0.5, 1.0),
    "Brick": Surface(bricks, 0.9),
    "WoodPanels": Surface(lambda rng: planks(rng, boards=4, grain=0.08), 0.6),
    "Tiles": Surface(lambda rng: tiles(rng, count=4, grout=3.0), 0.8),
    "Concrete": FLOORINGS["Concrete"],
    "Stone": Surface(flagstones, 1.2),
}
FALLBACK = Surface(mottled(12.0, 0.06, 0.2), 1.0, 1.0)  # other material names: plain plaster

# Furniture: palette colour name -> surface class (colours not listed stay flat: chrome, glass, ...).
WOOD = Surface(lambda rng: planks(rng, boards=2, grain=0.16), 0.5, 2.0)
FABRIC = Surface(weave, 0.12, 1.0)
SURFACES: dict[str, Surface] = {
    "wood": WOOD,
    "dark_wood": WOOD,
    "light_wood": WOOD,
    "fabric": FABRIC,
    "fabric_warm": FABRIC,
    "cushion": FABRIC,
    "linen": Surface(lambda rng: weave(rng, threads=48), 0.1, 1.0),
    "steel": Surface(brushed, 0.3, 1.0),
    "porcelain": Surface(mottled(8.0, 0.015, 0.05), 0.5, 0.5),
    "white": Surface(mottled(8.0, 0.015, 0.05), 0.5, 0.5),
    "counter": Surface(mottled(40.0, 0.12, 0.1), 0.6, 1.0),
}


# -- encoding ---------------------------------------------------------------------------------------
def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "PNG", compress_level=3)  # 6: 3.5x slower, 12% smaller
    return out.getvalue()


def normal_pixels(height: Field, bumpiness: float) -> np.ndarray:
    """Tangent-space normals of a periodic height field (x along u, y up the image), RGB bytes."""
    du = (np.roll(height, -1, axis=1) - np.roll(height, 1, axis=1)) / 2
    dv = (np.roll(height, -1, axis=0) - np.roll(height, 1, axis=0)) / 2
    normals = np.stack([-bumpiness * du, bumpiness * dv, np.ones_like(height)], axis=2)
    normals /= np.linalg.norm(normals, axis=2, keepdims=True)
    return np.round((normals + 1) * 127.5).astype(np.uint8)


def make_texture(name: str, surface: Surface, colour: Colour) -> Texture:
    """The texture ``name`` of ``surface`` around base ``colour`` (RGB 0..1)."""
    factor, height = surface.pattern(_rng(name))
    albedo = np.clip(np.asarray(colour)[None, None, :] * factor, 0.0, 1.0)
    return Texture(
        name,
        _png(np.round(albedo * 255).astype(np.uint8)),
        _png(normal_pixels(np.clip(height, 0.0, 1.0), surface.bumpiness)),
        surface.repeat,
    )


@lru_cache(maxsize=128)
def floor_texture(material: str) -> Texture:
    """The texture of a flooring material type (any name: unknown ones look like plaster)."""
    from jobforge.services.robomaker.export.sdf import FLOORING_COLOURS, material_colour

    colour = material_colour(material, FLOORING_COLOURS)
    return make_texture(texture_name(("floor", material)), FLOORINGS.get(material, FALLBACK), colour)


@lru_cache(maxsize=128)
def wall_texture(material: str) -> Texture:
    """The texture of a wall material type (any name: unknown ones look like plaster)."""
    from jobforge.services.robomaker.export.sdf import WALL_COLOURS, material_colour

    colour = material_colour(material, WALL_COLOURS)
    return make_texture(texture_name(("wall", material)), WALLS.get(material, FALLBACK), colour)


@lru_cache(maxsize=64)
def part_texture(colour_name: str) -> Texture | None:
    """The texture of furniture parts of palette colour ``colour_name``, None where parts stay flat."""
    from jobforge.services.robomaker.export.models import PALETTE

    surface = SURFACES.get(colour_name)
    if surface is None:
        return None
    return make_texture(texture_name(("part", colour_name)), surface, PALETTE[colour_name][:3])


def texture_key(material: str) -> str:
    """A file-name-safe key for a material name (a digest keeps distinct names distinct)."""
    safe = "".join(c if c.isalnum() else "_" for c in material)[:40]
    if safe == material:
        return safe
    return f"{safe}_{hashlib.sha256(material.encode()).hexdigest()[:8]}"


TextureId = tuple[str, str]  # ("floor" | "wall" | "part", material type or palette colour name)
MATERIALS_MODEL = "jobforge_materials"  # the shared model directory holding every shipped texture
TEXTURES_DIR = "materials/textures"
SCRIPTS_DIR = "materials/scripts"
SCRIPT_FILE = "jobforge.material"


def texture_name(ref: TextureId) -> str:
    """The name (file stem and OGRE material name) of a texture, without generating it."""
    return f"{ref[0]}_{texture_key(ref[1])}"


def texture_repeat(ref: TextureId) -> float:
    """The metres one tile of a texture covers, without generating it."""
    kind, name = ref
    table = {"floor": FLOORINGS, "wall": WALLS}.get(kind)
    return (table.get(name, FALLBACK) if table is not None else SURFACES[name]).repeat


def texture(ref: TextureId) -> Texture:
    """The texture a mesh or world references by ``(kind, name)``; KeyError for flat colours."""
    kind, name = ref
    if kind == "floor":
        return floor_texture(name)
    if kind == "wall":
        return wall_texture(name)
    found = part_texture(name) if kind == "part" else None
    if found is None:
        raise KeyError(ref)
    return found


def ogre_material(item: Texture) -> str:
    """A Gazebo classic (OGRE 1.x) material script entry: the albedo as the diffuse texture."""
    return (
        f"material JobForge/{item.name}\n{{\n  technique\n  {{\n    pass\n    {{\n"
        "      ambient 0.8 0.8 0.8 1\n      diffuse 1 1 1 1\n      specular 0.05 0.05 0.05 1 8\n"
        f"      texture_unit\n      {{\n        texture {item.albedo_file}\n"
        "        filtering anisotropic\n        max_anisotropy 8\n      }\n    }\n  }\n}\n"
    )


def materials_model_files(refs: Iterable[TextureId]) -> dict[str, bytes]:
    """The shared materials model directory for ``refs``: every albedo and normal map PNG once,
    an OGRE script naming each for Gazebo classic, and a model.config/model.sdf so model paths
    accept the directory as a model (``model://jobforge_materials/...``)."""
    from jobforge.services.robomaker.export.models import model_config

    items = [texture(ref) for ref in sorted(set(refs))]
    description = "Generated textures (albedo and normal maps) of the exported worlds and models"
    files = {
        "model.config": model_config(MATERIALS_MODEL, description).encode(),
        "model.sdf": (
            f'<?xml version="1.0"?>\n<sdf version="1.6">\n<model name="{MATERIALS_MODEL}">\n'
            '<static>true</static>\n<link name="link"/>\n</model>\n</sdf>\n'
        ).encode(),
        f"{SCRIPTS_DIR}/{SCRIPT_FILE}": "".join(ogre_material(item) for item in items).encode(),
    }
    for item in items:
        files[f"{TEXTURES_DIR}/{item.albedo_file}"] = item.albedo
        files[f"{TEXTURES_DIR}/{item.normal_file}"] = item.normal
    return files
