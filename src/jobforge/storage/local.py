"""The default backend: objects are plain files under ``<data-dir>/buckets/<bucket>/<key>``.

That layout is a public contract: users drop inputs there and pick results up there. Uploads go
to ``<data-dir>/buckets/.tmp/`` first (``.tmp`` can never be a bucket name) and are moved into
place with ``os.replace`` once complete and fsynced, so a key never shows a half-written file.
ETags are MD5 hex digests; the store remembers them (with the content type, user metadata and
stored headers) in a ``user.jobforge`` extended attribute of the object's file, checked against
size and mtime, so HEAD and listings rarely re-read files. The attribute is set on the temp file
before the rename, so an object and its metadata are published together; no sidecar file exists
that a listing could show or a key could address.
Each temp file is locked (``flock``) by its writer while it is written (:mod:`.owned`), so when a
store is opened the temp files of writers that no longer run (a crash, kill -9) are removed at once,
while those of live writers (this server's workers, another process on the data dir) are kept.
Temp files without that ownership (older versions, filesystems without locks) are swept after a day.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from jobforge.storage.base import (
    DEFAULT_CHUNK_SIZE,
    STORED_HEADERS,
    MiB,
    MultipartUpload,
    ObjectInfo,
    ObjectStore,
    ObjectWriter,
    PartInfo,
    ServerSideEncryption,
    multipart_etag,
)
from jobforge.storage.errors import (
    AccessDenied,
    BucketNotEmpty,
    InvalidObjectName,
    KeyConflict,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    NotSupported,
    StorageError,
)
from jobforge.storage.keys import validate_bucket_name, validate_key, validate_prefix
from jobforge.storage.local_multipart import DATA_NAME, LocalMultipartStaging
from jobforge.storage.owned import (
    create_temp,
    fsync_dir,
    remove_if_abandoned,
    remove_stale_new_files,
)

TMP_DIR_NAME = ".tmp"
_XATTR = "user.jobforge"
_HASH_BLOCK = 1 * MiB
_PLACE_ATTEMPTS = 5
STALE_UPLOAD_SECONDS = 24 * 3600
_UPLOAD_PREFIX = "upload-"
_OWNED_UPLOAD = re.compile(r"upload-\d+\.[0-9a-f]{24}\.part")  # from owned_name(): locked by its writer


class LocalObjectStore(ObjectStore):
    """Objects as files in a directory tree; safe for concurrent use from many threads."""

    def __init__(self, data_dir: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(data_dir) / "buckets"
        self.tmp_dir = self.root / TMP_DIR_NAME
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self._etags = _EtagCache()  # only used where extended attributes are unavailable
        self._multipart = LocalMultipartStaging(self.tmp_dir, fsync=fsync)
        self._sweep_stale_uploads()

    def _sweep_stale_uploads(self, max_age: float = STALE_UPLOAD_SECONDS) -> int:
        """Drop temp files a crashed process left behind.

        A temp file its writer locked is removed as soon as no process holds the lock; one without
        (an older version's, or made where locks are unavailable) only once it is ``max_age`` old.
        """
        now = time.time()
        removed = 0
        for leftover in self.tmp_dir.glob("upload-*.part"):
            try:
                if _OWNED_UPLOAD.fullmatch(leftover.name):
                    removed += remove_if_abandoned(leftover)
                elif leftover.stat().st_mtime < now - max_age:
                    leftover.unlink()
                    removed += 1
            except OSError:
                continue
        remove_stale_new_files(self.tmp_dir, "upload-*.part", now)
        return removed + self._multipart.sweep(now)

    def sweep_abandoned_uploads(self) -> int:
        return self._sweep_stale_uploads()

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root.parent)!r})"

    # -- buckets --------------------------------------------------------------------------------
    def create_bucket(self, bucket: str) -> None:
        path = self.root / validate_bucket_name(bucket)
        try:
            path.mkdir(exist_ok=True)
        except FileExistsError:
            raise StorageError(
                f"Cannot create bucket {bucket!r}: a file of that name is in the way", bucket
            ) from None
        except PermissionError as exc:
            raise AccessDenied(f"Cannot create bucket {bucket!r}: {_reason(exc)}", bucket) from exc

    def bucket_exists(self, bucket: str) -> bool:
        return (self.root / validate_bucket_name(bucket)).is_dir()

    def list_buckets(self) -> list[tuple[str, datetime]]:
        found = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            try:
                if entry.is_dir() and validate_bucket_name(entry.name):
                    found.append((entry.name, datetime.fromtimestamp(entry.stat().st_mtime, UTC)))
            except (InvalidObjectName, OSError):
                continue  # .tmp and anything else that is not a bucket
        return found

    def delete_bucket(self, bucket: str) -> None:
        """Remove an empty bucket with its unfinished multipart uploads (as S3 does for a general
        purpose bucket): a bucket made again under the name starts with none."""
        path = self._bucket_dir(bucket)
        if next(self.list_objects(bucket), None) is not None:
            raise BucketNotEmpty(f"The bucket {bucket!r} is not empty", bucket)
        for upload in self._multipart.uploads(bucket):
            with contextlib.suppress(NoSuchUpload):  # completed or aborted meanwhile
                self._multipart.remove(upload)
        # Only empty directories are left (deletes prune the ones they empty): remove bottom-up.
        for dirpath, _dirs, _files in sorted(os.walk(path), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError as exc:
                raise BucketNotEmpty(f"The bucket {bucket!r} is not empty ({exc.strerror})", bucket) from None

    def _bucket_dir(self, bucket: str) -> Path:
        """The bucket's resolved directory (a bucket may be a symlink to another directory)."""
        path = self.root / validate_bucket_name(bucket)
        if not path.is_dir():
            raise NoSuchBucket(f"The bucket {bucket!r} does not exist", bucket)
        return path.resolve()

    def _object_path(self, bucket: str, key: str) -> tuple[Path, Path]:
        """(bucket dir, file path) for ``key``, refusing anything that resolves outside the bucket.

        The path is returned unresolved so that writing or deleting a symlinked key replaces or
        removes the link itself, as S3 would, never the file it points to.
        """
        validate_key(key, bucket=bucket)
        bucket_dir = self._bucket_dir(bucket)
        path = bucket_dir / key
        resolved = path.resolve()
        if resolved == bucket_dir or not resolved.is_relative_to(bucket_dir):
            raise AccessDenied(
                f"Object key {key!r} resolves outside bucket {bucket!r} (through a symlink)", bucket, key
            )
        return bucket_dir, path

    # -- reading --------------------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> ObjectInfo:
        _, path = self._object_path(bucket, key)
        return self._describe(bucket, key, path, self._stat_object(bucket, key, path))

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        _, path = self._object_path(bucket, key)
        self._stat_object(bucket, key, path)  # refuses directories and FIFOs before open() can block
        try:
            return path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise _no_such_key(bucket, key) from None
        except PermissionError as exc:
            raise _denied("read", bucket, key, exc) from exc

    def list_objects(
        self, bucket: str, prefix: str = "", start_after: str | None = None
    ) -> Iterator[ObjectInfo]:
        validate_prefix(prefix, bucket=bucket)
        bucket_dir = self._bucket_dir(bucket)
        # Start at the deepest directory the prefix names completely, not at the bucket root.
        base = prefix.rpartition("/")[0]
        start_dir = (bucket_dir / base).resolve() if base else bucket_dir
        if not start_dir.is_relative_to(bucket_dir):
            raise AccessDenied(f"Prefix {prefix!r} resolves outside bucket {bucket!r}", bucket, prefix)
        key_base = f"{base}/" if base else ""
        return self._walk(bucket, bucket_dir, start_dir, key_base, prefix, start_after)

    def _walk(
        self, bucket: str, bucket_dir: Path, directory: Path, key_base: str, prefix: str, after: str | None
    ) -> Iterator[ObjectInfo]:
        """Yield the files below ``directory`` in S3 key order.

        A directory ``d`` sorts as ``d/`` among its siblings, which puts every key below it exactly
        where S3's byte-wise ordering would (``d-x`` < ``d/y`` < ``d0``).
        """
        try:
            with os.scandir(directory) as it:
                entries = []
                for entry in it:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            entries.append((f"{key_base}{entry.name}/", entry, True))
                        elif entry.is_file():
                            entries.append((key_base + entry.name, entry, False))
                    except OSError:
                        continue  # vanished or unreadable while we looked
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return
        entries.sort(key=lambda item: item[0])
        for name, entry, is_dir in entries:
            if is_dir:
                if not (name.startswith(prefix) or prefix.startswith(name)):
                    continue
                if after is not None and after > name and not after.startswith(name):
                    continue  # every key below sorts before start_after
                yield from self._walk(bucket, bucket_dir, Path(entry.path), name, prefix, after)
                continue
            if not name.startswith(prefix) or (after is not None and name <= after):
                continue
            try:
                validate_key(name, bucket=bucket)  # hand-made names the API could not address
            except InvalidObjectName:
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                path = path.resolve()
                if not path.is_relative_to(bucket_dir):
                    continue
            try:
                st = path.stat()
                if stat.S_ISREG(st.st_mode):
                    yield self._describe(bucket, name, path, st)
            except (FileNotFoundError, PermissionError):
                continue

    def size(self, bucket: str, key: str) -> int:
        """From the open file: no hashing (HEAD would hash a file dropped in by hand), and an
        unreadable file is refused here already."""
        with self.open_read(bucket, key) as stream:
            return os.fstat(stream.fileno()).st_size

    def _stat_object(self, bucket: str, key: str, path: Path) -> os.stat_result:
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise _no_such_key(bucket, key) from None
        except PermissionError as exc:
            raise _denied("access", bucket, key, exc) from exc
        if not stat.S_ISREG(st.st_mode):
            raise _no_such_key(bucket, key)
        return st

    def _describe(self, bucket: str, key: str, path: Path, st: os.stat_result) -> ObjectInfo:
        """ObjectInfo from a stat result, hashing the file only when no valid ETag is remembered."""
        meta = _current_meta(path, st)
        content_type = None
        etag = None
        if meta:
            etag, content_type = meta.get("md5"), meta.get("content_type")
            kept = {"metadata": meta.get("metadata") or {}, "headers": meta.get("headers") or {}}
        else:
            kept = {}
        if not etag:
            etag = self._etags.get(st)
        if not etag:
            etag, st = self._hash_file(bucket, key, path)
            if not _write_meta(path, etag, st, None):
                self._etags.put(st, etag)
        return _info(bucket, key, st, etag, content_type, kept)

    def _hash_file(self, bucket: str, key: str, path: Path) -> tuple[str, os.stat_result]:
        """MD5 of a file plus the stat of the very inode that was hashed."""
        try:
            with path.open("rb") as stream:
                st = os.fstat(stream.fileno())
                digest = hashlib.md5(usedforsecurity=False)
                while block := stream.read(_HASH_BLOCK):
                    digest.update(block)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise _no_such_key(bucket, key) from None
        return digest.hexdigest(), st

    # -- writing --------------------------------------------------------------------------------
    def writer(
        self,
        bucket: str,
        key: str,
        content_type: str | None = None,
        *,
        parts_in_flight: int = 1,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ObjectWriter:
        self._object_path(bucket, key)  # fail before any byte is written
        return _LocalWriter(self, bucket, key, content_type, dict(metadata or {}), dict(headers or {}))

    def copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        size: int | None = None,
        encryption: ServerSideEncryption | None = None,
    ) -> ObjectInfo:
        """One read pass through the atomic writer, which computes the MD5 as it writes; there is
        no encryption at rest here, so ``encryption`` is left to the caller to record."""
        _, path = self._object_path(src_bucket, src_key)
        if (src_bucket, src_key) == (dst_bucket, dst_key):
            return self.head(src_bucket, src_key)
        with self.open_read(src_bucket, src_key) as stream:
            meta = _current_meta(path, os.fstat(stream.fileno())) or {}
            kept = {"metadata": meta.get("metadata"), "headers": meta.get("headers")}
            with self.writer(dst_bucket, dst_key, meta.get("content_type"), **kept) as out:
                shutil.copyfileobj(stream, out, DEFAULT_CHUNK_SIZE)  # type: ignore[misc]
        return out.info

    def delete(self, bucket: str, key: str) -> None:
        bucket_dir, path = self._object_path(bucket, key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        except PermissionError as exc:
            raise _denied("delete", bucket, key, exc) from exc
        # S3 has no directories: drop the ones this delete emptied, so 'a' can be stored later.
        for parent in path.parents:
            if parent == bucket_dir or not parent.is_relative_to(bucket_dir):
                break
            try:
                parent.rmdir()
            except OSError:
                break

    # -- multipart uploads (staged by :mod:`.local_multipart`) ----------------------------------
    def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        content_type: str | None = None,
        initiator: str | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> MultipartUpload:
        self._object_path(bucket, key)
        return self._multipart.create(
            bucket, key, content_type, initiator, dict(metadata or {}), dict(headers or {})
        )

    def multipart_upload(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        self._object_path(bucket, key)
        return self._multipart.get(bucket, key, upload_id)

    def upload_part(
        self,
        upload: MultipartUpload,
        number: int,
        chunks: Iterable[bytes],
        checksums: Callable[[], Mapping[str, str]] | None = None,
        size: int | None = None,
    ) -> PartInfo:
        return self._multipart.write_part(upload, number, chunks, checksums, size)

    def list_parts(self, upload: MultipartUpload) -> list[PartInfo]:
        return self._multipart.parts(upload)

    def list_multipart_uploads(self, bucket: str) -> list[MultipartUpload]:
        self._bucket_dir(bucket)
        return self._multipart.uploads(bucket)

    def complete_multipart_upload(
        self,
        upload: MultipartUpload,
        parts: Sequence[tuple[int, str]],
        headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Parts written in place in order (:mod:`.local_multipart`) are published by renaming the
        upload's data file; others are copied into one temp file that is renamed into place. Either
        way the key shows the whole object or nothing, then the upload ends."""
        etag = multipart_etag([etag for _number, etag in parts])
        stored = {name: value for name, value in upload.headers.items() if name in STORED_HEADERS}
        kept = {"metadata": dict(upload.metadata), "headers": {**stored, **(headers or {})}}
        with self._multipart.assembling(upload, parts) as assembly:
            if assembly.data is not None:
                info = self._publish(
                    upload.bucket, upload.key, assembly.data, etag, upload.content_type, kept
                )
            else:
                info = self._concatenate(upload, assembly.parts, etag, kept)
            self._multipart.remove(upload)
        return info

    def _concatenate(
        self,
        upload: MultipartUpload,
        parts: Sequence[tuple[PartInfo, Path, int | None]],
        etag: str,
        kept: dict[str, dict[str, str]],
    ) -> ObjectInfo:
        """The parts (info, file, offset in the upload's data file or None) copied into one object."""
        writer = self.writer(
            upload.bucket, upload.key, upload.content_type, metadata=kept["metadata"], headers=kept["headers"]
        )
        with writer as out:
            assert isinstance(out, _LocalWriter)
            out.etag = etag
            for part, path, offset in parts:
                source = path if offset is None else path.parent / DATA_NAME
                with source.open("rb") as f:
                    f.seek(offset or 0)
                    out.append_file(f, part.size)
        return out.info

    def _publish(
        self,
        bucket: str,
        key: str,
        tmp: Path,
        etag: str,
        content_type: str | None,
        kept: dict[str, dict[str, str]],
    ) -> ObjectInfo:
        """Record the finished file's ETag, content type and ``kept`` (metadata, headers), then
        rename it to its key."""
        st = os.stat(tmp)
        if not _write_meta(tmp, etag, st, content_type, kept):
            if any(kept.values()):
                raise NotSupported(
                    f"Cannot keep the metadata of {key!r}: the store's filesystem does not support "
                    "extended attributes",
                    bucket,
                    key,
                )
            self._etags.put(st, etag)
        self._place(bucket, key, tmp)
        return _info(bucket, key, st, etag, content_type, kept)

    def abort_multipart_upload(self, upload: MultipartUpload) -> None:
        self._multipart.remove(upload)

    def _place(self, bucket: str, key: str, tmp: Path) -> Path:
        """Move a finished temp file to its key, creating parent directories as needed."""
        for _ in range(_PLACE_ATTEMPTS):
            bucket_dir, path = self._object_path(bucket, key)
            try:
                self._make_parents(bucket, key, bucket_dir, path.parent)
                if path.is_dir():
                    try:
                        path.rmdir()  # an empty leftover directory is not an object
                    except OSError:
                        raise _conflict(bucket, key, key, "holds other objects below it") from None
                os.replace(tmp, path)
            except FileNotFoundError:
                continue  # a concurrent delete pruned a parent directory: try again
            except IsADirectoryError:
                raise _conflict(bucket, key, key, "holds other objects below it") from None
            except OSError as exc:
                if exc.errno == errno.EXDEV:
                    raise StorageError(
                        f"Cannot store {key!r}: bucket {bucket!r} is on another filesystem than "
                        f"{self.tmp_dir}, so the upload cannot be moved into place atomically",
                        bucket,
                        key,
                    ) from exc
                if isinstance(exc, PermissionError):
                    raise _denied("store", bucket, key, exc) from exc
                raise
            if self.fsync:
                fsync_dir(path.parent)
            return path
        raise StorageError(f"Cannot store {key!r}: its directory kept disappearing", bucket, key)

    def _make_parents(self, bucket: str, key: str, bucket_dir: Path, parent: Path) -> None:
        """Create the directories between the bucket and the object, one level at a time."""
        current = bucket_dir
        for part in parent.relative_to(bucket_dir).parts:
            current = current / part
            try:
                current.mkdir()
            except FileExistsError:
                if not current.is_dir():
                    existing = current.relative_to(bucket_dir).as_posix()
                    raise _conflict(bucket, key, existing, "is an object") from None
        if not parent.resolve().is_relative_to(bucket_dir):  # a symlink swapped in meanwhile
            raise AccessDenied(f"Object key {key!r} resolves outside bucket {bucket!r}", bucket, key)


class _LocalWriter(ObjectWriter):
    """Writes into a temp file beside the buckets, hashing as it goes; commit is one rename."""

    def __init__(
        self,
        store: LocalObjectStore,
        bucket: str,
        key: str,
        content_type: str | None,
        metadata: dict[str, str],
        headers: dict[str, str],
    ) -> None:
        super().__init__(bucket, key)
        self._store = store
        self._content_type = content_type
        self._kept = {"metadata": metadata, "headers": headers}
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.etag: str | None = None  # set to publish under another ETag than the MD5 (multipart)
        # The file stays locked (open) until it is renamed into place, so sweeps know it is in use.
        fd, self._tmp = create_temp(store.tmp_dir, _UPLOAD_PREFIX, ".part")
        self._file = os.fdopen(fd, "wb")

    def _write(self, data: memoryview) -> None:
        self._file.write(data)
        if self.etag is None:
            self._md5.update(data)

    def append_file(self, source: BinaryIO, length: int) -> None:
        """Append the next ``length`` bytes of ``source``; with :attr:`etag` set (nothing to hash) in
        the kernel (``copy_file_range``: no trip through Python, a reflink where the filesystem shares
        extents). StorageError if ``source`` ends before."""
        if self.closed:
            raise StorageError(f"Writer for {self.key!r} is already closed", self.bucket, self.key)
        left = length
        try:
            if self.etag is not None and hasattr(os, "copy_file_range"):
                self._file.flush()
                try:
                    while left and (copied := _copy_range(source.fileno(), self._file.fileno(), left)):
                        self._written += copied
                        left -= copied
                except _CopyUnsupported:
                    pass
            while left and (chunk := source.read(min(left, DEFAULT_CHUNK_SIZE))):
                self.write(chunk)
                left -= len(chunk)
            if left:
                raise StorageError(f"A part of {self.key!r} is shorter than recorded", self.bucket, self.key)
        except BaseException:
            self._abort_after_failure()
            raise

    def _commit(self) -> ObjectInfo:
        self._file.flush()
        if self._store.fsync:
            os.fsync(self._file.fileno())
        if self.late_headers:
            self._kept["headers"] = {**self._kept["headers"], **self.late_headers}
        etag = self.etag or self._md5.hexdigest()
        info = self._store._publish(self.bucket, self.key, self._tmp, etag, self._content_type, self._kept)
        self._file.close()  # only now: the lock keeps sweeps off the temp file until it is placed
        return info

    def _abort(self) -> None:
        try:
            self._tmp.unlink(missing_ok=True)  # before closing, which would release the lock
        finally:
            self._file.close()


class _CopyUnsupported(Exception):
    """``copy_file_range`` cannot copy between these files (another filesystem, old kernel)."""


def _copy_range(source: int, target: int, most: int) -> int:
    """Bytes copied by one ``copy_file_range`` call (at most ``most``, up to a chunk) from/to the
    files' positions; 0 at the end."""
    try:
        return os.copy_file_range(source, target, min(most, DEFAULT_CHUNK_SIZE))
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise _CopyUnsupported from exc
        raise


class _EtagCache:
    """Remembers MD5s by inode, size and mtime when the filesystem has no extended attributes."""

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._items: dict[tuple[int, int, int, int], str] = {}

    @staticmethod
    def _key(st: os.stat_result) -> tuple[int, int, int, int]:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def get(self, st: os.stat_result) -> str | None:
        with self._lock:
            return self._items.get(self._key(st))

    def put(self, st: os.stat_result, etag: str) -> None:
        with self._lock:
            if len(self._items) >= self._limit:
                self._items.pop(next(iter(self._items)))
            self._items[self._key(st)] = etag


def _read_meta(path: Path) -> dict | None:
    try:
        return json.loads(os.getxattr(path, _XATTR))
    except (OSError, ValueError, AttributeError):
        return None


def _current_meta(path: Path, st: os.stat_result) -> dict | None:
    """The remembered ETag and content type, if they still describe the file ``st`` is of."""
    meta = _read_meta(path)
    if meta and meta.get("size") == st.st_size and meta.get("mtime_ns") == st.st_mtime_ns:
        return meta
    return None


def _write_meta(
    path: Path,
    etag: str,
    st: os.stat_result,
    content_type: str | None,
    kept: Mapping[str, Mapping[str, str]] | None = None,
) -> bool:
    """Remember the ETag, content type and ``kept`` (metadata, headers) in the file's extended
    attribute; False if the filesystem would not."""
    meta = {"md5": etag, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "content_type": content_type}
    meta.update({name: dict(value) for name, value in (kept or {}).items() if value})
    try:
        os.setxattr(path, _XATTR, json.dumps(meta).encode())
    except (OSError, AttributeError):
        return False
    return True


def _info(
    bucket: str,
    key: str,
    st: os.stat_result,
    etag: str,
    content_type: str | None,
    kept: Mapping[str, Mapping[str, str]],
) -> ObjectInfo:
    """What HEAD says of the file ``st`` describes."""
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=st.st_size,
        etag=etag,
        last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
        content_type=content_type,
        **kept,  # type: ignore[arg-type]
    )


def _denied(action: str, bucket: str, key: str, exc: OSError) -> AccessDenied:
    return AccessDenied(f"Cannot {action} {key!r} in bucket {bucket!r}: {_reason(exc)}", bucket, key)


def _reason(exc: OSError) -> str:
    """Why the filesystem refused, without the host path an OSError's text carries (messages reach
    users: the store's directories are the operator's business)."""
    return exc.strerror or type(exc).__name__


def _no_such_key(bucket: str, key: str) -> NoSuchKey:
    return NoSuchKey(f"The key {key!r} does not exist in bucket {bucket!r}", bucket, key)


def _conflict(bucket: str, key: str, existing: str, what: str) -> KeyConflict:
    return KeyConflict(
        f"Cannot store {key!r} in bucket {bucket!r}: {existing!r} {what}, and the local backend "
        "cannot hold both 'a' and 'a/b' (a file cannot also be a directory)",
        bucket,
        key,
    )
