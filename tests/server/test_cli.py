"""The ``jobforge`` command as a user runs it: impossible settings and every failure a user can
cause end in one ``jobforge: ...`` line on stderr and a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import JobforgeServer, client, free_port

WORLD = "arn:aws:robomaker:us-east-1:000000000000:world/0123456789abcdef"


def jobforge(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``jobforge ARGS`` in a child process, without the caller's JOBFORGE_* variables."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("JOBFORGE_")}
    return subprocess.run(
        [sys.executable, "-m", "jobforge.cli", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_refused(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    """Exit code ``code``, exactly one ``jobforge:`` line on stderr containing each fragment."""
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jobforge: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert done.returncode == code, (done.returncode, done.stderr)
    return lines[0]


@pytest.fixture
def not_a_dir(tmp_path: Path) -> Path:
    """A regular file: nothing can be created under it, even by root."""
    path = tmp_path / "a-file"
    path.write_text("not a directory\n")
    return path


# -- jobforge serve: impossible settings, from flags and from JOBFORGE_* variables -----------------

SERVE_FLAGS = [
    (["--workers", "0"], "--workers must be at least 1, not 0"),
    (["--workers", "-3"], "--workers must be at least 1, not -3"),
    (["--workers", "four"], "--workers must be a whole number, not 'four'"),
    (["--port", "99999"], "--port must be between 1 and 65535, not 99999"),
    (["--port", "0"], "--port must be between 1 and 65535"),
    (["--pace", "bogus"], "--pace must be one of instant, realistic, step, not 'bogus'"),
    (["--auth", "magic"], "--auth must be one of none, sigv4"),
    (["--log-format", "xml"], "--log-format must be one of json, text"),
    (["--log-level", "loud"], "--log-level must be one of debug, info"),
    (["--database-url", "not a url"], "--database-url is not a usable database URL"),
    (["--s3-endpoint-url", "minio:9000"], "--s3-endpoint-url must be an http:// or https:// URL"),
    (["--control", "maybe"], "--control must be on or off, not 'maybe'"),
]

SERVE_VARIABLES = [
    ({"JOBFORGE_WORKERS": "0"}, "JOBFORGE_WORKERS must be at least 1, not 0"),
    ({"JOBFORGE_WORKERS": "four"}, "JOBFORGE_WORKERS must be a whole number, not 'four'"),
    ({"JOBFORGE_CPU_WORKERS": "-1"}, "JOBFORGE_CPU_WORKERS must be at least 1"),
    ({"JOBFORGE_GENERATION_CONCURRENCY": "0"}, "JOBFORGE_GENERATION_CONCURRENCY must be at least 1"),
    ({"JOBFORGE_PORT": "99999"}, "JOBFORGE_PORT must be between 1 and 65535, not 99999"),
    ({"JOBFORGE_PORT": "http"}, "JOBFORGE_PORT must be a whole number, not 'http'"),
    ({"JOBFORGE_PACE": "bogus"}, "JOBFORGE_PACE must be one of instant, realistic, step, not 'bogus'"),
    ({"JOBFORGE_STEP_DELAY": "-1"}, "JOBFORGE_STEP_DELAY must be 0 or more seconds"),
    ({"JOBFORGE_STEP_DELAY": "soon"}, "JOBFORGE_STEP_DELAY must be a number of seconds"),
    ({"JOBFORGE_AUTH": "magic"}, "JOBFORGE_AUTH must be one of none, sigv4, not 'magic'"),
    ({"JOBFORGE_LOG_FORMAT": "xml"}, "JOBFORGE_LOG_FORMAT must be one of json, text, not 'xml'"),
    ({"JOBFORGE_LOG_LEVEL": "loud"}, "JOBFORGE_LOG_LEVEL must be one of debug, info"),
    ({"JOBFORGE_EXECUTOR": "threads"}, "JOBFORGE_EXECUTOR must be one of local, celery, not 'threads'"),
    ({"JOBFORGE_DEFAULT_ACCOUNT": "12"}, "JOBFORGE_DEFAULT_ACCOUNT must be 12 digits"),
    ({"JOBFORGE_CREDENTIALS": "AKIDONLY"}, "JOBFORGE_CREDENTIALS entry 1 (AKIDONLY) must be AKID:SECRET"),
    (
        {"JOBFORGE_CREDENTIALS": "AKIDA:s:123456789012:admin,AKIDB:s:123456789012:root"},
        "JOBFORGE_CREDENTIALS entry 2 (AKIDB) must be AKID:SECRET[:ACCOUNT[:admin]]",
    ),
    ({"JOBFORGE_CONTROL": "maybe"}, "JOBFORGE_CONTROL must be on or off"),
    ({"JOBFORGE_MAX_BODY_BYTES_IN_FLIGHT": "1000"}, "JOBFORGE_MAX_BODY_BYTES_IN_FLIGHT must be at least"),
    ({"JOBFORGE_MAX_BODY_BYTES_IN_FLIGHT": "64M"}, "JOBFORGE_MAX_BODY_BYTES_IN_FLIGHT must be a whole"),
    ({"JOBFORGE_LOCATION_LIMITS": "{not json"}, "JOBFORGE_LOCATION_LIMITS must be a JSON object"),
    ({"JOBFORGE_LOCATION_LIMITS": '{"Concurrent jobs": "many"}'}, "JOBFORGE_LOCATION_LIMITS must be"),
    ({"JOBFORGE_DATAEXCHANGE_LIMITS": '{"No such limit": 1}'}, "JOBFORGE_DATAEXCHANGE_LIMITS must be"),
    ({"JOBFORGE_DATAEXCHANGE_LIMITS": "[1, 2]"}, "JOBFORGE_DATAEXCHANGE_LIMITS must be a JSON object"),
]


@pytest.mark.parametrize(("flags", "message"), SERVE_FLAGS, ids=[" ".join(f) for f, _ in SERVE_FLAGS])
def test_serve_refuses_impossible_flags(tmp_path: Path, flags: list[str], message: str) -> None:
    done = jobforge("serve", "--data-dir", str(tmp_path / "data"), *flags)
    assert_refused(done, 2, message)
    assert not (tmp_path / "data").exists()  # refused before anything was created


@pytest.mark.parametrize(
    ("env", "message"),
    SERVE_VARIABLES,
    ids=[next(iter(e.items()))[0] + "=" + next(iter(e.values())) for e, _ in SERVE_VARIABLES],
)
def test_serve_refuses_impossible_variables(tmp_path: Path, env: dict[str, str], message: str) -> None:
    done = jobforge("serve", "--data-dir", str(tmp_path / "data"), env=env)
    assert_refused(done, 2, message)


def test_flags_win_over_variables_and_are_named(tmp_path: Path) -> None:
    done = jobforge(
        "serve", "--data-dir", str(tmp_path / "data"), "--pace", "step", "--port", "70000",
        env={"JOBFORGE_PACE": "bogus", "JOBFORGE_PORT": "4580"},
    )  # fmt: skip
    assert_refused(done, 2, "--port must be between 1 and 65535, not 70000")


def test_credentials_are_never_echoed(tmp_path: Path) -> None:
    done = jobforge(
        "serve", "--data-dir", str(tmp_path / "data"), env={"JOBFORGE_CREDENTIALS": "AKIDX:top-secret:123"}
    )
    line = assert_refused(done, 2, "JOBFORGE_CREDENTIALS entry 1 (AKIDX)", "12-digit account")
    assert "top-secret" not in line


def test_serve_refuses_a_data_dir_it_cannot_create(tmp_path: Path, not_a_dir: Path) -> None:
    assert_refused(
        jobforge("serve", "--data-dir", str(not_a_dir / "data")), 2, "--data-dir", "cannot create it"
    )
    assert_refused(jobforge("serve", "--data-dir", str(not_a_dir)), 2, "--data-dir", "cannot create it")
    done = jobforge("serve", env={"JOBFORGE_DATA_DIR": str(not_a_dir / "data")})
    assert_refused(done, 2, f"JOBFORGE_DATA_DIR {not_a_dir / 'data'}: cannot create it (Not a directory)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_serve_refuses_a_read_only_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "read-only"
    data.mkdir(mode=0o500)
    try:
        assert_refused(jobforge("serve", "--data-dir", str(data)), 2, "not writable")
    finally:
        data.chmod(0o700)


def test_serve_refuses_missing_or_malformed_credentials_files(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    missing = tmp_path / "missing.json"
    done = jobforge("serve", "--data-dir", data, "--credentials-file", str(missing))
    assert_refused(done, 2, f"--credentials-file {missing}: cannot read it (No such file or directory)")
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"AKID": {"secret": ')
    done = jobforge("serve", "--data-dir", data, env={"JOBFORGE_CREDENTIALS_FILE": str(malformed)})
    assert_refused(done, 2, f"JOBFORGE_CREDENTIALS_FILE {malformed}: not valid JSON")
    shapeless = tmp_path / "shapeless.json"
    for content, fragment in (
        ('["AKID", "secret"]', "expected a JSON object"),
        ('{"AKID": "secret"}', "key 'AKID' needs a \"secret\" string"),
        ('{"AKID": {"secret": "s", "account": "123"}}', "the account of key 'AKID' must be 12 digits"),
        ('{"AKID": {"secret": "s", "admin": "yes"}}', "\"admin\" of key 'AKID' must be true or false"),
    ):
        shapeless.write_text(content)
        assert_refused(
            jobforge("serve", "--data-dir", data, "--credentials-file", str(shapeless)), 2, fragment
        )


def test_serve_reports_an_address_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = jobforge("serve", "--data-dir", str(tmp_path / "data"), "--port", str(port))
    assert_refused(done, 1, f"cannot listen on 127.0.0.1:{port}")


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    assert_refused(jobforge("serve", "--no-such-flag"), 2, "unrecognized arguments: --no-such-flag")
    assert_refused(jobforge("frobnicate"), 2, "invalid choice: 'frobnicate'")
    assert_refused(jobforge("worlds", "preview"), 2, "the following arguments are required: world")


# -- jobforge worlds preview --------------------------------------------------------------------


def test_preview_without_a_server(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = jobforge("worlds", "preview", WORLD, "-o", str(tmp_path / "p.png"), "--endpoint-url", url)
    assert_refused(done, 1, f"cannot reach the jobforge server at {url}", "is it running?")
    done = jobforge(
        "worlds", "preview", WORLD, "-o", str(tmp_path / "p.png"), "--endpoint-url", "localhost:1"
    )
    assert_refused(done, 1, "cannot ask the jobforge server at localhost:1")
    assert not (tmp_path / "p.png").exists()


def test_preview_bad_arn_and_missing_directory(tmp_path: Path) -> None:
    assert_refused(jobforge("worlds", "preview", "not-an-arn"), 1, "not a world ARN: 'not-an-arn'")
    job = "arn:aws:robomaker:us-east-1:000000000000:simulation-job/sim-1"
    assert_refused(jobforge("worlds", "preview", job), 1, "not a world ARN")
    output = tmp_path / "missing" / "p.png"
    done = jobforge("worlds", "preview", WORLD, "-o", str(output))
    assert_refused(done, 1, f"cannot write {output}: directory {output.parent} does not exist")


def test_preview_of_an_unknown_world(server: JobforgeServer, tmp_path: Path) -> None:
    done = jobforge("worlds", "preview", WORLD, "-o", str(tmp_path / "p.png"), "--endpoint-url", server.url)
    assert_refused(done, 1, f"no world {WORLD}", "HTTP 404")
    assert not (tmp_path / "p.png").exists()


def test_preview_written_or_refused_when_unwritable(server: JobforgeServer, tmp_path: Path) -> None:
    from tests.robomaker.samples import SAMPLE_TEMPLATES

    robomaker = client("robomaker", server.url, access_key="100000000077")
    name, body = next(iter(SAMPLE_TEMPLATES.items()))
    template = robomaker.create_world_template(name=name, templateBody=json.dumps(body))["arn"]
    job = robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    )
    deadline = time.monotonic() + 180
    while (described := robomaker.describe_world_generation_job(job=job["arn"]))["status"] != "Completed":
        assert described["status"] in ("Pending", "Running") and time.monotonic() < deadline, described
        time.sleep(0.3)
    world = described["finishedWorldsSummary"]["succeededWorlds"][0]
    output = tmp_path / "world.png"
    done = jobforge("worlds", "preview", world, "-o", str(output), "--endpoint-url", server.url)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    done = jobforge("worlds", "preview", world, "-o", str(tmp_path), "--endpoint-url", server.url)
    assert_refused(done, 1, f"cannot write {tmp_path}: Is a directory")


# -- jobforge models install, jobforge location import --------------------------------------------


def test_models_install_into_an_unwritable_target(tmp_path: Path, not_a_dir: Path) -> None:
    assert_refused(
        jobforge("models", "install", "--target", str(not_a_dir)), 1, "cannot install the models into"
    )
    done = jobforge("models", "install", "--target", str(tmp_path / "models"))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (tmp_path / "models" / "robomaker" / "2018-06-29" / "service-2.json").is_file()


def test_location_import_failures(tmp_path: Path, not_a_dir: Path) -> None:
    index = str(tmp_path / "index.sqlite")
    missing = tmp_path / "missing.csv"
    assert_refused(
        jobforge("location", "import", str(missing), "--reference", index), 1, f"{missing}: no such file"
    )
    assert not Path(index).exists()
    points = tmp_path / "points.csv"
    points.write_text("LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n")
    done = jobforge("location", "import", str(points), "--country", "FR", "--reference", index)
    assert_refused(done, 1, "country must be one of AU, CA, GB, US (got 'FR')")
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("this is not\nan OpenAddresses file\n")
    assert_refused(jobforge("location", "import", str(garbage), "--reference", index), 1, "NUMBER and STREET")
    compressed = tmp_path / "broken.csv.gz"
    compressed.write_bytes(b"\x1f\x8b not really gzip")
    assert_refused(jobforge("location", "import", str(compressed), "--reference", index), 1, "cannot read it")
    unwritable = not_a_dir / "index.sqlite"
    done = jobforge("location", "import", str(points), "--reference", str(unwritable))
    assert_refused(done, 1, f"cannot write the index {unwritable}")
    done = jobforge("location", "import", str(points), env={"JOBFORGE_DATA_DIR": str(not_a_dir)})
    assert_refused(done, 1, "cannot write the index", "Not a directory")
    done = jobforge("location", "import", str(points), env={"JOBFORGE_PORT": "many"})
    assert_refused(done, 2, "JOBFORGE_PORT must be a whole number")


def test_credentials_mark_admin_keys() -> None:
    from jobforge.config import Settings

    settings = Settings.from_env(
        {"JOBFORGE_CREDENTIALS": "AKIDA:sa:123456789012:admin,AKIDB:sb:123456789012,AKIDC:sc"}
    )
    assert settings.credentials == {
        "AKIDA": ("sa", "123456789012", True),
        "AKIDB": ("sb", "123456789012", False),
        "AKIDC": ("sc", "000000000000", False),
    }
    assert Settings.from_env({"JOBFORGE_CONTROL": "off"}).control is False
    assert Settings.from_env({}, control="on").control is True
