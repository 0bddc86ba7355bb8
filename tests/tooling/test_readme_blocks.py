"""The README runner (scripts/readme_blocks.py): what it runs, skips and refuses."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("readme_blocks", REPO / "scripts" / "readme_blocks.py")
assert spec is not None and spec.loader is not None
readme_blocks = importlib.util.module_from_spec(spec)
sys.modules["readme_blocks"] = readme_blocks  # dataclasses look their module up
spec.loader.exec_module(readme_blocks)


def test_blocks_languages_and_steering() -> None:
    markdown = "\n".join(
        [
            "# Title",
            "<!-- readme: background -->",
            "```bash",
            "jobforge serve",
            "```",
            "<!-- readme: skip the test suite -->",
            "```sh",
            "scripts/test",
            "```",
            "```python",
            "print('hi')",
            "```",
            "```text",
            "a layout",
            "```",
        ]
    )
    blocks = readme_blocks.parse(markdown)
    assert [(b.language, b.steer, b.why) for b in blocks] == [
        ("bash", "background", ""),
        ("bash", "skip", "the test suite"),
        ("python", "", ""),
        ("text", "", ""),
    ]
    assert blocks[2].code == "print('hi')\n" and blocks[2].line == 10


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("```\nls\n```", "without a language"),
        ("```ruby\nputs 1\n```", "unknown block language"),
        ("```bash\nls\n", "never closes"),
    ],
)
def test_untagged_unknown_and_open_blocks_are_refused(markdown: str, message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        readme_blocks.parse(markdown, "X.md")


def test_every_readme_code_block_runs_or_says_why_not() -> None:
    """The README's blocks: each is code that CI runs, prose tagged text, or skipped with a reason."""
    blocks = readme_blocks.parse((REPO / "README.md").read_text(), "README.md")
    code = [b for b in blocks if b.language != "text"]
    assert sum(b.steer == "background" for b in code) == 1  # the set-up block that starts the server
    assert all(b.why for b in code if b.steer == "skip")
    assert len([b for b in code if not b.steer]) >= 6
