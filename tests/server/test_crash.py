"""Crash test: ``jobforge serve`` is killed (SIGKILL) at random moments while jobs of all three
services run, and restarted on the same data directory, several times.

After each restart every job the server acknowledged must reach a terminal state (restart recovery
resumes interrupted jobs, or fails them once their attempts are used up), and:

* every acknowledged resource and job still exists, and no job of any list stays in a running state;
* every output object is complete (export zips hold whole worlds, Location outputs have their
  manifest and readable parquet, Data Exchange exports are byte-identical to their source), and
  jobs that did not complete left no output objects (nor staged asset bytes);
* no temp file of an interrupted writer is left in the data directory once the restart's sweep ran.

The kill moments come from a seeded random generator: the seed is printed, and
``JOBFORGE_CRASH_SEED=<seed>`` replays a run's choices.
"""

from __future__ import annotations

import io
import os
import random
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jobforge.engine import JobEngine, JobState
from jobforge.services.robomaker.export import WORLDS_DIR
from jobforge.services.robomaker.export.check import check_export
from jobforge.services.robomaker.export_job import archive_key
from jobforge.storage.local import TMP_DIR_NAME
from tests.dataexchange.conftest import TERMINAL as DX_TERMINAL
from tests.dataexchange.conftest import DataExchangeEnv, LocalBuckets
from tests.location.fixtures import import_reference, input_table, parquet_bytes, seattle
from tests.location.helpers import TERMINAL as LOCATION_TERMINAL
from tests.location.helpers import files_under, local_output, make_bucket, put_local, start
from tests.robomaker.samples import MINIMAL_BODY
from tests.support import JobforgeServer, client

CYCLES = 5
SEED = int(os.environ.get("JOBFORGE_CRASH_SEED", "20261204"))
STEP_DELAY = "0.4"  # seconds per reported step (--pace realistic): jobs stay running for a while
SLOW_STEP_DELAY = "1.2"  # after a restart that is followed by another kill
KILL_WINDOW = (0.0, 1.0)  # seconds after the last job started
KILL_AGAIN_WINDOW = (0.0, 0.4)  # seconds after a restart, to catch the resumed jobs again
MAX_ATTEMPTS = 3  # the executor's: recovery fails a job interrupted this often, and cleans up
ROLE = "arn:aws:iam::000000000000:role/crash-test"
GENERATION_ENDED = ("Completed", "Failed", "PartialFailed", "Canceled")
EXPORT_ENDED = ("Completed", "Failed", "Canceled")
EXPORT_BUCKET, DX_IN, DX_OUT = "crash-exports", "crash-dx-in", "crash-dx-out"
LOC_IN, LOC_OUT = "crash-loc-in", "crash-loc-out"
RUNNING = ("Running", "IN_PROGRESS")  # a worker holds the job (Data Exchange: or it is queued)
SOURCE = b"crash-test asset bytes\n" * 4096
ADDRESSES = [seattle("120 Quillfeather Ave"), seattle("140 Quilfeather Avenue")]


@dataclass
class Acknowledged:
    """Everything the server answered 2xx for, and the outputs each job may have written."""

    templates: list[str] = field(default_factory=list)
    generations: list[str] = field(default_factory=list)
    exports: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # arn -> (key, worlds)
    revisions: list[tuple[str, str]] = field(default_factory=list)  # (data set, revision)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # job -> (data set, revision)
    dx_exports: dict[str, list[str]] = field(default_factory=dict)  # job -> keys in DX_OUT
    locations: list[str] = field(default_factory=list)


class Clients:
    """SDK clients of the server (again after each restart)."""

    def __init__(self, server: JobforgeServer) -> None:
        self.robomaker = client("robomaker", server.url)
        self.location = client("location", server.url)
        self.dx = client("dataexchange", server.url)
        self.dx_env = DataExchangeEnv("local", server, self.dx, LocalBuckets(server.data_dir / "buckets"))


def _all(api: Any, operation: str, member: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list operation, all pages."""
    return api.get_paginator(operation).paginate(**params).build_full_result().get(member, [])


def _until(check: Callable[[], Any], what: str, timeout: float = 60, pause: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(pause)
    return found


def _setup(
    server: JobforgeServer, api: Clients, acked: Acknowledged
) -> tuple[list[str], tuple[str, str, str]]:
    """Buckets and inputs, one world to export and one asset to export (not killed)."""
    for bucket in (EXPORT_BUCKET, DX_OUT, LOC_OUT):
        make_bucket(server, bucket)
    put_local(server, DX_IN, "source.bin", SOURCE)
    put_local(server, LOC_IN, "in/a.parquet", parquet_bytes(input_table(ADDRESSES)))
    template = api.robomaker.create_world_template(name="crash-setup", templateBody=MINIMAL_BODY)["arn"]
    acked.templates.append(template)
    job = api.robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
    )["arn"]
    acked.generations.append(job)
    done = _until(lambda: _ended(api.robomaker.describe_world_generation_job(job=job), GENERATION_ENDED), job)
    assert done["status"] == "Completed", done
    ds, rev = _data_set(api, acked, "crash-setup")
    imported = _import(api, acked, ds, rev)
    assert api.dx_env.wait(imported)["State"] == "COMPLETED"
    [asset] = api.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]
    return done["finishedWorldsSummary"]["succeededWorlds"], (ds, rev, asset["Id"])


def _ended(job: dict[str, Any], ended: tuple[str, ...]) -> dict[str, Any] | None:
    return job if job["status"] in ended else None


def _data_set(api: Clients, acked: Acknowledged, name: str) -> tuple[str, str]:
    ds = api.dx_env.data_set(name)
    rev = api.dx_env.revision(ds)
    acked.revisions.append((ds, rev))
    return ds, rev


def _import(api: Clients, acked: Acknowledged, ds: str, rev: str) -> str:
    source = {"Bucket": DX_IN, "Key": "source.bin"}
    details = {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": [source]}}
    job = api.dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)["Id"]
    acked.imports[job] = (ds, rev)
    api.dx.start_job(JobId=job)
    return job


def _start_jobs(
    cycle: int, api: Clients, acked: Acknowledged, worlds: list[str], asset: tuple[str, str, str]
) -> dict[str, str]:
    """One job of every kind (and the resources they need); returns them by kind."""
    template = api.robomaker.create_world_template(name=f"crash-{cycle}", templateBody=MINIMAL_BODY)["arn"]
    acked.templates.append(template)
    generation = api.robomaker.create_world_generation_job(
        template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 2}
    )["arn"]
    acked.generations.append(generation)
    prefix = f"cycle-{cycle}"
    export = api.robomaker.create_world_export_job(
        worlds=worlds, outputLocation={"s3Bucket": EXPORT_BUCKET, "s3Prefix": prefix}, iamRole=ROLE
    )["arn"]
    acked.exports[export] = (archive_key(prefix, export.rsplit("/", 1)[1]), worlds)
    ds, rev = _data_set(api, acked, f"crash-{cycle}")
    imported = _import(api, acked, ds, rev)
    source_ds, source_rev, asset_id = asset
    keys = [f"cycle-{cycle}/{name}.bin" for name in ("first", "second")]  # a step before each copy
    destinations = [{"AssetId": asset_id, "Bucket": DX_OUT, "Key": key} for key in keys]
    details = {
        "ExportAssetsToS3": {
            "DataSetId": source_ds,
            "RevisionId": source_rev,
            "AssetDestinations": destinations,
        }
    }
    dx_export = api.dx.create_job(Type="EXPORT_ASSETS_TO_S3", Details=details)["Id"]
    acked.dx_exports[dx_export] = keys
    api.dx.start_job(JobId=dx_export)
    location = start(api.location, f"s3://{LOC_IN}/in/", f"s3://{LOC_OUT}/out/")["JobId"]
    acked.locations.append(location)
    return {
        "generation": generation,
        "export": export,
        "dx-import": imported,
        "dx-export": dx_export,
        "location": location,
    }


def _statuses(api: Clients, jobs: dict[str, str]) -> dict[str, str]:
    """Each job's status word, by kind."""
    return {
        "generation": api.robomaker.describe_world_generation_job(job=jobs["generation"])["status"],
        "export": api.robomaker.describe_world_export_job(job=jobs["export"])["status"],
        "dx-import": api.dx.get_job(JobId=jobs["dx-import"])["State"],
        "dx-export": api.dx.get_job(JobId=jobs["dx-export"])["State"],
        "location": api.location.get_job(JobId=jobs["location"])["Status"],
    }


def _running_soon(api: Clients, jobs: dict[str, str], timeout: float = 5) -> list[str]:
    """The kinds of the jobs running now, or as soon as one runs (a resumed job waits to be
    claimed again); empty if none runs within ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        running = [kind for kind, status in _statuses(api, jobs).items() if status in RUNNING]
        if running or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


def _wait_all_ended(api: Clients) -> None:
    """Every job the server lists (acknowledged or not) reaches a terminal state."""

    def open_jobs() -> list[str]:
        robomaker, dx, location = api.robomaker, api.dx, api.location
        generations = _all(robomaker, "list_world_generation_jobs", "worldGenerationJobSummaries")
        exports = _all(robomaker, "list_world_export_jobs", "worldExportJobSummaries")
        return [
            *(j["arn"] for j in generations if j["status"] not in GENERATION_ENDED),
            *(j["arn"] for j in exports if j["status"] not in EXPORT_ENDED),
            *(j["Id"] for j in _all(dx, "list_jobs", "Jobs") if j["State"] not in DX_TERMINAL),
            *(
                j["JobId"]
                for j in _all(location, "list_jobs", "Entries")
                if j["Status"] not in LOCATION_TERMINAL
            ),
        ]

    _until(
        lambda: not open_jobs(), "every job to end (recovery resumes or fails them)", timeout=90, pause=0.3
    )


def _check_robomaker(api: Clients, acked: Acknowledged, scratch: Path, data_dir: Path) -> None:
    robomaker = api.robomaker
    for template in acked.templates:
        robomaker.describe_world_template(template=template)
    stored = {w["arn"] for w in _all(robomaker, "list_worlds", "worldSummaries")}
    made: set[str] = set()
    for arn in acked.generations:
        job = robomaker.describe_world_generation_job(job=arn)
        made |= set(job["finishedWorldsSummary"]["succeededWorlds"])
        if job["status"] == "Completed":
            count = job["worldCount"]
            worlds = count["floorplanCount"] * count["interiorCountPerFloorplan"]
            assert len(job["finishedWorldsSummary"]["succeededWorlds"]) == worlds
    assert stored == made, "worlds stored but not in any generation job's summary, or the reverse"
    for world in made:
        robomaker.describe_world(world=world)
    exports = data_dir / "buckets" / EXPORT_BUCKET
    expected: list[str] = []
    for arn, (key, worlds) in acked.exports.items():
        job = robomaker.describe_world_export_job(job=arn)
        if job["status"] != "Completed":
            assert not (exports / key).exists(), f"a {job['status']} export left {key}"
            continue
        expected.append(key)
        root = Path(tempfile.mkdtemp(prefix="unzipped-", dir=scratch))
        with zipfile.ZipFile(io.BytesIO((exports / key).read_bytes())) as archive:
            assert archive.testzip() is None
            archive.extractall(root)
        result = check_export(root, run_sdf_checker=False)
        assert result.problems == [], result.problems[:10]
        assert result.worlds == sorted(w.rsplit("/", 1)[1] for w in worlds)
        for world_id in result.worlds:
            assert (root / WORLDS_DIR / "worlds" / world_id / "preview.png").is_file()
    assert files_under(exports) == sorted(expected), "export objects of jobs that did not complete"


def _check_dataexchange(api: Clients, acked: Acknowledged, data_dir: Path) -> None:
    dx = api.dx
    assets = 0
    for ds, rev in acked.revisions:
        dx.get_data_set(DataSetId=ds)
        dx.get_revision(DataSetId=ds, RevisionId=rev)
        assets += len(_all(dx, "list_revision_assets", "Assets", DataSetId=ds, RevisionId=rev))
    committed = 0
    for job_id, (ds, rev) in acked.imports.items():
        job = dx.get_job(JobId=job_id)
        found = _all(dx, "list_revision_assets", "Assets", DataSetId=ds, RevisionId=rev)
        if job["State"] == "COMPLETED":
            assert [a["Name"] for a in found] == ["source.bin"]
            committed += 1
        else:
            assert found == [], f"a {job['State']} import left assets"
    assert assets == committed
    internal = files_under(data_dir / "buckets" / "jobforge-dataexchange")
    assert len(internal) == committed, f"asset bytes without an asset: {internal}"
    expected = []
    for job_id, keys in acked.dx_exports.items():
        state = dx.get_job(JobId=job_id)["State"]
        for key in keys:
            written = data_dir / "buckets" / DX_OUT / key
            if state == "COMPLETED":
                assert written.read_bytes() == SOURCE
                expected.append(key)
            else:
                assert not written.exists(), f"a {state} export left {key}"
    assert files_under(data_dir / "buckets" / DX_OUT) == sorted(expected)


def _check_location(server: JobforgeServer, api: Clients, acked: Acknowledged) -> None:
    """Completed: manifest and every row readable. Otherwise no part files, unless the manifest
    exists (recovery keeps an output whose manifest was written: it is complete)."""
    out = server.data_dir / "buckets" / LOC_OUT / "out"
    for job_id in acked.locations:
        job = api.location.get_job(JobId=job_id)
        if job["Status"] == "Completed" or (out / job_id / "manifest.json").exists():
            manifest, rows = local_output(server, LOC_OUT, "out", job_id)
            assert len(rows) == len(ADDRESSES) and manifest["files"]
            listed = {entry["output"].rsplit("/", 1)[1] for entry in manifest["files"]}
            assert set(files_under(out / job_id)) == listed | {"manifest.json"}
        else:
            assert files_under(out / job_id) == [], f"a {job['Status']} job left output"


def _temp_files(data_dir: Path) -> list[str]:
    """Files in the local store's temp directory (writers' ``upload-*.part``, their ``.new``), and
    anything named like a temp file anywhere in the data directory."""
    return [
        name
        for name in files_under(data_dir)
        if name.startswith(f"buckets/{TMP_DIR_NAME}/") or name.endswith((".part", ".new", ".tmp"))
    ]


def _no_temp_files_after_sweep(data_dir: Path) -> None:
    deadline = time.monotonic() + 10  # the start-up sweep runs beside the start
    while (left := _temp_files(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"temp files of interrupted writers survived the restart: {left}"


def test_kill_9_while_jobs_of_every_service_run(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"crash test seed {SEED} (replay: JOBFORGE_CRASH_SEED={SEED})")
    data_dir = tmp_path / "data"
    import_reference(data_dir, tmp_path / "reference")
    # a worker per job (all run at once), one worker process: the restarts' warm-up stays short
    env = {"JOBFORGE_STEP_DELAY": STEP_DELAY, "JOBFORGE_WORKERS": "8", "JOBFORGE_CPU_WORKERS": "1"}
    server = JobforgeServer(data_dir, "--pace", "realistic", env=env).start()
    acked = Acknowledged()
    caught: list[list[str]] = []
    try:
        api = Clients(server)
        worlds, asset = _setup(server, api, acked)
        exhausting = rng.randrange(CYCLES)  # its jobs are killed up to 3 times: attempts used up
        for cycle in range(CYCLES):
            jobs = _start_jobs(cycle, api, acked, worlds, asset)
            for kill in range(MAX_ATTEMPTS if cycle == exhausting else 1):
                time.sleep(rng.uniform(*(KILL_AGAIN_WINDOW if kill else KILL_WINDOW)))
                running = _running_soon(api, jobs)
                if not running:  # everything ended already: a kill now would test nothing
                    assert kill > 0, f"cycle {cycle}: every job ended before the kill"
                    print(f"cycle {cycle} kill {kill}: every job had ended")
                    break
                server.kill()
                caught.append(running)
                left = _temp_files(data_dir)
                print(f"cycle {cycle} kill {kill}: running {running}, {len(left)} temp files left")
                again = cycle == exhausting and kill < MAX_ATTEMPTS - 1  # slow: still running then
                server.env["JOBFORGE_STEP_DELAY"] = SLOW_STEP_DELAY if again else STEP_DELAY
                server.start()
                api = Clients(server)
            _wait_all_ended(api)
            print(f"cycle {cycle}: outcomes {_statuses(api, jobs)}")
            _check_robomaker(api, acked, tmp_path, data_dir)
            _check_dataexchange(api, acked, data_dir)
            _check_location(server, api, acked)
            _no_temp_files_after_sweep(data_dir)
    finally:
        server.stop()
    seen = {kind for running in caught for kind in running}
    assert seen >= {"generation", "export", "dx-import", "dx-export", "location"}, (
        f"some kind of job was never running at a kill: {caught}"
    )


def test_recovery_deletes_what_an_export_it_ends_had_written(tmp_path: Path) -> None:
    """A Data Exchange export killed after its first copy, and again on each retry, is ended
    ERROR by restart recovery; the object its attempts created goes too (the crash test found it
    left behind: the written keys were only known to the dead process)."""
    data_dir = tmp_path / "data"
    server = JobforgeServer(data_dir, "--pace", "step").start()
    try:
        api = Clients(server)
        make_bucket(server, DX_OUT)
        put_local(server, DX_IN, "source.bin", SOURCE)
        (data_dir / "buckets" / DX_OUT / "kept.bin").write_bytes(b"the user's own")
        ds, rev = _data_set(api, Acknowledged(), "ended")
        imported = _import(api, Acknowledged(), ds, rev)
        server.control("advance", jobId=imported, steps=100)
        assert api.dx_env.wait(imported)["State"] == "COMPLETED"
        [asset] = api.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]
        keys = ["kept.bin", "first.bin", "second.bin"]
        destinations = [{"AssetId": asset["Id"], "Bucket": DX_OUT, "Key": key} for key in keys]
        details = {
            "ExportAssetsToS3": {"DataSetId": ds, "RevisionId": rev, "AssetDestinations": destinations}
        }
        job = api.dx.create_job(Type="EXPORT_ASSETS_TO_S3", Details=details)["Id"]
        api.dx.start_job(JobId=job)
        server.control("advance", jobId=job, steps=4)  # claim, start, first and second copy
        written, kept = (data_dir / "buckets" / DX_OUT / name for name in ("first.bin", "kept.bin"))
        # the copies run in parallel processes: under load the second may land before the first
        _until(lambda: written.exists() and kept.read_bytes() == SOURCE, "the export's first two copies")
        server.kill()
    finally:
        server.stop()
    _use_up_attempts(data_dir, "dataexchange", job)
    server = JobforgeServer(data_dir).start()  # recovery ends the job and cleans up
    try:
        assert client("dataexchange", server.url).get_job(JobId=job)["State"] == "ERROR"
        assert files_under(data_dir / "buckets" / DX_OUT) == ["kept.bin"]
        assert (data_dir / "buckets" / DX_OUT / "kept.bin").read_bytes() == SOURCE  # overwritten, kept
    finally:
        server.stop()


def test_recovery_deletes_the_archive_of_a_world_export_it_ends(tmp_path: Path) -> None:
    """A world export whose last attempt died after publishing its archive (before the job could
    end Completed) is ended Failed by restart recovery, and a failed export leaves no object."""
    data_dir = tmp_path / "data"
    server = JobforgeServer(data_dir, "--pace", "step").start()
    try:
        api = Clients(server)
        make_bucket(server, EXPORT_BUCKET)
        template = api.robomaker.create_world_template(templateBody=MINIMAL_BODY)["arn"]
        generation = api.robomaker.create_world_generation_job(
            template=template, worldCount={"floorplanCount": 1, "interiorCountPerFloorplan": 1}
        )["arn"]
        server.control("advance", jobId=generation.rsplit("/", 1)[1], steps=100)
        done = _until(
            lambda: _ended(api.robomaker.describe_world_generation_job(job=generation), GENERATION_ENDED),
            "the world",
        )
        export = api.robomaker.create_world_export_job(
            worlds=done["finishedWorldsSummary"]["succeededWorlds"],
            outputLocation={"s3Bucket": EXPORT_BUCKET, "s3Prefix": "out"},
            iamRole=ROLE,
        )["arn"]
        export_id = export.rsplit("/", 1)[1]
        server.control("advance", jobId=export_id, steps=1)  # claimed, then held before the world
        _until(lambda: api.robomaker.describe_world_export_job(job=export)["status"] == "Running", "Running")
        server.kill()
    finally:
        server.stop()
    _use_up_attempts(data_dir, "robomaker", export_id)
    archive = data_dir / "buckets" / EXPORT_BUCKET / archive_key("out", export_id)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"PK published by the last attempt")
    server = JobforgeServer(data_dir).start()  # recovery ends the job and cleans up
    try:
        job = client("robomaker", server.url).describe_world_export_job(job=export)
        assert (job["status"], job["failureCode"]) == ("Failed", "InternalServiceError")
        assert files_under(data_dir / "buckets" / EXPORT_BUCKET) == []
    finally:
        server.stop()


def _use_up_attempts(data_dir: Path, service: str, job_id: str) -> None:
    """As if a job killed while Running had been resumed and killed until no attempt is left."""
    engine = JobEngine(f"sqlite:///{data_dir.resolve() / 'jobforge.db'}", workers=1, cpu_workers=1)
    try:
        owner = SimpleNamespace(account_id="000000000000", region="us-east-1")
        record = engine.jobs.find(owner, service, job_id)
        assert record is not None and record.state is JobState.RUNNING
        while record.attempt < MAX_ATTEMPTS:
            engine.jobs.transition(record, JobState.PENDING)
            record = engine.jobs.claim(record.pk, "dead-worker", 30)
            assert record is not None
    finally:
        engine.db.dispose()
