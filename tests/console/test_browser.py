"""The console in Debian's chromium (Playwright) against a real ``--auth sigv4`` server with real
jobs of all three services: sign-in, every view clicked through, live updates, the template
editor's API errors, the export download, and one account never seeing another's resources."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.console.conftest import shot, sign_in
from tests.console.scenario import AccountJobs
from tests.server.test_internal_auth import ADMIN, ALICE, BOB, request
from tests.support import JobforgeServer, client


def test_every_page_needs_a_session_and_the_right_secret(page: Page, console_server: JobforgeServer) -> None:
    url = console_server.url
    for path in ("/console/jobs", "/console/robomaker/worlds", "/console/static/htmx.min.js"):
        page.goto(url + path)
        expect(page).to_have_url(f"{url}/console/login?next={quote(path, safe='')}")
    page.fill("input[name=access_key]", ALICE[0])
    page.fill("input[name=secret_key]", "not-her-secret")
    page.click("button:text('Sign in')")
    expect(page.locator(".problem")).to_have_text("The access key or secret is not right.")
    shot(page, "login-refused")
    page.fill("input[name=secret_key]", ALICE[1])
    page.click("button:text('Sign in')")
    expect(page).to_have_url(url + "/console/static/htmx.min.js")  # back where the redirect came from
    cookie = next(c for c in page.context.cookies() if c["name"] == "jobforge_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    page.goto(url + "/console/jobs")
    expect(page.locator("#account")).to_have_text(ALICE[2])
    page.click("button:text('Sign out')")
    page.goto(url + "/console/jobs")
    expect(page.locator("input[name=access_key]")).to_be_visible()


def test_alice_clicks_through_every_view(
    page: Page, console_server: JobforgeServer, alice_jobs: AccountJobs
) -> None:
    sign_in(page, console_server.url, ALICE)
    rows = page.locator("#job-rows tr.job")
    expect(rows).to_have_count(4)
    for job_type in ("WorldGenerationJob", "WorldExportJob", "IMPORT_ASSETS_FROM_S3", "ValidateAddress"):
        expect(page.locator("#job-rows tr", has_text=job_type).locator(".state")).to_have_text(
            "COMPLETED" if job_type.isupper() else "Completed"
        )
    expect(page.locator("#job-rows tr", has_text="ValidateAddress").locator(".progress")).to_contain_text(
        "15 of 15 rows"
    )
    shot(page, "jobs")
    page.goto(console_server.url + "/console/jobs?size=3")  # paging: htmx swaps the next page in
    expect(rows).to_have_count(3)
    first_page = page.locator("#job-rows").inner_text()
    page.click("a.next")
    expect(page).to_have_url(re.compile(r"/console/jobs\?size=3&page="))
    expect(rows).to_have_count(1)
    assert page.locator("#job-rows").inner_text() != first_page
    page.click(".pager >> text=First page")
    expect(rows).to_have_count(3)
    page.goto(console_server.url + "/console/jobs")
    page.select_option("select[name=service]", "dataexchange")
    page.click("button:text('Show')")
    expect(rows).to_have_count(1)

    page.click("nav >> text=Worlds")
    cards = page.locator(".card.world")
    expect(cards).to_have_count(2)
    page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 100)")
    shot(page, "worlds")
    cards.first.click()
    expect(page.locator("table.rooms")).to_contain_text("Bedroom")
    expect(page.locator("table.rooms")).to_contain_text("Living room")
    assert page.locator("table.doors tbody tr").count() >= 2  # the entrance and the door between rooms
    assert page.locator("table.furniture tbody tr").count() > 0
    expect(page.locator("pre.quality")).to_contain_text("{")
    shot(page, "world")

    page.click("nav >> text=Templates")
    page.click("table.templates >> text=flat")
    editor = page.locator("textarea.json")
    original = editor.input_value()
    editor.fill('{"Version": "2", "Buildings": []}')
    page.click("button:text('Validate')")
    expect(page.locator("#template-error")).to_contain_text("InvalidParameterException")
    expect(page.locator("#template-error")).to_contain_text("Buildings must contain exactly 1 item")
    shot(page, "template-error")
    assert editor.input_value() == '{"Version": "2", "Buildings": []}'  # kept as typed
    editor.fill(original.replace('"Area": 20', '"Area": 22'))
    page.click("button:text('Validate')")
    expect(page.locator(".notice")).to_have_text("The template is valid.")
    page.click("button:text('Save')")
    expect(page.locator(".notice")).to_have_text("Saved.")
    robomaker = client("robomaker", console_server.url, access_key=ALICE[0], secret_key=ALICE[1])
    assert '"Area": 22' in robomaker.get_world_template_body(template=alice_jobs.template)["templateBody"]

    page.click("nav >> text=Exports")
    with page.expect_download() as downloading:
        page.click("a.download")
    archive = zipfile.ZipFile(io.BytesIO(downloading.value.path().read_bytes()))
    assert any(name.endswith(".world") for name in archive.namelist())
    shot(page, "exports")

    page.click("nav >> text=Data sets")
    page.click("text=Prices")
    page.click(f"text={alice_jobs.revision}")
    expect(page.locator("table.assets")).to_contain_text("data/prices.csv")
    expect(page.locator("table.jobs")).to_contain_text("IMPORT_ASSETS_FROM_S3")
    shot(page, "revision")
    page.click(f"text={alice_jobs.import_job}")
    expect(page.locator(".status")).to_have_text("COMPLETED")

    page.click("nav >> text=Location jobs")
    page.click(f"text={alice_jobs.location_job}")
    expect(page.locator("h2").first).to_have_text("Output: 15 rows in 1 files, 2 with errors")
    expect(page.locator("table.outcomes")).to_contain_text("Premise")
    expect(page.locator("table.error-rows")).to_contain_text("unsupported-country")
    assert page.locator("svg.scatter circle").count() >= 10
    shot(page, "location-job")


def test_job_list_updates_live(page: Page, console_server: JobforgeServer, alice_jobs: AccountJobs) -> None:
    """In step pace a new job waits Pending; the open page shows it come and finish unreloaded."""
    admin = {"key": ADMIN}
    assert request(
        console_server.url, "/_jobforge/control/pace", "POST", {"pace": "step"}, **admin
    ).is_success
    try:
        sign_in(page, console_server.url, ALICE)
        robomaker = client("robomaker", console_server.url, access_key=ALICE[0], secret_key=ALICE[1])
        job = robomaker.create_world_generation_job(
            template=alice_jobs.template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
        )
        row = page.locator(f"#job-rows tr[data-job='{job['arn'].rsplit('/', 1)[-1]}']")
        expect(row.locator(".state")).to_have_text("Pending", timeout=10_000)
        shot(page, "jobs-live-pending")
        advance = {"jobId": job["arn"].rsplit("/", 1)[-1], "steps": 1000}
        assert request(console_server.url, "/_jobforge/control/advance", "POST", advance, **admin).is_success
        expect(row.locator(".state")).to_have_text("Completed", timeout=60_000)
        expect(row.locator(".progress")).to_contain_text("1 of 1 worlds")
    finally:
        request(console_server.url, "/_jobforge/control/pace", "POST", {"pace": "instant"}, **admin)


def test_bob_sees_none_of_alices_resources(
    page: Page, console_server: JobforgeServer, alice_jobs: AccountJobs
) -> None:
    url = console_server.url
    sign_in(page, url, BOB)
    expect(page.locator("#account")).to_have_text(BOB[2])
    expect(page.locator("#job-rows")).to_contain_text("No jobs.")
    for view, empty in (
        ("robomaker/worlds", "No worlds yet"),
        ("robomaker/templates", "No templates."),
        ("robomaker/exports", "No export jobs."),
        ("dataexchange/data-sets", "No data sets."),
        ("location/jobs", "No jobs."),
    ):
        page.goto(f"{url}/console/{view}")
        expect(page.locator("main")).to_contain_text(empty)
    shot(page, "bob-worlds")
    world, export = quote(alice_jobs.worlds[0], safe=""), quote(alice_jobs.export_job, safe="")
    for path in (
        f"robomaker/world?arn={world}",
        f"robomaker/preview.png?arn={world}",
        f"robomaker/template?arn={quote(alice_jobs.template, safe='')}",
        f"robomaker/job?arn={export}",
        f"robomaker/download?job={export}",
        f"dataexchange/data-set?id={alice_jobs.data_set}",
        f"dataexchange/revision?data_set={alice_jobs.data_set}&id={alice_jobs.revision}",
        f"dataexchange/job?id={alice_jobs.import_job}",
        f"location/job?id={alice_jobs.location_job}",
    ):
        response = page.goto(f"{url}/console/{path}")
        assert response is not None and response.status == 404, (path, response and response.status)
        assert alice_jobs.bucket not in page.content()
    shot(page, "bob-404")
