"""A durable record of the S3 multipart uploads jobforge's writers started, to abort those a crash left.

S3 cannot say who started an upload (ListMultipartUploads returns no metadata), so jobforge never
guesses from a listing: each process that starts uploads appends them to its own journal file in
``<data-dir>/s3-uploads/``, locked by that process while it lives (:mod:`.owned`). When the server
starts, :func:`abort_abandoned_uploads` reads the journals no live process holds and aborts the
uploads in them that never completed. Uploads jobforge did not record (a user's own) are never
touched. An entry is fsynced before the first part is sent.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from jobforge.storage.owned import claim_abandoned, create_owned, owned_name, remove_stale_new_files

JOURNAL_DIR_NAME = "s3-uploads"
_PREFIX = "uploads-"
_SUFFIX = ".jsonl"
_JOURNAL = re.compile(r"uploads-\d+\.[0-9a-f]{24}\.jsonl")
_GONE = {"NoSuchUpload", "404", "NotFound"}
_log = logging.getLogger(__name__)


class UploadJournal:
    """This process's pending multipart uploads, in a file only it holds; thread-safe, fork-aware.

    Get one with :meth:`for_directory`, so that the stores of a process share one journal file.
    """

    _shared: dict[Path, UploadJournal] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def for_directory(cls, directory: Path | str) -> UploadJournal:
        """The journal of ``directory`` for this process (one per directory, however many stores)."""
        path = Path(directory).absolute()
        with cls._shared_lock:
            journal = cls._shared.get(path)
            if journal is None:
                journal = cls._shared[path] = cls(path)
            return journal

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._pending: set[str] = set()

    def started(self, endpoint: str | None, bucket: str, key: str, upload_id: str) -> None:
        """Record an upload before any part of it is sent (durably: a crash may follow)."""
        entry = {"op": "start", "endpoint": endpoint, "bucket": bucket, "key": key, "upload_id": upload_id}
        with self._lock:
            fd = self._open()
            if fd is None:
                return
            self._pending.add(upload_id)
            os.write(fd, (json.dumps(entry) + "\n").encode())
            os.fsync(fd)

    def ended(self, upload_id: str) -> None:
        """The upload completed or was aborted: nothing to clean up after a crash."""
        with self._lock:
            if self._fd is None or self._pid != os.getpid() or upload_id not in self._pending:
                return
            self._pending.discard(upload_id)
            if self._pending:
                os.write(self._fd, (json.dumps({"op": "end", "upload_id": upload_id}) + "\n").encode())
            else:
                os.ftruncate(self._fd, 0)  # nothing pending: keep the journal from growing

    def _open(self) -> int | None:
        """This process's journal file, created (locked) on first use and again after a fork."""
        if self._fd is not None and self._pid == os.getpid():
            return self._fd
        self.directory.mkdir(parents=True, exist_ok=True)
        owned = create_owned(self.directory, owned_name(_PREFIX, _SUFFIX), os.O_WRONLY | os.O_APPEND)
        if owned is None:
            _log.warning("No locks in %s: multipart uploads are not journaled", self.directory)
            self._pid = os.getpid()
            return None
        self._fd, self._pid, self._pending = owned[0], os.getpid(), set()
        return self._fd


def abort_abandoned_uploads(directory: Path | str, client: Any) -> int:
    """Abort the uploads recorded by processes that no longer run; returns how many were aborted.

    Journals of live processes are left alone. A journal whose uploads could not all be aborted
    (endpoint unreachable, another endpoint than ``client``'s) is kept for the next start.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    endpoint = client.meta.endpoint_url
    aborted = 0
    for path in sorted(directory.glob(f"{_PREFIX}*{_SUFFIX}")):
        if not _JOURNAL.fullmatch(path.name):
            continue
        fd = claim_abandoned(path)
        if fd is None:
            continue  # a live process's journal (or gone)
        try:
            with open(path, "rb") as stream:
                pending = _pending(stream.read())
            kept = False
            for upload_id, entry in pending.items():
                if entry.get("endpoint") != endpoint:
                    kept = True
                    continue
                done, ok = _abort(client, entry, upload_id)
                aborted += done
                kept = kept or not ok
            if not kept:
                path.unlink()
        except OSError:
            _log.warning("Could not read the upload journal %s", path, exc_info=True)
        finally:
            os.close(fd)
    remove_stale_new_files(directory, f"{_PREFIX}*{_SUFFIX}")
    return aborted


def _pending(data: bytes) -> dict[str, dict[str, Any]]:
    """Started uploads without an end record, by upload id (a torn last line is skipped)."""
    pending: dict[str, dict[str, Any]] = {}
    for line in data.splitlines():
        try:
            entry = json.loads(line)
            if entry["op"] == "start":
                pending[str(entry["upload_id"])] = entry
            elif entry["op"] == "end":
                pending.pop(str(entry["upload_id"]), None)
        except (ValueError, KeyError, TypeError):
            continue
    return pending


def _abort(client: Any, entry: dict[str, Any], upload_id: str) -> tuple[int, bool]:
    """(aborted count, settled): an upload already gone (completed or aborted) is settled too."""
    try:
        client.abort_multipart_upload(Bucket=entry["bucket"], Key=entry["key"], UploadId=upload_id)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) in _GONE | {"NoSuchBucket"}:
            return 0, True
        _log.warning("Could not abort upload %s of %r", upload_id, entry.get("key"), exc_info=True)
        return 0, False
    except (BotoCoreError, KeyError):
        _log.warning("Could not abort upload %s of %r", upload_id, entry.get("key"), exc_info=True)
        return 0, False
    _log.info(
        "Aborted an interrupted upload",
        extra={"bucket": entry["bucket"], "key": entry["key"], "upload_id": upload_id},
    )
    return 1, True
