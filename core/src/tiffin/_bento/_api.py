"""The public bento functions: ``tiffin.get/list/delete/export_bento/import_bento/load``."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from tiffin._bento._carried import store_carried_models
from tiffin._bento._info import Bento
from tiffin._storage.bento_store import bento_store
from tiffin._storage.tag import Tag

if TYPE_CHECKING:
    from tiffin._service import Service

__all__ = ["delete", "export_bento", "get", "import_bento", "list", "load", "pull", "push"]

Progress = Callable[[int, int], None]


def get(tag: str | Tag) -> Bento:
    """The bento ``tag`` names: ``name``, ``name:latest``, ``name:version`` or a unique prefix."""
    return bento_store().get(tag)


def list(name: str | None = None, labels: dict[str, str] | None = None) -> builtins.list[Bento]:
    """Stored bentos, newest first; only ``name``'s versions and/or those with every label given."""
    return bento_store().list(name, labels)


def delete(tag: str | Tag) -> None:
    """Delete one bento version (``name:latest`` deletes the newest). Its models stay stored."""
    bento_store().delete(tag)


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
    from tiffin._storage.archive import export_archive

    return export_archive(bento_store(), tag, url, compression=compression, progress=progress)


def import_bento(url: str | os.PathLike[str], *, progress: Progress | None = None) -> Bento:
    """Import a bento archive made by :func:`export_bento`, verifying every file's sha256.

    The models it carries are also added to the local model store when absent there. Unsafe
    or damaged archives are refused (:class:`tiffin.exceptions.InvalidArchive`), nothing written.
    """
    from tiffin._storage.archive import import_archive

    bento = import_archive(bento_store(), url, progress=progress)
    store_carried_models(bento)
    return bento


def load(tag_or_path: str | os.PathLike[str] | Bento) -> Service:
    """The :class:`tiffin.Service` of a stored bento or a bento folder, ready to run in-process."""
    from tiffin._bento.loader import load_bento_service

    return load_bento_service(tag_or_path)


def push(
    tag: str | Tag,
    *,
    force: bool = False,
    bare: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
) -> object:
    """Push a bento to the configured registry: its models first (concurrently, each file at
    most once), then the bento. ``bare=True`` pushes the bento alone (the registry must have
    its models). Returns a :class:`tiffin._registry.TransferSummary`."""
    from tiffin._registry._push import push_bento

    return push_bento(
        tag, force=force, bare=bare, threads=threads, strategy=strategy, progress=progress
    )


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

    ``with_models=True`` also puts its models into the local model store (as ``import_bento``
    does); ``to=DIR`` writes the bento's files into a new folder and leaves the store alone.
    """
    from tiffin._registry._pull import pull_bento

    bento, _ = pull_bento(
        tag, force=force, with_models=with_models, to=to, threads=threads,
        strategy=strategy, progress=progress,
    )
    return bento
