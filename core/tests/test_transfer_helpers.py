"""``tiffin.transfer``: the chunked upload body and the resumable download strategies share."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tiffin.transfer import CHUNK_SIZE, ResumableDownload, file_chunks

BLOB = bytes(range(256)) * (CHUNK_SIZE // 256 * 2 + 3)  # two chunks and a bit
SHA = hashlib.sha256(BLOB).hexdigest()


class Progress:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, n: int) -> None:
        self.calls.append(n)

    @property
    def total(self) -> int:
        return sum(self.calls)


def pieces(data: bytes, size: int = 100_000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_file_chunks_hands_out_the_file_and_reports_each_chunk(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(BLOB)
    progress = Progress()
    chunks = list(file_chunks(path, progress))
    assert b"".join(chunks) == BLOB
    assert max(map(len, chunks)) == CHUNK_SIZE
    assert progress.calls == [len(c) for c in chunks]


def test_a_fresh_download_asks_for_everything_and_returns_the_digest(tmp_path: Path) -> None:
    path = tmp_path / "blob.part"
    progress = Progress()
    download = ResumableDownload(path, len(BLOB), progress)
    assert (download.start, download.complete, download.headers()) == (0, False, {})
    assert download.write(pieces(BLOB), resumed=False) == SHA
    assert path.read_bytes() == BLOB
    assert progress.total == len(BLOB)


def test_an_interrupted_download_continues_after_the_kept_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob.part"
    kept = 1_234_567
    path.write_bytes(BLOB[:kept])
    progress = Progress()
    download = ResumableDownload(path, len(BLOB), progress)
    assert download.headers() == {"Range": f"bytes={kept}-"}
    assert progress.calls == [kept]  # the kept bytes count as moved
    assert download.write(pieces(BLOB[kept:]), resumed=True) == SHA
    assert path.read_bytes() == BLOB
    assert progress.total == len(BLOB)


def test_a_server_that_ignores_the_range_starts_the_file_over(tmp_path: Path) -> None:
    path = tmp_path / "blob.part"
    path.write_bytes(BLOB[:1000])
    progress = Progress()
    download = ResumableDownload(path, len(BLOB), progress)
    assert download.write(pieces(BLOB), resumed=False) == SHA  # a 200 with the whole blob
    assert path.read_bytes() == BLOB
    assert progress.total == len(BLOB)  # the kept bytes were taken back


@pytest.mark.parametrize("kept", ["all", "more"])
def test_a_file_as_long_as_the_blob_needs_no_request(tmp_path: Path, kept: str) -> None:
    path = tmp_path / "blob.part"
    path.write_bytes(BLOB if kept == "all" else BLOB + b"stray")
    download = ResumableDownload(path, len(BLOB), Progress())
    if kept == "all":
        assert download.complete and download.sha256 == SHA
    else:  # longer than the blob: not a prefix of it, so everything is fetched again
        assert (download.start, download.complete, download.headers()) == (0, False, {})
        assert download.write(pieces(BLOB), resumed=False) == SHA
        assert path.read_bytes() == BLOB
