"""Locate and install jobforge's bundled botocore service models.

Current botocore no longer ships RoboMaker, so clients need our model on botocore's
loader path: either ``AWS_DATA_PATH=models_data_path()`` or a copy in ``~/.aws/models``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROBOMAKER_SERVICE = "robomaker"
ROBOMAKER_API_VERSION = "2018-06-29"


def models_data_path() -> Path:
    """Return the directory to use as ``AWS_DATA_PATH`` (``.../jobforge/models``)."""
    return Path(__file__).resolve().parent / "models"


def _robomaker_dir() -> Path:
    """Return the bundled ``robomaker/<api-version>`` model directory."""
    return models_data_path() / ROBOMAKER_SERVICE / ROBOMAKER_API_VERSION


def default_install_root() -> Path:
    """Return botocore's per-user extra model directory (``~/.aws/models``)."""
    return Path.home() / ".aws" / "models"


def install_models(target: Path | None = None) -> Path:
    """Copy the bundled RoboMaker model files under ``target`` (default ``~/.aws/models``).

    Existing files are overwritten, so re-running is harmless; returns the directory written.
    """
    root = Path(target).expanduser() if target is not None else default_install_root()
    dest = root / ROBOMAKER_SERVICE / ROBOMAKER_API_VERSION
    dest.mkdir(parents=True, exist_ok=True)
    for source in sorted(_robomaker_dir().glob("*.json")):
        # Copy then rename so a concurrently starting client never sees a half-written file.
        fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{source.name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, dest / source.name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return dest


def load_robomaker_model() -> dict[str, Any]:
    """Return the bundled RoboMaker ``service-2`` model as a dict (for routing/validation)."""
    with (_robomaker_dir() / "service-2.json").open(encoding="utf-8") as fh:
        return json.load(fh)
