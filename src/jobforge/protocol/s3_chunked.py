"""S3's ``aws-chunked`` payloads and flexible checksums, decoded as the bytes stream in.

``aws-chunked`` bodies (``x-amz-content-sha256: STREAMING-...``) are a series of
``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` chunks ending with a zero-size one, then
optional trailing headers (``x-amz-checksum-crc32:<b64>``, ``x-amz-trailer-signature:<sig>``) and
an empty line. :class:`AwsChunkedDecoder` turns them back into the object's bytes holding at most
one header line in memory, and verifies each chunk's signature (chained from the request's seed
signature) when a :class:`ChunkSigner` is given. :class:`Checksum` computes the ``x-amz-checksum-*``
algorithms (CRC32C and CRC64NVME from ``awscrt``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from awscrt import checksums

from jobforge.protocol.errors import ServiceError
from jobforge.protocol.rest_xml import s3_error

SIGNED_STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_STREAMING_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_STREAMING_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_FORMS = (SIGNED_STREAMING, SIGNED_STREAMING_TRAILER, UNSIGNED_STREAMING_TRAILER)
MAX_LINE = 4096  # a chunk header or trailer line
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _crc(function: Callable[[bytes, int], int], size: int) -> Callable[[], _Crc]:
    return lambda: _Crc(function, size)


class _Crc:
    """A running CRC with hashlib's ``update`` / ``digest`` (big-endian bytes, as S3 encodes it)."""

    def __init__(self, function: Callable[[bytes, int], int], size: int) -> None:
        self._function = function
        self._size = size
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._function(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")


ALGORITHMS: dict[str, Callable[[], object]] = {
    "crc32": _crc(zlib.crc32, 4),
    "crc32c": _crc(checksums.crc32c, 4),
    "crc64nvme": _crc(checksums.crc64nvme, 8),
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}
_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}
CHECKSUM_PREFIX = "x-amz-checksum-"


class Checksum:
    """One ``x-amz-checksum-<algorithm>`` check: fed the decoded bytes, compared at the end."""

    def __init__(self, header: str) -> None:
        self.header = header
        self.algorithm = header.removeprefix(CHECKSUM_PREFIX)
        if self.algorithm not in ALGORITHMS:
            raise s3_error("InvalidRequest", f"The checksum algorithm of {header} is not supported")
        self._digest: object = ALGORITHMS[self.algorithm]()

    def update(self, data: bytes) -> None:
        self._digest.update(data)  # type: ignore[attr-defined]

    def verify(self, claimed: str | None) -> None:
        """Raise ``InvalidRequest`` for a missing or malformed value, ``BadDigest`` for a mismatch."""
        try:
            raw = base64.b64decode(claimed or "", validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != _SIZES[self.algorithm]:
            raise s3_error("InvalidRequest", f"Value for {self.header} header is invalid.")
        if raw != self._digest.digest():  # type: ignore[attr-defined]
            raise s3_error(
                "BadDigest",
                f"The {self.algorithm.upper()} you specified did not match the calculated checksum.",
            )


@dataclass(frozen=True)
class ChunkSigner:
    """What chunk and trailer signatures are computed from: the request's signing key, date,
    credential scope and seed signature (the Authorization header's)."""

    key: bytes
    amz_date: str
    scope: str
    seed: str

    def sign(self, kind: str, previous: str, digest: str) -> str:
        text = f"AWS4-HMAC-SHA256-{kind}\n{self.amz_date}\n{self.scope}\n{previous}\n"
        text += f"{_EMPTY_SHA256}\n{digest}" if kind == "PAYLOAD" else digest
        return hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _bad_signature(what: str) -> ServiceError:
    return s3_error(
        "SignatureDoesNotMatch",
        f"The {what} signature we calculated does not match the signature you provided.",
    )


def _malformed(message: str) -> ServiceError:
    return s3_error("IncompleteBody", f"Malformed aws-chunked body: {message}")


class AwsChunkedDecoder:
    """Incremental ``aws-chunked`` decoder: :meth:`feed` raw bytes, get the payload's bytes back;
    :meth:`finish` once the raw body ended. ``trailers``: the trailing headers (lower-cased)."""

    def __init__(self, signer: ChunkSigner | None, signed: bool) -> None:
        self._signer = signer
        self._signed = signed  # chunks must carry chunk-signature=
        self._previous = signer.seed if signer is not None else ""
        self._buffer = bytearray()
        self._state = "header"  # header -> data -> data_end -> header ... -> trailer -> done
        self._remaining = 0
        self._chunk_hash = hashlib.sha256()
        self._chunk_signature = ""
        self._trailer_lines: list[str] = []
        self._trailer_signed = False
        self.trailers: dict[str, str] = {}
        self.decoded = 0

    def feed(self, raw: bytes) -> Iterator[bytes]:
        self._buffer += raw
        buffer = self._buffer
        while buffer:
            if self._state == "data":
                piece = bytes(buffer[: self._remaining])
                del buffer[: len(piece)]
                self._remaining -= len(piece)
                self.decoded += len(piece)
                if self._signer is not None:
                    self._chunk_hash.update(piece)
                if self._remaining == 0:
                    self._state = "data_end"
                yield piece
            elif self._state == "data_end":
                if len(buffer) < 2:
                    return
                if buffer[:2] != b"\r\n":
                    raise _malformed("a chunk's data is longer than its size")
                del buffer[:2]
                self._check_chunk()
                self._state = "header"
            elif self._state == "done":
                raise _malformed("bytes after the final chunk")
            else:
                line = self._line()
                if line is None:
                    return
                if self._state == "header":
                    self._chunk_header(line)
                else:
                    self._trailer(line)

    def finish(self) -> None:
        if self._state != "done":
            raise s3_error("IncompleteBody", "The aws-chunked body ended before its final chunk")
        if self._signer is not None and self._signed and self._trailer_lines and not self._trailer_signed:
            raise _bad_signature("trailer")

    def _line(self) -> str | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > MAX_LINE:
                raise _malformed("a chunk header or trailer line is too long")
            return None
        line = self._buffer[:end].decode("latin-1")
        del self._buffer[: end + 2]
        return line

    def _chunk_header(self, line: str) -> None:
        size_text, _, extension = line.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise _malformed(f"invalid chunk size {size_text[:20]!r}") from None
        name, _, signature = extension.partition("=")
        if self._signed and name.strip() != "chunk-signature":
            raise _malformed("a chunk has no chunk-signature")
        self._chunk_signature = signature.strip()
        self._chunk_hash = hashlib.sha256()
        if size == 0:
            self._check_chunk()
            self._state = "trailer"
        else:
            self._remaining = size
            self._state = "data"

    def _check_chunk(self) -> None:
        if self._signer is None:
            return
        expected = self._signer.sign("PAYLOAD", self._previous, self._chunk_hash.hexdigest())
        if not hmac.compare_digest(expected, self._chunk_signature):
            raise _bad_signature("chunk")
        self._previous = expected

    def _trailer(self, line: str) -> None:
        if not line:
            self._state = "done"
            return
        name, sep, value = line.partition(":")
        if not sep:
            raise _malformed(f"invalid trailer line {line[:40]!r}")
        name, value = name.strip().lower(), value.strip()
        if name == "x-amz-trailer-signature":
            if self._signer is not None:
                canonical = "".join(f"{line}\n" for line in self._trailer_lines)
                digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
                if not hmac.compare_digest(self._signer.sign("TRAILER", self._previous, digest), value):
                    raise _bad_signature("trailer")
                self._trailer_signed = True
            return
        self._trailer_lines.append(f"{name}:{value}")
        self.trailers[name] = value
