"""Push, pull, export and import as one operation: copy a tagged version between two places.

::

    copy("model", "iris_clf:latest", LOCAL, Remote())               # push
    copy("model", "iris_clf:v1", Remote(), LOCAL)                   # pull
    copy("bento", "svc:latest", LOCAL, Archive("s3://b/svc.bento"))  # export
    copy("bento", None, Archive("s3://b/svc.bento"), LOCAL)         # import

A *place* is this machine's store (:data:`LOCAL`), a remote (:class:`Remote`: the tiffin
registry, or any scheme a plugin's ``register_remotes`` serves), an archive at an fsspec URL
(:class:`Archive`) or a plain folder (:class:`Folder`, a pull's ``to=``). Every copy takes one
:class:`~tiffin.hookspecs.TransferOptions` and returns one :class:`Copied`: the item that
landed locally (if any) and a :class:`~tiffin.hookspecs.TransferSummary`. The public
``tiffin.models.push/pull/export_model/import_model`` and ``tiffin.push/pull/export_bento/
import_bento`` are thin doors onto :func:`copy`.

Whatever the remote, a version lands locally only whole and verified: files go into a staging
folder, the exact manifest bytes are written last and one rename commits it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from tiffin._converter import load_yaml
from tiffin.exceptions import InvalidArgument, NotFound, RegistryError
from tiffin.hookspecs import RemoteStore, RemoteVersion, TransferOptions, TransferSummary
from tiffin.store.archive import COMPRESSIONS, export_archive, import_archive
from tiffin.store.kinds import Kind, get_kind
from tiffin.store.manifest import CHUNK_SIZE, FileEntry, hash_file
from tiffin.store.remotes import open_remote
from tiffin.store.tag import Tag

__all__ = [
    "LOCAL",
    "Archive",
    "Copied",
    "Folder",
    "LocalStore",
    "Place",
    "Remote",
    "copy",
    "merge_summary",
]


@attrs.frozen
class LocalStore:
    """This machine's store of the kind (under ``$TIFFIN_HOME``)."""


#: The local store, as a place.
LOCAL = LocalStore()


@attrs.frozen
class Remote:
    """A remote: ``url`` (``None``: the configured one) and its ``token`` (``None``: configured).

    ``store`` may hand an already opened :class:`~tiffin.hookspecs.RemoteStore` (left open).
    """

    url: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    store: RemoteStore | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Archive:
    """A tar archive at a path or any fsspec URL; ``compression`` on export: None, gz or xz."""

    url: str | os.PathLike[str]
    compression: str | None = None


@attrs.frozen
class Folder:
    """A new or empty local folder that receives a version's files (not a store)."""

    path: str | os.PathLike[str]


Place = LocalStore | Remote | Archive | Folder


@attrs.frozen
class Copied:
    """What :func:`copy` did: the local ``item`` (Model or Bento; ``None`` after a push or an
    export), the ``summary``, and ``url`` (the archive written by an export)."""

    item: Any
    summary: TransferSummary
    url: str | None = None


def merge_summary(total: TransferSummary, part: TransferSummary) -> None:
    """Add ``part``'s counters and tags to ``total`` (a bento's models into the bento's)."""
    for name in ("tags", "unchanged", "bare"):
        mine = getattr(total, name)
        mine += [t for t in getattr(part, name) if t not in mine]
    for name in ("files", "files_sent", "files_skipped", "bytes_sent", "bytes_skipped"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.bytes_resumed += part.bytes_resumed
    for strategy, n in part.strategies.items():
        total.strategies[strategy] = total.strategies.get(strategy, 0) + n


def _check(options: TransferOptions) -> TransferOptions:
    threads = options.threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise InvalidArgument(f"threads must be a positive integer, got {threads!r}")
    if options.strategy is not None and not isinstance(options.strategy, str):
        raise InvalidArgument(f"strategy must be a name like 'proxy', got {options.strategy!r}")
    return options


def copy(
    kind: Kind | str,
    tag: str | Tag | None,
    source: Place,
    destination: Place,
    options: TransferOptions | None = None,
) -> Copied:
    """Copy the version ``tag`` of ``kind`` from ``source`` to ``destination``.

    ``tag`` may be ``None`` only when the source is an :class:`Archive` (it names its version).
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    options = _check(options or TransferOptions())
    started = time.monotonic()
    if isinstance(source, LocalStore) and isinstance(destination, Remote):
        done = _push(kind, _tag(tag), destination, options)
    elif isinstance(source, Remote) and isinstance(destination, LocalStore):
        done = _pull(kind, _tag(tag), source, options)
    elif isinstance(source, Remote) and isinstance(destination, Folder):
        done = _pull_to_folder(kind, _tag(tag), source, Path(destination.path), options)
    elif isinstance(source, LocalStore) and isinstance(destination, Archive):
        done = _export(kind, _tag(tag), destination, options)
    elif isinstance(source, Archive) and isinstance(destination, LocalStore):
        done = _import(kind, source, options)
    else:
        raise InvalidArgument(
            f"cannot copy a {kind.name} from {type(source).__name__} to "
            f"{type(destination).__name__}"
        )
    done.summary.seconds = round(time.monotonic() - started, 3)
    return done


def _tag(tag: str | Tag | None) -> Tag:
    if tag is None:
        raise InvalidArgument("a tag is needed: name, name:latest or name:version")
    return Tag.parse(tag)


@contextlib.contextmanager
def _opened(place: Remote) -> Iterator[RemoteStore]:
    if place.store is not None:
        yield place.store
        return
    store = open_remote(place.url, place.token)
    try:
        yield store
    finally:
        store.close()


# -- push -------------------------------------------------------------------------------------


def _push(kind: Kind, tag: Tag, place: Remote, options: TransferOptions) -> Copied:
    item = kind.store.get(tag)
    summary = TransferSummary("push")
    carried = kind.carried(item) if kind.carried is not None else []
    with _opened(place) as remote:
        if carried and options.with_models and not options.bare:

            def push_one(part: tuple[Kind, Path]) -> TransferSummary:
                one = TransferSummary("push")
                _push_folder(remote, part[0], part[1], options, one)
                return one

            with ThreadPoolExecutor(max_workers=min(len(carried), options.threads)) as pool:
                for one in pool.map(push_one, carried):
                    merge_summary(summary, one)
        elif carried and not options.bare:
            missing = []
            for part_kind, folder in carried:
                part_tag = part_kind.store.read_info(folder).tag
                try:
                    remote.get_version(part_kind.name, str(part_tag))
                except NotFound:
                    missing.append(str(part_tag))
            if missing:
                raise InvalidArgument(
                    f"without its models, the {kind.name} needs them on the remote, but "
                    f"{remote.url} lacks {', '.join(missing)}; push with its models (drop "
                    f"--without-models / with_models=False) or push those models first"
                )
        _push_folder(remote, kind, item.path, options, summary)
    return Copied(None, summary)


def _push_folder(
    remote: RemoteStore,
    kind: Kind,
    folder: Path,
    options: TransferOptions,
    summary: TransferSummary,
) -> None:
    info = kind.store.read_info(folder)
    manifest = (folder / kind.manifest_name).read_bytes()
    summary.tags.append(str(info.tag))
    summary.files += len(info.files)
    remote.push_version(kind.name, folder, manifest, list(info.files), options, summary)
    if options.bare and str(info.tag) not in summary.unchanged:
        summary.bare.append(str(info.tag))


# -- pull -------------------------------------------------------------------------------------


def _pull(kind: Kind, tag: Tag, place: Remote, options: TransferOptions) -> Copied:
    store = kind.store
    summary = TransferSummary("pull")
    if tag.version is not None and not options.force and store.exists(tag.name, tag.version):
        item = store.get(tag)  # an exact tag already stored: nothing to ask anyone
        _unchanged(summary, item)
    else:
        with _opened(place) as remote:
            version = remote.get_version(kind.name, str(tag))
            item = _land(remote, kind, version, options, summary)
    if options.with_models and kind.land_carried is not None:
        kind.land_carried(item)
    return Copied(item, summary)


def _unchanged(summary: TransferSummary, item: Any) -> None:
    files = list(item.info.files)
    summary.tags.append(str(item.tag))
    summary.unchanged.append(str(item.tag))
    summary.files += len(files)
    summary.files_skipped += len(files)
    summary.bytes_skipped += sum(f.size for f in files)


def _parse(kind: Kind, version: RemoteVersion) -> Any:
    try:
        info = kind.load_info(load_yaml(version.manifest))
    except Exception as exc:
        raise RegistryError(
            f"the remote's manifest of {kind.name} {version.tag} cannot be read: {exc}"
        ) from None
    if (info.name, info.version) != (version.name, version.version):
        raise RegistryError(
            f"the remote's manifest of {version.tag} names {info.name}:{info.version}"
        )
    if version.bare:
        size = sum(f.size for f in info.files)
        raise NotFound(
            f"{kind.name} {version.tag} was pushed bare: the remote has its manifest but none of "
            f"its {len(info.files)} files ({size} bytes); push it again without bare to pull it"
        )
    return info


def _land(
    remote: RemoteStore,
    kind: Kind,
    version: RemoteVersion,
    options: TransferOptions,
    summary: TransferSummary,
) -> Any:
    store = kind.store
    exact = version.tag
    if store.exists(version.name, version.version) and not options.force:
        item = store.get(exact)
        _unchanged(summary, item)
        return item
    info = _parse(kind, version)
    summary.tags.append(exact)
    summary.files += len(info.files)
    with store.staging(version.name) as stage:
        _fetch(remote, kind, version, info, stage, options, summary)
        if options.force and store.exists(version.name, version.version):
            store.delete(exact)
        return store.commit(
            stage, info, rescan=False, manifest_text=version.manifest, keep_version=True
        )


def _fetch(
    remote: RemoteStore,
    kind: Kind,
    version: RemoteVersion,
    info: Any,
    folder: Path,
    options: TransferOptions,
    summary: TransferSummary,
) -> None:
    """Put every file of ``info`` into ``folder``: local copies first, the rest from remote."""
    local = kind.local_files(info) if kind.local_files is not None else {}
    remaining: list[FileEntry] = []
    for entry in info.files:
        source = local.get(entry.sha256)
        if source is not None and source.is_file() and source.stat().st_size == entry.size:
            target = folder / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            summary.files_skipped += 1
            summary.bytes_skipped += entry.size
        else:
            remaining.append(entry)
    if remaining:
        remote.pull_version(version, folder, remaining, options, summary)
    if getattr(remote, "verifies_digests", False):
        return  # the remote checked each file's size and sha256 before it landed
    buffer = bytearray(CHUNK_SIZE)
    for entry in remaining:
        try:
            size, digest = hash_file(folder / entry.path, buffer)
        except FileNotFoundError:
            size, digest = -1, "missing"
        if (size, digest) != (entry.size, entry.sha256):
            raise RegistryError(
                f"{entry.path} of {kind.name} {version.tag} from {remote.url} does not match its "
                f"manifest (size {size}, sha256 {digest}); nothing was stored"
            )


def _pull_to_folder(
    kind: Kind, tag: Tag, place: Remote, folder: Path, options: TransferOptions
) -> Copied:
    folder = folder.expanduser().absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidArgument(
            f"{folder} already exists and is not an empty folder; pull --to needs a new or "
            f"empty folder"
        )
    summary = TransferSummary("pull")
    with _opened(place) as remote:
        version = remote.get_version(kind.name, str(tag))
        info = _parse(kind, version)
        summary.tags.append(version.tag)
        summary.files += len(info.files)
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = folder.parent / f".{folder.name}.pulling-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        try:
            _fetch(remote, kind, version, info, partial, options, summary)
            (partial / kind.manifest_name).write_bytes(version.manifest)
            if folder.exists():
                folder.rmdir()
            os.rename(partial, folder)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return Copied(kind.make_item(info, folder), summary)


# -- export and import ------------------------------------------------------------------------


def _export(kind: Kind, tag: Tag, place: Archive, options: TransferOptions) -> Copied:
    if place.compression is not None and place.compression not in COMPRESSIONS:
        raise InvalidArgument(
            f"compression must be one of {', '.join(COMPRESSIONS)} (or none for a plain tar, "
            f"the fastest), got {place.compression!r}"
        )
    item = kind.store.get(tag)
    url = export_archive(
        kind.store, item.tag, place.url, compression=place.compression, progress=options.progress
    )
    files = list(item.info.files)
    summary = TransferSummary(
        "export",
        tags=[str(item.tag)],
        files=len(files),
        files_sent=len(files),
        bytes_sent=sum(f.size for f in files),
    )
    return Copied(None, summary, url)


def _import(kind: Kind, place: Archive, options: TransferOptions) -> Copied:
    item, existed = import_archive(kind.store, place.url, progress=options.progress)
    files = list(item.info.files)
    summary = TransferSummary("import", tags=[str(item.tag)], files=len(files))
    if existed:
        summary.unchanged.append(str(item.tag))
        summary.files_skipped = len(files)
        summary.bytes_skipped = sum(f.size for f in files)
    else:
        summary.files_sent = len(files)
        summary.bytes_sent = sum(f.size for f in files)
    if options.with_models and kind.land_carried is not None:
        kind.land_carried(item)
    return Copied(item, summary)
