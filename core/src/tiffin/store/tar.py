"""The tar format of tiffin's archives: writing a stream, and reading one with every check.

Writing: ``tarfile.TarInfo`` builds the headers (pax, UTF-8) but the data never goes through
``tarfile``'s small buffers: local files are copied with ``os.sendfile``.

Reading: a forward-only reader (so it works from object stores and pipes) that parses headers
with ``tarfile.TarInfo.frombuf`` and folds in pax and GNU long-name records itself, refusing an
oversized record, a damaged header or one cut short. The standard library's stream reader
(``tarfile.open(mode="r|")``) was measured as the replacement and kept about 0.25x the speed of
``tar xf`` against this reader's ~1x (docs/benchmarks.md), below the 0.6x target, so this
reader stays. :func:`check_member` refuses anything but plain files and folders with safe
relative names. Data is copied in large chunks through two reused buffers while a helper
thread hashes them (``hashlib`` and file writes both release the GIL).
"""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tiffin.exceptions import InvalidArchive, TiffinError
from tiffin.store.manifest import CHUNK_SIZE
from tiffin.store.progress import Progress

__all__ = ["Member", "TarStream", "TarWriter", "check_member", "decompressing", "safe_relative"]


BLOCK = tarfile.BLOCKSIZE  # 512
RECORD = tarfile.RECORDSIZE  # 10240: tar pads the end of an archive to a whole record
#: The largest manifest, pax record or long name accepted (they are read into memory).
MAX_METADATA_SIZE = 64 << 20
#: Files bigger than this are hashed in a helper thread while they are written.
PIPELINE_MIN = 4 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_BZ2_MAGIC = b"BZh"
_METADATA_TYPES = {
    tarfile.XHDTYPE: "a pax header",
    tarfile.XGLTYPE: "a pax global header",
    tarfile.SOLARIS_XHDTYPE: "a pax header",
    tarfile.GNUTYPE_LONGNAME: "a long name",
    tarfile.GNUTYPE_LONGLINK: "a long link",
}


# -- writing ----------------------------------------------------------------------------------


def header(name: str, size: int, mtime: float) -> bytes:
    """The tar header of a regular file (pax format, UTF-8 names)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


class TarWriter:
    """A tar stream onto a binary file: headers, data, padding; counts what it wrote."""

    def __init__(
        self, out: IO[bytes], fd: int | None, total: int, progress: Progress | None
    ) -> None:
        self.out = out
        self.fd = fd  # a raw local fd: data goes through os.sendfile
        self.written = 0  # bytes of archive, headers included
        self.done = 0  # bytes of content, what progress reports
        self.total = total
        self.progress = progress
        self.buffer: bytearray | None = None

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            n = self.out.write(view)
            if n is None:  # some wrappers return None for "all of it"
                n = len(view)
            view = view[n:]
        self.written += len(data)

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)

    def add_bytes(self, name: str, data: bytes, mtime: float) -> None:
        """A member holding ``data`` (the manifest)."""
        self.write(header(name, len(data), mtime))
        self.write(data)
        self.done += len(data)
        self.write(bytes(-len(data) % BLOCK))

    def add_file(self, name: str, source: Path, size: int, mtime: float) -> None:
        """A member holding the file ``source``, which must be ``size`` bytes long."""
        self.write(header(name, size, mtime))
        with open(source, "rb", buffering=0) as src:
            actual = os.fstat(src.fileno()).st_size
            if actual != size:
                raise TiffinError(
                    f"{source} is {actual} bytes but its manifest says {size}: the stored version "
                    f"was modified; delete it and save it again"
                )
            if self.fd is not None:
                self._sendfile(src.fileno(), size)
            else:
                self._copy(src, size)
        pad = -size % BLOCK
        if pad:
            self.write(bytes(pad))
        self._report()

    def _sendfile(self, src_fd: int, size: int) -> None:
        assert self.fd is not None
        offset = 0
        while offset < size:
            try:
                n = os.sendfile(self.fd, src_fd, offset, min(size - offset, 64 << 20))
            except OSError:
                self.fd = None  # not supported here: fall back to plain copies
                with os.fdopen(os.dup(src_fd), "rb", buffering=0) as src:
                    src.seek(offset)
                    self._copy(src, size - offset)
                return
            if n == 0:
                raise TiffinError("a stored file shrank while it was being exported")
            offset += n
            self.written += n
            self.done += n
            self._report()

    def _copy(self, src: Any, size: int) -> None:
        if self.buffer is None:
            self.buffer = bytearray(CHUNK_SIZE)
        view = memoryview(self.buffer)
        left = size
        while left:
            n = src.readinto(view[: min(left, len(view))])
            if not n:
                raise TiffinError("a stored file shrank while it was being exported")
            self.write(view[:n])
            self.done += n
            left -= n
            self._report()

    def finish(self) -> None:
        """The end-of-archive blocks, padded to a whole record as tar does."""
        end = 2 * BLOCK
        end += -(self.written + end) % RECORD
        self.write(bytes(end))
        self._report()


# -- reading ----------------------------------------------------------------------------------


def _readinto(f: Any, view: memoryview) -> int:
    """Fill ``view`` from ``f`` as far as the stream allows; return the bytes read."""
    total = 0
    size = len(view)
    readinto = getattr(f, "readinto", None)
    while total < size:
        if readinto is not None:
            n = readinto(view[total:])
        else:
            data = f.read(size - total)
            n = len(data)
            view[total : total + n] = data
        if not n:
            break
        total += n
    return total


class _Prefixed(io.RawIOBase):
    """A read-only stream that returns ``head`` and then the rest of ``f`` (for peeking)."""

    def __init__(self, head: bytes, f: Any) -> None:
        self.head = memoryview(head)
        self.f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        if self.head:
            n = min(len(view), len(self.head))
            view[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        readinto = getattr(self.f, "readinto", None)
        if readinto is not None:
            return readinto(view) or 0
        data = self.f.read(len(view))
        view[: len(data)] = data
        return len(data)


def decompressing(raw: Any) -> Any:
    """``raw`` itself for a plain tar, or a decompressing reader over it (sniffed magic)."""
    head = bytearray(6)
    n = _readinto(raw, memoryview(head))
    head_bytes = bytes(head[:n])
    seekable = getattr(raw, "seekable", None)
    if n and seekable is not None and seekable():
        raw.seek(0)
        stream = raw
    else:
        stream = _Prefixed(head_bytes, raw) if n else raw
    if head_bytes.startswith(_GZIP_MAGIC):
        import gzip

        return gzip.GzipFile(fileobj=stream, mode="rb")
    if head_bytes.startswith(_XZ_MAGIC):
        return lzma.LZMAFile(stream, "rb")
    if head_bytes.startswith(_BZ2_MAGIC):
        import bz2

        return bz2.BZ2File(stream, "rb")
    return stream


def _parse_pax(data: bytes) -> dict[str, str]:
    """The records of a pax extended header: ``"<len> key=value\\n"``, repeated."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:
            break
        space = data.find(b" ", pos)
        if space < 0:
            raise InvalidArchive("a pax header is malformed")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise InvalidArchive("a pax header is malformed") from None
        record = data[space + 1 : pos + length]
        if length <= 0 or not record.endswith(b"\n") or b"=" not in record:
            raise InvalidArchive("a pax header is malformed")
        key, _, value = record[:-1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


class Member:
    """One member's header, pax and GNU long-name records folded in."""

    __slots__ = ("linkname", "name", "size", "type")

    def __init__(self, name: str, size: int, type_: bytes, linkname: str) -> None:
        self.name = name
        self.size = size
        self.type = type_
        self.linkname = linkname

    def isdir(self) -> bool:
        return self.type == tarfile.DIRTYPE


class TarStream:
    """A forward-only tar reader over a binary stream, with reused buffers for data."""

    def __init__(self, f: Any, progress: Progress | None) -> None:
        self.f = f
        self.done = 0  # bytes of content, what progress reports
        self.total = 0
        self.progress = progress
        self.block = bytearray(BLOCK)
        self.buffer = bytearray(CHUNK_SIZE)
        self.spare: bytearray | None = None
        self.pool: Any = None

    def _exact(self, view: memoryview, what: str) -> None:
        if _readinto(self.f, view) != len(view):
            raise InvalidArchive(f"the archive is truncated (it ends inside {what})")

    def _data(self, size: int, what: str) -> bytes:
        if size > MAX_METADATA_SIZE:
            raise InvalidArchive(f"{what} is implausibly large ({size} bytes)")
        buf = bytearray(size + (-size % BLOCK))
        self._exact(memoryview(buf), what)
        return bytes(buf[:size])

    def __iter__(self) -> Iterator[Member]:
        while True:
            member = self._next()
            if member is None:
                return
            yield member

    def _next(self) -> Member | None:
        overrides: dict[str, str] = {}
        while True:
            n = _readinto(self.f, memoryview(self.block))
            if n == 0:
                return None  # no end-of-archive blocks: tolerated, like tar does
            if n != BLOCK:
                raise InvalidArchive("the archive is truncated (it ends inside a header)")
            if not any(self.block):
                return None
            try:
                info = tarfile.TarInfo.frombuf(bytes(self.block), "utf-8", "surrogateescape")
            except tarfile.HeaderError as exc:
                raise InvalidArchive(f"not a valid tar archive ({exc})") from None
            kind = info.type
            if kind in (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE):
                overrides.update(_parse_pax(self._data(info.size, "a pax header")))
                continue
            if kind == tarfile.XGLTYPE:
                self._data(info.size, "a pax global header")
                continue
            if kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
                key = "path" if kind == tarfile.GNUTYPE_LONGNAME else "linkpath"
                text = self._data(info.size, "a long name").rstrip(b"\0")
                overrides[key] = text.decode("utf-8", "surrogateescape")
                continue
            name = overrides.get("path", info.name)
            size = info.size
            if "size" in overrides:
                try:
                    size = int(overrides["size"])
                except ValueError:
                    raise InvalidArchive("a pax header has a bad size") from None
            if size < 0:
                raise InvalidArchive(f"{name!r} has a negative size")
            return Member(name, size, kind, overrides.get("linkpath", info.linkname))

    def read_small(self, member: Member, what: str) -> bytes:
        """The whole data of a small member (the manifest)."""
        return self._data(member.size, what)

    def copy_to(self, out: Any, member: Member, name: str) -> str:
        """Stream the member's data into ``out`` (a raw file); return its sha256.

        Big files are pipelined over two buffers: a helper thread hashes one chunk while this
        thread writes it and reads the next (``hashlib`` and file I/O both release the GIL).
        """
        digest = hashlib.sha256()
        size = member.size
        if size > PIPELINE_MIN:
            self._copy_pipelined(out, size, name, digest)
        else:
            view = memoryview(self.buffer)
            left = size
            while left:
                n = self._chunk(view, left, name)
                chunk = view[:n]
                digest.update(chunk)
                _write_all(out, chunk)
                left -= n
                self._advance(n)
        pad = -size % BLOCK
        if pad:
            self._exact(memoryview(self.block)[:pad], f"the padding after {name!r}")
        return digest.hexdigest()

    def _chunk(self, view: memoryview, left: int, name: str) -> int:
        n = _readinto(self.f, view[: min(left, len(view))])
        if not n:
            raise InvalidArchive(f"the archive is truncated (it ends inside {name!r})")
        return n

    def _advance(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _copy_pipelined(self, out: Any, size: int, name: str, digest: Any) -> None:
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiffin-sha256")
            self.spare = bytearray(CHUNK_SIZE)
        assert self.spare is not None
        views = (memoryview(self.buffer), memoryview(self.spare))
        pending = None
        left = size
        i = 0
        try:
            while left:
                view = views[i & 1]  # its previous chunk's hash finished before the last submit
                n = self._chunk(view, left, name)
                chunk = view[:n]
                if pending is not None:
                    pending.result()
                pending = self.pool.submit(digest.update, chunk)
                _write_all(out, chunk)
                left -= n
                i += 1
                self._advance(n)
        finally:
            if pending is not None:
                pending.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


def _write_all(out: Any, chunk: memoryview) -> None:
    while chunk:
        chunk = chunk[out.write(chunk) :]


def safe_relative(name: str) -> str:
    """``name`` as a safe relative posix path, or :class:`InvalidArchive`."""
    if not name or "\0" in name or "\\" in name:
        raise InvalidArchive(f"the archive holds a member with an unsafe name {name!r}")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise InvalidArchive(f"the archive holds an absolute path {name!r}; refusing it")
    parts = name.split("/")
    if parts and parts[-1] == "":
        parts = parts[:-1]  # directories may end with "/"
    if any(p in ("", ".", "..") for p in parts):
        if ".." in parts:
            raise InvalidArchive(f"the archive holds a path that climbs out with '..': {name!r}")
        raise InvalidArchive(f"the archive holds a non-normalized path {name!r}")
    return "/".join(parts)


def check_member(member: Member) -> str:
    """The member's safe relative path, if it is a plain file or folder; else InvalidArchive."""
    path = safe_relative(member.name)
    kind = member.type
    if kind == tarfile.SYMTYPE:
        raise InvalidArchive(
            f"the archive holds a symbolic link {path!r} -> {member.linkname!r}; refusing it"
        )
    if kind == tarfile.LNKTYPE:
        raise InvalidArchive(
            f"the archive holds a hard link {path!r} -> {member.linkname!r}; refusing it"
        )
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE):
        raise InvalidArchive(f"the archive holds a device or fifo {path!r}; refusing it")
    if kind not in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
        raise InvalidArchive(
            f"the archive holds {path!r} of unsupported tar type {kind!r}; refusing it"
        )
    return path
