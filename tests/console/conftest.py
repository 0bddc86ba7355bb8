"""A ``--auth sigv4`` server with real jobs of all three services in ALICE's account (none in
BOB's), and Debian's chromium driven by Playwright; screenshots go to tests/console/output/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.console.scenario import AccountJobs, make_jobs
from tests.location.fixtures import import_reference
from tests.server.test_internal_auth import ALICE, CREDENTIALS
from tests.support import JobforgeServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).parent / "output"


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    root = tmp_path_factory.mktemp("console")
    credentials = root / "credentials.json"
    credentials.write_text(json.dumps(CREDENTIALS))
    import_reference(root / "data", root / "reference")
    server = JobforgeServer(root / "data", "--auth", "sigv4", "--credentials-file", str(credentials)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alice_jobs(console_server: JobforgeServer) -> AccountJobs:
    return make_jobs(console_server.url, ALICE[0], ALICE[1], ALICE[2], "alice-data")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "scripts/test installs chromium (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) that fails the test on any page error."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 403 else None)
    yield opened
    context.close()
    # refusals show as "Failed to load resource"; the 404s the tests expect they assert themselves
    assert not [p for p in problems if not p.startswith(("Failed to load resource", "404 "))], problems


def shot(page: Page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def sign_in(page: Page, url: str, key: tuple[str, str, str], target: str = "/console/jobs") -> None:
    page.goto(url + target)
    page.fill("input[name=access_key]", key[0])
    page.fill("input[name=secret_key]", key[1])
    page.click("button:text('Sign in')")
    page.wait_for_selector("#account")
