"""Where object stores are built: the server's store, and the same store reopened in a worker process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jobforge.storage.base import ObjectStore
from jobforge.storage.journal import JOURNAL_DIR_NAME, UploadJournal
from jobforge.storage.local import LocalObjectStore
from jobforge.storage.roles import RoleCredentials
from jobforge.storage.s3 import S3ObjectStore


def make_object_store(
    data_dir: Path | str, s3_endpoint_url: str | None = None, **s3_options: Any
) -> ObjectStore:
    """The store the server runs with: S3 when an endpoint URL (or a ``client``) is given, else local.

    ``s3_options`` go to :meth:`S3ObjectStore.connect` (credentials, ``session``, ``config``,
    ``part_size``...) or, with ``client=``, straight to :class:`S3ObjectStore`. An S3 store made
    from an endpoint URL journals its multipart uploads in ``<data-dir>/s3-uploads/``.
    """
    client = s3_options.pop("client", None)
    if client is not None:
        if s3_endpoint_url is not None:
            raise ValueError("Pass either s3_endpoint_url or a ready S3 client, not both")
        return S3ObjectStore(client, **s3_options)
    if s3_endpoint_url:
        s3_options.setdefault("journal", UploadJournal.for_directory(Path(data_dir) / JOURNAL_DIR_NAME))
        return S3ObjectStore.connect(s3_endpoint_url, **s3_options)
    if s3_options:
        raise ValueError(f"S3 options {sorted(s3_options)} given without an S3 endpoint URL")
    return LocalObjectStore(data_dir)


@dataclass(frozen=True)
class StoreSpec:
    """How another process reaches the server's object store: picklable values only."""

    data_dir: str
    s3_endpoint_url: str | None = None
    credentials: RoleCredentials | None = None  # a role's (from STS), when there is one

    def open(self) -> ObjectStore:
        """The store this spec describes (cached per process: one client per endpoint and credentials)."""
        return _open(self)


@lru_cache(maxsize=8)
def _open(spec: StoreSpec) -> ObjectStore:
    options = spec.credentials.client_options() if spec.s3_endpoint_url and spec.credentials else {}
    return make_object_store(Path(spec.data_dir), spec.s3_endpoint_url, **options)
