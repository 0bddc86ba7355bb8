"""Data Exchange's pages in the web console: data sets -> revisions -> assets and the jobs of each
revision, every list a page at a time, read through the API as the signed-in account."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jobforge.console.section import ConsoleSection, PageRequest, Rendered
from jobforge.services.dataexchange.common import SERVICE
from jobforge.services.dataexchange.job_types import KINDS

PAGE = 25


def _paged(request: PageRequest, **fields: str) -> dict[str, Any]:
    token = request.query.get("page")
    return {**fields, "MaxResults": PAGE, **({"NextToken": token} if token else {})}


def _job_link(progress: dict[str, Any]) -> str | None:
    return "dataexchange/job?" + urlencode({"id": progress["id"]}) if progress["kind"] in KINDS else None


def data_sets(request: PageRequest) -> Rendered:
    listed = request.call(SERVICE, "ListDataSets", _paged(request))
    return Rendered(
        "dataexchange/data_sets.html",
        {"data_sets": listed["DataSets"], "next_token": listed.get("NextToken")},
    )


def data_set(request: PageRequest) -> Rendered:
    data_set_id = request.query.get("id", "")
    described = request.call(SERVICE, "GetDataSet", {"DataSetId": data_set_id})
    listed = request.call(SERVICE, "ListDataSetRevisions", _paged(request, DataSetId=data_set_id))
    return Rendered(
        "dataexchange/data_set.html",
        {"data_set": described, "revisions": listed["Revisions"], "next_token": listed.get("NextToken")},
    )


def revision(request: PageRequest) -> Rendered:
    """A revision, its assets and its jobs (``page`` pages the assets, ``jobs_page`` the jobs)."""
    ids = {"DataSetId": request.query.get("data_set", ""), "RevisionId": request.query.get("id", "")}
    described = request.call(SERVICE, "GetRevision", ids)
    data_set = request.call(SERVICE, "GetDataSet", {"DataSetId": ids["DataSetId"]})
    assets = request.call(SERVICE, "ListRevisionAssets", _paged(request, **ids))
    jobs_token = request.query.get("jobs_page")
    jobs = request.call(
        SERVICE, "ListJobs", {**ids, "MaxResults": PAGE, **({"NextToken": jobs_token} if jobs_token else {})}
    )
    return Rendered(
        "dataexchange/revision.html",
        {
            "data_set": data_set,
            "revision": described,
            "assets": assets["Assets"],
            "next_token": assets.get("NextToken"),
            "jobs": jobs["Jobs"],
            "jobs_next_token": jobs.get("NextToken"),
        },
    )


def job(request: PageRequest) -> Rendered:
    described = request.call(SERVICE, "GetJob", {"JobId": request.query.get("id", "")})
    return Rendered("dataexchange/job.html", {"job": described})


def section() -> ConsoleSection:
    return ConsoleSection(
        name=SERVICE,
        title="Data Exchange",
        pages={"data-sets": data_sets, "data-set": data_set, "revision": revision, "job": job},
        nav=[("data-sets", "Data sets")],
        templates=("jobforge.services.dataexchange", "console_templates"),
        job_link=_job_link,
    )
