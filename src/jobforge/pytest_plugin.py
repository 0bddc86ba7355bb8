"""pytest fixtures for testing code that uses RoboMaker, Data Exchange, Location or S3 against a
real jobforge server (registered through the ``pytest11`` entry point: installing jobforge next
to pytest is enough). See docs/pytest-plugin.md.

- ``jobforge_server`` (session): ``jobforge serve`` on a free port and a temporary data directory.
- ``jobforge_client``: ``jobforge_client("robomaker" | "dataexchange" | "location" | "s3")``, a
  boto3 client configured for it.
- ``jobforge_control``: the control API (pace, step, forced failures); the pace is restored after
  the test.
- ``jobforge_reset``: an empty server for this test (every job, resource and bucket deleted);
  ``jobforge_reset = each`` (ini) or ``--jobforge-reset=each`` does it before every test that uses
  the server.

Options (command line, else ini, else the default): ``--jobforge-auth`` none|sigv4,
``--jobforge-executor`` local|celery, ``--jobforge-broker-url`` (celery), ``--jobforge-pace``
instant|realistic|step, ``--jobforge-reset`` off|each; ini ``jobforge_serve_args``: more
``jobforge serve`` flags. Nothing starts until a test asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

try:
    import pytest
except ImportError as exc:  # only pytest loads this module; say which extra brings it
    raise ImportError("jobforge.pytest_plugin needs pytest: pip install 'jobforge[pytest]'") from exc

if TYPE_CHECKING:
    from jobforge.testing import JobforgeControl, JobforgeServer, ResetReport

# option -> (choices or None, default, help)
OPTIONS: dict[str, tuple[tuple[str, ...] | None, str | None, str]] = {
    "auth": (("none", "sigv4"), "none", "the server's --auth (sigv4: clients sign with generated keys)"),
    "executor": (("local", "celery"), "local", "the server's --executor (celery: a worker is started too)"),
    "broker_url": (None, None, "the Celery broker (redis://...) for --jobforge-executor=celery"),
    "pace": (("instant", "realistic", "step"), "instant", "the pace jobs start with"),
    "reset": (("off", "each"), "off", "each: reset the server before every test that uses it"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jobforge", "a jobforge server for the tests (jobforge.pytest_plugin)")
    for name, (choices, default, text) in OPTIONS.items():
        group.addoption(
            f"--jobforge-{name.replace('_', '-')}", choices=choices, help=f"{text} (ini jobforge_{name})"
        )
        parser.addini(f"jobforge_{name}", text, default=default)
    parser.addini("jobforge_serve_args", "more `jobforge serve` flags, e.g. --workers 2", type="args")


def _option(config: pytest.Config, name: str) -> str | None:
    """A plugin option from the command line, else the ini file (checked against its choices)."""
    value = config.getoption(f"jobforge_{name}") or config.getini(f"jobforge_{name}") or None
    choices = OPTIONS[name][0]
    if value is not None and choices is not None and value not in choices:
        raise pytest.UsageError(f"jobforge_{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def pytest_report_header(config: pytest.Config) -> str:
    return f"jobforge: auth {_option(config, 'auth')}, executor {_option(config, 'executor')}"


@pytest.fixture(scope="session")
def jobforge_server(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JobforgeServer]:
    """A real jobforge server for the session (``endpoint_url``, ``data_dir``, ``client()``,
    ``control``, ``reset()``, ``log()``)."""
    from jobforge.testing import JobforgeServer, ServerOptions

    options = ServerOptions(
        auth=_option(pytestconfig, "auth") or "none",
        executor=_option(pytestconfig, "executor") or "local",
        pace=_option(pytestconfig, "pace") or "instant",
        broker_url=_option(pytestconfig, "broker_url"),
        serve_args=tuple(pytestconfig.getini("jobforge_serve_args")),
    )
    server = JobforgeServer(tmp_path_factory.mktemp("jobforge"), options).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def jobforge_client(jobforge_server: JobforgeServer) -> Callable[..., Any]:
    """``jobforge_client(service, **botocore_config)``: a boto3 client for the server."""
    return jobforge_server.client


@pytest.fixture
def jobforge_control(jobforge_server: JobforgeServer) -> Iterator[JobforgeControl]:
    """The server's control API; the pace and step delay the test found are restored after it."""
    control = jobforge_server.control
    before = control.state()
    yield control
    control.set_pace(before.pace, before.step_delay)


@pytest.fixture
def jobforge_reset(jobforge_server: JobforgeServer) -> ResetReport:
    """An empty server for this test: what the reset removed."""
    return jobforge_server.reset()


@pytest.fixture(autouse=True)
def _jobforge_reset_each(request: pytest.FixtureRequest) -> None:
    """With ``jobforge_reset = each``: a reset before every test that uses the server (only those:
    other tests never start it)."""
    if _option(request.config, "reset") == "each" and "jobforge_server" in request.fixturenames:
        request.getfixturevalue("jobforge_reset")
