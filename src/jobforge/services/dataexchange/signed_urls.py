"""Presigned URLs served by jobforge itself: uploads for signed-URL and API specification imports,
downloads for signed-URL exports and API specifications.

A URL is ``<base>/_jobforge/dataexchange/<action>/<account>/<region>/<id>?Expires=<epoch>&Signature=<hex>``;
the HMAC-SHA256 (key: a persistent secret in the database) covers the action, owner, id and
expiry, so a forged, altered or expired URL gets 403 and changes nothing. Bodies stream to the
object store off the event loop in bounded memory; an upload whose MD5 differs from the job's
(``Content-MD5`` header or the bytes themselves) is discarded with 400 ``BadDigest``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote
from xml.sax.saxutils import escape

from jobforge.engine import AlreadyExists, Job, JobState, Scope
from jobforge.services.dataexchange.common import ASSET, REVISION, SERVICE, UPLOAD
from jobforge.services.dataexchange.errors import storage_message
from jobforge.services.dataexchange.job_types import upload_target
from jobforge.services.dataexchange.transfer import UPLOAD_PARTS_IN_FLIGHT
from jobforge.storage import StorageError

log = logging.getLogger("jobforge.dataexchange")

PREFIX = "/_jobforge/dataexchange/"
UPLOAD_ACTION = "upload"
EXPORT_ACTION = "export"
API_SPEC_ACTION = "api-spec"
CHUNK = 8 * 1024 * 1024
PIPELINE = 2  # pieces received ahead of the one being written
_EXPIRES = re.compile(r"[0-9]{1,12}")  # epoch seconds, ASCII only (str.isdigit() takes "²")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_HASHERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dataexchange-md5")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class UrlSigner:
    """Signs and checks jobforge's presigned URLs."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, action: str, account: str, region: str, ident: str, expires: int) -> str:
        message = f"{action}\n{account}\n{region}\n{ident}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, action: str, owner: Scope, ident: str, expires: datetime) -> str:
        epoch = int(expires.timestamp())
        signature = self._signature(action, owner.account_id, owner.region, ident, epoch)
        path = f"{PREFIX}{action}/{owner.account_id}/{owner.region}/{quote(ident)}"
        return f"{base_url.rstrip('/')}{path}?Expires={epoch}&Signature={signature}"

    def check(
        self, action: str, account: str, region: str, ident: str, expires: str, signature: str
    ) -> str | None:
        """None if the URL is genuine and current, else why not.

        Malformed values (non-ASCII or Unicode digits, absurd lengths, a signature that is not 64
        hex digits) are refused like forged ones, before any arithmetic or comparison."""
        if not _EXPIRES.fullmatch(expires):
            return "The URL has no valid expiry"
        if not _SIGNATURE.fullmatch(signature):
            return "The request signature does not match the URL"
        expected = self._signature(action, account, region, ident, int(expires))
        if not hmac.compare_digest(expected, signature):
            return "The request signature does not match the URL"
        if int(expires) < time.time():
            return "The URL has expired"
        return None


class _Owner:
    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region


class SignedUrlApp:
    """The ASGI handler for everything below :data:`PREFIX`."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        method = scope["method"]
        parts = scope["path"][len(PREFIX) :].split("/", 3)
        if len(parts) != 4:
            return await _error(send, 404, "NoSuchKey", "No such URL")
        action, account, region, ident = parts
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        problem = self.runtime.signer.check(
            action,
            account,
            region,
            ident,
            query.get("Expires", [""])[0],
            query.get("Signature", [""])[0],
        )
        if problem is not None:
            return await _error(send, 403, "AccessDenied", problem)
        owner = _Owner(account, region)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            if action == UPLOAD_ACTION and method == "PUT":
                return await self._upload(owner, ident, headers, receive, send)
            if action == EXPORT_ACTION and method in ("GET", "HEAD"):
                return await self._export(owner, ident, method, send)
            if action == API_SPEC_ACTION and method in ("GET", "HEAD"):
                return await self._api_spec(owner, ident, method, send)
        except StorageError as exc:
            log.warning("signed URL storage error", exc_info=True)
            return await _error(send, 500, "InternalError", storage_message(exc))
        await _error(send, 405, "MethodNotAllowed", f"{method} is not allowed on this URL")

    # -- uploads ----------------------------------------------------------------------------------

    async def _upload(
        self, owner: _Owner, job_id: str, headers: dict[str, str], receive: Receive, send: Send
    ) -> None:
        runtime = self.runtime
        job = await asyncio.to_thread(runtime.engine.jobs.find, owner, SERVICE, job_id)
        target = None if job is None else upload_target(job)
        if job is None or target is None or job.state.terminal:
            return await _error(
                send, 403, "AccessDenied", "The URL does not belong to a job awaiting an upload"
            )
        expected_md5, key, max_bytes = target
        declared = headers.get("content-md5")
        if declared is not None and declared != expected_md5:
            return await _error(
                send, 400, "BadDigest", "The Content-MD5 you specified does not match the job's MD5 hash"
            )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            return await _error(
                send, 400, "EntityTooLarge", f"Uploads to this URL are limited to {max_bytes} bytes"
            )
        await asyncio.to_thread(runtime.storage.ensure_bucket)
        await asyncio.to_thread(self._record, job, {"State": "RECEIVING"})
        writer = await asyncio.to_thread(
            runtime.store.writer, runtime.storage.bucket, key, parts_in_flight=UPLOAD_PARTS_IN_FLIGHT
        )
        digest = hashlib.md5(usedforsecurity=False)

        def write(data: bytearray) -> None:
            hashing = _HASHERS.submit(digest.update, data)  # MD5 and the write overlap
            try:
                writer.write(data)
            finally:
                hashing.result()

        try:
            size = await _stream_body(receive, write, max_bytes)
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        if size is None:  # client went away or sent too much
            await asyncio.to_thread(writer.abort)
            await asyncio.to_thread(self._record, job, {"State": "INCOMPLETE"})
            return await _error(send, 400, "IncompleteBody", "The upload was incomplete or too large")
        actual = base64.b64encode(digest.digest()).decode()
        if actual != expected_md5:
            await asyncio.to_thread(writer.abort)
            await asyncio.to_thread(
                self._record, job, {"State": "REJECTED", "Reason": f"MD5 {actual} != {expected_md5}"}
            )
            return await _error(
                send, 400, "BadDigest", "The MD5 of the uploaded bytes does not match the job's MD5 hash"
            )
        info = await asyncio.to_thread(writer.commit)
        accepted = await asyncio.to_thread(
            self._record, job, {"State": "UPLOADED", "Size": size, "Md5Hash": actual, "Key": key}
        )
        if not accepted:
            await asyncio.to_thread(runtime.storage.discard, key)
            return await _error(send, 403, "AccessDenied", "The job ended while the upload was in progress")
        await _respond(send, 200, b"", [(b"etag", f'"{info.etag}"'.encode())])

    def _record(self, job: Job, outcome: dict[str, Any]) -> bool:
        """Remember what arrived for the job; False if the job ended meanwhile."""
        resources = self.runtime.resources
        current = self.runtime.engine.jobs.load(job.pk)
        if current.state.terminal:
            return False
        existing = resources.find(job, UPLOAD, job.job_id)
        if (
            existing is not None
            and existing.data.get("State") == "UPLOADED"
            and outcome["State"] != "UPLOADED"
        ):
            return True  # a good upload is already there; a bad retry does not undo it
        try:
            resources.create(job, UPLOAD, job.job_id, f"{job.arn}/upload", outcome)
        except AlreadyExists:
            resources.update(job, UPLOAD, job.job_id, data=outcome)
        return True

    # -- downloads --------------------------------------------------------------------------------

    async def _export(self, owner: _Owner, job_id: str, method: str, send: Send) -> None:
        runtime = self.runtime
        job = await asyncio.to_thread(runtime.engine.jobs.find, owner, SERVICE, job_id)
        if (
            job is None
            or job.request.get("Type") != "EXPORT_ASSET_TO_SIGNED_URL"
            or job.state is not JobState.SUCCEEDED
        ):
            return await _error(send, 403, "AccessDenied", "The URL does not belong to a finished export job")
        details = job.request["Details"]["ExportAssetToSignedUrl"]
        if await asyncio.to_thread(self._revoked, owner, details["RevisionId"]):
            return await _error(send, 403, "AccessDenied", "The asset's revision was revoked")
        asset = await asyncio.to_thread(runtime.resources.find, owner, ASSET, details["AssetId"])
        if asset is None or asset.parent_id != details["RevisionId"]:
            return await _error(send, 404, "NoSuchKey", "The asset no longer exists")
        await self._send_object(asset.data["StorageKey"], asset.name, method, send)

    async def _api_spec(self, owner: _Owner, ident: str, method: str, send: Send) -> None:
        pieces = ident.split("/")
        if len(pieces) != 3:
            return await _error(send, 404, "NoSuchKey", "No such API specification")
        asset = await asyncio.to_thread(self.runtime.resources.find, owner, ASSET, pieces[2])
        if asset is None or asset.parent_id != pieces[1] or not asset.data.get("StorageKey"):
            return await _error(send, 404, "NoSuchKey", "The asset no longer exists")
        if await asyncio.to_thread(self._revoked, owner, pieces[1]):
            return await _error(send, 403, "AccessDenied", "The asset's revision was revoked")
        await self._send_object(asset.data["StorageKey"], "openapi.json", method, send)

    def _revoked(self, owner: _Owner, revision_id: str) -> bool:
        """A revoked revision's bytes are served by no download URL, old or new."""
        revision = self.runtime.resources.find(owner, REVISION, revision_id)
        return revision is not None and bool(revision.data.get("Revoked"))

    async def _send_object(self, key: str, name: str, method: str, send: Send) -> None:
        store, bucket = self.runtime.store, self.runtime.storage.bucket
        info = await asyncio.to_thread(store.head, bucket, key)
        filename = quote(name.rsplit("/", 1)[-1] or "asset")
        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"content-length", str(info.size).encode()),
            (b"etag", f'"{info.etag}"'.encode()),
            (b"content-disposition", f"attachment; filename*=UTF-8''{filename}".encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        chunks = store.iter_chunks(bucket, key, CHUNK)
        try:
            while True:
                chunk = await asyncio.to_thread(next, chunks, None)
                if chunk is None:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await asyncio.to_thread(chunks.close)  # type: ignore[attr-defined]
        await send({"type": "http.response.body", "body": b""})


async def _stream_body(receive: Receive, write: Callable[[bytearray], None], max_bytes: int) -> int | None:
    """Feed the request body to ``write`` in CHUNK-sized pieces on a worker thread.

    Receiving and writing overlap (a piece is written while the next one arrives); at most
    ``PIPELINE`` pieces wait in between, so memory stays bounded whatever the upload's size.
    """
    pieces: asyncio.Queue[bytearray | None] = asyncio.Queue(maxsize=PIPELINE)

    async def drain() -> None:
        while (piece := await pieces.get()) is not None:
            await asyncio.to_thread(write, piece)

    writer = asyncio.create_task(drain())
    buffer = bytearray()
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body = message.get("body", b"")
            size += len(body)
            if size > max_bytes:
                return None
            buffer += body
            if len(buffer) >= CHUNK:
                await _hand_over(pieces, writer, buffer)  # handed over whole: no copy
                buffer = bytearray()
            if not message.get("more_body", False):
                break
        if buffer:
            await _hand_over(pieces, writer, buffer)
        await _hand_over(pieces, writer, None)
        await writer  # raises what the writing thread raised
        return size
    finally:
        if not writer.done():
            writer.cancel()
            try:
                await writer
            except (asyncio.CancelledError, Exception):  # the caller aborts the upload
                pass


async def _hand_over(
    pieces: asyncio.Queue[bytearray | None], writer: asyncio.Task[None], piece: bytes | None
) -> None:
    """Queue a piece for the writer, unless the writer already failed."""
    put = asyncio.ensure_future(pieces.put(piece))
    done, _ = await asyncio.wait({put, writer}, return_when=asyncio.FIRST_COMPLETED)
    if writer in done and put not in done:
        put.cancel()
        await writer  # re-raises the write error
    if put not in done:
        await put


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    all_headers = [(b"content-length", str(len(body)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, code: str, message: str) -> None:
    """An S3-style XML error, as clients of presigned URLs expect."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
    ).encode()
    await _respond(send, status, body, [(b"content-type", b"application/xml")])


def expires_at(seconds: float) -> datetime:
    """Now plus ``seconds``, truncated to whole seconds (URLs carry epoch seconds)."""
    return datetime.fromtimestamp(int(time.time() + seconds), UTC)
