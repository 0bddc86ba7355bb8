"""Multipart uploads of the local store, staged under ``<data-dir>/buckets/.tmp/multipart/``.

``.tmp`` can never be a bucket name, so nothing here is addressable by users. Each upload is a
directory named by its id (32 hex digits) holding ``upload.json`` (bucket, key, content type,
initiator, initiation time; written atomically and fsynced) and one file per part named
``<number:05>-<md5 hex>``: the name binds the part to its ETag, so completion opens exactly the
parts it was given. A part streams into an owned temp file (:mod:`.owned`) in the upload's
directory and is renamed to its name once complete, replacing an earlier part of that number.

Uploads are durable: they survive a restart and can be continued, completed or aborted after it.
The start-up sweep removes the half-written parts of processes that no longer run, directories
that lost their manifest (a crash while completing or aborting) and uploads idle for
:data:`MAX_UPLOAD_AGE_SECONDS`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from jobforge.storage.base import MultipartUpload, PartInfo
from jobforge.storage.errors import InvalidPart, NoSuchUpload
from jobforge.storage.owned import (
    NEW_FILE_GRACE_SECONDS,
    NEW_SUFFIX,
    create_temp,
    fsync_dir,
    remove_if_abandoned,
    remove_stale_new_files,
)

MULTIPART_DIR_NAME = "multipart"
MANIFEST_NAME = "upload.json"
MAX_UPLOAD_AGE_SECONDS = 7 * 24 * 3600
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_PART = re.compile(r"(\d{5})-([0-9a-f]{32})")
_TEMP_PREFIX = "upload-"
_TEMP_SUFFIX = ".part"
_PART_XATTR = "user.jobforge.checksums"  # a part's verified checksums, as JSON
_OWNED_TEMP = re.compile(r"upload-\d+\.[0-9a-f]{24}\.part")


class LocalMultipartStaging:
    """The staging area of one local store; safe for concurrent use from many threads."""

    def __init__(self, tmp_dir: Path, *, fsync: bool = True) -> None:
        self.root = tmp_dir / MULTIPART_DIR_NAME  # made by the first upload
        self.fsync = fsync

    # -- uploads ---------------------------------------------------------------------------------
    def create(
        self,
        bucket: str,
        key: str,
        content_type: str | None,
        initiator: str | None,
        metadata: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> MultipartUpload:
        upload_id = secrets.token_hex(16)
        directory = self.root / upload_id
        directory.mkdir(parents=True)
        initiated = datetime.now(UTC)
        manifest = {
            "bucket": bucket,
            "key": key,
            "content_type": content_type,
            "initiator": initiator,
            "initiated": initiated.isoformat(),
            "metadata": metadata or {},
            "headers": headers or {},
        }
        staged = directory / f"{MANIFEST_NAME}{NEW_SUFFIX}"
        with staged.open("w", encoding="utf-8") as out:
            json.dump(manifest, out)
            out.flush()
            if self.fsync:
                os.fsync(out.fileno())
        os.replace(staged, directory / MANIFEST_NAME)
        if self.fsync:
            fsync_dir(directory)
            fsync_dir(self.root)
        return MultipartUpload(
            bucket, key, upload_id, initiated, content_type, initiator, metadata or {}, headers or {}
        )

    def get(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        upload = self._read(upload_id) if _UPLOAD_ID.fullmatch(upload_id) else None
        if upload is None or (upload.bucket, upload.key) != (bucket, key):
            raise _no_such_upload(bucket, key, upload_id)
        return upload

    def uploads(self, bucket: str) -> list[MultipartUpload]:
        found = []
        for entry in self._directories():
            if _UPLOAD_ID.fullmatch(entry.name):
                upload = self._read(entry.name)
                if upload is not None and upload.bucket == bucket:
                    found.append(upload)
        return sorted(found, key=lambda u: (u.key, u.initiated, u.upload_id))

    def _read(self, upload_id: str) -> MultipartUpload | None:
        try:
            data = json.loads((self.root / upload_id / MANIFEST_NAME).read_text(encoding="utf-8"))
            return MultipartUpload(
                bucket=data["bucket"],
                key=data["key"],
                upload_id=upload_id,
                initiated=datetime.fromisoformat(data["initiated"]),
                content_type=data.get("content_type"),
                initiator=data.get("initiator"),
                metadata=dict(data.get("metadata") or {}),
                headers=dict(data.get("headers") or {}),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remove(self, upload: MultipartUpload) -> None:
        """End the upload: the manifest goes first, so a crash leaves a directory the sweep removes."""
        directory = self.root / upload.upload_id
        try:
            (directory / MANIFEST_NAME).unlink()
        except FileNotFoundError:
            raise _no_such_upload(upload.bucket, upload.key, upload.upload_id) from None
        shutil.rmtree(directory, ignore_errors=True)

    # -- parts -----------------------------------------------------------------------------------
    def write_part(
        self,
        upload: MultipartUpload,
        number: int,
        chunks: Iterable[bytes],
        checksums: Callable[[], Mapping[str, str]] | None = None,
    ) -> PartInfo:
        directory = self.root / upload.upload_id
        self.get(upload.bucket, upload.key, upload.upload_id)  # still in progress
        try:
            fd, tmp = create_temp(directory, _TEMP_PREFIX, _TEMP_SUFFIX)
        except FileNotFoundError:
            raise _no_such_upload(upload.bucket, upload.key, upload.upload_id) from None
        md5 = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out:  # closing releases the lock: only after the rename
            try:
                for chunk in chunks:
                    out.write(chunk)
                    md5.update(chunk)
                kept = dict(checksums()) if checksums is not None else {}
                if kept:
                    os.setxattr(out.fileno(), _PART_XATTR, json.dumps(kept).encode())
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
                etag = md5.hexdigest()
                final = directory / f"{number:05d}-{etag}"
                os.replace(tmp, final)
                st = os.stat(final)
            except FileNotFoundError:
                tmp.unlink(missing_ok=True)
                raise _no_such_upload(upload.bucket, upload.key, upload.upload_id) from None
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        for other in self._files_of(directory, number):
            if other != final:
                other.unlink(missing_ok=True)  # the part this one replaces
        return PartInfo(number, etag, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC), kept)

    def parts(self, upload: MultipartUpload) -> list[PartInfo]:
        directory = self.root / upload.upload_id
        newest: dict[int, PartInfo] = {}
        for path in self._files_of(directory, None):
            number, etag = int(path.name[:5]), path.name[6:]
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # replaced meanwhile
            part = PartInfo(number, etag, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
            if number not in newest or part.last_modified > newest[number].last_modified:
                newest[number] = part
        return [
            dataclasses.replace(newest[n], checksums=_part_checksums(directory, newest[n]))
            for n in sorted(newest)
        ]

    def part_path(self, upload: MultipartUpload, number: int, etag: str) -> Path:
        """The file of part ``number`` with ``etag``; raises InvalidPart if there is none."""
        path = self.root / upload.upload_id / f"{number:05d}-{etag}"
        if not (0 < number < 100000 and _PART.fullmatch(path.name) and path.is_file()):
            raise InvalidPart(
                f"Part {number} with ETag {etag!r} was not uploaded to upload {upload.upload_id}",
                upload.bucket,
                upload.key,
            )
        return path

    def _directories(self) -> list[Path]:
        try:
            return list(self.root.iterdir())
        except FileNotFoundError:
            return []

    @staticmethod
    def _files_of(directory: Path, number: int | None) -> Iterator[Path]:
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return
        for entry in entries:
            match = _PART.fullmatch(entry.name)
            if match and (number is None or int(match.group(1)) == number):
                yield Path(entry.path)

    # -- sweep -----------------------------------------------------------------------------------
    def sweep(self, now: float | None = None, max_age: float = MAX_UPLOAD_AGE_SECONDS) -> int:
        """Remove what crashed processes left behind and uploads idle for ``max_age``; the count."""
        now = time.time() if now is None else now
        removed = 0
        for directory in self._directories():
            try:
                manifest = directory / MANIFEST_NAME
                if not manifest.exists():
                    if directory.stat().st_mtime < now - NEW_FILE_GRACE_SECONDS:
                        shutil.rmtree(directory, ignore_errors=True)
                        removed += 1
                    continue
                if _last_activity(directory) < now - max_age:
                    manifest.unlink()
                    shutil.rmtree(directory, ignore_errors=True)
                    removed += 1
                    continue
                for leftover in directory.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
                    if _OWNED_TEMP.fullmatch(leftover.name):
                        removed += remove_if_abandoned(leftover)
                    elif leftover.stat().st_mtime < now - NEW_FILE_GRACE_SECONDS:
                        leftover.unlink()
                        removed += 1
                remove_stale_new_files(directory, f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}", now)
            except OSError:
                continue
        return removed


def _part_checksums(directory: Path, part: PartInfo) -> dict[str, str]:
    """The checksums kept with a part file (empty: none were sent, or it was replaced meanwhile)."""
    try:
        return dict(json.loads(os.getxattr(directory / f"{part.number:05d}-{part.etag}", _PART_XATTR)))
    except (OSError, ValueError):
        return {}


def _last_activity(directory: Path) -> float:
    """The newest modification time of the upload's directory and files."""
    times = [directory.stat().st_mtime]
    for entry in os.scandir(directory):
        try:
            times.append(entry.stat(follow_symlinks=False).st_mtime)
        except OSError:
            continue
    return max(times)


def _no_such_upload(bucket: str, key: str, upload_id: str) -> NoSuchUpload:
    return NoSuchUpload(
        f"The upload {upload_id!r} of {key!r} in bucket {bucket!r} does not exist: it may have been "
        "aborted or completed",
        bucket,
        key,
    )
