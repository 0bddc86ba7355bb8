"""Data Exchange end to end through boto3 (import, finalize, export, download; event actions; large
files), on local buckets and on moto's S3."""

from __future__ import annotations

import time

import httpx

from tests.dataexchange.conftest import DataExchangeEnv, md5_b64

FILES = {
    "daily/prices.csv": b"day,price\n1,10\n2,11\n" * 1000,
    "daily/volumes.csv": b"day,volume\n1,5\n" * 5000,
    "readme.txt": b"hello data exchange",
}


def test_import_finalize_export_and_download(env: DataExchangeEnv) -> None:
    dx = env.dx
    source = env.bucket()
    for key, data in FILES.items():
        env.buckets.put(source, key, data)
    data_set = dx.create_data_set(
        AssetType="S3_SNAPSHOT", Name="Daily prices", Description="prices", Tags={"team": "quant"}
    )
    assert len(data_set["Id"]) == 32 and data_set["Origin"] == "OWNED"
    assert data_set["Arn"] == f"arn:aws:dataexchange:us-east-1:111122223333:data-sets/{data_set['Id']}"
    revision = dx.create_revision(DataSetId=data_set["Id"], Comment="first")
    ds, rev = data_set["Id"], revision["Id"]

    # three objects from S3
    job = env.run(
        "IMPORT_ASSETS_FROM_S3",
        {
            "ImportAssetsFromS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSources": [{"Bucket": source, "Key": key} for key in FILES],
            }
        },
    )
    assert job["State"] == "COMPLETED", job["Errors"]
    assert set(job) == {
        "Arn",
        "CreatedAt",
        "Details",
        "Errors",
        "Id",
        "State",
        "Type",
        "UpdatedAt",
        "ResponseMetadata",
    }
    assert job["Errors"] == [] and job["Type"] == "IMPORT_ASSETS_FROM_S3"
    assert job["Details"]["ImportAssetsFromS3"]["RevisionId"] == rev

    # one file through the signed URL (PUT with Content-MD5), uploaded before StartJob
    body = b"signed upload body " * 4096
    created = dx.create_job(
        Type="IMPORT_ASSET_FROM_SIGNED_URL",
        Details={
            "ImportAssetFromSignedUrl": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetName": "uploads/signed.bin",
                "Md5Hash": md5_b64(body),
            }
        },
    )
    signed = created["Details"]["ImportAssetFromSignedUrl"]
    assert created["State"] == "WAITING" and signed["SignedUrl"].startswith(env.server.url)
    assert signed["SignedUrlExpiresAt"].timestamp() > time.time() + 600
    response = httpx.put(signed["SignedUrl"], content=body, headers={"Content-MD5": md5_b64(body)})
    assert response.status_code == 200, response.text
    dx.start_job(JobId=created["Id"])
    assert env.wait(created["Id"])["State"] == "COMPLETED"

    assets = dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]
    by_name = {asset["Name"]: asset for asset in assets}
    assert set(by_name) == {*FILES, "uploads/signed.bin"}
    for name, data in FILES.items():
        assert by_name[name]["AssetDetails"]["S3SnapshotAsset"]["Size"] == len(data)
        assert by_name[name]["AssetType"] == "S3_SNAPSHOT"
    assert by_name["uploads/signed.bin"]["AssetDetails"]["S3SnapshotAsset"]["Size"] == len(body)

    # finalize, export with the acceptance pattern, verify bytes
    finalized = dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    assert finalized["Finalized"] is True
    target = env.bucket()
    job = env.run(
        "EXPORT_REVISIONS_TO_S3",
        {
            "ExportRevisionsToS3": {
                "DataSetId": ds,
                "RevisionDestinations": [
                    {
                        "Bucket": target,
                        "RevisionId": rev,
                        "KeyPattern": "${DataSet.Name}/${Revision.Id}/${Asset.Name}",
                    }
                ],
            }
        },
    )
    assert job["State"] == "COMPLETED", job["Errors"]
    for name, data in {**FILES, "uploads/signed.bin": body}.items():
        assert env.buckets.get(target, f"Daily prices/{rev}/{name}") == data
    assert len(env.buckets.keys(target)) == 4

    # one asset to a signed URL, downloaded
    asset = by_name["daily/prices.csv"]
    job = env.run(
        "EXPORT_ASSET_TO_SIGNED_URL",
        {"ExportAssetToSignedUrl": {"DataSetId": ds, "RevisionId": rev, "AssetId": asset["Id"]}},
    )
    assert job["State"] == "COMPLETED"
    url = job["Details"]["ExportAssetToSignedUrl"]["SignedUrl"]
    assert 0 < job["Details"]["ExportAssetToSignedUrl"]["SignedUrlExpiresAt"].timestamp() - time.time() <= 61
    download = httpx.get(url)
    assert download.status_code == 200 and download.content == FILES["daily/prices.csv"]

    # jobs of the revision, newest first, paginated
    listed = dx.list_jobs(DataSetId=ds, RevisionId=rev, MaxResults=2)
    assert len(listed["Jobs"]) == 2 and listed["NextToken"]
    assert listed["Jobs"][0]["Type"] == "EXPORT_ASSET_TO_SIGNED_URL"
    everything = [j for page in dx.get_paginator("list_jobs").paginate(DataSetId=ds) for j in page["Jobs"]]
    assert [j["Type"] for j in everything] == [
        "EXPORT_ASSET_TO_SIGNED_URL",
        "EXPORT_REVISIONS_TO_S3",
        "IMPORT_ASSET_FROM_SIGNED_URL",
        "IMPORT_ASSETS_FROM_S3",
    ]


def test_event_action_exports_on_finalize(env: DataExchangeEnv) -> None:
    dx = env.dx
    source, target = env.bucket(), env.bucket()
    env.buckets.put(source, "a.csv", b"a,b\n1,2\n")
    ds = env.data_set("auto")
    action = dx.create_event_action(
        Event={"RevisionPublished": {"DataSetId": ds}},
        Action={
            "ExportRevisionToS3": {
                "RevisionDestination": {"Bucket": target, "KeyPattern": "${Revision.Id}/${Asset.Name}"}
            }
        },
    )
    assert dx.get_event_action(EventActionId=action["Id"])["Action"] == action["Action"]
    assert [a["Id"] for a in dx.list_event_actions(EventSourceId=ds)["EventActions"]] == [action["Id"]]
    rev = env.revision(ds)
    job = env.run(
        "IMPORT_ASSETS_FROM_S3",
        {
            "ImportAssetsFromS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSources": [{"Bucket": source, "Key": "a.csv"}],
            }
        },
    )
    assert job["State"] == "COMPLETED"
    dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    jobs = dx.list_jobs(DataSetId=ds, RevisionId=rev)["Jobs"]
    auto = [j for j in jobs if j["Type"] == "EXPORT_REVISIONS_TO_S3"]
    assert len(auto) == 1
    assert auto[0]["Details"]["ExportRevisionsToS3"]["EventActionArn"] == action["Arn"]
    assert env.wait(auto[0]["Id"])["State"] == "COMPLETED"
    assert env.buckets.get(target, f"{rev}/a.csv") == b"a,b\n1,2\n"


def test_large_upload_and_download_stream_in_parts(env: DataExchangeEnv) -> None:
    """20 MiB: several multipart parts on S3; a bad copy of it leaves no upload behind."""
    import hashlib

    body = hashlib.sha256(b"seed").digest() * (20 * 1024 * 1024 // 32)
    ds = env.data_set("large")
    rev = env.revision(ds)
    details = {"DataSetId": ds, "RevisionId": rev, "AssetName": "large.bin", "Md5Hash": md5_b64(body)}
    bad = env.dx.create_job(
        Type="IMPORT_ASSET_FROM_SIGNED_URL", Details={"ImportAssetFromSignedUrl": details}
    )
    corrupted = body[:-1] + b"!"
    response = httpx.put(
        bad["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"], content=corrupted, timeout=60
    )
    assert response.status_code == 400
    env.dx.cancel_job(JobId=bad["Id"])
    if env.kind == "s3":
        uploads = env.buckets.s3.list_multipart_uploads(Bucket="jobforge-dataexchange")  # type: ignore[attr-defined]
        assert uploads.get("Uploads", []) == []
    assert not any(f"/{rev}/" in key for key in env.internal_keys())

    good = env.dx.create_job(
        Type="IMPORT_ASSET_FROM_SIGNED_URL", Details={"ImportAssetFromSignedUrl": details}
    )
    response = httpx.put(
        good["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"],
        content=iter([body[i : i + 1_000_000] for i in range(0, len(body), 1_000_000)]),  # chunked
        headers={"Content-MD5": md5_b64(body)},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    env.dx.start_job(JobId=good["Id"])
    assert env.wait(good["Id"])["State"] == "COMPLETED"
    [asset] = env.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]
    assert asset["AssetDetails"]["S3SnapshotAsset"]["Size"] == len(body)
    job = env.run(
        "EXPORT_ASSET_TO_SIGNED_URL",
        {"ExportAssetToSignedUrl": {"DataSetId": ds, "RevisionId": rev, "AssetId": asset["Id"]}},
    )
    with httpx.stream("GET", job["Details"]["ExportAssetToSignedUrl"]["SignedUrl"], timeout=60) as download:
        assert download.status_code == 200
        assert download.headers["content-length"] == str(len(body))
        received = b"".join(download.iter_bytes())
    assert hashlib.md5(received).digest() == hashlib.md5(body).digest()


def test_auto_exports_queue_behind_the_concurrent_export_quota(env: DataExchangeEnv) -> None:
    """5 EXPORT_REVISIONS_TO_S3 jobs in progress (the quota): a revision published meanwhile gets
    its auto-export WAITING, not a sixth in progress; it starts when one of them ends."""
    dx = env.dx
    source, target = env.bucket(), env.bucket()
    env.buckets.put(source, "a.csv", b"queued")
    ds = env.data_set("quota")
    revisions = [env.revision(ds), env.revision(ds)]
    for rev in revisions:
        sources = [{"Bucket": source, "Key": "a.csv"}]
        job = env.run(
            "IMPORT_ASSETS_FROM_S3",
            {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": sources}},
        )
        assert job["State"] == "COMPLETED"
    action = dx.create_event_action(
        Event={"RevisionPublished": {"DataSetId": ds}},
        Action={"ExportRevisionToS3": {"RevisionDestination": {"Bucket": target}}},
    )
    manual = []
    env.server.control("pace", pace="step")
    try:
        for i in range(5):
            destination = {
                "Bucket": target,
                "RevisionId": revisions[0],
                "KeyPattern": f"m{i}/${{Asset.Name}}",
            }
            job = dx.create_job(
                Type="EXPORT_REVISIONS_TO_S3",
                Details={"ExportRevisionsToS3": {"DataSetId": ds, "RevisionDestinations": [destination]}},
            )
            dx.start_job(JobId=job["Id"])
            manual.append(job["Id"])
        dx.update_revision(DataSetId=ds, RevisionId=revisions[1], Finalized=True)
        [auto] = [
            j
            for j in dx.list_jobs(DataSetId=ds, RevisionId=revisions[1])["Jobs"]
            if j["Type"] == "EXPORT_REVISIONS_TO_S3"
        ]
        assert auto["Details"]["ExportRevisionsToS3"]["EventActionArn"] == action["Arn"]
        time.sleep(0.5)
        states = [dx.get_job(JobId=j)["State"] for j in [*manual, auto["Id"]]]
        assert states == ["IN_PROGRESS"] * 5 + ["WAITING"]
    finally:
        env.server.control("pace", pace="instant")
    assert all(env.wait(j)["State"] == "COMPLETED" for j in manual)
    assert env.wait(auto["Id"])["State"] == "COMPLETED"
    assert [k.split("/")[-1] for k in env.buckets.keys(target) if not k.startswith("m")] == ["a.csv"]
    dx.delete_event_action(EventActionId=action["Id"])
