"""Empty an object store (the control API's ``reset``): every bucket it lists loses its objects and
multipart uploads and is deleted, except the reserved (internal) buckets, which services expect to
exist: those are only emptied. A store that cannot list its buckets (a remote S3 endpoint, which
may hold buckets that are not jobforge's) has only its reserved buckets emptied.
"""

from __future__ import annotations

from jobforge.storage.base import ObjectStore
from jobforge.storage.errors import MultipartUnsupported, NoSuchBucket


def empty_bucket(store: ObjectStore, bucket: str) -> None:
    """Abort the bucket's multipart uploads and delete its objects."""
    try:
        for upload in store.list_multipart_uploads(bucket):
            store.abort_multipart_upload(upload)
    except MultipartUnsupported:
        pass
    for info in list(store.list_objects(bucket)):
        store.delete(bucket, info.key)


def wipe_store(store: ObjectStore) -> dict[str, list[str]]:
    """Delete every bucket but the reserved ones, which are emptied: ``{"deleted": [...],
    "emptied": [...]}``."""
    reserved = store.policy.reserved
    try:
        listed = [name for name, _created in store.list_buckets()]
    except NotImplementedError:
        listed = []
    report: dict[str, list[str]] = {"deleted": [], "emptied": []}
    for bucket in sorted(set(listed) | reserved):
        try:
            empty_bucket(store, bucket)
        except NoSuchBucket:
            continue  # a reserved bucket not created yet
        if bucket in reserved:
            report["emptied"].append(bucket)
        else:
            store.delete_bucket(bucket)
            report["deleted"].append(bucket)
    return report
