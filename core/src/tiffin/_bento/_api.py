"""The public bento functions: ``tiffin.get/list/delete/export_bento/import_bento/load`` and
``push/pull/list_remote/get_remote``; moving a bento is a door onto :func:`tiffin.store.copy`."""

from __future__ import annotations

import builtins
import contextlib
import os
import warnings
from typing import TYPE_CHECKING

from tiffin._bento._carried import BENTO
from tiffin._bento._info import Bento
from tiffin._bento.loader import load_bento_service
from tiffin.store import (
    LOCAL,
    Archive,
    Folder,
    Progress,
    Remote,
    RemoteVersion,
    Tag,
    TransferOptions,
    TransferSummary,
    copy,
    open_remote,
)

if TYPE_CHECKING:
    from tiffin._service import Service

__all__ = [
    "delete",
    "export_bento",
    "get",
    "get_remote",
    "import_bento",
    "list",
    "list_remote",
    "load",
    "pull",
    "push",
]


def get(tag: str | Tag) -> Bento:
    """The bento ``tag`` names: ``name``, ``name:latest``, ``name:version`` or a unique prefix."""
    return BENTO.chain.get(tag)


def list(name: str | None = None, labels: dict[str, str] | None = None) -> builtins.list[Bento]:
    """Stored bentos, newest first; only ``name``'s versions and/or those with every label given."""
    return BENTO.store.list(name, labels)


def delete(tag: str | Tag) -> None:
    """Delete one bento version (``name:latest`` deletes the newest). Its models stay stored."""
    BENTO.store.delete(tag)


def export_bento(
    tag: str | Tag,
    url: str | os.PathLike[str],
    *,
    compression: str | None = None,
    progress: Progress | None = None,
) -> str:
    """Write the bento, models included, as a tar archive (manifest first) to ``url``.

    :param url: a path or any fsspec URL (``s3://bucket/iris.bento``).
    :param compression: ``None`` (plain tar, fast), ``"gz"`` or ``"xz"``.
    :param progress: ``progress(done_bytes, total_bytes)``, called as bytes are written.
    :return: the URL written.
    """
    done = copy(BENTO, tag, LOCAL, Archive(url, compression), TransferOptions(progress=progress))
    assert done.url is not None
    return done.url


def import_bento(url: str | os.PathLike[str], *, progress: Progress | None = None) -> Bento:
    """Import a bento archive made by :func:`export_bento`, verifying every file's sha256.

    The models it carries are also added to the local model store when absent there. Unsafe
    or damaged archives are refused (:class:`tiffin.exceptions.InvalidArchive`), nothing written.
    An identical bento already stored is returned as it is.
    """
    done = copy(BENTO, None, Archive(url), LOCAL, TransferOptions(progress=progress))
    return done.item


def load(tag_or_path: str | os.PathLike[str] | Bento) -> Service:
    """The :class:`tiffin.Service` of a stored bento or a bento folder, ready to run in-process."""
    return load_bento_service(tag_or_path)


def _bare_warning() -> None:
    warnings.warn(
        "push(bare=True) now pushes the bento's manifest only (no files, no models); to push a "
        "bento without its models, as bare=True did before, use with_models=False",
        DeprecationWarning,
        stacklevel=3,
    )


def push(
    tag: str | Tag,
    *,
    force: bool = False,
    bare: bool = False,
    with_models: bool = True,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
) -> TransferSummary:
    """Push a bento to the configured registry: its models first (concurrently, each file at
    most once), then the bento; only files the registry lacks are sent.

    ``with_models=False`` pushes the bento alone (the registry must have its models already).
    ``bare=True`` pushes the manifest only (development mode: the registry records the version
    as bare; its meaning changed, so it warns once). Returns a :class:`tiffin.store.TransferSummary`.
    """
    if bare:
        _bare_warning()
    options = TransferOptions(
        force=force,
        threads=threads,
        strategy=strategy,
        progress=progress,
        with_models=with_models,
        bare=bare,
    )
    return copy(BENTO, tag, LOCAL, Remote(), options).summary


def pull(
    tag: str | Tag,
    *,
    force: bool = False,
    with_models: bool = False,
    to: str | os.PathLike[str] | None = None,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
) -> Bento:
    """Pull a bento from the configured registry, verifying every file.

    An exact tag already stored is returned without asking the registry (``force=True``
    downloads it again); ``latest`` always asks. ``with_models=True`` also puts its models into
    the local model store (as ``import_bento`` does); ``to=DIR`` writes the bento's files into a
    new folder and leaves the store alone.
    """
    options = TransferOptions(
        force=force, threads=threads, strategy=strategy, progress=progress, with_models=with_models
    )
    destination = LOCAL if to is None else Folder(to)
    return copy(BENTO, tag, Remote(), destination, options).item


def list_remote(
    name: str | None = None, labels: dict[str, str] | None = None
) -> builtins.list[RemoteVersion]:
    """Bentos on the configured registry, newest first (:class:`tiffin.store.RemoteVersion`)."""
    with contextlib.closing(open_remote()) as remote:
        return remote.list_versions("bento", name, labels)


def get_remote(tag: str | Tag) -> RemoteVersion:
    """The configured registry's record of a bento (``latest`` resolves there)."""
    with contextlib.closing(open_remote()) as remote:
        return remote.get_version("bento", str(Tag.parse(tag)))
