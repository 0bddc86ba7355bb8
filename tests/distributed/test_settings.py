"""The Celery executor's settings and the ``jobforge worker`` command refuse what cannot work,
in one line that names the flag or variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jobforge.config import Settings, SettingsError


def jobforge(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("JOBFORGE_")}
    return subprocess.run(
        [sys.executable, "-m", "jobforge.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JOBFORGE_EXECUTOR": "threads"}, "JOBFORGE_EXECUTOR must be one of local, celery, not 'threads'"),
        ({"JOBFORGE_EXECUTOR": "celery"}, "JOBFORGE_EXECUTOR celery needs a broker: --broker-url or"),
        (
            {"JOBFORGE_EXECUTOR": "celery", "JOBFORGE_BROKER_URL": "http://127.0.0.1:6379"},
            "JOBFORGE_BROKER_URL must be a redis:// or amqp:// URL, not 'http://127.0.0.1:6379'",
        ),
        (
            {"JOBFORGE_EXECUTOR": "celery", "JOBFORGE_BROKER_URL": "amqp://guest@127.0.0.1//"},
            "JOBFORGE_RESULT_BACKEND is required with the broker 'amqp://guest@127.0.0.1//'",
        ),
        (
            {
                "JOBFORGE_EXECUTOR": "celery",
                "JOBFORGE_BROKER_URL": "amqp://guest@127.0.0.1//",
                "JOBFORGE_RESULT_BACKEND": "rpc://",
            },
            "JOBFORGE_RESULT_BACKEND must be a result store the job can poll",
        ),
        ({"JOBFORGE_BROKER_VISIBILITY_TIMEOUT": "0"}, "JOBFORGE_BROKER_VISIBILITY_TIMEOUT must be at least"),
        ({"JOBFORGE_BROKER_VISIBILITY_TIMEOUT": "5m"}, "JOBFORGE_BROKER_VISIBILITY_TIMEOUT must be a whole"),
        ({"JOBFORGE_PIECES_PER_JOB": "0"}, "JOBFORGE_PIECES_PER_JOB must be at least 1, not 0"),
    ],
)
def test_impossible_celery_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env).validate()
    assert message in str(caught.value)


def test_the_result_backend_defaults_to_a_redis_broker() -> None:
    settings = Settings.from_env({"JOBFORGE_EXECUTOR": "celery", "JOBFORGE_BROKER_URL": "redis://h:1/2"})
    config = settings.validate().celery_config()
    assert config is not None and config.result_backend == "redis://h:1/2"
    assert config.lease_seconds == 30  # a third of the default visibility timeout, at most 30 s
    assert Settings.from_env({}).celery_config() is None  # the in-process executor


def test_serve_with_celery_and_no_broker_fails_in_one_line(tmp_path: object) -> None:
    result = jobforge("serve", "--executor", "celery", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "jobforge: --executor celery needs a broker: --broker-url or JOBFORGE_BROKER_URL,"
        " e.g. redis://host:6379/0 (or amqp://...)"
    )


def test_serve_refuses_an_unknown_executor(tmp_path: object) -> None:
    result = jobforge("serve", "--executor", "dask", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == "jobforge: --executor must be one of local, celery, not 'dask'"


def test_worker_needs_a_broker_and_known_queues(tmp_path: object) -> None:
    result = jobforge("worker", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "celery needs a broker: --broker-url or" in result.stderr
    result = jobforge("worker", "--queues", "jobs,videos", "--broker-url", "redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert result.stderr.strip() == "jobforge: --queues must name jobs, pieces or both, not videos"
