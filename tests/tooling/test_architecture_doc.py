"""docs/architecture.md stays true: the files it links to and the ``module.Symbol`` names it
gives exist, and its list of a service package's files is what every service package has."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from jobforge.services import registry

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"
TEXT = DOC.read_text()
SERVICES = REPO / "src" / "jobforge" / "services"

LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")
CODE = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
FILE_SUFFIXES = (".py", ".md", ".toml", ".json")
FILES_BLOCK = re.compile(r"<!-- service-package-files -->\n(.*?)<!-- /service-package-files -->", re.S)


def dotted_names(text: str) -> list[str]:
    """Backticked dotted names that are not file names: each must be a jobforge module path."""
    return sorted(
        {name for name in CODE.findall(text) if DOTTED.fullmatch(name) and not name.endswith(FILE_SUFFIXES)}
    )


def resolves(name: str) -> bool:
    """Whether ``name`` (relative to the ``jobforge`` package) is a module or a module's attribute."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(["jobforge", *parts[:split]]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            if hasattr(target, attribute):
                target = getattr(target, attribute)
            elif attribute in getattr(target, "__dataclass_fields__", {}):  # a field without a default
                return attribute == parts[-1]
            else:
                return False
        return True
    return False


def documented_package_files() -> set[str]:
    block = FILES_BLOCK.search(TEXT)
    assert block is not None, "the service package file list lost its markers"
    return set(re.findall(r"^- `([^`]+)`", block.group(1), re.M))


def test_linked_files_exist() -> None:
    links = [target for target in LINK.findall(TEXT) if not target.startswith(("http://", "https://"))]
    assert links, "the doc links to no module"
    assert [target for target in links if not (DOC.parent / target).exists()] == []


def test_named_symbols_exist() -> None:
    names = dotted_names(TEXT)
    assert len(names) > 20  # the doc names modules and symbols this way
    assert [name for name in names if not resolves(name)] == []


def test_the_checks_catch_what_is_gone() -> None:
    assert not resolves("engine.jobs.JobStore.no_such_method")
    assert not resolves("no_such_layer.Thing")
    assert resolves("services.binding.ServiceErrors.validation_error")  # a dataclass field
    assert dotted_names("see `engine.jobs.JobStore` and `binding.py`") == ["engine.jobs.JobStore"]


@pytest.mark.parametrize("service", registry.SERVICES)
def test_every_service_package_has_the_documented_files(service: str) -> None:
    files = {path.name for path in (SERVICES / service).iterdir() if path.is_file()}
    assert documented_package_files() <= files


def test_the_documented_files_are_all_the_packages_share() -> None:
    shared = set.intersection(
        *(
            {path.name for path in (SERVICES / service).iterdir() if path.suffix == ".py"}
            for service in registry.SERVICES
        )
    )
    assert documented_package_files() == shared
