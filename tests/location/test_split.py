"""Input files split by row groups into pieces (JOBFORGE_LOCATION_SPLIT_BYTES): the same output as
the unsplit path, pieces staged in the reserved internal bucket and gone when the job ends (also when
it is cancelled mid-split), and a piece that runs twice writing the same bytes.

The split server stores its objects in the session's moto S3 (beside ``s3_server``, which never
splits), so its pieces are staged on S3 with the server's own credentials while the job reads and
writes with its execution role's."""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, select

from jobforge.config import Settings, SettingsError
from jobforge.engine.db import jobs as jobs_table
from jobforge.services.location.file_worker import FileTask, transform_file
from jobforge.services.location.pieces import MergeTask, Staging, merge_pieces, row_id_seed, split_row_groups
from jobforge.services.location.stop import StopSignal
from jobforge.storage import LocalObjectStore, StoreSpec
from tests.location.fixtures import cases_table, location_server, parquet_bytes
from tests.location.helpers import s3_output, start, wait_job, whole_file_part
from tests.support import JobforgeServer, MotoServer, client, eventually

SPLIT_BYTES = 4096
STAGING = "jobforge-location"
FEATURES = {"ValidateAddress": {"AdditionalFeatures": ["Position"]}}


@pytest.fixture(scope="module")
def split_server(tmp_path_factory: pytest.TempPathFactory, moto: MotoServer) -> Iterator[JobforgeServer]:
    args, env = moto.jobforge_args()
    running = location_server(
        tmp_path_factory.mktemp("location-split"),
        *args,
        "--location-split-bytes",
        str(SPLIT_BYTES),
        env={**env, "JOBFORGE_CPU_WORKERS": "2"},  # the cancel test needs more pieces than workers
    )
    yield running
    running.stop()


def big_input(copies: int = 40, row_group_size: int = 50) -> bytes:
    """Every case (error rows among them) ``copies`` times, in row groups of ``row_group_size``."""
    return parquet_bytes(pa.concat_tables([cases_table()] * copies), row_group_size=row_group_size)


def progress(server: JobforgeServer, job_id: str) -> dict[str, Any]:
    """The job's progress counters, from the server's database."""
    engine = create_engine(f"sqlite:///{server.data_dir.resolve() / 'jobforge.db'}")
    try:
        with engine.connect() as conn:
            query = select(jobs_table.c.progress).where(jobs_table.c.job_id == job_id)
            return dict(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def staged(s3: Any, job_id: str) -> list[str]:
    answer = s3.list_objects_v2(Bucket=STAGING, Prefix=f"pieces/{job_id}/")
    return [item["Key"] for item in answer.get("Contents", [])]


def part_bytes(s3: Any, manifest: dict[str, Any], index: int) -> bytes:
    bucket, key = manifest["files"][index]["output"].removeprefix("s3://").split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_a_split_file_gives_the_rows_of_the_unsplit_path(
    split_server: JobforgeServer, s3_server: JobforgeServer, moto: MotoServer, tmp_path: Path
) -> None:
    s3 = moto.s3()
    for bucket in ("loc-split-in", "loc-split-out"):
        s3.create_bucket(Bucket=bucket)
    data = big_input()
    pieces = split_row_groups(pq.ParquetFile(io.BytesIO(data)).metadata, len(data), SPLIT_BYTES)
    assert len(pieces) >= 3
    s3.put_object(Bucket="loc-split-in", Key="mixed/a-big.parquet", Body=data)
    s3.put_object(Bucket="loc-split-in", Key="mixed/b-small.parquet", Body=parquet_bytes(cases_table()))
    outputs = {}
    for name, server in (("split", split_server), ("whole", s3_server)):
        location = client("location", server.url)
        job_id = start(
            location, "s3://loc-split-in/mixed/", "s3://loc-split-out/out/", ActionOptions=FEATURES
        )["JobId"]
        job = wait_job(location, job_id)
        assert job["Status"] == "Completed", job.get("Error")
        manifest = s3_output(s3, "loc-split-out", "out/", job_id)[0]
        tables = [pq.read_table(io.BytesIO(part_bytes(s3, manifest, n))) for n in range(2)]
        outputs[name] = (job_id, manifest, tables)

    split_id, split_manifest, split_tables = outputs["split"]
    whole_id, whole_manifest, whole_tables = outputs["whole"]
    # the same files, rows and error rows; the same schema and rows in the same order (row ids are
    # the job's own: fixed by job, file and row, so they differ between the two jobs)
    counts = [(entry["rows"], entry["errorRows"]) for entry in split_manifest["files"]]
    assert counts == [(entry["rows"], entry["errorRows"]) for entry in whole_manifest["files"]]
    assert counts[0] == (600, 40 * counts[1][1]) and counts[1][1] > 0
    for split, whole in zip(split_tables, whole_tables, strict=True):
        assert split.schema == whole.schema
        assert split.drop_columns(["Output_Id"]).equals(whole.drop_columns(["Output_Id"]))
        assert split.column("Output_Id").null_count == 0
        assert len(set(split.column("Output_Id").to_pylist())) == split.num_rows
    errors = split_tables[0].filter(pc.is_valid(split_tables[0].column("ErrorType")))
    assert errors.num_rows == counts[0][1] and set(errors.column("Input_Id").to_pylist()) >= {"empty"}
    assert (split_manifest["rows"], split_manifest["errorRows"]) == (
        whole_manifest["rows"],
        whole_manifest["errorRows"],
    )

    # byte for byte what validating the whole file at once gives for this job
    reference = split_server.data_dir / "location" / "reference.sqlite"
    whole, rows = whole_file_part(data, split_id, reference, tmp_path)
    assert rows == 600 and part_bytes(s3, split_manifest, 0) == whole

    # the split is visible in the job's progress; the staged pieces are gone
    assert progress(split_server, split_id) == {
        **progress(split_server, split_id),
        "pieces": len(pieces) + 1,
        "piecesDone": len(pieces) + 1,
        "splitFiles": 1,
        "filesDone": 2,
        "rows": 600 + cases_table().num_rows,
    }
    assert progress(s3_server, whole_id)["splitFiles"] == 0
    s3.head_bucket(Bucket=STAGING)  # it was used...
    assert staged(s3, split_id) == []  # ...and emptied


def test_the_staging_bucket_is_reserved(split_server: JobforgeServer, server: JobforgeServer) -> None:
    s3 = client("s3", server.url)  # jobforge's own S3 API, on local buckets
    for call, kwargs in (
        (s3.list_objects_v2, {}),
        (s3.get_object, {"Key": "pieces/x"}),
        (s3.create_bucket, {}),
    ):
        with pytest.raises(ClientError) as denied:
            call(Bucket=STAGING, **kwargs)
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    location = client("location", split_server.url)
    for source, output in (
        (f"s3://{STAGING}/pieces/", "s3://loc-split-out/x/"),
        ("s3://loc-split-in/", f"s3://{STAGING}/"),
    ):
        with pytest.raises(ClientError) as refused:
            start(location, source, output)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert "reserved for jobforge's internal use" in refused.value.response["Error"]["Message"]


def test_cancel_mid_split_leaves_no_pieces_and_no_parts(
    split_server: JobforgeServer, moto: MotoServer
) -> None:
    s3 = moto.s3()
    for bucket in ("loc-split-in", "loc-split-out"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="loc-split-in", Key="cancel/a.parquet", Body=big_input(copies=60, row_group_size=30))
    s3.put_object(Bucket="loc-split-in", Key="cancel/b.parquet", Body=parquet_bytes(cases_table()))
    location = client("location", split_server.url)
    split_server.control("pace", pace="step")
    try:
        job_id = start(location, "s3://loc-split-in/cancel/", "s3://loc-split-out/cancel/")["JobId"]
        split_server.control("advance", jobId=job_id, steps=2)  # start, then the first pieces
        assert eventually(lambda: len(staged(s3, job_id)) >= 2, 60)  # pieces staged; the rest wait
        assert location.cancel_job(JobId=job_id)["Status"] == "Cancelling"
        assert wait_job(location, job_id)["Status"] == "Cancelled"
    finally:
        split_server.control("pace", pace="instant")
    assert 0 < progress(split_server, job_id)["piecesDone"] < progress(split_server, job_id)["pieces"]
    assert staged(s3, job_id) == []
    assert s3.list_objects_v2(Bucket="loc-split-out", Prefix=f"cancel/{job_id}/").get("Contents", []) == []


def test_a_piece_run_twice_writes_the_same_object(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    for bucket in ("piece-in", "piece-stage", "piece-out"):
        store.create_bucket(bucket)
    data = big_input(copies=8, row_group_size=20)
    store.put_bytes("piece-in", "a.parquet", data)
    pieces = split_row_groups(pq.ParquetFile(io.BytesIO(data)).metadata, len(data), 2048)
    assert len(pieces) >= 2 and pieces[0][0] == 0 and pieces[-1][1] == 6
    assert all(a[1] == b[0] for a, b in pairwise(pieces))  # contiguous, in order
    spec, seed = StoreSpec(str(tmp_path)), row_id_seed("job-1", 3)
    flag = StopSignal(spec, "piece-stage", "stop-1")

    def piece(index: int, target: str, id_seed: bytes = seed) -> bytes:
        source, staged_at = ("piece-in", "a.parquet"), ("piece-stage", target)
        task = FileTask(spec, None, (), source, staged_at, flag, row_groups=pieces[index], id_seed=id_seed)
        assert transform_file(task)["cancelled"] is False
        return store.get_bytes(*staged_at)

    first = [piece(n, f"{n}.parquet") for n in range(len(pieces))]
    assert piece(1, "1.parquet") == first[1]  # redelivered: the same key, the same bytes
    assert piece(1, "other.parquet", row_id_seed("job-2", 3)) != first[1]  # ids are the job's
    keys = tuple(("piece-stage", f"{n}.parquet") for n in range(len(pieces)))
    merged = merge_pieces(MergeTask(spec, keys, spec, ("piece-out", "merged.parquet"), flag))
    assert (merged["rows"], merged["cancelled"]) == (120, False)
    whole = FileTask(
        spec, None, (), ("piece-in", "a.parquet"), ("piece-out", "whole.parquet"), flag, id_seed=seed
    )
    assert transform_file(whole)["rows"] == 120
    assert store.get_bytes("piece-out", "merged.parquet") == store.get_bytes("piece-out", "whole.parquet")
    flag.send()  # a merge told to stop publishes nothing
    assert merge_pieces(MergeTask(spec, keys, spec, ("piece-out", "stopped.parquet"), flag))["cancelled"]
    assert sorted(info.key for info in store.list_objects("piece-out")) == ["merged.parquet", "whole.parquet"]
    missing = merge_pieces(
        MergeTask(spec, (("piece-stage", "gone.parquet"),), spec, ("piece-out", "x"), flag)
    )
    assert missing["error"]["code"] == "InternalServerError"


def test_a_worker_without_the_jobs_index_fails_rather_than_validate_otherwise(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    for bucket in ("piece-in", "piece-out"):
        store.create_bucket(bucket)
    store.put_bytes("piece-in", "a.parquet", parquet_bytes(cases_table()))
    source, target = ("piece-in", "a.parquet"), ("piece-out", "a.parquet")
    missing = str(tmp_path / "not-on-this-node.sqlite")
    never = StopSignal(StoreSpec(str(tmp_path)), "piece-out", "never")
    task = FileTask(StoreSpec(str(tmp_path)), missing, (), source, target, never)
    error = transform_file(task)["error"]
    assert error["code"] == "InternalServerError" and missing in error["message"]
    assert list(store.list_objects("piece-out")) == []
    without = FileTask(StoreSpec(str(tmp_path)), None, (), source, target, never)
    assert transform_file(without)["rows"] == cases_table().num_rows  # no index: the ZIP table only


def test_split_row_groups_only_splits_what_it_should() -> None:
    metadata = pq.ParquetFile(io.BytesIO(big_input(copies=4, row_group_size=10))).metadata
    assert metadata.num_row_groups == 6
    assert split_row_groups(metadata, 10**9, 0) == [(0, 6)]  # splitting off
    assert split_row_groups(metadata, 100, 100) == [(0, 6)]  # not larger than the setting
    assert split_row_groups(metadata, 10**9, 1) == [(n, n + 1) for n in range(6)]  # one group each
    one = pq.ParquetFile(io.BytesIO(parquet_bytes(cases_table()))).metadata
    assert split_row_groups(one, 10**9, 1) == [(0, 1)]  # one row group: nothing to split


def test_the_split_setting() -> None:
    assert Settings.from_env({}).location_split_bytes == 256 * 1024 * 1024
    assert Settings.from_env({"JOBFORGE_LOCATION_SPLIT_BYTES": "0"}).validate().location_split_bytes == 0
    flag = Settings.from_env({"JOBFORGE_LOCATION_SPLIT_BYTES": "5"}, location_split_bytes="7")
    assert flag.location_split_bytes == 7
    with pytest.raises(SettingsError, match="JOBFORGE_LOCATION_SPLIT_BYTES must be 0"):
        Settings.from_env({"JOBFORGE_LOCATION_SPLIT_BYTES": "-1"}).validate()
    with pytest.raises(SettingsError, match="--location-split-bytes must be a whole number"):
        Settings.from_env({}, location_split_bytes="lots")


def test_a_piece_committing_after_the_job_discarded_its_staging_deletes_itself(tmp_path: Path) -> None:
    """A revoked piece on another node, or a task delivered twice, that commits after the job ended
    leaves no orphan in the internal bucket: the job's live marker is gone, so the piece deletes
    what it wrote."""
    store = LocalObjectStore(tmp_path)
    store.create_bucket("piece-in")
    data = big_input(copies=2, row_group_size=20)
    store.put_bytes("piece-in", "a.parquet", data)
    spec, staging = StoreSpec(str(tmp_path)), Staging(store, STAGING)
    flag = staging.stop_signal(spec, "job-9", 1)

    def piece() -> dict[str, Any]:
        target = (STAGING, staging.key("job-9", 0, 0))
        task = FileTask(
            spec,
            None,
            (),
            ("piece-in", "a.parquet"),
            target,
            flag,
            row_groups=(0, 1),
            target_store=spec,
            live=staging.live_marker("job-9"),
        )
        return transform_file(task)

    staging.open_for("job-9")
    assert piece()["cancelled"] is False
    assert staging.keys("job-9") == ["pieces/job-9/00000/00000.parquet", "pieces/job-9/live"]
    assert staging.discard("job-9") == 1  # the marker first, then the piece
    late = piece()
    assert late["cancelled"] is True and late["rows"] == 20
    assert staging.keys("job-9") == []
