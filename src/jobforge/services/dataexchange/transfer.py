"""Object copies for exports: through the store's own copy (server-side on S3, streamed locally),
with the export's server-side encryption applied when the store is a real S3 endpoint."""

from __future__ import annotations

from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from jobforge.storage import AccessDenied, NoSuchBucket, ObjectInfo, ObjectStore, S3ObjectStore, StorageError


def encryption_args(encryption: dict[str, Any] | None) -> dict[str, str]:
    """ExportServerSideEncryption -> S3 copy arguments."""
    if not encryption:
        return {}
    args = {"ServerSideEncryption": encryption["Type"]}
    if encryption["Type"] == "aws:kms" and encryption.get("KmsKeyArn"):
        args["SSEKMSKeyId"] = encryption["KmsKeyArn"]
    return args


def copy_object(
    store: ObjectStore,
    src_bucket: str,
    src_key: str,
    dst_bucket: str,
    dst_key: str,
    encryption: dict[str, Any] | None = None,
) -> ObjectInfo:
    """Copy one object atomically; on S3 with ``encryption``, the copy is encrypted as asked.

    The local store has no encryption at rest: there the setting is recorded, not applied.
    """
    if not encryption or not isinstance(store, S3ObjectStore):
        return store.copy(src_bucket, src_key, dst_bucket, dst_key)
    source = store.head(src_bucket, src_key)
    extra: dict[str, Any] = encryption_args(encryption)
    if source.content_type:
        extra["ContentType"] = source.content_type
    config = TransferConfig(multipart_threshold=store.copy_threshold, multipart_chunksize=store.part_size)
    try:
        store.client.copy(
            {"Bucket": src_bucket, "Key": src_key},
            dst_bucket,
            dst_key,
            ExtraArgs=extra,
            Config=config,
            SourceClient=store.client,
        )
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        message = f"Copy to s3://{dst_bucket}/{dst_key} failed: {code}: {exc}"
        if code == "NoSuchBucket":
            raise NoSuchBucket(message, dst_bucket) from exc
        if code in ("AccessDenied", "403", "KMS.NotFoundException", "KMSAccessDenied"):
            raise AccessDenied(message, dst_bucket, dst_key) from exc
        raise StorageError(message, dst_bucket, dst_key) from exc
    except BotoCoreError as exc:
        raise StorageError(f"Copy to s3://{dst_bucket}/{dst_key} failed: {exc}", dst_bucket, dst_key) from exc
    return store.head(dst_bucket, dst_key)
