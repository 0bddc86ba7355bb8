"""The aws-chunked decoder on its own: bodies framed by botocore's AwsChunkedWrapper, fed in pieces
of every size (ASGI messages split a body anywhere), and malformed framing."""

from __future__ import annotations

import io

import pytest
from botocore.httpchecksum import _CHECKSUM_CLS, AwsChunkedWrapper

from jobforge.protocol.errors import ServiceError
from jobforge.protocol.s3_chunked import AwsChunkedDecoder, Checksum

DATA = bytes(range(251)) * 40


def _framed(algorithm: str = "crc32c", chunk_size: int = 1000) -> bytes:
    name = f"x-amz-checksum-{algorithm}"
    return AwsChunkedWrapper(io.BytesIO(DATA), _CHECKSUM_CLS[algorithm], name, chunk_size).read()


def _decode(body: bytes, piece: int) -> tuple[bytes, AwsChunkedDecoder]:
    decoder = AwsChunkedDecoder(None, signed=False)
    out = b"".join(b"".join(decoder.feed(body[i : i + piece])) for i in range(0, len(body), piece))
    decoder.finish()
    return out, decoder


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 999, 1000, 1001, 4096, 1 << 20])
def test_any_split_decodes_the_same(piece: int) -> None:
    out, decoder = _decode(_framed(), piece)
    assert out == DATA and decoder.decoded == len(DATA)
    checksum = Checksum("x-amz-checksum-crc32c")
    checksum.update(out)
    checksum.verify(decoder.trailers["x-amz-checksum-crc32c"])


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n",  # not a hex size
        b"3\r\nabcd\r\n0\r\n\r\n",  # data longer than its size
        b"0\r\n\r\nextra",  # bytes after the end
        b"0\r\nno-colon\r\n\r\n",  # a trailer line without a value
        b"1" * 5000,  # a header line without an end
    ],
)
def test_malformed_framing_is_refused(body: bytes) -> None:
    with pytest.raises(ServiceError) as info:
        _decode(body, 64)
    assert info.value.code == "IncompleteBody"


def test_a_truncated_body_is_incomplete() -> None:
    with pytest.raises(ServiceError) as info:
        _decode(_framed()[:-10], 512)
    assert info.value.code == "IncompleteBody"


def test_signed_form_needs_chunk_signatures() -> None:
    decoder = AwsChunkedDecoder(None, signed=True)
    with pytest.raises(ServiceError):
        list(decoder.feed(b"3\r\nabc\r\n"))
