"""The nine job types: which RequestDetails member each takes, which data sets it works on, its
concurrency quota, and the engine job kind that runs it."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.engine import Job

GB = 1024**3


@dataclass(frozen=True)
class JobType:
    name: str  # the model's Type enum value
    member: str  # its RequestDetails / ResponseDetails member
    asset_type: str  # the data set AssetType it works with
    imports: bool  # creates assets (owner only, open revision)
    concurrency_limit: str  # ServiceLimitExceededException LimitName for concurrent jobs

    @property
    def kind(self) -> str:
        return f"dataexchange.{self.name.lower().replace('_', '-')}"


JOB_TYPES: dict[str, JobType] = {
    spec.name: spec
    for spec in (
        JobType(
            "IMPORT_ASSETS_FROM_S3",
            "ImportAssetsFromS3",
            "S3_SNAPSHOT",
            True,
            "Concurrent in progress jobs to import assets from Amazon S3",
        ),
        JobType(
            "IMPORT_ASSET_FROM_SIGNED_URL",
            "ImportAssetFromSignedUrl",
            "S3_SNAPSHOT",
            True,
            "Concurrent in progress jobs to import assets from a signed URL",
        ),
        JobType(
            "EXPORT_ASSETS_TO_S3",
            "ExportAssetsToS3",
            "S3_SNAPSHOT",
            False,
            "Concurrent in progress jobs to export assets to Amazon S3",
        ),
        JobType(
            "EXPORT_ASSET_TO_SIGNED_URL",
            "ExportAssetToSignedUrl",
            "S3_SNAPSHOT",
            False,
            "Concurrent in progress jobs to export assets to a signed URL",
        ),
        JobType(
            "EXPORT_REVISIONS_TO_S3",
            "ExportRevisionsToS3",
            "S3_SNAPSHOT",
            False,
            "Concurrent in progress jobs to export revisions to Amazon S3",
        ),
        JobType(
            "IMPORT_ASSETS_FROM_REDSHIFT_DATA_SHARES",
            "ImportAssetsFromRedshiftDataShares",
            "REDSHIFT_DATA_SHARE",
            True,
            "Concurrent in progress jobs to import assets from Amazon Redshift datashares",
        ),
        JobType(
            "IMPORT_ASSET_FROM_API_GATEWAY_API",
            "ImportAssetFromApiGatewayApi",
            "API_GATEWAY_API",
            True,
            "Concurrent in progress jobs to import assets from an API Gateway API",
        ),
        JobType(
            "CREATE_S3_DATA_ACCESS_FROM_S3_BUCKET",
            "CreateS3DataAccessFromS3Bucket",
            "S3_DATA_ACCESS",
            True,
            "Concurrent in progress jobs to create Amazon S3 data access assets from S3 buckets",
        ),
        JobType(
            "IMPORT_ASSETS_FROM_LAKE_FORMATION_TAG_POLICY",
            "ImportAssetsFromLakeFormationTagPolicy",
            "LAKE_FORMATION_DATA_PERMISSION",
            True,
            "Concurrent in progress jobs to import assets from an AWS Lake Formation tag policy",
        ),
    )
}

BY_KIND = {spec.kind: spec for spec in JOB_TYPES.values()}
KINDS = tuple(BY_KIND)

UPLOAD_MD5_FIELDS = {
    "IMPORT_ASSET_FROM_SIGNED_URL": "Md5Hash",
    "IMPORT_ASSET_FROM_API_GATEWAY_API": "ApiSpecificationMd5Hash",
}
API_SPEC_MAX_BYTES = 10 * 1024 * 1024


def upload_target(job: Job) -> tuple[str, str, int] | None:
    """(expected base64 MD5, storage key, size limit) for a job that takes an upload, else None."""
    kind = job.request.get("Type")
    field = UPLOAD_MD5_FIELDS.get(kind or "")
    if field is None:
        return None
    details = job.request["Details"][JOB_TYPES[kind].member]  # type: ignore[index]
    return details[field], job.request["StorageKeys"][0], int(job.request["UploadMaxBytes"])
