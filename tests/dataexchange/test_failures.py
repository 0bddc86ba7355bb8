"""What goes wrong, goes wrong cleanly: each case gets its documented error state or exception and
leaves nothing partial behind (no assets, no staged bytes, no half-exported objects)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.dataexchange.conftest import DataExchangeEnv, md5_b64


def _signed_import(env: DataExchangeEnv, ds: str, rev: str, body: bytes, name: str = "file.bin") -> dict:
    return env.dx.create_job(
        Type="IMPORT_ASSET_FROM_SIGNED_URL",
        Details={
            "ImportAssetFromSignedUrl": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetName": name,
                "Md5Hash": md5_b64(body),
            }
        },
    )


def _assets(env: DataExchangeEnv, ds: str, rev: str) -> list[dict]:
    return env.dx.list_revision_assets(DataSetId=ds, RevisionId=rev)["Assets"]


def _staged(env: DataExchangeEnv, ds: str, rev: str) -> list[str]:
    return [key for key in env.internal_keys() if f"/{ds}/{rev}/" in key]


def test_wrong_md5_is_refused_and_the_job_errors(env: DataExchangeEnv) -> None:
    ds = env.data_set()
    rev = env.revision(ds)
    body = b"the real content" * 1000
    job = _signed_import(env, ds, rev, body)
    url = job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]
    # a Content-MD5 that is not the job's: refused before any byte is stored
    refused = httpx.put(url, content=b"other", headers={"Content-MD5": md5_b64(b"other")})
    assert refused.status_code == 400 and b"BadDigest" in refused.content
    # the job's MD5 claimed, other bytes sent
    refused = httpx.put(url, content=b"tampered" * 100, headers={"Content-MD5": md5_b64(body)})
    assert refused.status_code == 400 and b"BadDigest" in refused.content
    assert env.dx.get_job(JobId=job["Id"])["State"] == "WAITING"
    assert _staged(env, ds, rev) == []
    env.dx.start_job(JobId=job["Id"])
    done = env.wait(job["Id"])
    assert done["State"] == "ERROR"
    assert done["Errors"][0]["Code"] == "VALIDATION_EXCEPTION"
    assert done["Errors"][0]["Details"]["ImportAssetFromSignedUrlJobErrorDetails"] == {
        "AssetName": "file.bin"
    }
    assert _assets(env, ds, rev) == [] and _staged(env, ds, rev) == []
    # the URL of an ended job takes nothing any more
    assert httpx.put(url, content=body, headers={"Content-MD5": md5_b64(body)}).status_code == 403
    assert _staged(env, ds, rev) == []


def test_tampered_urls_get_403_and_change_nothing(env: DataExchangeEnv) -> None:
    ds = env.data_set()
    rev = env.revision(ds)
    body = b"payload"
    job = _signed_import(env, ds, rev, body)
    other = _signed_import(env, ds, rev, body, "other.bin")
    url = job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]
    parts = urlsplit(url)
    signature = parts.query.split("Signature=")[1]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    forged = [
        url.replace(signature, flipped),  # altered signature
        url.replace(
            f"Expires={parts.query.split('Expires=')[1].split('&')[0]}", "Expires=9999999999"
        ),  # longer life
        url.replace(job["Id"], other["Id"]),  # another job's path with this job's signature
        urlunsplit(parts._replace(query="")),  # no signature at all
        url.replace("/upload/", "/export/"),  # another action
    ]
    for candidate in forged:
        response = httpx.put(candidate, content=body, headers={"Content-MD5": md5_b64(body)})
        assert response.status_code == 403, candidate
        assert b"AccessDenied" in response.content
    for job_id in (job["Id"], other["Id"]):
        assert env.dx.get_job(JobId=job_id)["State"] == "WAITING"
    assert _staged(env, ds, rev) == []
    for job_id in (job["Id"], other["Id"]):  # leave nothing waiting behind
        env.dx.cancel_job(JobId=job_id)


def test_expired_upload_url(limited: DataExchangeEnv) -> None:
    env = limited
    ds = env.data_set()
    rev = env.revision(ds)
    body = b"too late"
    job = _signed_import(env, ds, rev, body)
    url = job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]
    time.sleep(
        max(0.0, job["Details"]["ImportAssetFromSignedUrl"]["SignedUrlExpiresAt"].timestamp() - time.time())
        + 1.2
    )
    response = httpx.put(url, content=body, headers={"Content-MD5": md5_b64(body)})
    assert response.status_code == 403 and b"expired" in response.content
    assert env.dx.get_job(JobId=job["Id"])["State"] == "WAITING"
    env.dx.start_job(JobId=job["Id"])
    done = env.wait(job["Id"])
    assert done["State"] == "TIMED_OUT"
    assert _assets(env, ds, rev) == [] and _staged(env, ds, rev) == []


def test_import_into_a_finalized_revision(env: DataExchangeEnv) -> None:
    dx = env.dx
    source = env.bucket()
    env.buckets.put(source, "one.csv", b"1")
    env.buckets.put(source, "two.csv", b"2")
    ds = env.data_set()
    rev = env.revision(ds)
    details = {
        "ImportAssetsFromS3": {
            "DataSetId": ds,
            "RevisionId": rev,
            "AssetSources": [{"Bucket": source, "Key": "one.csv"}],
        }
    }
    assert env.run("IMPORT_ASSETS_FROM_S3", details)["State"] == "COMPLETED"
    late = dx.create_job(
        Type="IMPORT_ASSETS_FROM_S3",
        Details={
            "ImportAssetsFromS3": {
                "DataSetId": ds,
                "RevisionId": rev,
                "AssetSources": [{"Bucket": source, "Key": "two.csv"}],
            }
        },
    )
    dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    with pytest.raises(ClientError) as caught:
        dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)
    error = caught.value.response
    assert error["Error"]["Code"] == "ConflictException"
    assert error["ResourceType"] == "REVISION" and error["ResourceId"] == rev
    # a job created before the revision was finalized fails when it runs, adding nothing
    dx.start_job(JobId=late["Id"])
    done = env.wait(late["Id"])
    assert done["State"] == "ERROR" and done["Errors"][0]["ResourceType"] == "REVISION"
    assert [a["Name"] for a in _assets(env, ds, rev)] == ["one.csv"]
    assert len(_staged(env, ds, rev)) == 1


def test_start_twice_and_cancel_rules(env: DataExchangeEnv) -> None:
    dx = env.dx
    source = env.bucket()
    env.buckets.put(source, "x.csv", b"x")
    ds = env.data_set()
    rev = env.revision(ds)
    details = {
        "ImportAssetsFromS3": {
            "DataSetId": ds,
            "RevisionId": rev,
            "AssetSources": [{"Bucket": source, "Key": "x.csv"}],
        }
    }
    env.server.control("pace", pace="step")
    try:
        job = dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)
        dx.start_job(JobId=job["Id"])
        assert dx.get_job(JobId=job["Id"])["State"] == "IN_PROGRESS"
        for call in (dx.start_job, dx.cancel_job):  # start twice; cancel a running job
            with pytest.raises(ClientError) as caught:
                call(JobId=job["Id"])
            assert caught.value.response["Error"]["Code"] == "ConflictException"
            assert caught.value.response["ResourceType"] == "JOB"
            assert caught.value.response["ResourceId"] == job["Id"]
        waiting = dx.create_job(Type="IMPORT_ASSETS_FROM_S3", Details=details)
        dx.cancel_job(JobId=waiting["Id"])
        assert dx.get_job(JobId=waiting["Id"])["State"] == "CANCELLED"
        with pytest.raises(ClientError) as caught:
            dx.start_job(JobId=waiting["Id"])
        assert caught.value.response["Error"]["Code"] == "ConflictException"
    finally:
        env.server.control("pace", pace="instant")
    assert env.wait(job["Id"])["State"] == "COMPLETED"  # the running job was not disturbed
    assert len(_assets(env, ds, rev)) == 1


def test_colliding_export_keys(env: DataExchangeEnv) -> None:
    first, second, target = env.bucket(), env.bucket(), env.bucket()
    env.buckets.put(first, "data.csv", b"first")
    env.buckets.put(second, "data.csv", b"second")
    ds = env.data_set()
    rev = env.revision(ds)
    sources = [{"Bucket": first, "Key": "data.csv"}, {"Bucket": second, "Key": "data.csv"}]
    job = env.run(
        "IMPORT_ASSETS_FROM_S3",
        {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": sources}},
    )
    assert job["State"] == "COMPLETED"
    export = env.run(
        "EXPORT_REVISIONS_TO_S3",
        {
            "ExportRevisionsToS3": {
                "DataSetId": ds,
                "RevisionDestinations": [
                    {"Bucket": target, "RevisionId": rev, "KeyPattern": "${Revision.Id}/${Asset.Name}"}
                ],
            }
        },
    )
    assert export["State"] == "ERROR"
    error = export["Errors"][0]
    assert error["Code"] == "VALIDATION_EXCEPTION" and error["ResourceType"] == "ASSET"
    assert f"{rev}/data.csv" in error["Message"]
    assert env.buckets.keys(target) == []
    # ${Asset.Id} makes the keys unique
    export = env.run(
        "EXPORT_REVISIONS_TO_S3",
        {
            "ExportRevisionsToS3": {
                "DataSetId": ds,
                "RevisionDestinations": [
                    {"Bucket": target, "RevisionId": rev, "KeyPattern": "${Asset.Id}/${Asset.Name}"}
                ],
            }
        },
    )
    assert export["State"] == "COMPLETED"
    assert sorted(env.buckets.get(target, key) for key in env.buckets.keys(target)) == [b"first", b"second"]


def test_missing_source_object(env: DataExchangeEnv) -> None:
    source = env.bucket()
    env.buckets.put(source, "present.csv", b"here")
    ds = env.data_set()
    rev = env.revision(ds)
    sources = [
        {"Bucket": source, "Key": "present.csv"},
        {"Bucket": source, "Key": "missing.csv"},
        {"Bucket": "dx-no-such-bucket-anywhere", "Key": "x.csv"},
    ]
    job = env.run(
        "IMPORT_ASSETS_FROM_S3",
        {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": sources}},
    )
    assert job["State"] == "ERROR"
    assert [e["Code"] for e in job["Errors"]] == ["RESOURCE_NOT_FOUND_EXCEPTION"]
    assert job["Errors"][0]["Details"]["ImportAssetsFromS3JobErrorDetails"] == sources[1:]
    message = job["Errors"][0]["Message"]
    assert "The bucket 'dx-no-such-bucket-anywhere' does not exist" in message
    assert str(env.server.data_dir) not in message and "directory" not in message  # no host path
    assert job["Details"]["ImportAssetsFromS3"]["AssetSources"] == sources
    assert _assets(env, ds, rev) == [] and _staged(env, ds, rev) == []


def test_malformed_signed_url_parameters_are_access_denied(env: DataExchangeEnv) -> None:
    ds = env.data_set()
    rev = env.revision(ds)
    body = b"payload"
    job = _signed_import(env, ds, rev, body)
    url = job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"]
    base, query = url.split("?", 1)
    expires = query.split("Expires=")[1].split("&")[0]
    signature = query.split("Signature=")[1]
    malformed = [
        f"{base}?Expires=%C2%B2&Signature={signature}",  # a Unicode digit
        f"{base}?Expires=%D9%A1%D9%A2&Signature={signature}",  # Arabic-Indic digits
        f"{base}?Expires={'9' * 5000}&Signature={signature}",
        f"{base}?Expires=-1&Signature={signature}",
        f"{base}?Expires=%FF&Signature={signature}",
        f"{base}?Expires={expires}&Signature=%C2%B2",  # non-ASCII signature: compare_digest raised
        f"{base}?Expires={expires}&Signature={signature}%C3%A9",
        f"{base}?Expires={expires}&Signature={signature.upper()}",
        f"{base}?Expires={expires}",
    ]
    for candidate in malformed:
        response = httpx.put(candidate, content=body, headers={"Content-MD5": md5_b64(body)})
        assert response.status_code == 403, (candidate, response.text)
        assert response.headers["content-type"] == "application/xml"
        assert b"<Code>AccessDenied</Code>" in response.content
        assert httpx.get(candidate.replace("/upload/", "/export/")).status_code == 403
    assert env.dx.get_job(JobId=job["Id"])["State"] == "WAITING"
    assert _staged(env, ds, rev) == []
    env.dx.cancel_job(JobId=job["Id"])


def test_revoked_revision_is_not_exported_by_earlier_jobs(env: DataExchangeEnv) -> None:
    """Jobs created before RevokeRevision end ERROR when they run; download URLs stop serving."""
    dx = env.dx
    target = env.bucket()
    ds, rev, asset_id = env.with_asset("a.csv", b"a,b\n")
    asset = {"Id": asset_id}
    signed = {"ExportAssetToSignedUrl": {"DataSetId": ds, "RevisionId": rev, "AssetId": asset_id}}
    url = env.run("EXPORT_ASSET_TO_SIGNED_URL", signed)["Details"]["ExportAssetToSignedUrl"]["SignedUrl"]
    assert httpx.get(url).status_code == 200
    waiting = [
        dx.create_job(Type=job_type, Details=details)["Id"]
        for job_type, details in (
            (
                "EXPORT_ASSETS_TO_S3",
                {
                    "ExportAssetsToS3": {
                        "DataSetId": ds,
                        "RevisionId": rev,
                        "AssetDestinations": [{"AssetId": asset["Id"], "Bucket": target, "Key": "one"}],
                    }
                },
            ),
            (
                "EXPORT_REVISIONS_TO_S3",
                {
                    "ExportRevisionsToS3": {
                        "DataSetId": ds,
                        "RevisionDestinations": [{"Bucket": target, "RevisionId": rev}],
                    }
                },
            ),
            ("EXPORT_ASSET_TO_SIGNED_URL", signed),
        )
    ]
    dx.update_revision(DataSetId=ds, RevisionId=rev, Finalized=True)
    dx.revoke_revision(DataSetId=ds, RevisionId=rev, RevocationComment="revoked: bad data")
    for job_id in waiting:
        dx.start_job(JobId=job_id)
        done = env.wait(job_id)
        assert done["State"] == "ERROR", done
        [error] = done["Errors"]
        assert error["Code"] == "VALIDATION_EXCEPTION"
        assert (error["ResourceType"], error["ResourceId"]) == ("REVISION", rev)
        assert "revoked: bad data" in error["Message"]
        assert "SignedUrl" not in done["Details"].get("ExportAssetToSignedUrl", {})
    assert env.buckets.keys(target) == []
    for method in ("GET", "HEAD"):  # the URL of an export made before the revocation
        refused = httpx.request(method, url)
        assert refused.status_code == 403, refused.text
    assert b"revoked" in httpx.get(url).content


def test_upload_is_discarded_when_the_job_fails_before_waiting_for_it(env: DataExchangeEnv) -> None:
    """Bytes that arrived at the upload URL of a job that then fails (its revision finalized, or
    deleted) are deleted with the job's failure, not left in the internal bucket."""
    dx = env.dx
    body = b"UPLOADED-BUT-NEVER-AN-ASSET"
    source = env.bucket()
    env.buckets.put(source, "a.csv", b"a")
    ds = env.data_set()
    finalized, deleted = env.revision(ds), env.revision(ds)
    jobs = {}
    for rev in (finalized, deleted):
        job = _signed_import(env, ds, rev, body, "late.txt")
        put = httpx.put(
            job["Details"]["ImportAssetFromSignedUrl"]["SignedUrl"],
            content=body,
            headers={"Content-MD5": md5_b64(body)},
        )
        assert put.status_code == 200
        assert len(_staged(env, ds, rev)) == 1
        jobs[rev] = job["Id"]
    details = {"DataSetId": ds, "RevisionId": finalized, "AssetSources": [{"Bucket": source, "Key": "a.csv"}]}
    assert env.run("IMPORT_ASSETS_FROM_S3", {"ImportAssetsFromS3": details})["State"] == "COMPLETED"
    dx.update_revision(DataSetId=ds, RevisionId=finalized, Finalized=True)
    dx.delete_revision(DataSetId=ds, RevisionId=deleted)
    for rev, message in ((finalized, "finalized"), (deleted, "no longer exists")):
        dx.start_job(JobId=jobs[rev])
        done = env.wait(jobs[rev])
        assert done["State"] == "ERROR" and message in done["Errors"][0]["Message"]
    assert [a["Name"] for a in _assets(env, ds, finalized)] == ["a.csv"]
    assert len(_staged(env, ds, finalized)) == 1  # the imported asset's bytes only
    assert _staged(env, ds, deleted) == []


def test_export_onto_a_key_that_holds_other_objects_is_a_validation_error(env: DataExchangeEnv) -> None:
    """Locally 'd' cannot be stored beside 'd/inner.txt' (nor 'a.csv/under' beside 'a.csv'): the
    client's choice of key, so VALIDATION_EXCEPTION, not a retryable internal error. S3 holds both."""
    source, target = env.bucket(), env.bucket()
    env.buckets.put(source, "a.csv", b"a")
    env.buckets.put(target, "d/inner.txt", b"inner")
    env.buckets.put(target, "a.csv", b"file")
    ds = env.data_set()
    rev = env.revision(ds)
    sources = [{"Bucket": source, "Key": "a.csv"}]
    job = env.run(
        "IMPORT_ASSETS_FROM_S3",
        {"ImportAssetsFromS3": {"DataSetId": ds, "RevisionId": rev, "AssetSources": sources}},
    )
    [asset] = _assets(env, ds, rev)
    for key in ("d", "a.csv/under"):
        destination = {"AssetId": asset["Id"], "Bucket": target, "Key": key}
        job = env.run(
            "EXPORT_ASSETS_TO_S3",
            {"ExportAssetsToS3": {"DataSetId": ds, "RevisionId": rev, "AssetDestinations": [destination]}},
        )
        if env.kind == "s3":
            assert job["State"] == "COMPLETED"
            continue
        assert job["State"] == "ERROR"
        [error] = job["Errors"]
        assert error["Code"] == "VALIDATION_EXCEPTION", error
        assert (error["ResourceType"], error["ResourceId"]) == ("ASSET", asset["Id"])
        assert f"s3://{target}/{key}" in error["Message"]
    assert env.buckets.get(target, "d/inner.txt") == b"inner"
