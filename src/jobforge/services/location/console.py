"""Location's pages in the web console: ValidateAddress jobs and, for a finished job, a summary of
its output Parquet (rows by validation granularity and match confidence, error rows, a scatter of
the positions), read with the signed-in account's rights on the output bucket."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyarrow.parquet as pq

from jobforge.console.section import ConsoleSection, PageRequest, Rendered
from jobforge.services.location.job_handler import KIND, MANIFEST
from jobforge.services.location.locations import LocationError, parse_location, parse_output_location
from jobforge.storage import BucketAccessDenied, ObjectStore, StorageError

API = "location"  # the model's service name (its signing name and job records say "geo")
LIST_PAGE = 50
MAX_ERROR_ROWS = 20
MAX_POINTS = 2000
SVG_WIDTH, SVG_HEIGHT, SVG_MARGIN = 640, 360, 12
GRANULARITY = "Output_ValidationResults_ValidationGranularity"
CONFIDENCE = "Output_ValidationResults_MatchConfidence"
LONGITUDE, LATITUDE = "Output_Position_Longitude", "Output_Position_Latitude"
ERROR_COLUMNS = ("Input_Id", "Input_AddressLines_1", "ErrorType", "ErrorMessage")
SUMMARY_COLUMNS = (GRANULARITY, CONFIDENCE, LONGITUDE, LATITUDE, *ERROR_COLUMNS)


@dataclass
class OutputSummary:
    """What a finished job's output holds."""

    rows: int = 0
    error_rows: int = 0
    files: int = 0
    by_outcome: Counter[tuple[str, str]] = field(default_factory=Counter)  # (granularity, confidence)
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first MAX_ERROR_ROWS
    points: list[tuple[float, float, bool, str]] = field(default_factory=list)  # lon, lat, error, id

    def scatter(self) -> dict[str, Any]:
        """The points placed in an SVG box (equirectangular, north up), with the box's extent."""
        if not self.points:
            return {}
        lons, lats = [p[0] for p in self.points], [p[1] for p in self.points]
        west, east, south, north = min(lons), max(lons), min(lats), max(lats)
        span_x, span_y = max(east - west, 1e-6), max(north - south, 1e-6)
        inner_w, inner_h = SVG_WIDTH - 2 * SVG_MARGIN, SVG_HEIGHT - 2 * SVG_MARGIN
        placed = [
            {
                "x": round(SVG_MARGIN + (lon - west) / span_x * inner_w, 1),
                "y": round(SVG_MARGIN + (north - lat) / span_y * inner_h, 1),
                "error": error,
                "label": f"{label} ({lat:.5f}, {lon:.5f})",
            }
            for lon, lat, error, label in self.points
        ]
        return {
            "points": placed,
            "width": SVG_WIDTH,
            "height": SVG_HEIGHT,
            "extent": (west, south, east, north),
        }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def summarize(store: ObjectStore, account_id: str, job: dict[str, Any]) -> OutputSummary | None:
    """The output of a GetJob answer's job, or None when it wrote none (yet) or it is not readable
    with ``account_id``'s rights."""
    try:
        folder = parse_output_location(job["OutputOptions"]["Location"]).child(job["JobId"] + "/")
        store.policy.check(folder.bucket, account_id)
        manifest = json.loads(store.get_bytes(folder.bucket, folder.key + MANIFEST))
    except (LocationError, BucketAccessDenied, StorageError, ValueError):
        return None
    summary = OutputSummary(rows=manifest.get("rows", 0), error_rows=manifest.get("errorRows", 0))
    for entry in manifest.get("files", []):
        part = parse_location(entry["output"])
        try:
            store.policy.check(part.bucket, account_id)
            with store.open_read(part.bucket, part.key) as handle:
                parquet = pq.ParquetFile(handle)
                names = [name for name in SUMMARY_COLUMNS if name in parquet.schema_arrow.names]
                table = parquet.read(columns=names)
        except (LocationError, BucketAccessDenied, StorageError):
            continue
        summary.files += 1
        _add(summary, table.to_pydict(), table.num_rows)
    return summary


def _add(summary: OutputSummary, columns: dict[str, list[Any]], count: int) -> None:
    nothing = [None] * count
    granularity, confidence = columns.get(GRANULARITY, nothing), columns.get(CONFIDENCE, nothing)
    error_type = columns.get("ErrorType", nothing)
    lons, lats = columns.get(LONGITUDE, nothing), columns.get(LATITUDE, nothing)
    ids = columns.get("Input_Id", nothing)
    for i in range(count):
        summary.by_outcome[(_text(granularity[i]) or "—", _text(confidence[i]) or "—")] += 1
        if error_type[i] is not None and len(summary.errors) < MAX_ERROR_ROWS:
            summary.errors.append({name: columns.get(name, nothing)[i] for name in ERROR_COLUMNS})
        if lons[i] is not None and lats[i] is not None and len(summary.points) < MAX_POINTS:
            summary.points.append((lons[i], lats[i], error_type[i] is not None, _text(ids[i])))


def _job_link(progress: dict[str, Any]) -> str | None:
    return "location/job?" + urlencode({"id": progress["id"]}) if progress["kind"] == KIND else None


class LocationConsole:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def section(self) -> ConsoleSection:
        return ConsoleSection(
            name=API,
            title="Location",
            pages={"jobs": self.jobs, "job": self.job},
            nav=[("jobs", "Location jobs")],
            templates=("jobforge.services.location", "console_templates"),
            job_link=_job_link,
        )

    def jobs(self, request: PageRequest) -> Rendered:
        token = request.query.get("page")
        listed = request.call(
            API, "ListJobs", {"MaxResults": LIST_PAGE, **({"NextToken": token} if token else {})}
        )
        return Rendered(
            "location/jobs.html", {"jobs": listed["Entries"], "next_token": listed.get("NextToken")}
        )

    def job(self, request: PageRequest) -> Rendered:
        job = request.call(API, "GetJob", {"JobId": request.query.get("id", "")})
        summary = summarize(self.store, request.account_id, job) if job["Status"] == "Completed" else None
        return Rendered(
            "location/job.html",
            {"job": job, "summary": summary, "scatter": summary.scatter() if summary else {}},
        )
