"""Checks of an unzipped export: what a user's Gazebo would trip over.

libsdformat's ``ign sdf -k`` (or ``gz sdf -k``) validates each world with the archive's model
directories on ``SDF_PATH`` (the only variable the standalone checker reads). It does not notice
missing mesh files, so every ``model://`` URI is also resolved here against the archive itself
(a file, or a directory for a material script's folders), and so is every image a COLLADA mesh
names (relative to the mesh).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jobforge.services.robomaker.export.archive import MODELS_DIR, WORLDS_DIR

_URI = re.compile(r"model://([^/<\s]+)(/[^<\s]*)?")
_COLLADA_IMAGE = "{http://www.collada.org/2005/11/COLLADASchema}image"


def missing_images(mesh: Path) -> list[str]:
    """The images a COLLADA file names (``<image><init_from>``) that do not exist beside it."""
    found = []
    for image in ET.parse(mesh).getroot().iter(_COLLADA_IMAGE):
        path = (image.findtext("{*}init_from") or "").strip()
        if not (mesh.parent / path).is_file():
            found.append(f"{mesh}: image {path} does not exist")
    return found


@dataclass
class ExportCheck:
    worlds: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    uris: int = 0
    sdf_checked: int = 0
    problems: list[str] = field(default_factory=list)


def sdf_checker() -> list[str] | None:
    """The libsdformat command line (``ign sdf`` or ``gz sdf``), or None when neither is installed."""
    for tool in ("ign", "gz"):
        if shutil.which(tool):
            return [tool, "sdf"]
    return None


def check_sdf_file(path: Path, model_paths: list[Path], command: list[str] | None = None) -> list[str]:
    """``ign sdf -k`` on one file: its error lines (empty when the file is valid)."""
    command = command or sdf_checker()
    if command is None:
        raise RuntimeError("libsdformat's checker (ign or gz) is not installed")
    env = {**os.environ, "SDF_PATH": os.pathsep.join(str(p) for p in model_paths)}
    done = subprocess.run([*command, "-k", str(path)], capture_output=True, text=True, env=env, timeout=300)
    output = [
        line
        for line in (done.stdout + "\n" + done.stderr).splitlines()
        if line.strip() and "backward" not in line  # a harmless note about backtrace support
    ]
    if done.returncode == 0 and "Valid." in done.stdout and not any("rror" in line for line in output):
        return []
    return [f"{path}: {line}" for line in output] or [f"{path}: exit status {done.returncode}"]


def check_export(root: Path, run_sdf_checker: bool = True, workers: int = 4) -> ExportCheck:
    """Check an unzipped archive under ``root``; ``problems`` is empty for a loadable export."""
    result = ExportCheck()
    models_dir, worlds_dir = root / MODELS_DIR / "models", root / WORLDS_DIR / "worlds"
    dirs = {p.name: p for base in (models_dir, worlds_dir) if base.is_dir() for p in base.iterdir()}
    result.models = sorted(p.name for p in models_dir.iterdir()) if models_dir.is_dir() else []
    result.worlds = sorted(p.name for p in worlds_dir.iterdir()) if worlds_dir.is_dir() else []
    documents: list[Path] = []
    for name, folder in sorted(dirs.items()):
        required = ["model.config", "model.sdf"]
        if folder.parent == worlds_dir:
            required += [f"{name}.world", "world_description.json"]
        for file in required:
            if not (folder / file).is_file():
                result.problems.append(f"{folder}: {file} is missing")
        documents += [folder / file for file in required if file.endswith((".sdf", ".world", ".config"))]
    for document in documents:
        if not document.is_file():
            continue
        content = document.read_text()
        try:
            ET.fromstring(content)
        except ET.ParseError as exc:
            result.problems.append(f"{document}: not well-formed XML: {exc}")
            continue
        for model, path in _URI.findall(content):
            result.uris += 1
            if model not in dirs:
                result.problems.append(f"{document}: model://{model} is not in the archive")
            elif path and not (dirs[model] / path.lstrip("/")).exists():
                result.problems.append(f"{document}: model://{model}{path} does not exist")
    for folder in dirs.values():
        for mesh in sorted(folder.glob("meshes/*.dae")):
            result.problems += missing_images(mesh)
    if run_sdf_checker:
        worlds = [worlds_dir / name / f"{name}.world" for name in result.worlds]
        worlds = [w for w in worlds if w.is_file()]
        with ThreadPoolExecutor(workers) as pool:
            for problems in pool.map(lambda w: check_sdf_file(w, [models_dir, worlds_dir]), worlds):
                result.problems += problems
        result.sdf_checked = len(worlds)
    return result
