"""S3's object checksums: the ones an upload carried, and a multipart object's, made from its parts'.

Checksums travel under botocore's member names (``ChecksumCRC32``, ...) with ``ChecksumType``. A
multipart object's is ``COMPOSITE`` (the algorithm over the parts' raw checksums, then ``-<count>``)
or ``FULL_OBJECT`` (CRCs only: the parts' CRCs combined into the CRC of the whole object, without
reading it, by polynomial arithmetic modulo the CRC's polynomial, as zlib's ``crc32_combine``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from functools import cache

from jobforge.protocol.rest_xml import s3_error
from jobforge.protocol.s3_chunked import ALGORITHMS

MEMBERS = {  # algorithm (lowercase, as in the x-amz-checksum-* header) -> botocore member
    "crc32": "ChecksumCRC32",
    "crc32c": "ChecksumCRC32C",
    "crc64nvme": "ChecksumCRC64NVME",
    "sha1": "ChecksumSHA1",
    "sha256": "ChecksumSHA256",
}
CHECKSUM_TYPE = "ChecksumType"
ALGORITHM = "ChecksumAlgorithm"  # an upload's, kept with it until it is completed
COMPOSITE, FULL_OBJECT = "COMPOSITE", "FULL_OBJECT"
# Reflected polynomials and widths; all three start from all ones and invert their result.
_CRCS = {"crc32": (0xEDB88320, 32), "crc32c": (0x82F63B78, 32), "crc64nvme": (0x9A6C9329AC4BC9B5, 64)}


def is_checksum(name: str) -> bool:
    """Whether a stored header is a checksum member (returned only when a client asks for it)."""
    return name in MEMBERS.values() or name == CHECKSUM_TYPE


def members(verified: Mapping[str, str]) -> dict[str, str]:
    """``verified`` checksums (algorithm -> base64 value, as
    :class:`~jobforge.protocol.s3_gateway.StreamedBody` gives them) under their member names."""
    return {MEMBERS[algorithm]: value for algorithm, value in verified.items() if algorithm in MEMBERS}


def object_checksums(verified: Mapping[str, str]) -> dict[str, str]:
    """The members to keep with a single-request upload for its ``verified`` checksums."""
    kept = members(verified)
    if kept:
        kept[CHECKSUM_TYPE] = FULL_OBJECT
    return kept


def upload_checksum(request: Mapping[str, object]) -> dict[str, str]:
    """``ChecksumAlgorithm`` and ``ChecksumType`` of a CreateMultipartUpload (empty: none asked)."""
    algorithm = str(request.get(ALGORITHM) or "").lower()
    kind = str(request.get(CHECKSUM_TYPE) or "")
    if not algorithm:
        if kind:
            raise s3_error("InvalidRequest", "The x-amz-checksum-type header needs x-amz-checksum-algorithm")
        return {}
    if algorithm not in MEMBERS:
        raise s3_error("InvalidRequest", f"Checksum algorithm {algorithm!r} is not supported")
    kind = kind or (FULL_OBJECT if algorithm == "crc64nvme" else COMPOSITE)
    if kind == FULL_OBJECT and algorithm not in _CRCS:
        raise s3_error(
            "InvalidRequest", f"The FULL_OBJECT checksum type cannot be used with the {algorithm} algorithm."
        )
    return {ALGORITHM: algorithm.upper(), CHECKSUM_TYPE: kind}


def require_part_checksum(upload: Mapping[str, str], found: Mapping[str, str]) -> None:
    """Refuse a part without the checksum its upload was created with."""
    algorithm = upload.get(ALGORITHM, "").lower()
    if algorithm and MEMBERS[algorithm] not in found:
        given = ", ".join(name.removeprefix("Checksum").lower() for name in found) or "null"
        raise s3_error(
            "InvalidRequest",
            f"Checksum Type mismatch occurred, expected checksum Type: {algorithm}, "
            f"actual checksum Type: {given}",
        )


def multipart_checksum(upload: Mapping[str, str], parts: Sequence[tuple[str, int]]) -> dict[str, str]:
    """The completed object's checksum members from its parts' (base64 value, size), in order."""
    algorithm = upload.get(ALGORITHM, "").lower()
    if not algorithm:
        return {}
    raw = [base64.b64decode(value) for value, _size in parts]
    if upload.get(CHECKSUM_TYPE) == FULL_OBJECT:
        polynomial, width = _CRCS[algorithm]
        crc = int.from_bytes(raw[0], "big")
        for value, (_b64, size) in zip(raw[1:], parts[1:], strict=True):
            crc = crc_combine(crc, int.from_bytes(value, "big"), size, polynomial, width)
        value = base64.b64encode(crc.to_bytes(width // 8, "big")).decode("ascii")
        return {MEMBERS[algorithm]: value, CHECKSUM_TYPE: FULL_OBJECT}
    digest = ALGORITHMS[algorithm]()
    for value in raw:
        digest.update(value)  # type: ignore[attr-defined]
    encoded = base64.b64encode(digest.digest()).decode("ascii")  # type: ignore[attr-defined]
    return {MEMBERS[algorithm]: f"{encoded}-{len(parts)}", CHECKSUM_TYPE: COMPOSITE}


def crc_combine(first: int, second: int, second_length: int, polynomial: int, width: int) -> int:
    """The CRC of A+B from CRC(A), CRC(B) and len(B) in bytes (for reflected CRCs that start from
    all ones and invert their result): ``CRC(A) * x^(8 len B) mod P  xor  CRC(B)``."""
    return _multiply(_x_power(second_length * 8, polynomial, width), first, polynomial, width) ^ second


def _multiply(a: int, b: int, polynomial: int, width: int) -> int:
    """a(x) * b(x) modulo P(x), in reflected bit order (the top bit is x^0)."""
    top = 1 << (width - 1)
    product = 0
    while a:
        if a & top:
            product ^= b
        a = (a << 1) & ((1 << width) - 1)
        b = (b >> 1) ^ polynomial if b & 1 else b >> 1
    return product


def _x_power(bits: int, polynomial: int, width: int) -> int:
    """x^bits modulo P(x), from the squares x^(2^k)."""
    result = 1 << (width - 1)  # x^0
    squares = _squares(polynomial, width)
    k = 0
    while bits:
        if bits & 1:
            result = _multiply(squares[k], result, polynomial, width)
        bits >>= 1
        k += 1
    return result


@cache
def _squares(polynomial: int, width: int) -> tuple[int, ...]:
    """x^(2^k) modulo P(x) for k = 0..79 (lengths up to 2^76 bits)."""
    power = 1 << (width - 2)  # x^1
    table = [power]
    for _ in range(79):
        power = _multiply(power, power, polynomial, width)
        table.append(power)
    return tuple(table)
