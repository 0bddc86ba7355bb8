"""A small COLLADA 1.4.1 writer for coloured or textured triangle meshes.

Gazebo classic and gz-sim both read COLLADA, and it carries per-part colours, so the furniture
meshes are written as ``.dae``. trimesh can only export COLLADA through pycollada, which the
project does not depend on; this writer needs nothing but numpy.

A textured part carries texture coordinates per triangle corner (:func:`box_uvs`) and relative
paths of its albedo (the diffuse texture, read by Gazebo classic and gz-sim) and normal map (as
the FCOLLADA ``<bump>`` extra that exporters such as Blender and 3ds Max write).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import numpy as np
import trimesh


@dataclass(frozen=True)
class ColouredMesh:
    """Triangles sharing one material: a colour (RGBA, 0..1) or, with ``albedo``, a texture."""

    name: str
    colour: tuple[float, float, float, float]
    mesh: trimesh.Trimesh
    uvs: np.ndarray | None = None  # (faces, 3, 2): each corner's texture coordinates
    albedo: str | None = None  # image path relative to the .dae file
    normal_map: str | None = None


def box_uvs(mesh: trimesh.Trimesh, repeat: float) -> np.ndarray:
    """Box projection: each triangle's corners in the plane its normal faces most (x-y for tops,
    x-z for fronts, y-z for sides), in units of ``repeat`` metres, as (faces, 3, 2)."""
    corners = np.asarray(mesh.vertices, dtype=float)[np.asarray(mesh.faces)]
    axis = np.abs(np.asarray(mesh.face_normals)).argmax(axis=1)
    planes = np.array([[1, 2], [0, 2], [0, 1]])[axis]  # the two coordinates kept, per face
    picked = np.take_along_axis(corners, planes[:, None, :], axis=2)
    return picked / repeat


def _effect(key: str, part: ColouredMesh) -> str:
    r, g, b, a = part.colour
    colour = f"<color>{r:.3f} {g:.3f} {b:.3f} {a:.3f}</color>"
    if part.albedo is None:
        params, diffuse, extra = "", colour, ""
    else:
        maps = [("albedo", part.albedo), ("normal", part.normal_map)]
        params = "".join(
            f'<newparam sid="{key}-{kind}-surface"><surface type="2D"><init_from>{key}-{kind}-image'
            f'</init_from></surface></newparam><newparam sid="{key}-{kind}-sampler"><sampler2D>'
            f"<source>{key}-{kind}-surface</source></sampler2D></newparam>"
            for kind, path in maps
            if path
        )
        diffuse = f'<texture texture="{key}-albedo-sampler" texcoord="UVSET0"/>'
        extra = (
            '<extra><technique profile="FCOLLADA">'
            f'<bump><texture texture="{key}-normal-sampler" texcoord="UVSET0"/></bump></technique></extra>'
            if part.normal_map
            else ""
        )
    return (
        f'<effect id="{key}-effect"><profile_COMMON>{params}<technique sid="common"><phong>'
        f"<ambient>{colour}</ambient><diffuse>{diffuse}</diffuse>"
        "<specular><color>0.1 0.1 0.1 1</color></specular>"
        "<shininess><float>8</float></shininess>"
        f"</phong>{extra}</technique></profile_COMMON></effect>"
    )


def _images(key: str, part: ColouredMesh) -> str:
    maps = [("albedo", part.albedo), ("normal", part.normal_map)]
    return "".join(
        f'<image id="{key}-{kind}-image" name="{key}-{kind}-image"><init_from>{path}</init_from></image>'
        for kind, path in maps
        if path
    )


def _floats(values: np.ndarray) -> str:
    return " ".join(map("{:.5g}".format, values.reshape(-1).tolist()))  # Python floats: faster


def collada_document(parts: Sequence[ColouredMesh], title: str = "mesh") -> bytes:
    """One ``.dae`` holding every part as a separately coloured triangle set (Z up, metres)."""
    images, effects, materials, geometries, instances = [], [], [], [], []
    for index, part in enumerate(parts):
        key = f"m{index}"
        images.append(_images(key, part))
        effects.append(_effect(key, part))
        materials.append(
            f'<material id="{key}-material" name={quoteattr(part.name)}>'
            f'<instance_effect url="#{key}-effect"/></material>'
        )
        mesh = part.mesh
        vertices = np.asarray(mesh.vertices, dtype=float)
        faces = np.asarray(mesh.faces, dtype=np.int64)
        normals = np.asarray(mesh.face_normals, dtype=float)
        # Flat shading: every corner of a triangle uses that triangle's normal; texture
        # coordinates are per corner (index = 3 * face + corner).
        textured = part.uvs is not None
        stride = 3 if textured else 2
        indices = np.empty((len(faces), 3 * stride), dtype=np.int64)
        indices[:, 0::stride] = faces
        indices[:, 1::stride] = np.arange(len(faces))[:, None]
        uv_source, uv_input, uv_bind = "", "", ""
        if part.uvs is not None:
            indices[:, 2::stride] = np.arange(3 * len(faces)).reshape(-1, 3)
            uvs = np.asarray(part.uvs, dtype=float).reshape(-1, 2)
            uv_source = (
                f'<source id="{key}-uv"><float_array id="{key}-uv-array" count="{uvs.size}">'
                f"{_floats(uvs)}</float_array><technique_common>"
                f'<accessor source="#{key}-uv-array" count="{len(uvs)}" stride="2">'
                '<param name="S" type="float"/><param name="T" type="float"/>'
                "</accessor></technique_common></source>"
            )
            uv_input = f'<input semantic="TEXCOORD" source="#{key}-uv" offset="2" set="0"/>'
            uv_bind = '<bind_vertex_input semantic="UVSET0" input_semantic="TEXCOORD" input_set="0"/>'
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
            f"{uv_source}"
            f'<vertices id="{key}-vtx"><input semantic="POSITION" source="#{key}-pos"/></vertices>'
            f'<triangles material="{key}" count="{len(faces)}">'
            f'<input semantic="VERTEX" source="#{key}-vtx" offset="0"/>'
            f'<input semantic="NORMAL" source="#{key}-nrm" offset="1"/>{uv_input}'
            f"<p>{' '.join(map(str, indices.reshape(-1)))}</p></triangles>"
            "</mesh></geometry>"
        )
        instances.append(
            f'<node id="{key}-node" name={quoteattr(part.name)}><instance_geometry url="#{key}-geom">'
            f'<bind_material><technique_common><instance_material symbol="{key}" target="#{key}-material">'
            f"{uv_bind}</instance_material></technique_common></bind_material></instance_geometry></node>"
        )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1">'
        f"<asset><contributor><authoring_tool>jobforge</authoring_tool></contributor>"
        f"<created>2020-08-01T00:00:00Z</created><modified>2020-08-01T00:00:00Z</modified>"
        f'<title>{title}</title><unit name="meter" meter="1"/><up_axis>Z_UP</up_axis></asset>'
        + (f"<library_images>{''.join(images)}</library_images>" if any(images) else "")
        + f"<library_effects>{''.join(effects)}</library_effects>"
        f"<library_materials>{''.join(materials)}</library_materials>"
        f"<library_geometries>{''.join(geometries)}</library_geometries>"
        f'<library_visual_scenes><visual_scene id="scene" name="scene">{"".join(instances)}'
        "</visual_scene></library_visual_scenes>"
        '<scene><instance_visual_scene url="#scene"/></scene></COLLADA>\n'
    )
    return document.encode()
