"""Push: upload the blobs the registry lacks, concurrently, then commit the version.

A version the registry already has with the same manifest is a no-op; with a different
manifest it is a :class:`Conflict` unless ``force``. A bento's models are pushed first (as
models, concurrently), so the bento's own upload finds their files already there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tiffin._registry._client import RegistryClient
from tiffin._registry._kinds import BENTOS, MODELS, Kind
from tiffin._registry._summary import TransferSummary
from tiffin._registry._transfer import ByteCounter, upload_blob
from tiffin._storage.tag import Tag
from tiffin.exceptions import Conflict, InvalidArgument

__all__ = ["push_bento", "push_model", "push_version"]

Progress = Callable[[int, int], None]


def _check_threads(threads: int) -> int:
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise InvalidArgument(f"threads must be a positive integer, got {threads!r}")
    return threads


def push_version(
    client: RegistryClient,
    kind: Kind,
    folder: Path,
    info: Any,
    manifest: bytes,
    *,
    force: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
) -> TransferSummary:
    """Push one stored version (its folder, parsed manifest and exact manifest bytes)."""
    started = time.monotonic()
    tag = f"{info.name}:{info.version}"
    summary = TransferSummary("push", tags=[tag], files=len(info.files))
    existing = None if force else client.find_version(kind.api, info.name, info.version)
    if existing is not None:
        if existing.get("manifest") != manifest.decode("utf-8"):
            raise Conflict(
                f"the registry at {client.url} already has {kind.what} {tag} with different "
                f"contents; push with --force (force=True) to replace it"
            )
        summary.unchanged.append(tag)
        summary.files_skipped = len(info.files)
        summary.bytes_skipped = sum(f.size for f in info.files)
        summary.seconds = time.monotonic() - started
        return summary
    unique: dict[str, Any] = {}
    for entry in info.files:
        unique.setdefault(entry.sha256, entry)
    missing = client.missing_blobs([(d, e.size) for d, e in unique.items()])
    to_send = [unique[d] for d in unique if d in missing]
    counter = ByteCounter(sum(e.size for e in to_send), progress)

    def send(entry: Any) -> str | None:
        return upload_blob(client, entry.sha256, entry.size, folder / entry.path, counter, strategy)

    with ThreadPoolExecutor(max_workers=_check_threads(threads)) as pool:
        used = list(pool.map(send, to_send))
    for entry, name in zip(to_send, used, strict=True):
        if name is not None:
            summary.files_sent += 1
            summary.bytes_sent += entry.size
            summary.strategies[name] = summary.strategies.get(name, 0) + 1
    summary.files_skipped = summary.files - summary.files_sent
    summary.bytes_skipped = sum(f.size for f in info.files) - summary.bytes_sent
    client.commit(kind.api, info.name, info.version, manifest, force)
    summary.seconds = time.monotonic() - started
    return summary


def _push_stored(
    client: RegistryClient, kind: Kind, tag: str | Tag, **kwargs: Any
) -> TransferSummary:
    store = kind.store()
    _, folder = store.resolve(tag)
    info = store.read_info(folder)
    manifest = (folder / store.manifest_name).read_bytes()
    return push_version(client, kind, folder, info, manifest, **kwargs)


def push_model(
    tag: str | Tag,
    *,
    force: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
    client: RegistryClient | None = None,
) -> TransferSummary:
    _check_threads(threads)
    with client or RegistryClient() as c:
        return _push_stored(
            c, MODELS, tag, force=force, threads=threads, strategy=strategy, progress=progress
        )


def push_bento(
    tag: str | Tag,
    *,
    force: bool = False,
    bare: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
    client: RegistryClient | None = None,
) -> TransferSummary:
    """Push a bento's models (concurrently, unless ``bare``), then the bento itself."""
    from tiffin._bento._info import MODELS_DIR
    from tiffin._model import MANIFEST_NAME

    _check_threads(threads)
    store = BENTOS.store()
    _, folder = store.resolve(tag)
    info = store.read_info(folder)
    manifest = (folder / store.manifest_name).read_bytes()
    total = TransferSummary("push")
    started = time.monotonic()
    model_store = MODELS.store()
    with client or RegistryClient() as c:
        if not bare and info.models:

            def push_one(carried: Any) -> TransferSummary:
                model_tag = Tag.parse(carried.tag)
                model_folder = folder / MODELS_DIR / model_tag.name / (model_tag.version or "")
                model_info = model_store.read_info(model_folder)
                model_manifest = (model_folder / MANIFEST_NAME).read_bytes()
                return push_version(
                    c,
                    MODELS,
                    model_folder,
                    model_info,
                    model_manifest,
                    force=force,
                    threads=threads,
                    strategy=strategy,
                    progress=progress,
                )

            with ThreadPoolExecutor(max_workers=min(len(info.models), threads)) as pool:
                for part in pool.map(push_one, info.models):
                    total.add(part)
        elif bare:
            missing = [
                m.tag
                for m in info.models
                if c.find_version(
                    MODELS.api, Tag.parse(m.tag).name, Tag.parse(m.tag).version or "latest"
                )
                is None
            ]
            if missing:
                raise InvalidArgument(
                    f"--bare pushes the bento without its models, but the registry at {c.url} "
                    f"lacks {', '.join(missing)}; push without --bare (or push those models first)"
                )
        own = push_version(
            c,
            BENTOS,
            folder,
            info,
            manifest,
            force=force,
            threads=threads,
            strategy=strategy,
            progress=progress,
        )
        total.add(own)
    total.seconds = time.monotonic() - started
    return total
