"""tests/README.md names every folder that holds tests, and every folder it names exists."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
README = TESTS / "README.md"


def described_folders() -> set[str]:
    """The folders of the README's "Where a test goes" list (``- `name/` ...`` lines)."""
    section = README.read_text().split("## Where a test goes", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([a-z0-9_/]+)/`", section, re.MULTILINE))


def test_every_test_folder_is_described() -> None:
    folders = {path.parent.relative_to(TESTS).as_posix() for path in TESTS.rglob("test_*.py")}
    assert folders - described_folders() == set()


def test_every_described_folder_exists() -> None:
    assert {name for name in described_folders() if not (TESTS / name).is_dir()} == set()
