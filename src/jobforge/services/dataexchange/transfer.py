"""Moving asset bytes through the object-store interface: copies for imports and exports.

Copies are atomic and, on S3, server-side; sizes come from the store as cheaply as it can tell
them. Each asset copy of a job is a piece of its own (:func:`copy_piece`), run on the engine's
worker processes with the store reopened from its :class:`~jobforge.storage.StoreSpec`; a piece
run twice writes the same object at the same key (fixed when the job was created). Signed-URL
uploads write through ``store.writer(..., parts_in_flight=UPLOAD_PARTS_IN_FLIGHT)``.
"""

from __future__ import annotations

from typing import Any

from jobforge.storage import ObjectInfo, ServerSideEncryption, StoreSpec

UPLOAD_PARTS_IN_FLIGHT = 3  # concurrent parts of one signed-URL upload


def server_side_encryption(encryption: dict[str, Any] | None) -> ServerSideEncryption | None:
    """An export's ExportServerSideEncryption as the store's encryption setting."""
    if not encryption:
        return None
    kms_key = encryption.get("KmsKeyArn") if encryption["Type"] == "aws:kms" else None
    return ServerSideEncryption(encryption["Type"], kms_key or None)


def copy_piece(
    store: StoreSpec,
    src_bucket: str,
    src_key: str,
    dst_bucket: str,
    dst_key: str,
    encryption: dict[str, Any] | None = None,
    size: int | None = None,
) -> ObjectInfo:
    """Copy one object atomically, as a job's piece: on the store ``store`` describes, with
    picklable arguments only (``size``: the source's, when the caller knows it already).

    On S3 the copy is encrypted as ``encryption`` asks; the local store has no encryption at
    rest, so there the setting is recorded by the job, not applied. Storage errors are raised as
    they are (they pickle).
    """
    return store.open().copy(
        src_bucket, src_key, dst_bucket, dst_key, size=size, encryption=server_side_encryption(encryption)
    )
