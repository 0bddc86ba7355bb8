"""jobforge.pytest_plugin as its users meet it: small suites run by pytest (``pytester``) with the
plugin, each against a real server the plugin starts."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITES = Path(__file__).parent / "suites"
PLUGIN = "jobforge.pytest_plugin"


def plugin_args() -> list[str]:
    """``-p jobforge.pytest_plugin`` unless the installed entry point loads it already (then
    naming it again would register it twice)."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*plugin_args(), "-p", "no:cacheprovider", *args)


def test_the_entry_point_names_the_plugin() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"jobforge": PLUGIN}
    assert "pytest" not in " ".join(project["dependencies"])  # only the `pytest` extra has it
    assert project["optional-dependencies"]["pytest"] == ["pytest>=8"]


def test_every_fixture_against_a_real_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=(SUITES / "every_fixture.py").read_text())
    result = run(pytester, "-v")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["jobforge: auth none, executor local"])
