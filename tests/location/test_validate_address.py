"""ValidateAddress jobs end to end through boto3, on local buckets: every crafted case's result,
Position when asked, the output layout and manifest, and the job's GetJob/ListJobs shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from tests.location.fixtures import CASES, cases_table, parquet_bytes
from tests.location.helpers import (
    ROLE,
    files_under,
    local_output,
    make_bucket,
    put_local,
    start,
    wait_job,
)
from tests.support import JobforgeServer, client

G = "Output_ValidationResults_"
C = G + "Components_Address_"
POINTS = {  # reference points the matches must land on (lon, lat)
    "exact": (-122.3301, 47.611),
    "typo-street": (-122.3302, 47.6111),
    "wrong-zip": (-122.3303, 47.6112),
    "missing-zip": (-89.65, 39.78),
    "typo-locality": (-97.7426, 30.2713),
    "free-form": (-122.297, 47.63),
    "multi-line": (-122.2971, 47.6301),
    "unit": (-122.3301, 47.611),
}
EXPECTED = {
    "exact": {
        G + "ValidationGranularity": "Premise",
        G + "MatchConfidence": "High",
        G + "MatchConfidenceScore": 1.0,
        C + "Street_StatusDetail": "Exact",
        C + "AddressNumber_StatusDetail": "Exact",
        C + "PostalCodeDetails_Base_StatusDetail": "Exact",
        C + "Country_StatusDetail": "Exact",
        "Output_Address_Country_Code3": "USA",
        "Output_AddressLines_1": "120 Quillfeather Ave",
        "Output_AddressLines_2": "Seattle, WA 98101",
    },
    "typo-street": {
        G + "ValidationGranularity": "Premise",
        C + "Street_Status": "Validated",
        C + "Street_StatusDetail": "Corrected",
        "Output_Address_Street": "Quillfeather Ave",
        "Output_Address_StreetComponents_BaseName": "Quillfeather",
    },
    "wrong-zip": {
        G + "ValidationGranularity": "Premise",
        C + "PostalCodeDetails_Base_StatusDetail": "Corrected",
        "Output_Address_PostalCode": "98101",
    },
    "missing-zip": {
        G + "ValidationGranularity": "Premise",
        C + "PostalCodeDetails_Base_StatusDetail": "Appended",
        "Output_Address_PostalCode": "62704",
        "Output_Address_Street": "Lanternwick Rd",
    },
    "unknown-number": {
        G + "ValidationGranularity": "Street",
        C + "AddressNumber_Status": "Unconfirmed",
        C + "AddressNumber_StatusDetail": "OutOfRange",
        C + "Street_StatusDetail": "Exact",
    },
    "typo-locality": {
        G + "ValidationGranularity": "Premise",
        C + "Locality_StatusDetail": "Corrected",
        "Output_Address_Locality": "Austin",
    },
    "zip-only": {
        G + "ValidationGranularity": "LocalityAndPostalCode",
        C + "Locality_StatusDetail": "Appended",
        C + "Street_StatusDetail": "NotFound",
        "Output_Address_Locality": "Springfield",
        "Output_Address_Region_Code": "IL",
    },
    "city-only": {
        G + "ValidationGranularity": "Locality",
        C + "PostalCodeDetails_Base_StatusDetail": "NotFound",
        "Output_Position_Longitude": None,
    },
    "free-form": {
        G + "ValidationGranularity": "Premise",
        "Output_Address_StreetComponents_Prefix": "E",
        "Output_Address_PostalCode": "98112",
    },
    "multi-line": {G + "ValidationGranularity": "Premise", "Output_Address_Street": "E Brindlecombe St"},
    "unknown-street": {
        G + "ValidationGranularity": "LocalityAndPostalCode",
        C + "Street_Status": "Unconfirmed",
        C + "Street_StatusDetail": "StandardizedNoMatch",
    },
    "unit": {
        G + "ValidationGranularity": "Premise",
        "Output_Address_SecondaryAddressComponents_Unit_Number": "4B",
        "Output_Address_SecondaryAddressComponents_Unit_Designator": "Apt",
    },
    "gb": {
        G + "ValidationGranularity": "Premise",
        "Output_Address_PostalCode": "SW1A 1AA",
        "Output_Address_Street": "Marrowgate Lane",
        "Output_Address_Country_Code2": "GB",
        "Output_Position_Longitude": None,
        "Output_Position_Latitude": None,
    },
    "unsupported-country": {"ErrorType": "ValidationError", G + "ValidationGranularity": None},
    "empty": {"ErrorType": "ValidationError", "Output_Address_Label": None},
}
NULL_ALWAYS = (  # licensed postal data jobforge does not have stays null
    "Output_AddressMetadata_DeliveryIndicators_Mailable",
    "Output_CountrySpecificAttributes_USA_Usps_CarrierRoute",
    "Output_CountrySpecificAttributes_USA_Usps_DeliveryPoint_Barcode",
    "Output_CountrySpecificAttributes_GBR_RoyalMail_Udprn",
    "Output_CountrySpecificAttributes_AUS_Gnaf_GnafPid",
    "Output_CountrySpecificAttributes_CAN_CanadaPost_RecordType",
    "Output_AddressId",
)


@pytest.fixture(scope="module")
def cases_input(server: JobforgeServer) -> str:
    """The cases split over two files (one nested), with marker files the job must skip."""
    table = cases_table()
    half = table.num_rows // 2
    put_local(server, "loc-cases", "in/part-a.parquet", parquet_bytes(table.slice(0, half), row_group_size=3))
    put_local(server, "loc-cases", "in/more/part-b.parquet", parquet_bytes(table.slice(half)))
    put_local(server, "loc-cases", "in/_SUCCESS", b"")
    put_local(server, "loc-cases", "in/.part-a.parquet.crc", b"not parquet")
    make_bucket(server, "loc-results")
    return "s3://loc-cases/in/"


def test_every_case_with_position(server: JobforgeServer, cases_input: str) -> None:
    location = client("location", server.url)
    features = ["Position", "CountrySpecificAttributes"]
    started = start(
        location,
        cases_input,
        "s3://loc-results/validated/",
        Name="cases",
        ActionOptions={"ValidateAddress": {"AdditionalFeatures": features}},
        Tags={"team": "geo"},
    )
    assert started["Status"] == "Pending" and started["JobId"].startswith("cases-")
    uuid.UUID(started["JobId"].removeprefix("cases-"))
    assert started["JobArn"] == f"arn:aws:geo:us-east-1:000000000000:job/{started['JobId']}"
    job = wait_job(location, started["JobId"])
    assert job["Status"] == "Completed", job.get("Error")
    assert job["ActionOptions"] == {"ValidateAddress": {"AdditionalFeatures": features}}
    assert job["Tags"] == {"team": "geo"} and job["Name"] == "cases" and job["ExecutionRoleArn"] == ROLE
    assert isinstance(job["EndedAt"], datetime) and job["EndedAt"] >= job["CreatedAt"]
    assert "Error" not in job

    manifest, rows = local_output(server, "loc-results", "validated", started["JobId"])
    folder = server.data_dir / "buckets" / "loc-results" / "validated" / started["JobId"]
    assert files_under(folder) == ["manifest.json", "part-00000.parquet", "part-00001.parquet"]
    assert [f["input"] for f in manifest["files"]] == [
        "s3://loc-cases/in/more/part-b.parquet",
        "s3://loc-cases/in/part-a.parquet",
    ]  # key order
    assert manifest["rows"] == len(CASES) == len(rows) and manifest["errorRows"] == 2
    by_id = {row["Input_Id"]: row for row in rows}
    assert sorted(by_id) == sorted(CASES)
    assert len({row["Output_Id"] for row in rows}) == len(rows)
    for case_id, expected in EXPECTED.items():
        row = by_id[case_id]
        for column, value in CASES[case_id].items():
            assert row[f"Input_{column}"] == value
        for column, value in expected.items():
            assert row[column] == value, (case_id, column, row[column])
        for column in NULL_ALWAYS:
            assert row[column] is None, (case_id, column)
        if case_id in POINTS:
            assert (row["Output_Position_Longitude"], row["Output_Position_Latitude"]) == pytest.approx(
                POINTS[case_id]
            ), case_id
        if row["ErrorType"] is None:
            assert row["ErrorMessage"] is None and 0 < row[G + "MatchConfidenceScore"] <= 1
        else:
            assert row["ErrorMessage"] and all(v is None for k, v in row.items() if k.startswith(G))
    assert "Unsupported country" in by_id["unsupported-country"]["ErrorMessage"]
    # a postal-code-only match sits on the ZIP's centroid, not on an address point
    zip_only = by_id["zip-only"]
    position = (zip_only["Output_Position_Longitude"], zip_only["Output_Position_Latitude"])
    assert position not in POINTS.values()
    assert position == pytest.approx((-89.68, 39.77), abs=0.1)
    # a street-level match is placed, but less precisely than a premise
    assert by_id["unknown-number"]["Output_Position_Longitude"] is not None
    assert by_id["exact"]["Output_CountrySpecificAttributes_USA_Usps_ZipValid"] is True
    assert by_id["exact"]["Output_AddressMetadata_DeliveryIndicators_Locatable"] is True
    assert by_id["wrong-zip"][G + "MatchConfidenceScore"] < by_id["exact"][G + "MatchConfidenceScore"]


def test_without_features_the_feature_columns_are_absent(server: JobforgeServer, cases_input: str) -> None:
    location = client("location", server.url)
    started = start(location, "arn:aws:s3:::loc-cases/in/part-a.parquet", "arn:aws:s3:::loc-results/plain")
    job = wait_job(location, started["JobId"])
    assert job["Status"] == "Completed", job.get("Error")
    assert "ActionOptions" not in job and "Name" not in job and job["Tags"] == {}
    assert started["JobId"].count("-") == 4  # a bare UUID without Name
    manifest, rows = local_output(server, "loc-results", "plain", started["JobId"])
    assert len(manifest["files"]) == 1 and manifest["files"][0]["input"].endswith("in/part-a.parquet")
    assert len(rows) == len(CASES) // 2
    columns = set(rows[0])
    assert not any(c.startswith(("Output_Position_", "Output_CountrySpecificAttributes_")) for c in columns)
    assert {"Input_Id", "Output_Id", "ErrorType", "ErrorMessage", G + "ValidationGranularity"} <= columns


def test_bucket_arn_reads_the_whole_bucket_and_extra_columns_pass_through(server: JobforgeServer) -> None:
    from tests.location.fixtures import input_table

    table = input_table(
        [{"Id": "1", "AddressLines_1": "200 E Brindlecombe St, Seattle, WA 98112", "CustomerRef": "c-9"}],
        ["Id", "AddressLines_1", "CustomerRef"],
    )
    put_local(server, "loc-whole", "deep/er/x.parquet", parquet_bytes(table))
    location = client("location", server.url)
    started = start(location, "arn:aws:s3:::loc-whole", "s3://loc-whole/out/")
    job = wait_job(location, started["JobId"])
    assert job["Status"] == "Completed", job.get("Error")
    _, rows = local_output(server, "loc-whole", "out", started["JobId"])
    assert rows[0]["Input_CustomerRef"] == "c-9" and rows[0]["Input_AddressComponents_Country"] is None
    assert rows[0][G + "ValidationGranularity"] == "Premise"  # a US line without a country


def test_list_jobs_filter_pagination_and_tags(server: JobforgeServer, cases_input: str) -> None:
    location = client("location", server.url)
    ids = [start(location, cases_input, "s3://loc-results/many/")["JobId"] for _ in range(3)]
    for job_id in ids:
        wait_job(location, job_id)
    pages = list(location.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 2}))
    assert all(len(page["Entries"]) <= 2 for page in pages) and len(pages) >= 2
    entries = [entry for page in pages for entry in page["Entries"]]
    listed = [entry["JobId"] for entry in entries]
    assert listed[:3] == ids[::-1]  # newest first
    assert len(listed) == len(set(listed))
    assert all("Tags" not in entry and "EndedAt" in entry for entry in entries)
    completed = location.list_jobs(Filter={"JobStatus": "Completed"})["Entries"]
    assert {entry["Status"] for entry in completed} == {"Completed"} and set(ids) <= {
        entry["JobId"] for entry in completed
    }
    assert location.list_jobs(Filter={"JobStatus": "Running"})["Entries"] == []
    first = location.list_jobs(MaxResults=1)
    assert len(first["Entries"]) == 1 and first["NextToken"]
    assert "NextToken" not in location.list_jobs(MaxResults=100, Filter={"JobStatus": "Cancelling"})
    # tags on a job ARN
    arn = first["Entries"][0]["JobArn"]
    location.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
    location.tag_resource(ResourceArn=arn, Tags={"a": "one"})
    location.untag_resource(ResourceArn=arn, TagKeys=["b"])
    assert location.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "one"}
    assert location.get_job(JobId=first["Entries"][0]["JobId"])["Tags"] == {"a": "one"}
    location.tag_resource(ResourceArn=arn, Tags={f"k{n}": "v" for n in range(49)})
    with pytest.raises(ClientError) as info:  # 51 tags
        location.tag_resource(ResourceArn=arn, Tags={"one-too-many": "v"})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["FieldList"][0]["Name"] == "Tags"
    assert len(location.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50


def test_client_token_is_idempotent(server: JobforgeServer, cases_input: str) -> None:
    location = client("location", server.url)
    token = f"token-{uuid.uuid4()}"
    first = start(location, cases_input, "s3://loc-results/idem/", ClientToken=token)
    again = start(location, cases_input, "s3://loc-results/idem/", ClientToken=token)
    assert again["JobId"] == first["JobId"] and again["Status"] == "Pending"
    assert again["CreatedAt"] == first["CreatedAt"]
    with pytest.raises(ClientError) as info:
        start(location, cases_input, "s3://loc-results/other/", ClientToken=token)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException" and "client token" in error["Message"].lower()
    assert info.value.response["FieldList"] == [{"Name": "ClientToken", "Message": error["Message"]}]
    other = start(location, cases_input, "s3://loc-results/idem/")  # botocore fills a fresh token
    assert other["JobId"] != first["JobId"]
    for job_id in (first["JobId"], other["JobId"]):
        assert wait_job(location, job_id)["Status"] == "Completed"
