"""Export and import of stored versions as tar streams, to and from any fsspec URL.

The format is a plain tar stream that ``tar tf`` reads: the manifest first, then every file
it lists, in its order (optionally compressed with gzip or xz). Import reads the stream once,
front to back, so it works from object stores without seeking; the manifest coming first lets
it check each member against the manifest *before* writing a byte of it: a member must be a
regular file the manifest lists, once, with the right size, and its sha256 is verified while it
streams into a staging folder. Anything else (absolute paths, ``..``, links, devices, strays,
duplicates, missing files, wrong digests, damaged data) is refused with
:class:`~tiffin.exceptions.InvalidArchive`, the staging folder is removed and the store is
untouched.

Speed: tar headers are built and parsed with :mod:`tarfile`'s ``TarInfo`` but the data never
goes through ``tarfile``'s small buffers: export copies local files with ``os.sendfile`` and
import reads cache-sized chunks into two reused buffers and writes memoryviews of them while a
helper thread hashes them (``hashlib`` and file writes both release the GIL).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import lzma
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from tiffin._converter import load_yaml
from tiffin._storage.manifest import CHUNK_SIZE
from tiffin._storage.store import Store
from tiffin._storage.tag import Tag, validate_name, validate_version
from tiffin.exceptions import Conflict, InvalidArchive, InvalidArgument, NotFound, TiffinError

__all__ = ["COMPRESSIONS", "export_archive", "import_archive"]

Progress = Callable[[int, int], None]

BLOCK = tarfile.BLOCKSIZE  # 512
RECORD = tarfile.RECORDSIZE  # 10240: tar pads the end of an archive to a whole record
COMPRESSIONS = ("gz", "xz")
MAX_MANIFEST_SIZE = 64 << 20
#: Files bigger than this are hashed in a helper thread while they are written.
PIPELINE_MIN = 4 << 20
#: Read-ahead for archives on remote file systems (fewer, larger requests).
REMOTE_BLOCK_SIZE = 8 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_BZ2_MAGIC = b"BZh"


# -- opening URLs -----------------------------------------------------------------------------


#: tiffin plugins that add a URL scheme, for the "install it" hint.
_PLUGIN_FOR_SCHEME = {"s3": "tiffin-s3", "s3a": "tiffin-s3"}


def _scheme(url: str) -> str:
    head, sep, _ = url.partition("://")
    return head.lower() if sep else "file"


def _as_url(url: Any) -> str:
    """``url`` as a string: a ``pathlib.Path`` (any ``os.PathLike``) is a local path."""
    if isinstance(url, os.PathLike):
        url = os.fspath(url)
    if not isinstance(url, str) or not url:
        raise InvalidArgument(f"a URL or path must be a non-empty string, got {url!r}")
    return url


def _resolve(url: str) -> tuple[Any, str, str | None]:
    """``(fs, path, local_path)`` for ``url``; ``local_path`` is set for local files.

    URLs go through the registered storage backends first (the built-in one serves plain paths
    and ``file://``), then fall back to fsspec's own implementations.
    """
    if not isinstance(url, str) or not url:
        raise InvalidArgument(f"a URL or path must be a non-empty string, got {url!r}")
    from tiffin import _plugins

    scheme = _scheme(url)
    backend = _plugins.storage_backends().get(scheme)
    try:
        if backend is not None:
            fs, path = backend.filesystem(url)
        else:
            import fsspec

            fs, path = fsspec.core.url_to_fs(url)
    except TiffinError:
        raise  # the backend's own one-line message (a bad bucket name, no credentials...)
    except (ImportError, ValueError) as exc:
        plugin = _PLUGIN_FOR_SCHEME.get(scheme)
        how = (
            f"install the plugin for it: pip install {plugin}"
            if plugin
            else "install the package that the message names"
        )
        raise InvalidArgument(
            f"cannot open {url!r}: no storage backend handles {scheme!r} URLs ({exc}); {how}"
        ) from None
    except Exception as exc:  # a URL the file system refuses (a chained URL to a non-archive...)
        raise InvalidArgument(f"cannot open {url!r}: {type(exc).__name__}: {exc}") from None
    from fsspec.implementations.local import LocalFileSystem

    local = str(path) if isinstance(fs, LocalFileSystem) else None
    return fs, str(path), local


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


# -- writing ----------------------------------------------------------------------------------


def _header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


class _Writer:
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

    def add_file(self, name: str, source: Path, size: int, mtime: float) -> None:
        self.write(_header(name, size, mtime))
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
        end = 2 * BLOCK
        end += -(self.written + end) % RECORD
        self.write(bytes(end))
        self._report()


@contextlib.contextmanager
def _open_output(url: str, compression: str | None) -> Iterator[tuple[IO[bytes], int | None]]:
    """A binary stream for the archive at ``url`` and, for plain local files, its raw fd.

    Local files are written under a temporary name and renamed at the end, so a failed export
    never leaves a partial archive behind; other file systems get a best-effort removal.
    """
    fs, path, local = _resolve(url)
    if local is not None:
        target = Path(local)
        if target.is_dir():
            raise InvalidArgument(f"cannot export to {url!r}: it is a directory; give a file name")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            # a link (/dev/stdout), a device, a FIFO: write into it, never rename a file over it
            yield from _open_special(target, url, compression)
            return
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.partial")
        try:
            raw = open(tmp, "xb", buffering=0)  # noqa: SIM115
        except OSError as exc:
            raise InvalidArgument(f"cannot write {url!r}: {exc.strerror or exc}") from None
        try:
            with raw:
                if compression is None:
                    yield raw, raw.fileno()
                else:
                    with _compressor(raw, compression) as out:
                        yield out, None
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return
    try:
        f = fs.open(path, "wb")
    except IsADirectoryError:
        raise InvalidArgument(
            f"cannot export to {url!r}: it is a directory; give a file name"
        ) from None
    except OSError as exc:
        raise InvalidArgument(f"cannot write {url!r}: {str(exc) or type(exc).__name__}") from None
    try:
        if compression is None:
            yield f, None
        else:
            with _compressor(f, compression) as out:
                yield out, None
    except BaseException:
        discard = getattr(f, "discard", None)
        with contextlib.suppress(Exception):
            if discard is not None:
                discard()
            f.close()
        with contextlib.suppress(Exception):
            fs.rm(path)
        raise
    f.close()


def _open_special(
    target: Path, url: str, compression: str | None
) -> Iterator[tuple[IO[bytes], int | None]]:
    try:
        raw = open(target, "wb", buffering=0)  # noqa: SIM115
    except OSError as exc:
        raise InvalidArgument(f"cannot write {url!r}: {exc.strerror or exc}") from None
    with raw:
        if compression is None:
            yield raw, None  # no fd: sendfile into a device or a pipe is not portable
        else:
            with _compressor(raw, compression) as out:
                yield out, None


@contextlib.contextmanager
def _compressor(raw: IO[bytes], compression: str) -> Iterator[IO[bytes]]:
    if compression == "gz":
        import gzip

        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
            yield out  # type: ignore[misc]
    elif compression == "xz":
        with lzma.LZMAFile(raw, "wb", preset=6) as out:
            yield out  # type: ignore[misc]
    else:  # pragma: no cover - checked by the caller
        raise InvalidArgument(f"unknown compression {compression!r}")


def export_archive(
    store: Store[Any, Any],
    tag: str | Tag,
    url: str | os.PathLike[str],
    *,
    compression: str | None = None,
    progress: Progress | None = None,
) -> str:
    """Write the version ``tag`` names as a tar archive to ``url``; return ``url``."""
    url = _as_url(url)
    if compression is not None and compression not in COMPRESSIONS:
        raise InvalidArgument(
            f"compression must be one of {', '.join(COMPRESSIONS)} (or none for a plain tar, "
            f"the fastest), got {compression!r}"
        )
    item = store.get(tag)
    folder: Path = item.path
    info = item.info
    manifest = (folder / store.manifest_name).read_bytes()
    created = getattr(info, "created_at", None)
    mtime = created.timestamp() if created is not None else 0.0
    files = list(info.files)
    total = len(manifest) + sum(f.size for f in files)
    try:
        with _open_output(url, compression) as (out, fd):
            writer = _Writer(out, fd, total, progress)
            writer.write(_header(store.manifest_name, len(manifest), mtime))
            writer.write(manifest)
            writer.done += len(manifest)
            writer.write(bytes(-len(manifest) % BLOCK))
            for entry in files:
                writer.add_file(entry.path, folder / entry.path, entry.size, mtime)
            writer.finish()
    except BrokenPipeError:
        # not an OSError for the CLI: click would take it for its own stdout and exit silently
        raise InvalidArgument(f"cannot write {url!r}: its reader closed the pipe") from None
    except OSError as exc:
        if exc.filename is None:  # a failed write (disk full): say where it was going
            exc.filename = url
        raise
    return url


# -- reading ----------------------------------------------------------------------------------


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


def _decompressing(raw: Any) -> Any:
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


class _Member:
    __slots__ = ("linkname", "name", "size", "type")

    def __init__(self, name: str, size: int, type_: bytes, linkname: str) -> None:
        self.name = name
        self.size = size
        self.type = type_
        self.linkname = linkname


class _Reader:
    """A forward-only tar reader over a binary stream, with one reused buffer for data."""

    def __init__(self, f: Any, progress: Progress | None) -> None:
        self.f = f
        self.read_bytes = 0  # bytes of archive, headers included
        self.done = 0  # bytes of content, what progress reports
        self.total = 0
        self.progress = progress
        self.block = bytearray(BLOCK)
        self.buffer = bytearray(CHUNK_SIZE)
        self.spare: bytearray | None = None
        self.pool: Any = None

    def _exact(self, view: memoryview, what: str) -> None:
        n = _readinto(self.f, view)
        self.read_bytes += n
        if n != len(view):
            raise InvalidArchive(f"the archive is truncated (it ends inside {what})")

    def _data(self, size: int, what: str) -> bytes:
        if size > MAX_MANIFEST_SIZE:
            raise InvalidArchive(f"{what} is implausibly large ({size} bytes)")
        buf = bytearray(size + (-size % BLOCK))
        self._exact(memoryview(buf), what)
        return bytes(buf[:size])

    def next(self) -> _Member | None:
        """The next member's header (pax and GNU long-name records folded in), or None at the end."""
        overrides: dict[str, str] = {}
        while True:
            view = memoryview(self.block)
            n = _readinto(self.f, view)
            self.read_bytes += n
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
            if kind == tarfile.GNUTYPE_LONGNAME:
                overrides["path"] = (
                    self._data(info.size, "a long name")
                    .rstrip(b"\0")
                    .decode("utf-8", "surrogateescape")
                )
                continue
            if kind == tarfile.GNUTYPE_LONGLINK:
                overrides["linkpath"] = (
                    self._data(info.size, "a long link")
                    .rstrip(b"\0")
                    .decode("utf-8", "surrogateescape")
                )
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
            return _Member(name, size, kind, overrides.get("linkpath", info.linkname))

    def copy_to(self, out: Any, size: int, name: str) -> str:
        """Stream ``size`` bytes of data into ``out`` (a raw file); return their sha256.

        Big files are pipelined over two buffers: a helper thread hashes one chunk while this
        thread writes it and reads the next (``hashlib`` and file I/O both release the GIL).
        """
        digest = hashlib.sha256()
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
        self.read_bytes += n
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


def _safe_relative(name: str) -> str:
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


def _check_member(member: _Member) -> str:
    path = _safe_relative(member.name)
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


def _open_input(url: str) -> Any:
    fs, path, local = _resolve(url)
    try:
        if local is not None:
            if os.path.isdir(local):
                raise InvalidArchive(f"{url!r} is a directory, not an archive")
            return open(local, "rb", buffering=0)
        return fs.open(path, "rb", block_size=REMOTE_BLOCK_SIZE)
    except FileNotFoundError:
        raise NotFound(f"no archive at {url!r}") from None
    except OSError as exc:
        raise InvalidArchive(f"cannot read {url!r}: {exc.strerror or exc}") from None


def _read_manifest(store: Store[Any, Any], reader: _Reader) -> tuple[Any, bytes]:
    first = reader.next()
    if first is None:
        raise InvalidArchive("the archive is empty")
    other = {"model.yaml": ("a model", "tiffin models import"), "bento.yaml": ("a bento", "tiffin import")}
    if first.name != store.manifest_name and first.name in other:
        kind, command = other[first.name]
        raise InvalidArchive(
            f"it is {kind} archive, not {'a bento' if kind == 'a model' else 'a model'} archive: "
            f"import it with `{command} URL`"
        )
    if first.type not in (tarfile.REGTYPE, tarfile.AREGTYPE) or first.name != store.manifest_name:
        raise InvalidArchive(
            f"the archive does not start with {store.manifest_name} (it starts with {first.name!r}); "
            f"it was not made by tiffin's export"
        )
    text = reader._data(first.size, store.manifest_name)
    try:
        data = load_yaml(text)
        if not isinstance(data, dict):
            raise ValueError("not a mapping")
        info = store.load_info(data)
        validate_name(info.name, what=f"{store.what} name")
        validate_version(info.version)
        files = list(info.files)
    except InvalidArchive:
        raise
    except Exception as exc:
        raise InvalidArchive(f"the archive's {store.manifest_name} cannot be read: {exc}") from None
    seen: set[str] = set()
    for entry in files:
        path = _safe_relative(entry.path)
        if path != entry.path or path == store.manifest_name or path in seen:
            raise InvalidArchive(
                f"the archive's manifest lists a bad or repeated path {entry.path!r}"
            )
        if not isinstance(entry.size, int) or entry.size < 0 or not isinstance(entry.sha256, str):
            raise InvalidArchive(f"the archive's manifest has a bad entry for {entry.path!r}")
        seen.add(path)
    for path in seen:
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in seen:
                raise InvalidArchive(
                    f"the archive's manifest lists {path!r} inside a file, not a folder"
                )
    return info, text


def _ensure_parent(staging: Path, rel: str, made: set[str]) -> Path:
    parent = rel.rpartition("/")[0]
    if parent and parent not in made:
        (staging / parent).mkdir(parents=True, exist_ok=True)
        made.add(parent)
    return staging / rel


def import_archive(
    store: Store[Any, Any], url: str | os.PathLike[str], *, progress: Progress | None = None
) -> Any:
    """Import the archive at ``url`` into ``store``, verifying everything; return the item."""
    url = _as_url(url)
    raw = _open_input(url)
    try:
        return _import(store, raw, progress)
    except InvalidArchive as exc:
        raise InvalidArchive(f"cannot import {url!r}: {exc}; nothing was imported") from None
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        if isinstance(exc, OSError) and not _is_decode_error(exc):
            if exc.filename is None:  # a failed write (disk full): say where it was going
                exc.filename = str(store.staging_root)
            raise
        raise InvalidArchive(
            f"cannot import {url!r}: it is damaged or not an archive ({type(exc).__name__}: {exc}); "
            f"nothing was imported"
        ) from None
    finally:
        with contextlib.suppress(Exception):
            raw.close()


def _import(store: Store[Any, Any], raw: Any, progress: Progress | None) -> Any:
    stream = _decompressing(raw)
    try:
        return _import_stream(store, stream, progress)
    finally:
        if stream is not raw:
            stream.close()  # a decompressor: closing it leaves ``raw`` to the caller


def _import_stream(store: Store[Any, Any], stream: Any, progress: Progress | None) -> Any:
    reader = _Reader(stream, progress)
    info, manifest_text = _read_manifest(store, reader)
    reader.total = len(manifest_text) + sum(f.size for f in info.files)
    reader.done = len(manifest_text)
    if store.exists(info.name, info.version):
        # still read and verify the rest: a damaged archive must fail even when it is redundant
        with contextlib.closing(reader):
            _extract(reader, info, None, store.manifest_name)
        return _existing(store, info)
    with store.staging(info.name) as staging, contextlib.closing(reader):
        _extract(reader, info, staging, store.manifest_name)
        if progress is not None:
            progress(reader.total, reader.total)
        try:
            return store.commit(
                staging, info, rescan=False, manifest_text=manifest_text, keep_version=True
            )
        except Conflict:
            return _existing(store, info)  # a concurrent import of the same version won


def _is_decode_error(exc: OSError) -> bool:
    # gzip and lzma report damaged data as OSError subclasses without an errno
    return exc.errno is None


def _existing(store: Store[Any, Any], info: Any) -> Any:
    current = store.get(Tag(info.name, info.version))
    if store.dump_info(current.info) == store.dump_info(info):
        return current
    raise Conflict(
        f"{store.what} {info.name}:{info.version} is already stored with different contents; "
        f"delete it first (`{store.command('delete')} {info.name}:{info.version}`) to replace it"
    )


class _Discard:
    """A sink for verifying an archive without storing it."""

    def write(self, data: memoryview) -> int:
        return len(data)


def _extract(reader: _Reader, info: Any, staging: Path | None, manifest_name: str) -> None:
    """Write the archive's files into ``staging`` (or only verify them, when it is None)."""
    expected = {entry.path: entry for entry in info.files}
    done: set[str] = set()
    made: set[str] = set()
    while True:
        member = reader.next()
        if member is None:
            break
        path = _check_member(member)
        if member.type == tarfile.DIRTYPE:
            if member.size:
                raise InvalidArchive(f"directory {path!r} in the archive has data; refusing it")
            continue
        if path in done or path == manifest_name:
            raise InvalidArchive(f"the archive holds {path!r} more than once")
        entry = expected.get(path)
        if entry is None:
            raise InvalidArchive(f"the archive holds {path!r}, which its manifest does not list")
        if member.size != entry.size:
            raise InvalidArchive(
                f"{path!r} in the archive is {member.size} bytes, but its manifest says {entry.size}"
            )
        if staging is None:
            digest = reader.copy_to(_Discard(), member.size, path)
        else:
            target = _ensure_parent(staging, path, made)
            with open(target, "xb", buffering=0) as out:
                digest = reader.copy_to(out, member.size, path)
        if digest != entry.sha256:
            raise InvalidArchive(
                f"{path!r} in the archive has sha256 {digest}, but its manifest says {entry.sha256}: "
                f"the archive was damaged or tampered with"
            )
        done.add(path)
    missing = sorted(set(expected) - done)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InvalidArchive(
            f"the archive lacks {len(missing)} file(s) its manifest lists: {shown}"
        )
