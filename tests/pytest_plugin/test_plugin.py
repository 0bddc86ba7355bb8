"""jobforge.pytest_plugin as its users meet it: small suites run by pytest (``pytester``) with the
plugin, each against a real server the plugin starts."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.robomaker.samples import MINIMAL_BODY

REPO = Path(__file__).resolve().parents[2]
SUITES = Path(__file__).parent / "suites"
PLUGIN = "jobforge.pytest_plugin"


def plugin_args() -> list[str]:
    """``-p jobforge.pytest_plugin`` unless the installed entry point loads it already (then
    naming it again would register it twice)."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in a process of its own, as a user runs it (in-process runs would re-import httpx
    and botocore in each run, and their exceptions would no longer be their own)."""
    return pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", *args, timeout=600)


def run_suite(pytester: pytest.Pytester, suite: str, *args: str) -> pytest.RunResult:
    """The suite ``suites/<suite>.py`` as a user's ``test_user.py`` (beside it ``template.json``:
    a small WorldForge template)."""
    pytester.makepyfile(test_user=(SUITES / f"{suite}.py").read_text())
    (pytester.path / "template.json").write_text(MINIMAL_BODY)
    return run(pytester, *args)


def test_the_entry_point_names_the_plugin() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"jobforge": PLUGIN}
    assert "pytest" not in " ".join(project["dependencies"])  # only the `pytest` extra has it
    assert project["optional-dependencies"]["pytest"] == ["pytest>=8"]


def test_every_fixture_against_a_real_server(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "every_fixture")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["jobforge: auth none, executor local"])


def test_reset_each_empties_the_server_before_every_test_that_uses_it(pytester: pytest.Pytester) -> None:
    # without it, the data set of the first test is still there in the third
    run_suite(pytester, "reset_each").assert_outcomes(passed=2, failed=1)
    pytester.makeini("[pytest]\njobforge_reset = each\n")
    run(pytester).assert_outcomes(passed=3)


def test_a_suite_under_sigv4(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "sigv4", "--jobforge-auth=sigv4")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["jobforge: auth sigv4, executor local"])


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\njobforge_auth = bogus\n")
    pytester.makepyfile(test_user="def test_nothing(): pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*jobforge_auth must be one of none, sigv4, not 'bogus'*"])
    result = run(pytester, "--jobforge-pace=fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_tests_without_its_fixtures_start_no_server(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\njobforge_reset = each\n")
    pytester.makepyfile(test_user="def test_nothing(): pass\n")
    run(pytester, f"--basetemp={pytester.path / 'base'}").assert_outcomes(passed=1)
    assert not list((pytester.path / "base").glob("jobforge*"))


EXAMPLE = REPO / "examples" / "pytest-plugin"


def test_the_documented_example_passes(pytester: pytest.Pytester) -> None:
    for source in sorted(EXAMPLE.glob("*.py")):
        (pytester.path / source.name).write_text(source.read_text())
    run(pytester).assert_outcomes(passed=2)


def test_the_doc_shows_the_example_as_it_is() -> None:
    doc = (REPO / "docs" / "pytest-plugin.md").read_text()
    for source in sorted(EXAMPLE.glob("*.py")):
        assert f"```python\n{source.read_text()}```" in doc, (
            f"docs/pytest-plugin.md differs from {source.name}"
        )


def test_a_suite_on_the_celery_executor(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.distributed.cluster import RedisMissing, RedisServer

    try:
        redis = RedisServer(tmp_path / "redis").start()
    except RedisMissing as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv("C_FORCE_ROOT", "1")  # CI runs as root; Celery wants to be told pickles are trusted
    try:
        args = ("--jobforge-executor=celery", f"--jobforge-broker-url={redis.url}")
        run_suite(pytester, "celery", *args).assert_outcomes(passed=1)
    finally:
        redis.stop()
