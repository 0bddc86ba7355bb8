"""Multipart parts written in place (``storage/local_multipart.py``): equal parts of a declared size
land in the upload's data file at their offsets, and completion publishes that file by a rename
(the object is not written twice); every other shape of upload falls back to concatenation, with
the same bytes and ETag."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobforge.storage import InvalidPart, LocalObjectStore, MultipartUpload
from jobforge.storage.local_multipart import DATA_NAME, MULTIPART_DIR_NAME

MIB = 1024 * 1024
STRIDE = 5 * MIB


def _etag(parts: list[bytes]) -> str:
    joined = b"".join(hashlib.md5(part).digest() for part in parts)
    return f"{hashlib.md5(joined).hexdigest()}-{len(parts)}"


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    store = LocalObjectStore(tmp_path)
    store.create_bucket("bkt")
    return store


def _directory(store: LocalObjectStore, upload: MultipartUpload) -> Path:
    return store.tmp_dir / MULTIPART_DIR_NAME / upload.upload_id


def _send(
    store: LocalObjectStore, upload: MultipartUpload, number: int, data: bytes, sized: bool = True
) -> str:
    chunks = [data[i : i + MIB] for i in range(0, len(data), MIB)]
    return store.upload_part(upload, number, chunks, size=len(data) if sized else None).etag


def test_equal_parts_are_published_without_a_copy(store: LocalObjectStore) -> None:
    parts = [os.urandom(STRIDE), os.urandom(STRIDE), os.urandom(1234)]
    upload = store.create_multipart_upload("bkt", "k")
    sent = {n: _send(store, upload, n, parts[n - 1]) for n in (3, 1, 2)}  # any arrival order
    data = _directory(store, upload) / DATA_NAME
    inode = data.stat().st_ino
    assert sorted(p.name for p in _directory(store, upload).iterdir() if p.name.endswith(".part")) == []
    info = store.complete_multipart_upload(upload, [(n, sent[n]) for n in (1, 2, 3)])
    path = store.root / "bkt" / "k"
    assert path.stat().st_ino == inode  # the data file itself was renamed into place
    assert path.read_bytes() == b"".join(parts)
    assert info.etag == _etag(parts) and info.size == 2 * STRIDE + 1234
    assert not _directory(store, upload).exists()


def test_a_small_last_part_sent_first_is_kept_apart_and_copied_to_its_place(store: LocalObjectStore) -> None:
    parts = [os.urandom(STRIDE), os.urandom(STRIDE), os.urandom(99)]
    upload = store.create_multipart_upload("bkt", "k")
    sent = {3: _send(store, upload, 3, parts[2])}  # below 5 MiB: sets no stride, has a file of its own
    assert not (_directory(store, upload) / DATA_NAME).exists()
    sent.update({n: _send(store, upload, n, parts[n - 1]) for n in (1, 2)})
    inode = (_directory(store, upload) / DATA_NAME).stat().st_ino
    store.complete_multipart_upload(upload, [(n, sent[n]) for n in (1, 2, 3)])
    assert (store.root / "bkt" / "k").stat().st_ino == inode
    assert store.get_bytes("bkt", "k") == b"".join(parts)


@pytest.mark.parametrize(
    ("sizes", "chosen"),
    [
        ([STRIDE, STRIDE + 10, STRIDE], (1, 2, 3)),  # a part longer than the stride: a file of its own
        ([STRIDE, STRIDE, STRIDE], (1, 3)),  # numbers with a gap
        ([STRIDE, STRIDE - 1, STRIDE], (1, 2, 3)),  # a short part that is not the last
    ],
)
def test_other_shapes_are_concatenated(
    store: LocalObjectStore, sizes: list[int], chosen: tuple[int, ...]
) -> None:
    parts = [os.urandom(size) for size in sizes]
    upload = store.create_multipart_upload("bkt", "k")
    sent = {n: _send(store, upload, n, parts[n - 1]) for n in range(1, len(parts) + 1)}
    inode = (_directory(store, upload) / DATA_NAME).stat().st_ino
    info = store.complete_multipart_upload(upload, [(n, sent[n]) for n in chosen])
    expected = [parts[n - 1] for n in chosen]
    assert store.get_bytes("bkt", "k") == b"".join(expected)
    assert info.etag == _etag(expected)
    assert (store.root / "bkt" / "k").stat().st_ino != inode


def test_completing_the_first_parts_only_cuts_the_data_file(store: LocalObjectStore) -> None:
    parts = [os.urandom(STRIDE) for _ in range(3)]
    upload = store.create_multipart_upload("bkt", "k")
    sent = {n: _send(store, upload, n, parts[n - 1]) for n in (1, 2, 3)}
    store.complete_multipart_upload(upload, [(1, sent[1]), (2, sent[2])])
    assert store.get_bytes("bkt", "k") == parts[0] + parts[1]


def test_a_part_sent_again_replaces_the_first_copy(store: LocalObjectStore) -> None:
    first, second, last = os.urandom(STRIDE), os.urandom(STRIDE), os.urandom(10)
    upload = store.create_multipart_upload("bkt", "k")
    _send(store, upload, 1, first)
    again = _send(store, upload, 1, second)  # its first copy is in place: this one gets a file
    tail = _send(store, upload, 2, last)
    assert [(p.number, p.etag) for p in store.list_parts(upload)] == [(1, again), (2, tail)]
    store.complete_multipart_upload(upload, [(1, again), (2, tail)])
    assert store.get_bytes("bkt", "k") == second + last


def test_a_failed_or_wrong_length_part_leaves_no_part(store: LocalObjectStore) -> None:
    upload = store.create_multipart_upload("bkt", "k")

    def broken() -> Iterator[bytes]:
        yield b"x" * MIB
        raise OSError("client went away")

    with pytest.raises(OSError):
        store.upload_part(upload, 1, broken(), size=STRIDE)
    with pytest.raises(InvalidPart):
        store.upload_part(upload, 1, [b"x" * (STRIDE + 1)], size=STRIDE)
    with pytest.raises(InvalidPart):
        store.upload_part(upload, 1, [b"x" * 10], size=STRIDE)
    assert store.list_parts(upload) == []
    data = os.urandom(STRIDE)
    etag = _send(store, upload, 1, data)
    store.complete_multipart_upload(upload, [(1, etag)])
    assert store.get_bytes("bkt", "k") == data


def test_parts_of_unknown_size_keep_files_of_their_own(store: LocalObjectStore) -> None:
    parts = [os.urandom(STRIDE), os.urandom(7)]
    upload = store.create_multipart_upload("bkt", "k")
    sent = {n: _send(store, upload, n, parts[n - 1], sized=False) for n in (1, 2)}
    assert not (_directory(store, upload) / DATA_NAME).exists()
    store.complete_multipart_upload(upload, [(n, sent[n]) for n in (1, 2)])
    assert store.get_bytes("bkt", "k") == b"".join(parts)


def test_an_aborted_upload_refuses_later_parts(store: LocalObjectStore) -> None:
    upload = store.create_multipart_upload("bkt", "k")
    _send(store, upload, 1, os.urandom(STRIDE))
    store.abort_multipart_upload(upload)
    with pytest.raises(Exception, match="does not exist"):
        _send(store, upload, 2, os.urandom(STRIDE))
    assert not _directory(store, upload).exists()
