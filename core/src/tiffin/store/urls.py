"""Where archives come from and go to: any fsspec URL, and output that appears only when whole.

URLs go through the registered storage backends first (the built-in one serves plain paths and
``file://``), then fall back to fsspec's own implementations. A local archive is written under
a temporary name and renamed at the end, so a failed export never leaves a partial file; other
file systems get a best-effort removal. Special local files (``/dev/stdout``, a FIFO, a link)
are written into, never replaced.
"""

from __future__ import annotations

import contextlib
import lzma
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tiffin import _plugins
from tiffin.exceptions import InvalidArchive, InvalidArgument, NotFound, TiffinError

__all__ = ["as_url", "open_input", "open_output"]

#: Read-ahead for archives on remote file systems (fewer, larger requests).
REMOTE_BLOCK_SIZE = 8 << 20

#: tiffin plugins that add a URL scheme, for the "install it" hint.
_PLUGIN_FOR_SCHEME = {"s3": "tiffin-s3", "s3a": "tiffin-s3"}


def _scheme(url: str) -> str:
    head, sep, _ = url.partition("://")
    return head.lower() if sep else "file"


def as_url(url: Any) -> str:
    """``url`` as a string: a ``pathlib.Path`` (any ``os.PathLike``) is a local path."""
    if isinstance(url, os.PathLike):
        url = os.fspath(url)
    if not isinstance(url, str) or not url:
        raise InvalidArgument(f"a URL or path must be a non-empty string, got {url!r}")
    return url


def resolve(url: str) -> tuple[Any, str, str | None]:
    """``(fs, path, local_path)`` for ``url``; ``local_path`` is set for local files."""
    if not isinstance(url, str) or not url:
        raise InvalidArgument(f"a URL or path must be a non-empty string, got {url!r}")
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


def open_input(url: str) -> Any:
    """A binary stream reading the archive at ``url`` (unbuffered for local files)."""
    fs, path, local = resolve(url)
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


@contextlib.contextmanager
def open_output(url: str, compression: str | None) -> Iterator[tuple[IO[bytes], int | None]]:
    """A binary stream for the archive at ``url`` and, for plain local files, its raw fd.

    The output appears at ``url`` only if the block finishes without an exception.
    """
    fs, path, local = resolve(url)
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
            yield out
    else:  # pragma: no cover - checked by the caller
        raise InvalidArgument(f"unknown compression {compression!r}")
