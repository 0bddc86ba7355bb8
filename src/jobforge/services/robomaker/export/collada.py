"""A small COLLADA 1.4.1 writer for coloured triangle meshes.

Gazebo classic and gz-sim both read COLLADA, and it carries per-part colours, so the furniture
meshes are written as ``.dae``. trimesh can only export COLLADA through pycollada, which the
project does not depend on; this writer needs nothing but numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import numpy as np
import trimesh


@dataclass(frozen=True)
class ColouredMesh:
    """Triangles sharing one material colour (RGBA, 0..1)."""

    name: str
    colour: tuple[float, float, float, float]
    mesh: trimesh.Trimesh


def _floats(values: np.ndarray) -> str:
    return " ".join(f"{v:.5g}" for v in values.reshape(-1))


def collada_document(parts: Sequence[ColouredMesh], title: str = "mesh") -> bytes:
    """One ``.dae`` holding every part as a separately coloured triangle set (Z up, metres)."""
    effects, materials, geometries, instances = [], [], [], []
    for index, part in enumerate(parts):
        key = f"m{index}"
        r, g, b, a = part.colour
        effects.append(
            f'<effect id="{key}-effect"><profile_COMMON><technique sid="common"><phong>'
            f"<ambient><color>{r:.3f} {g:.3f} {b:.3f} {a:.3f}</color></ambient>"
            f"<diffuse><color>{r:.3f} {g:.3f} {b:.3f} {a:.3f}</color></diffuse>"
            "<specular><color>0.1 0.1 0.1 1</color></specular>"
            "<shininess><float>8</float></shininess>"
            "</phong></technique></profile_COMMON></effect>"
        )
        materials.append(
            f'<material id="{key}-material" name={quoteattr(part.name)}>'
            f'<instance_effect url="#{key}-effect"/></material>'
        )
        mesh = part.mesh
        vertices = np.asarray(mesh.vertices, dtype=float)
        faces = np.asarray(mesh.faces, dtype=np.int64)
        normals = np.asarray(mesh.face_normals, dtype=float)
        # Flat shading: every corner of a triangle uses that triangle's normal.
        indices = np.empty((len(faces), 6), dtype=np.int64)
        indices[:, 0::2] = faces
        indices[:, 1::2] = np.arange(len(faces))[:, None]
        geometries.append(
            f'<geometry id="{key}-geom" name={quoteattr(part.name)}><mesh>'
            f'<source id="{key}-pos"><float_array id="{key}-pos-array" count="{vertices.size}">'
            f"{_floats(vertices)}</float_array><technique_common>"
            f'<accessor source="#{key}-pos-array" count="{len(vertices)}" stride="3">'
            '<param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/>'
            "</accessor></technique_common></source>"
            f'<source id="{key}-nrm"><float_array id="{key}-nrm-array" count="{normals.size}">'
            f"{_floats(normals)}</float_array><technique_common>"
            f'<accessor source="#{key}-nrm-array" count="{len(normals)}" stride="3">'
            '<param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/>'
            "</accessor></technique_common></source>"
            f'<vertices id="{key}-vtx"><input semantic="POSITION" source="#{key}-pos"/></vertices>'
            f'<triangles material="{key}" count="{len(faces)}">'
            f'<input semantic="VERTEX" source="#{key}-vtx" offset="0"/>'
            f'<input semantic="NORMAL" source="#{key}-nrm" offset="1"/>'
            f"<p>{' '.join(map(str, indices.reshape(-1)))}</p></triangles>"
            "</mesh></geometry>"
        )
        instances.append(
            f'<node id="{key}-node" name={quoteattr(part.name)}><instance_geometry url="#{key}-geom">'
            f'<bind_material><technique_common><instance_material symbol="{key}" target="#{key}-material"/>'
            "</technique_common></bind_material></instance_geometry></node>"
        )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1">'
        f"<asset><contributor><authoring_tool>jobforge</authoring_tool></contributor>"
        f"<created>2020-08-01T00:00:00Z</created><modified>2020-08-01T00:00:00Z</modified>"
        f'<title>{title}</title><unit name="meter" meter="1"/><up_axis>Z_UP</up_axis></asset>'
        f"<library_effects>{''.join(effects)}</library_effects>"
        f"<library_materials>{''.join(materials)}</library_materials>"
        f"<library_geometries>{''.join(geometries)}</library_geometries>"
        f'<library_visual_scenes><visual_scene id="scene" name="scene">{"".join(instances)}'
        "</visual_scene></library_visual_scenes>"
        '<scene><instance_visual_scene url="#scene"/></scene></COLLADA>\n'
    )
    return document.encode()
