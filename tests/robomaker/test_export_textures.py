"""Generated textures: PNGs that decode, normal maps, determinism, tiling, real-world scale, and an
archive that ships exactly the textures its meshes and worlds reference."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import PurePosixPath

import numpy as np
import pytest
from PIL import Image

from jobforge.services.robomaker.export import MODELS_DIR, ExportWorld, write_archive
from jobforge.services.robomaker.export import textures as tx
from jobforge.services.robomaker.template_format import parse_template_body
from jobforge.services.robomaker.worldgen import generate_world, world_description
from tests.robomaker.samples import SIX_ROOMS_V2, sample_body

ALL = [
    *[("floor", k) for k in tx.FLOORINGS],
    *[("wall", k) for k in tx.WALLS],
    *[("part", k) for k in tx.SURFACES],
]
TEXTURES = f"{MODELS_DIR}/models/{tx.MATERIALS_MODEL}/{tx.TEXTURES_DIR}/"


def _pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (tx.SIZE, tx.SIZE)
    return np.asarray(image, dtype=float)


def _check_normal_map(png: bytes) -> None:
    normals = _pixels(png) / 127.5 - 1
    length = np.linalg.norm(normals, axis=2)
    assert np.abs(length - 1).max() < 0.02  # unit vectors, up to 8-bit rounding
    assert (normals[..., 2] > 0.3).all() and normals[..., 2].mean() > 0.9  # +z dominant


@pytest.mark.parametrize("ref", ALL, ids=lambda ref: tx.texture_name(ref))
def test_textures_decode_and_normal_maps_are_unit_tangent_normals(ref: tx.TextureId) -> None:
    texture = tx.texture(ref)
    albedo = _pixels(texture.albedo)
    assert albedo.std() > 0.5, "a texture, not a flat colour"
    _check_normal_map(texture.normal)
    assert texture.albedo_file == f"{tx.texture_name(ref)}_albedo.png"


@pytest.mark.parametrize("ref", [("floor", "Floorboards"), ("wall", "Brick"), ("part", "fabric")])
def test_the_same_material_gives_the_same_bytes_and_tiles_seamlessly(ref: tx.TextureId) -> None:
    kind, name = ref
    tables = {"floor": tx.FLOORINGS, "wall": tx.WALLS, "part": tx.SURFACES}
    cached = tx.texture(ref)
    fresh = tx.make_texture(cached.name, tables[kind][name], tuple(_base_colour(ref)))
    assert (fresh.albedo, fresh.normal) == (cached.albedo, cached.normal)
    other = tx.make_texture(cached.name + "_other", tables[kind][name], tuple(_base_colour(ref)))
    assert other.albedo != cached.albedo  # the seed comes from the name
    # tiling: the step across the wrap (last column -> first, last row -> first) is no larger
    # than the largest step between neighbouring columns (rows) inside the tile, give or take
    # (the wrap of a plank or brick pattern is one of its joints, between two random shades)
    for image in (_pixels(cached.albedo), _pixels(cached.normal)):
        for axis in (0, 1):
            pixels = np.moveaxis(image, axis, 0)
            inside = np.abs(np.diff(pixels, axis=0)).mean(axis=(1, 2))
            assert np.abs(pixels[-1] - pixels[0]).mean() <= 1.25 * inside.max() + 2


def _base_colour(ref: tx.TextureId) -> tuple[float, float, float]:
    from jobforge.services.robomaker.export.models import PALETTE
    from jobforge.services.robomaker.export.sdf import FLOORING_COLOURS, WALL_COLOURS, material_colour

    kind, name = ref
    if kind == "part":
        return PALETTE[name][:3]
    return material_colour(name, FLOORING_COLOURS if kind == "floor" else WALL_COLOURS)


def _joints(height: np.ndarray, axis: int) -> int:
    """How many grooves (runs of low height) cross the tile along ``axis``'s profile."""
    profile = height.mean(axis=axis)
    low = profile < profile.mean() - 0.25 * (profile.max() - profile.min())
    return int(np.count_nonzero(low & ~np.roll(low, 1)))


def test_floor_patterns_have_real_world_sizes() -> None:
    """Planks 0.15-0.2 m wide and tiles 0.3-0.6 m, measured on the generated height fields."""
    boards = tx.FLOORINGS["Floorboards"]
    _, height = boards.pattern(np.random.default_rng(1))
    assert 0.15 <= boards.repeat / _joints(height, axis=1) <= 0.2  # joints between boards, along v
    for name in ("Tiles", "Stone"):
        tiles = tx.FLOORINGS[name]
        _, height = tiles.pattern(np.random.default_rng(1))
        assert 0.3 <= tiles.repeat / _joints(height, axis=0) <= 0.6
        assert 0.3 <= tiles.repeat / _joints(height, axis=1) <= 0.6
    bricks = tx.WALLS["Brick"]
    _, height = bricks.pattern(np.random.default_rng(1))
    assert 0.06 <= bricks.repeat / _joints(height, axis=1) <= 0.09  # brick courses with mortar


def test_unknown_materials_get_a_plaster_texture_with_a_safe_name() -> None:
    texture = tx.texture(("floor", "Marble / polished"))
    assert re.fullmatch(r"floor_Marble___polished_[0-9a-f]{8}", texture.name)
    assert texture.repeat == tx.FALLBACK.repeat
    _check_normal_map(texture.normal)
    with pytest.raises(KeyError):
        tx.texture(("part", "chrome"))  # chrome stays a flat colour


def _referenced(archive: zipfile.ZipFile) -> set[str]:
    """Every texture file (archive path) a mesh, world SDF or OGRE script names."""
    found: set[str] = set()
    models_root = f"{MODELS_DIR}/models/"
    for name in archive.namelist():
        data = archive.read(name)
        if name.endswith(".dae"):
            for image in ET.fromstring(data).iter("{http://www.collada.org/2005/11/COLLADASchema}image"):
                path = PurePosixPath(name).parent / image.findtext("{*}init_from")
                parts: list[str] = []
                for piece in path.parts:
                    parts = parts[:-1] if piece == ".." else [*parts, piece]
                found.add("/".join(parts))
        elif name.endswith((".world", ".sdf")):
            for uri in re.findall(r"model://([^<\s]+\.png)", data.decode()):
                found.add(models_root + uri)
        elif name.endswith(".material"):
            for file in re.findall(r"texture (\S+\.png)", data.decode()):
                found.add(TEXTURES + file)
    return found


def test_an_archive_ships_exactly_the_referenced_textures() -> None:
    worlds = [
        generate_world(parse_template_body(json.dumps(SIX_ROOMS_V2)), 7, 8, world_id="generation_t_world_1"),
        generate_world(parse_template_body(sample_body("TwoRooms")), 9, 10, world_id="generation_t_world_2"),
    ]
    out = io.BytesIO()
    write_archive(out, [ExportWorld(w, json.dumps(world_description(w))) for w in worlds])
    with zipfile.ZipFile(out) as archive:
        shipped = {n for n in archive.namelist() if n.startswith(TEXTURES)}
        referenced = _referenced(archive)
        assert shipped and shipped == referenced  # nothing missing, nothing unreferenced
        for name in shipped:
            if name.endswith("_normal.png"):
                _check_normal_map(archive.read(name))
            else:
                _pixels(archive.read(name))
        flooring = {room.flooring for w in worlds for room in w.rooms}
        assert {f"{TEXTURES}{tx.texture_name(('floor', f))}_albedo.png" for f in flooring} <= shipped
        # each world's floor and wall meshes carry texture coordinates
        meshes = [n for n in archive.namelist() if "/worlds/" in n and n.endswith(".dae")]
        assert meshes
        for name in meshes:
            root = ET.fromstring(archive.read(name))
            assert root.find(".//{*}input[@semantic='TEXCOORD']") is not None


def test_floor_meshes_map_metres_to_texture_tiles() -> None:
    """A floor mesh's texture coordinates are its rooms' x/y in metres over the texture's tile size
    (so a plank is as wide on a 3 m room as on a 9 m one)."""
    from jobforge.services.robomaker.export.sdf import WorldSdf

    world = generate_world(
        parse_template_body(json.dumps(SIX_ROOMS_V2)), 7, 8, world_id="generation_u_world_1"
    )
    writer = WorldSdf(world)
    meshes = writer.meshes()
    for flooring in {room.flooring for room in world.rooms}:
        ref = ("floor", flooring)
        root = ET.fromstring(meshes[f"meshes/{tx.texture_name(ref)}.dae"])
        arrays = {a.get("id").rsplit("-", 2)[1]: a.text.split() for a in root.iterfind(".//{*}float_array")}
        normals = np.array(arrays["nrm"], dtype=float).reshape(-1, 3)
        uvs = np.array(arrays["uv"], dtype=float).reshape(-1, 2) * tx.texture_repeat(ref)
        corners = np.array(root.findtext(".//{*}triangles/{*}p").split(), dtype=int).reshape(-1, 3, 3)
        top = np.abs(normals[corners[:, 0, 1], 2]) > 0.9  # the slabs' top and bottom faces
        uvs = uvs[corners[top][:, :, 2].reshape(-1)]
        rooms = [room.bounds for room in world.rooms if room.flooring == flooring]
        xs = [b[0] for b in rooms] + [b[2] for b in rooms]
        ys = [b[1] for b in rooms] + [b[3] for b in rooms]
        assert uvs[:, 0].min() == pytest.approx(min(xs), abs=1e-3)
        assert uvs[:, 0].max() == pytest.approx(max(xs), abs=1e-3)
        assert uvs[:, 1].min() == pytest.approx(min(ys), abs=1e-3)
        assert uvs[:, 1].max() == pytest.approx(max(ys), abs=1e-3)
