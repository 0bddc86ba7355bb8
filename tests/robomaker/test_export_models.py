"""The shared furniture models: files, geometry, inertials, and libsdformat's verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from jobforge.services.robomaker.export.check import check_sdf_file
from jobforge.services.robomaker.export.models import (
    VARIANTS,
    build_parts,
    furniture_model,
    model_names,
)
from jobforge.services.robomaker.worldgen.catalog import ITEM_TYPES, PHYSICS
from tests.robomaker.helpers import require_sdf_checker

NS = {"c": "http://www.collada.org/2005/11/COLLADASchema"}


def test_every_catalogue_variant_has_a_model() -> None:
    expected = {v.model for t in ITEM_TYPES.values() for v in t.variants}
    assert set(model_names()) == expected


@pytest.mark.parametrize("name", model_names())
def test_model_files_geometry_and_inertial(name: str) -> None:
    model = furniture_model(name)
    assert set(model.files) == {"model.config", "model.sdf", f"meshes/{name}.dae"}
    config = ET.fromstring(model.files["model.config"])
    assert config.findtext("name") == name and config.find("sdf").text == "model.sdf"
    assert config.find("sdf").get("version") == "1.6"
    root = ET.fromstring(model.files["model.sdf"])
    assert root.get("version") == "1.6"
    sdf_model = root.find("model")
    assert sdf_model.get("name") == name
    type_, variant = VARIANTS[name]
    assert sdf_model.findtext("static") == ("true" if PHYSICS[type_].static else "false")
    link = sdf_model.find("link")
    names = [child.get("name") for child in link if child.get("name")]
    assert len(names) == len(set(names)), "collision/visual names must be unique within the link"
    # the mesh is referenced through model:// and exists in the model
    uris = [uri.text for uri in link.iter("uri")]
    assert uris == [f"model://{name}/meshes/{name}.dae"]
    # inertial: positive mass, a physically possible (positive definite, triangle inequality) tensor
    inertial = link.find("inertial")
    assert float(inertial.findtext("mass")) > 0
    i = inertial.find("inertia")
    ixx, iyy, izz = (float(i.findtext(k)) for k in ("ixx", "iyy", "izz"))
    ixy, ixz, iyz = (float(i.findtext(k)) for k in ("ixy", "ixz", "iyz"))
    tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
    assert np.all(np.linalg.eigvalsh(tensor) > 0)
    assert ixx + iyy >= izz - 1e-9 and ixx + izz >= iyy - 1e-9 and iyy + izz >= ixx - 1e-9
    # collisions: real geometry inside the catalogue footprint, standing on the floor
    _, parts = build_parts(name)
    solid = [p for p in parts if p.collide]
    assert solid and len(link.findall("collision")) == len(solid)
    low = np.min([p.mesh().bounds[0] for p in solid], axis=0)
    high = np.max([p.mesh().bounds[1] for p in solid], axis=0)
    assert low[2] == pytest.approx(0, abs=1e-6)
    assert low[0] >= -variant.width / 2 - 1e-6 and high[0] <= variant.width / 2 + 1e-6
    assert low[1] >= -variant.depth / 2 - 1e-6 and high[1] <= variant.depth / 2 + 1e-6
    assert high[2] >= 0.5 * variant.height


@pytest.mark.parametrize("name", ["wf_beds_01", "wf_showers_01", "wf_ovens_01"])
def test_collada_mesh_is_consistent(name: str) -> None:
    dae = ET.fromstring(furniture_model(name).files[f"meshes/{name}.dae"])
    assert dae.find("c:asset/c:up_axis", NS).text == "Z_UP"
    materials = {m.get("id") for m in dae.iterfind("c:library_materials/c:material", NS)}
    for geometry in dae.iterfind("c:library_geometries/c:geometry", NS):
        arrays = {a.get("id"): a for a in geometry.iterfind(".//c:float_array", NS)}
        for array in arrays.values():
            assert len(array.text.split()) == int(array.get("count"))
        positions = next(a for key, a in arrays.items() if key.endswith("-pos-array"))
        normals = next(a for key, a in arrays.items() if key.endswith("-nrm-array"))
        triangles = geometry.find(".//c:triangles", NS)
        indices = np.array(triangles.findtext("c:p", namespaces=NS).split(), dtype=int).reshape(-1, 6)
        assert len(indices) == int(triangles.get("count"))
        assert indices[:, 0::2].max() < int(positions.get("count")) // 3
        assert indices[:, 1::2].max() < int(normals.get("count")) // 3
    bound = [m.get("target").lstrip("#") for m in dae.iter(f"{{{NS['c']}}}instance_material")]
    assert bound and set(bound) <= materials


def test_all_models_pass_libsdformat(tmp_path: Path) -> None:
    command = require_sdf_checker()
    for name in model_names():
        for path, data in furniture_model(name).files.items():
            target = tmp_path / name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    with ThreadPoolExecutor(4) as pool:
        problems = [
            p
            for found in pool.map(
                lambda n: check_sdf_file(tmp_path / n / "model.sdf", [tmp_path], command), model_names()
            )
            for p in found
        ]
    assert problems == []
