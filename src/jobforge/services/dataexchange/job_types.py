"""The nine job types, each declared once: its Type and RequestDetails member, the data sets it
works on, its quotas, CreateJob's checks and plan (:mod:`job_plans`) and the handler that runs it
(:mod:`job_handlers`). Everything else (CreateJob, StartJob, GetJob, the engine's job kinds, the
signed-URL uploads) looks a type up here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobforge.engine import Job
from jobforge.services.dataexchange import job_handlers, job_plans


@dataclass(frozen=True)
class JobType:
    name: str  # the model's Type enum value
    member: str  # its RequestDetails / ResponseDetails member
    asset_type: str  # the data set AssetType it works with
    imports: bool  # creates assets (owner only, open revision)
    concurrency_limit: str  # ServiceLimitExceededException LimitName for concurrent jobs
    plan: Callable[[job_plans.Planning], None]  # CreateJob's checks; fills the stored job request
    handler: type[job_handlers.DataExchangeJobHandler]  # runs the job after StartJob
    job_limit: str | None = None  # LimitName for the items one job may name
    revision_limit: str | None = None  # LimitName for this type's assets in one revision (imports)
    upload_md5: str | None = None  # the Details field with the MD5 of bytes uploaded to a signed URL

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
            job_plans.plan_import_assets_from_s3,
            job_handlers.ImportAssetsFromS3Handler,
            job_limit="Assets per import job from Amazon S3",
            revision_limit="Assets per revision",
        ),
        JobType(
            "IMPORT_ASSET_FROM_SIGNED_URL",
            "ImportAssetFromSignedUrl",
            "S3_SNAPSHOT",
            True,
            "Concurrent in progress jobs to import assets from a signed URL",
            job_plans.plan_import_asset_from_signed_url,
            job_handlers.ImportAssetFromSignedUrlHandler,
            revision_limit="Assets per revision",
            upload_md5="Md5Hash",
        ),
        JobType(
            "EXPORT_ASSETS_TO_S3",
            "ExportAssetsToS3",
            "S3_SNAPSHOT",
            False,
            "Concurrent in progress jobs to export assets to Amazon S3",
            job_plans.plan_export_assets_to_s3,
            job_handlers.ExportAssetsToS3Handler,
            job_limit="Asset per export job from Amazon S3",
        ),
        JobType(
            "EXPORT_ASSET_TO_SIGNED_URL",
            "ExportAssetToSignedUrl",
            "S3_SNAPSHOT",
            False,
            "Concurrent in progress jobs to export assets to a signed URL",
            job_plans.plan_export_asset_to_signed_url,
            job_handlers.ExportAssetToSignedUrlHandler,
        ),
        JobType(
            "EXPORT_REVISIONS_TO_S3",
            "ExportRevisionsToS3",
            "S3_SNAPSHOT",
            False,
            "Concurrent in progress jobs to export revisions to Amazon S3",
            job_plans.plan_export_revisions_to_s3,
            job_handlers.ExportRevisionsToS3Handler,
        ),
        JobType(
            "IMPORT_ASSETS_FROM_REDSHIFT_DATA_SHARES",
            "ImportAssetsFromRedshiftDataShares",
            "REDSHIFT_DATA_SHARE",
            True,
            "Concurrent in progress jobs to import assets from Amazon Redshift datashares",
            job_plans.plan_import_assets_from_redshift_data_shares,
            job_handlers.ImportAssetsFromRedshiftDataSharesHandler,
            job_limit="Amazon Redshift datashare assets per import job from Redshift",
            revision_limit="Amazon Redshift datashare assets per revision",
        ),
        JobType(
            "IMPORT_ASSET_FROM_API_GATEWAY_API",
            "ImportAssetFromApiGatewayApi",
            "API_GATEWAY_API",
            True,
            "Concurrent in progress jobs to import assets from an API Gateway API",
            job_plans.plan_import_asset_from_api_gateway_api,
            job_handlers.ImportAssetFromApiGatewayApiHandler,
            revision_limit="Amazon API Gateway API assets per revision",
            upload_md5="ApiSpecificationMd5Hash",
        ),
        JobType(
            "CREATE_S3_DATA_ACCESS_FROM_S3_BUCKET",
            "CreateS3DataAccessFromS3Bucket",
            "S3_DATA_ACCESS",
            True,
            "Concurrent in progress jobs to create Amazon S3 data access assets from S3 buckets",
            job_plans.plan_create_s3_data_access_from_s3_bucket,
            job_handlers.CreateS3DataAccessHandler,
            revision_limit="Amazon S3 data access assets per revision",
        ),
        JobType(
            "IMPORT_ASSETS_FROM_LAKE_FORMATION_TAG_POLICY",
            "ImportAssetsFromLakeFormationTagPolicy",
            "LAKE_FORMATION_DATA_PERMISSION",
            True,
            "Concurrent in progress jobs to import assets from an AWS Lake Formation tag policy",
            job_plans.plan_import_assets_from_lake_formation_tag_policy,
            job_handlers.ImportAssetsFromLakeFormationHandler,
            revision_limit="AWS Lake Formation data permission assets per revision",
        ),
    )
}

KINDS = tuple(spec.kind for spec in JOB_TYPES.values())


def build_handlers(runtime: Any) -> list[job_handlers.DataExchangeJobHandler]:
    """One handler per job type, for the engine (``runtime``: the DataExchangeRuntime)."""
    return [spec.handler(runtime, spec) for spec in JOB_TYPES.values()]


def upload_target(job: Job) -> tuple[str, str, int] | None:
    """(expected base64 MD5, storage key, size limit) for a job that takes an upload, else None."""
    spec = JOB_TYPES.get(job.request.get("Type") or "")
    if spec is None or spec.upload_md5 is None:
        return None
    details = job.request["Details"][spec.member]
    return details[spec.upload_md5], job.request["StorageKeys"][0], int(job.request["UploadMaxBytes"])
