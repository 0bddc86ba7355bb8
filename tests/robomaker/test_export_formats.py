"""Extra export formats through boto3 against a running server: the ``jobforge:formats`` job tag,
its validation, and the gz (libsdformat's checker) and mjcf (MuJoCo, stepped 2 s) files of the zip."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import mujoco
import pytest
from botocore.exceptions import ClientError

from jobforge.services.robomaker.export import MODELS_DIR, WORLDS_DIR
from jobforge.services.robomaker.export.check import check_export, check_sdf_file
from jobforge.services.robomaker.export.formats import FORMATS, TAG, formats_from_tags, parse_formats
from jobforge.services.robomaker.export.gz import SYSTEMS
from jobforge.storage import LocalObjectStore
from tests.robomaker.helpers import build_strict_checker, require_sdf_checker
from tests.robomaker.physics import settle
from tests.robomaker.test_world_export import generate_worlds, wait_export
from tests.support import JobforgeServer, client

ROLE = "arn:aws:iam::100000000017:role/worldforge-export"
ACCOUNT_KEY = "100000000017"  # this module's own account
BUCKET = "exports-formats"


def test_parse_formats() -> None:
    assert parse_formats("gz,mjcf") == parse_formats(" mjcf , gz,,") == ("gz", "mjcf")
    assert parse_formats("mjcf+gz") == parse_formats("gz mjcf") == ("gz", "mjcf")
    assert parse_formats("sdf") == parse_formats("") == ()  # the default package is always written
    assert formats_from_tags({"other": "x"}) == formats_from_tags(None) == ()
    assert formats_from_tags({TAG: "mjcf,mjcf"}) == ("mjcf",)
    for bad in ("gz+stl", "GZ", "gz;mjcf"):
        with pytest.raises(ValueError, match="Unknown export format"):
            parse_formats(bad)
    assert {"sdf", "gz", "mjcf"} <= FORMATS.keys()


def test_the_registry_loads_no_renderer() -> None:
    """The API process validates the tag without loading the rendering libraries."""
    code = (
        "import sys; from jobforge.services.robomaker.export.formats import parse_formats; "
        "parse_formats('gz+mjcf'); print(sorted({'numpy', 'trimesh', 'mujoco'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def exported(server: JobforgeServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two worlds exported with ``jobforge:formats: mjcf+gz``, unzipped."""
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    LocalObjectStore(server.data_dir).create_bucket(BUCKET)
    worlds = generate_worlds(robomaker, floorplans=1, interiors=2)["worlds"]
    tags = {TAG: "mjcf+gz", "team": "nav"}
    created = robomaker.create_world_export_job(
        worlds=worlds, outputLocation={"s3Bucket": BUCKET}, iamRole=ROLE, tags=tags
    )
    job = wait_export(robomaker, created["arn"])
    assert job["status"] == "Completed", job.get("failureReason")
    key = "aws-robomaker-worldforge-export-" + created["arn"].rsplit("/export-", 1)[1] + ".zip"
    data = LocalObjectStore(server.data_dir).get_bytes(BUCKET, key)
    root = tmp_path_factory.mktemp("formats")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        archive.extractall(root)
    ids = sorted(arn.rsplit("/", 1)[1] for arn in worlds)
    return {
        "arn": created["arn"],
        "tags": tags,
        "names": names,
        "modes": modes,
        "root": root,
        "ids": ids,
        "worlds": worlds,
    }


def test_the_tag_is_kept_as_given(server: JobforgeServer, exported: dict) -> None:
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    assert robomaker.list_tags_for_resource(resourceArn=exported["arn"])["tags"] == exported["tags"]
    assert robomaker.describe_world_export_job(job=exported["arn"])["tags"] == exported["tags"]


def test_unknown_formats_are_refused(server: JobforgeServer, exported: dict) -> None:
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    before = len(robomaker.list_world_export_jobs()["worldExportJobSummaries"])
    for tags, word in (
        ({TAG: "gz+fbx"}, "fbx"),
        ({"aws:formats": "gz"}, "reserved"),
        ({TAG: "gz,mjcf"}, "regular expression pattern"),  # RoboMaker's TagValue pattern: no commas
    ):
        with pytest.raises(ClientError) as info:
            robomaker.create_world_export_job(
                worlds=exported["worlds"], outputLocation={"s3Bucket": BUCKET}, iamRole=ROLE, tags=tags
            )
        assert info.value.response["Error"]["Code"] == "InvalidParameterException"
        assert word in info.value.response["Error"]["Message"]
    assert len(robomaker.list_world_export_jobs()["worldExportJobSummaries"]) == before


def test_layout_next_to_the_default_package(exported: dict) -> None:
    names, root = set(exported["names"]), exported["root"]
    for world_id in exported["ids"]:
        folder = f"{WORLDS_DIR}/worlds/{world_id}"
        assert {
            f"{folder}/{world_id}.world",
            f"{folder}/gz/{world_id}.sdf",
            f"{folder}/mjcf/{world_id}.xml",
        } <= names
    launch = root / WORLDS_DIR / "launch" / "launch_world_gz.py"
    source = launch.read_text()
    ast.parse(source)  # a Python launch file
    assert "ros_gz_sim" in source and "GZ_SIM_RESOURCE_PATH" in source
    assert exported["modes"][f"{WORLDS_DIR}/launch/launch_world_gz.py"] & 0o111  # executable
    package_xml = (root / WORLDS_DIR / "package.xml").read_text()
    assert "<exec_depend>ros_gz_sim</exec_depend>" in package_xml
    readme = (root / WORLDS_DIR / "README.md").read_text()
    assert "launch_world_gz.py" in readme and "from_xml_path" in readme
    result = check_export(root, run_sdf_checker=False)  # the default package is still whole
    assert result.problems == [] and result.worlds == exported["ids"]


def test_gz_worlds_pass_libsdformat(exported: dict) -> None:
    command = require_sdf_checker()
    root = exported["root"]
    paths = [root / MODELS_DIR / "models", root / WORLDS_DIR / "worlds"]
    worlds = [root / WORLDS_DIR / "worlds" / i / "gz" / f"{i}.sdf" for i in exported["ids"]]
    with ThreadPoolExecutor(len(worlds)) as pool:  # ign sdf -k takes seconds per world
        assert [
            p for found in pool.map(lambda w: check_sdf_file(w, paths, command), worlds) for p in found
        ] == []
    for world in worlds:
        text = world.read_text()
        assert '<sdf version="1.9">' in text
        assert all(f'name="{system}"' in text for _, system, _ in SYSTEMS)
        # gz-sim resolves every model:// URI (includes, meshes, textures) on GZ_SIM_RESOURCE_PATH
        uris = re.findall(r"model://([^<\s]+)", text)
        assert any("/meshes/" in uri for uri in uris) and any(uri.endswith(".png") for uri in uris)
        unresolved = [uri for uri in uris if not any((path / uri).exists() for path in paths)]
        assert unresolved == []


def test_gz_worlds_pass_a_strict_libsdformat_load(exported: dict, tmp_path: Path) -> None:
    """Unknown elements and warnings as errors (optional: g++ and libsdformat12's headers)."""
    binary = build_strict_checker(tmp_path)
    root = exported["root"]
    paths = [str(root / MODELS_DIR / "models"), str(root / WORLDS_DIR / "worlds")]
    for world_id in exported["ids"]:
        world = root / WORLDS_DIR / "worlds" / world_id / "gz" / f"{world_id}.sdf"
        done = subprocess.run([str(binary), str(world), *paths], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_mjcf_worlds_settle_in_mujoco(exported: dict) -> None:
    for world_id in exported["ids"]:
        path = exported["root"] / WORLDS_DIR / "worlds" / world_id / "mjcf" / f"{world_id}.xml"
        model = mujoco.MjModel.from_xml_path(str(path))
        assert model.nbody > 10 and model.njnt > 0  # furniture and door hinges
        run = settle(path.read_text(), seconds=2.0)
        assert run.simulated >= 2.0 and run.problems() == []


def test_without_the_tag_only_the_default_package(server: JobforgeServer, exported: dict) -> None:
    robomaker = client("robomaker", server.url, access_key=ACCOUNT_KEY)
    created = robomaker.create_world_export_job(
        worlds=exported["worlds"][:1], outputLocation={"s3Bucket": BUCKET, "s3Prefix": "plain"}, iamRole=ROLE
    )
    assert wait_export(robomaker, created["arn"])["status"] == "Completed"
    key = "plain/aws-robomaker-worldforge-export-" + created["arn"].rsplit("/export-", 1)[1] + ".zip"
    data = LocalObjectStore(server.data_dir).get_bytes(BUCKET, key)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not [n for n in names if "/gz/" in n or "/mjcf/" in n or n.endswith("launch_world_gz.py")]
    package = zipfile.ZipFile(io.BytesIO(data))
    assert "ros_gz_sim" not in package.read(f"{WORLDS_DIR}/package.xml").decode()
    assert "gz-sim (SDF 1.9" not in package.read(f"{WORLDS_DIR}/README.md").decode()
