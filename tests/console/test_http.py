"""The console over plain HTTP on a server without ``--auth``: the default account's view, the
session cookie, CSRF on forms, paging and failure reasons in the job list, and S3 keeping a bucket
named ``console`` (signed requests are never the console's)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.location.helpers import start
from tests.robomaker.samples import MINIMAL_BODY
from tests.support import JobforgeServer, client, eventually


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobforgeServer]:
    server = JobforgeServer(Path(tmp_path_factory.mktemp("console-plain")) / "data").start()
    yield server
    server.stop()


def browser(server: JobforgeServer) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/console/", timeout=30)


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def test_default_account_session_and_security_headers(plain: JobforgeServer) -> None:
    with browser(plain) as http:
        page = http.get("jobs")
        assert page.status_code == 200 and '<code id="account">000000000000</code>' in page.text
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert http.get("login", follow_redirects=False).headers["location"] == "/console/jobs"
        script = http.get("static/htmx.min.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.text.startswith("/*! htmx 2.")  # the vendored file, with its licence header
        assert http.get("static/../app.py").status_code == 404


def test_forms_need_the_csrf_token(plain: JobforgeServer) -> None:
    with browser(plain) as http:
        editor = http.get("robomaker/template")
        form = {"action": "save", "arn": "", "name": "from-the-console", "body": MINIMAL_BODY}
        refused = http.post("robomaker/template", data={**form, "csrf": "forged"})
        assert refused.status_code == 403
        with browser(plain) as other:  # another browser's token is no good either
            assert other.post("robomaker/template", data={**form, "csrf": csrf(editor)}).status_code == 403
        saved = http.post("robomaker/template", data={**form, "csrf": csrf(editor)})
        assert saved.status_code == 303 and "saved=1" in saved.headers["location"]
    robomaker = client("robomaker", plain.url)
    names = [t["name"] for t in robomaker.list_world_templates()["templateSummaries"]]
    assert "from-the-console" in names


def test_job_list_pages_and_failure_reasons(plain: JobforgeServer) -> None:
    location = client("location", plain.url)
    started = [
        start(location, "s3://no-such-input/in/", "s3://no-such-output/out/")["JobId"] for _ in range(52)
    ]
    assert eventually(
        lambda: all(location.get_job(JobId=job)["Status"] == "Failed" for job in started[-3:]), timeout=60
    )
    with browser(plain) as http:
        first = http.get("jobs", params={"service": "location"})
        assert first.text.count('<tr class="job') == 50
        assert "The input bucket no-such-input does not exist" in first.text
        next_link = re.search(r'class="next" href="/console/([^"]+)"', first.text)
        assert next_link is not None
        second = http.get(next_link.group(1).replace("&amp;", "&"))
        assert second.text.count('<tr class="job') == 2 and 'class="next"' not in second.text
        rows = set(re.findall(r'data-job="([^"]+)"', first.text + second.text))
        assert rows == set(started)
        fragment = http.get("jobs", params={"service": "location", "partial": "1"})
        assert fragment.text.startswith('<tbody id="job-rows"') and 'hx-trigger="every 2s"' in fragment.text


def test_a_bucket_named_console_stays_s3s(plain: JobforgeServer) -> None:
    s3 = client("s3", plain.url)
    s3.create_bucket(Bucket="console")
    s3.put_object(Bucket="console", Key="jobs", Body=b"an object, not a page")
    assert s3.get_object(Bucket="console", Key="jobs")["Body"].read() == b"an object, not a page"


def test_an_export_job_shows_its_formats(plain: JobforgeServer) -> None:
    robomaker = client("robomaker", plain.url)
    world = "arn:aws:robomaker:us-east-1:000000000000:world/generation_000000000000_world_1"
    created = robomaker.create_world_export_job(
        worlds=[world],
        outputLocation={"s3Bucket": "console-formats"},
        iamRole="arn:aws:iam::000000000000:role/export",
        tags={"jobforge:formats": "mjcf+gz"},
    )
    with browser(plain) as http:
        page = http.get("robomaker/job", params={"arn": created["arn"]})
        assert page.status_code == 200 and '<dd class="formats">sdf, gz, mjcf</dd>' in page.text


def test_the_template_check_refuses_bodies_json_cannot_read(plain: JobforgeServer) -> None:
    """Too deep, or an integer over Python's digit limit: the editor shows the API's refusal (was a 500)."""
    huge = MINIMAL_BODY.replace("}", ', "Huge": 1' + "0" * 5000 + "}", 1)
    with browser(plain) as http:
        editor = http.get("robomaker/template")
        for body, message in [
            ("[" * 1100 + "]" * 1100, "nests arrays and objects deeper than 32 levels"),
            (huge, "has a number of 5001 digits, too long to read"),
        ]:
            form = {"action": "check", "arn": "", "name": "", "body": body, "csrf": csrf(editor)}
            checked = http.post("robomaker/template", data=form)
            assert checked.status_code == 400, checked.text
            refusal = "<b>InvalidParameterException</b>: Invalid template body: template body "
            assert refusal + message in checked.text


def test_the_job_pages_gallery_link_shows_that_jobs_worlds(plain: JobforgeServer) -> None:
    """The generation job page links to ``worlds?job=<ARN>``, which lists that job's worlds only."""
    robomaker = client("robomaker", plain.url)
    template = robomaker.create_world_template(templateBody=MINIMAL_BODY)["arn"]
    count = {"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    jobs = [
        robomaker.create_world_generation_job(template=template, worldCount=count)["arn"] for _ in range(2)
    ]
    assert eventually(
        lambda: all(
            robomaker.describe_world_generation_job(job=job)["status"] == "Completed" for job in jobs
        ),
        timeout=120,
    )
    with browser(plain) as http:
        page = http.get("robomaker/job", params={"arn": jobs[0]})
        link = re.search(r'href="/console/(robomaker/worlds\?job=[^"]+)">gallery</a>', page.text)
        assert link is not None, page.text
        gallery = http.get(link.group(1).replace("&amp;", "&"))
        assert gallery.status_code == 200, gallery.text
        own, other = (f"generation_{job.rsplit('/', 1)[1]}_world_1" for job in jobs)
        assert f"Preview of {own}" in gallery.text and other not in gallery.text
