"""Multipart uploads of the local store, staged under ``<data-dir>/buckets/.tmp/multipart/``.

``.tmp`` can never be a bucket name, so nothing here is addressable by users. Each upload is a
directory named by its id (32 hex digits) holding ``upload.json`` (bucket, key, content type,
initiator, initiation time; written atomically and fsynced) and one file per part named
``<number:05>-<md5 hex>``: the name binds the part to its ETag, so completion opens exactly the
parts it was given. A part streams into an owned temp file (:mod:`.owned`) in the upload's
directory and is renamed to its name once complete, replacing an earlier part of that number.

**Parts in place.** S3 clients send equal parts (boto3: 8 MiB) and the last one smaller. The first
part of at least 5 MiB whose size is declared sets the upload's *stride* (a ``stride`` symlink whose
target is the size: created atomically, once). A part of a known size up to the stride is then
written straight into ``object.data`` at ``(number - 1) * stride`` and recorded by a marker file
``<number:05>-<md5 hex>.<size>.inplace``, created after the bytes are fsynced. When the completed
parts are 1..N, in place, all but the last a full stride, completion only truncates ``object.data``
and renames it into the bucket: the object is not written a second time. Other uploads (unequal
or unnumbered-in-sequence parts, a part sent again while its first copy is in place) are kept as
part files and completion concatenates them, as before. In-place writers hold a shared lock on
``upload.lock`` and completion an exclusive one, so completion waits for parts being written and a
part that starts after it finds the upload gone.

Uploads are durable: they survive a restart and can be continued, completed or aborted after it.
The start-up sweep removes the half-written parts of processes that no longer run, directories
that lost their manifest (a crash while completing or aborting) and uploads idle for
:data:`MAX_UPLOAD_AGE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
_IN_PLACE = re.compile(r"(\d{5})-([0-9a-f]{32})\.(\d+)\.inplace")
DATA_NAME = "object.data"
STRIDE_NAME = "stride"
LOCK_NAME = "upload.lock"
MIN_STRIDE = 5 * 1024 * 1024  # S3's smallest part but the last
_OWNED_TEMP = re.compile(r"upload-\d+\.[0-9a-f]{24}\.part")


class LocalMultipartStaging:
    """The staging area of one local store; safe for concurrent use from many threads."""

    def __init__(self, tmp_dir: Path, *, fsync: bool = True) -> None:
        self.root = tmp_dir / MULTIPART_DIR_NAME  # made by the first upload
        self.fsync = fsync
        self._writing: set[tuple[str, int]] = set()  # (upload id, number) being written in place
        self._writing_lock = threading.Lock()

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
        size: int | None = None,
    ) -> PartInfo:
        directory = self.root / upload.upload_id
        self.get(upload.bucket, upload.key, upload.upload_id)  # still in progress
        stride = self._stride(directory, size) if size else None
        if stride is not None and size is not None and size <= stride and self._claim(upload, number):
            try:
                if not any(self._markers(directory, number)):  # a part sent again keeps its first copy
                    return self._write_in_place(upload, number, chunks, checksums, size, stride)
            finally:
                with self._writing_lock:
                    self._writing.discard((upload.upload_id, number))
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

    def _stride(self, directory: Path, size: int) -> int | None:
        """The upload's stride, set by this part if it is the first of at least :data:`MIN_STRIDE`."""
        link = directory / STRIDE_NAME
        for _ in range(2):
            try:
                return int(os.readlink(link))
            except FileNotFoundError:
                if size < MIN_STRIDE:
                    return None
            except (OSError, ValueError):
                return None
            try:
                os.symlink(str(size), link)
            except FileExistsError:
                continue  # another part set it first
            except OSError:
                return None
            if self.fsync:
                fsync_dir(directory)
            return size
        return None

    def _claim(self, upload: MultipartUpload, number: int) -> bool:
        """Reserve part ``number``'s place for this writer (False: another one is writing it)."""
        with self._writing_lock:
            if (upload.upload_id, number) in self._writing:
                return False
            self._writing.add((upload.upload_id, number))
            return True

    def _write_in_place(
        self,
        upload: MultipartUpload,
        number: int,
        chunks: Iterable[bytes],
        checksums: Callable[[], Mapping[str, str]] | None,
        size: int,
        stride: int,
    ) -> PartInfo:
        """Part ``number`` written into ``object.data`` at its place, then its marker created."""
        directory = self.root / upload.upload_id
        gone = _no_such_upload(upload.bucket, upload.key, upload.upload_id)
        with self._holding(upload, fcntl.LOCK_SH):
            md5 = hashlib.md5(usedforsecurity=False)
            offset, written = (number - 1) * stride, 0
            fd = os.open(directory / DATA_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            try:
                for chunk in chunks:
                    if written + len(chunk) > size:
                        raise InvalidPart(f"Part {number} is longer than declared", upload.bucket, upload.key)
                    view = memoryview(chunk)
                    while view:
                        done = os.pwrite(fd, view, offset + written)
                        view, written = view[done:], written + done
                    md5.update(chunk)
                if written != size:
                    raise InvalidPart(f"Part {number} is shorter than declared", upload.bucket, upload.key)
                kept = dict(checksums()) if checksums is not None else {}
                if self.fsync:
                    os.fdatasync(fd)
            finally:
                os.close(fd)
            etag = md5.hexdigest()
            marker = directory / f"{number:05d}-{etag}.{size}.inplace"
            staged = directory / f"{marker.name}{NEW_SUFFIX}"
            try:
                staged.touch()
                if kept:
                    os.setxattr(staged, _PART_XATTR, json.dumps(kept).encode())
                os.replace(staged, marker)
                if self.fsync:
                    fsync_dir(directory)
            except FileNotFoundError:
                raise gone from None
        for other in self._files_of(directory, number):
            if other != marker:
                other.unlink(missing_ok=True)  # the part this one replaces
        st = marker.stat()
        return PartInfo(number, etag, size, datetime.fromtimestamp(st.st_mtime, UTC), kept)

    def parts(self, upload: MultipartUpload) -> list[PartInfo]:
        directory = self.root / upload.upload_id
        return [part for part, _path, _offset in self._located(directory, None).values()]

    def _located(self, directory: Path, stride: int | None) -> dict[int, tuple[PartInfo, Path, int | None]]:
        """The newest part of each number: its info, file, and offset in ``object.data`` (None:
        a part file of its own)."""
        newest: dict[int, tuple[PartInfo, Path, int | None]] = {}
        for path in self._files_of(directory, None):
            in_place = _IN_PLACE.fullmatch(path.name)
            number, etag = int(path.name[:5]), path.name[6:38]
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # replaced meanwhile
            size = int(in_place.group(3)) if in_place else st.st_size
            part = PartInfo(number, etag, size, datetime.fromtimestamp(st.st_mtime, UTC))
            if number not in newest or part.last_modified > newest[number][0].last_modified:
                offset = (number - 1) * (stride or 0) if in_place else None
                newest[number] = (part, path, offset)
        return {
            n: (dataclasses.replace(part, checksums=_part_checksums(path)), path, offset)
            for n, (part, path, offset) in sorted(newest.items())
        }

    @contextlib.contextmanager
    def assembling(self, upload: MultipartUpload, parts: Sequence[tuple[int, str]]) -> Iterator[_Assembly]:
        """Hold the upload while it is completed from ``parts`` (number, ETag): no part is written in
        place meanwhile. Yields the parts' files (InvalidPart for a part not uploaded with that ETag)
        and, when the parts were written in place in order, ``object.data`` holding the whole object."""
        directory = self.root / upload.upload_id
        with self._holding(upload, fcntl.LOCK_EX):
            try:
                stride: int | None = int(os.readlink(directory / STRIDE_NAME))
            except (OSError, ValueError):
                stride = None
            located = self._located(directory, stride)
            chosen = []
            for number, etag in parts:
                entry = located.get(number)
                if entry is None or entry[0].etag != etag:
                    raise InvalidPart(
                        f"Part {number} with ETag {etag!r} was not uploaded to upload {upload.upload_id}",
                        upload.bucket,
                        upload.key,
                    )
                chosen.append(entry)
            yield _Assembly(chosen, self._in_place(directory, chosen, stride))

    @contextlib.contextmanager
    def _holding(self, upload: MultipartUpload, mode: int) -> Iterator[None]:
        """The upload's ``upload.lock`` held shared (a part written in place) or exclusive (its
        completion) while it is still in progress; NoSuchUpload once it ended."""
        directory = self.root / upload.upload_id
        gone = _no_such_upload(upload.bucket, upload.key, upload.upload_id)
        try:
            lock = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except FileNotFoundError:
            raise gone from None
        try:
            fcntl.flock(lock, mode)
            if not (directory / MANIFEST_NAME).exists():  # completed or aborted meanwhile
                raise gone
            yield
        finally:
            os.close(lock)  # releases the lock

    def _in_place(
        self, directory: Path, chosen: list[tuple[PartInfo, Path, int | None]], stride: int | None
    ) -> Path | None:
        """``object.data`` cut to the object, if ``chosen`` are parts 1..N in place, all but the last
        a full stride (the last may be a part file: it is copied to its place); else None."""
        if stride is None:
            return None
        for index, (part, _path, offset) in enumerate(chosen):
            last = index == len(chosen) - 1
            if part.number != index + 1 or (offset is None and not last):
                return None
            if not last and part.size != stride:
                return None
        data = directory / DATA_NAME
        final, path, offset = chosen[-1]
        total = (len(chosen) - 1) * stride + final.size
        with open(data, "r+b") as out:
            if offset is None:  # the last part has a file of its own
                with path.open("rb") as source:
                    out.seek((len(chosen) - 1) * stride)
                    shutil.copyfileobj(source, out, 1024 * 1024)
            out.truncate(total)
            out.flush()
            if self.fsync:
                os.fsync(out.fileno())
        return data

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
            match = _PART.fullmatch(entry.name) or _IN_PLACE.fullmatch(entry.name)
            if match and (number is None or int(match.group(1)) == number):
                yield Path(entry.path)

    @classmethod
    def _markers(cls, directory: Path, number: int) -> Iterator[Path]:
        return (path for path in cls._files_of(directory, number) if path.name.endswith(".inplace"))

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


@dataclasses.dataclass(frozen=True)
class _Assembly:
    """What completion works from: the chosen parts (info, file, offset in ``object.data`` or None)
    and ``object.data`` when it already holds the whole object."""

    parts: list[tuple[PartInfo, Path, int | None]]
    data: Path | None


def _part_checksums(path: Path) -> dict[str, str]:
    """The checksums kept with a part's file or marker (empty: none were sent, or it is gone)."""
    try:
        return dict(json.loads(os.getxattr(path, _PART_XATTR)))
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
