"""Export and import of stored versions as tar archives: what goes in, and what is let in.

The format is a plain tar stream that ``tar tf`` reads: the manifest first, then every file
it lists, in its order (optionally compressed with gzip or xz). Import reads the stream once,
front to back, so it works from object stores without seeking; the manifest coming first lets
it check each member against the manifest *before* writing a byte of it: a member must be a
regular file the manifest lists, once, with the right size, and its sha256 is verified while it
streams into a staging folder. Anything else (absolute paths, ``..``, links, devices, strays,
duplicates, missing files, wrong digests, damaged data) is refused with
:class:`~tiffin.exceptions.InvalidArchive`, the staging folder is removed and the store is
untouched.

The pieces: :mod:`.urls` opens URLs and makes output appear only when whole, :mod:`.tar`
writes and reads the tar format, and this module holds the rules.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import tarfile
import zlib
from pathlib import Path
from typing import Any

from tiffin._converter import load_yaml
from tiffin.exceptions import AlreadyStored, Conflict, InvalidArchive, InvalidArgument
from tiffin.store.local import Store
from tiffin.store.progress import Progress
from tiffin.store.tag import Tag, validate_name, validate_version
from tiffin.store.tar import (
    Member,
    TarStream,
    TarWriter,
    check_member,
    decompressing,
    safe_relative,
)
from tiffin.store.urls import as_url, open_input, open_output

__all__ = ["COMPRESSIONS", "export_archive", "import_archive"]


COMPRESSIONS = ("gz", "xz")


# -- export -----------------------------------------------------------------------------------


def export_archive(
    store: Store[Any, Any],
    tag: str | Tag,
    url: str | os.PathLike[str],
    *,
    compression: str | None = None,
    progress: Progress | None = None,
) -> str:
    """Write the version ``tag`` names as a tar archive to ``url``; return ``url``."""
    url = as_url(url)
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
        with open_output(url, compression) as (out, fd):
            writer = TarWriter(out, fd, total, progress)
            writer.add_bytes(store.manifest_name, manifest, mtime)
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


# -- import -----------------------------------------------------------------------------------


def import_archive(
    store: Store[Any, Any], url: str | os.PathLike[str], *, progress: Progress | None = None
) -> tuple[Any, bool]:
    """Import the archive at ``url`` into ``store``, verifying everything.

    Returns the item and whether it was stored already (identically) before this import.
    """
    url = as_url(url)
    raw = open_input(url)
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


def _is_decode_error(exc: OSError) -> bool:
    # gzip and lzma report damaged data as OSError subclasses without an errno
    return exc.errno is None


def _import(store: Store[Any, Any], raw: Any, progress: Progress | None) -> tuple[Any, bool]:
    stream = decompressing(raw)
    try:
        reader = TarStream(stream, progress)
        with contextlib.closing(reader):
            return _import_stream(store, reader, progress)
    finally:
        if stream is not raw:
            stream.close()  # a decompressor: closing it leaves ``raw`` to the caller


def _import_stream(
    store: Store[Any, Any], reader: TarStream, progress: Progress | None
) -> tuple[Any, bool]:
    members = iter(reader)
    info, manifest_text = _read_manifest(store, reader, next(members, None))
    reader.total = len(manifest_text) + sum(f.size for f in info.files)
    reader.done = len(manifest_text)
    if store.exists(info.name, info.version):
        # still read and verify the rest: a damaged archive must fail even when it is redundant
        _extract(reader, members, info, None, store.manifest_name)
        return _existing(store, info), True
    with store.staging(info.name) as staging:
        _extract(reader, members, info, staging, store.manifest_name)
        if progress is not None:
            progress(reader.total, reader.total)
        try:
            item = store.commit(
                staging, info, rescan=False, manifest_text=manifest_text, keep_version=True
            )
        except Conflict:
            return _existing(store, info), True  # a concurrent import of the same version won
        return item, False


def _read_manifest(
    store: Store[Any, Any], reader: TarStream, first: Member | None
) -> tuple[Any, bytes]:
    if first is None:
        raise InvalidArchive("the archive is empty")
    other = {
        "model.yaml": ("a model", "tiffin models import"),
        "bento.yaml": ("a bento", "tiffin import"),
    }
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
    text = reader.read_small(first, store.manifest_name)
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
        path = safe_relative(entry.path)
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


def _existing(store: Store[Any, Any], info: Any) -> Any:
    current = store.get(Tag(info.name, info.version))
    if store.dump_info(current.info) == store.dump_info(info):
        return current
    raise AlreadyStored(
        f"{store.what} {info.name}:{info.version} is already stored with different contents; "
        f"delete it first to replace it",
        kind=store.what,
        tag=f"{info.name}:{info.version}",
    )


class _Discard:
    """A sink for verifying an archive without storing it."""

    def write(self, data: memoryview) -> int:
        return len(data)


def _ensure_parent(staging: Path, rel: str, made: set[str]) -> Path:
    parent = rel.rpartition("/")[0]
    if parent and parent not in made:
        (staging / parent).mkdir(parents=True, exist_ok=True)
        made.add(parent)
    return staging / rel


def _extract(
    reader: TarStream, members: Any, info: Any, staging: Path | None, manifest_name: str
) -> None:
    """Write the archive's files into ``staging`` (or only verify them, when it is None)."""
    expected = {entry.path: entry for entry in info.files}
    done: set[str] = set()
    made: set[str] = set()
    for member in members:
        path = check_member(member)
        if member.isdir():
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
            digest = reader.copy_to(_Discard(), member, path)
        else:
            target = _ensure_parent(staging, path, made)
            with open(target, "xb", buffering=0) as out:
                digest = reader.copy_to(out, member, path)
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
