"""Pull: download every file of a version, verify each sha256, land it in the store at once.

Files go into a staging folder of the local store (through the resumable ``.downloads``
area, see ``_transfer``), the exact manifest bytes are written last and one rename commits the
version, so a killed pull leaves nothing listed and the next pull resumes the file it was
downloading. ``to=DIR`` writes the files into a folder instead, leaving the store alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from tiffin._converter import load_yaml
from tiffin._registry._client import RegistryClient
from tiffin._registry._kinds import BENTOS, MODELS, Kind
from tiffin._registry._summary import TransferSummary
from tiffin._registry._transfer import ByteCounter, download_blob
from tiffin._storage.tag import Tag
from tiffin.exceptions import InvalidArgument, NotFound, RegistryError

__all__ = ["pull_bento", "pull_model", "pull_version", "remote_version"]

Progress = Callable[[int, int], None]


def remote_version(client: RegistryClient, kind: Kind, tag: str | Tag) -> dict[str, Any]:
    """The registry's record of ``tag`` (``latest`` and unique prefixes resolve there)."""
    parsed = Tag.parse(tag)
    try:
        return client.get_version(kind.api, parsed.name, parsed.version or "latest")
    except NotFound as exc:
        raise NotFound(f"{exc} (registry {client.url})") from None


def _safe_relpath(path: str, tag: str) -> str:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or any(p in ("", ".", "..") for p in path.split("/")):
        raise RegistryError(f"the registry's manifest of {tag} names an unsafe path {path!r}")
    return path


def _download_files(
    client: RegistryClient,
    files: list[Any],
    target: Path,
    *,
    threads: int,
    strategy: str | None,
    progress: Progress | None,
    tag: str,
    local: dict[str, Path] | None = None,
) -> tuple[dict[str, int], int]:
    """Download every file into ``target``; a content seen twice is downloaded once, and one
    that ``local`` (sha256 -> a verified local file) has is copied instead.

    Returns the blobs moved per strategy (``"local"``: copied), the bytes reused from
    interrupted downloads, and the bytes copied from the local model store."""
    by_digest: dict[str, list[Any]] = {}
    for entry in files:
        _safe_relpath(entry.path, tag)
        by_digest.setdefault(entry.sha256, []).append(entry)
    counter = ByteCounter(sum(group[0].size for group in by_digest.values()), progress)

    def fetch(group: list[Any]) -> tuple[str, int, int]:
        first = group[0]
        destination = target / first.path
        source = (local or {}).get(first.sha256)
        if source is not None and source.is_file() and source.stat().st_size == first.size:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            counter(first.size)
            used: tuple[str, int] = ("local", 0)
        else:
            used = download_blob(client, first.sha256, first.size, destination, counter, strategy)
        for other in group[1:]:
            (target / other.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(destination, target / other.path)
        return used[0], used[1], first.size

    used: dict[str, int] = {}
    resumed = local_bytes = 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for name, had, size in pool.map(fetch, by_digest.values()):
            used[name] = used.get(name, 0) + 1
            resumed += had
            local_bytes += size if name == "local" else 0
    return used, resumed, local_bytes


def _local_model_files(info: Any) -> dict[str, Path]:
    """sha256 -> file, for the files of a bento's models that the local model store holds."""
    from tiffin._bento._info import MODELS_DIR

    store = MODELS.store()
    found: dict[str, Path] = {}
    for carried in getattr(info, "models", ()):
        tag = Tag.parse(carried.tag)
        if not tag.version or not store.exists(tag.name, tag.version):
            continue
        folder = store.root / tag.name / tag.version
        prefix = f"{MODELS_DIR}/{tag.name}/{tag.version}/"
        wanted = {f.path[len(prefix) :]: f.sha256 for f in info.files if f.path.startswith(prefix)}
        for entry in store.read_info(folder).files:
            if wanted.get(entry.path) == entry.sha256:
                found[entry.sha256] = folder / entry.path
    return found


def pull_version(
    client: RegistryClient,
    kind: Kind,
    tag: str | Tag,
    *,
    force: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
) -> tuple[Any, TransferSummary]:
    """Pull one version into its local store; ``(item, summary)``. A bento's model files
    already in the local model store are copied from there instead of downloaded."""
    started = time.monotonic()
    store = kind.store()
    remote = remote_version(client, kind, tag)
    name, version = remote["name"], remote["version"]
    exact = f"{name}:{version}"
    manifest = remote["manifest"].encode("utf-8")
    info = store.load_info(load_yaml(manifest))
    if (info.name, info.version) != (name, version):
        raise RegistryError(f"the registry's manifest of {exact} names {info.name}:{info.version}")
    summary = TransferSummary("pull", tags=[exact], files=len(info.files))
    total = sum(f.size for f in info.files)
    if store.exists(name, version) and not force:
        summary.unchanged.append(exact)
        summary.files_skipped, summary.bytes_skipped = len(info.files), total
        summary.seconds = time.monotonic() - started
        return store.get(exact), summary
    with store.staging(name) as stage:
        summary.strategies, summary.bytes_resumed, local_bytes = _download_files(
            client,
            list(info.files),
            stage,
            threads=threads,
            strategy=strategy,
            progress=progress,
            tag=exact,
            local=_local_model_files(info) if kind is BENTOS else None,
        )
        if force and store.exists(name, version):
            store.delete(exact)
        item = store.commit(stage, info, rescan=False, manifest_text=manifest, keep_version=True)
    summary.files_sent = len(info.files)
    # what crossed the network this time; files found locally count as skipped
    summary.bytes_sent = total - summary.bytes_resumed - local_bytes
    summary.bytes_skipped = local_bytes
    summary.seconds = time.monotonic() - started
    return item, summary


def pull_model(
    tag: str | Tag,
    *,
    force: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
    client: RegistryClient | None = None,
) -> tuple[Any, TransferSummary]:
    with client or RegistryClient() as c:
        return pull_version(
            c, MODELS, tag, force=force, threads=threads, strategy=strategy, progress=progress
        )


def pull_bento(
    tag: str | Tag,
    *,
    force: bool = False,
    with_models: bool = False,
    to: str | os.PathLike[str] | None = None,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
    client: RegistryClient | None = None,
) -> tuple[Any, TransferSummary]:
    """Pull a bento (its models travel inside it); ``with_models`` also adds them to the model
    store; ``to`` writes the bento's files into that folder instead of the store."""
    with client or RegistryClient() as c:
        if to is not None:
            return _pull_to_folder(c, tag, Path(to), threads, strategy, progress)
        bento, summary = pull_version(
            c, BENTOS, tag, force=force, threads=threads, strategy=strategy, progress=progress
        )
    if with_models:
        from tiffin._bento._carried import store_carried_models as _store_carried_models

        _store_carried_models(bento)
    return bento, summary


def _pull_to_folder(
    client: RegistryClient,
    tag: str | Tag,
    folder: Path,
    threads: int,
    strategy: str | None,
    progress: Progress | None,
) -> tuple[Any, TransferSummary]:
    from tiffin._bento._info import MANIFEST_NAME, Bento, BentoInfo

    started = time.monotonic()
    folder = folder.expanduser().absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidArgument(
            f"{folder} already exists and is not an empty folder; pull --to needs a new or "
            f"empty folder"
        )
    remote = remote_version(client, BENTOS, tag)
    exact = f"{remote['name']}:{remote['version']}"
    manifest = remote["manifest"].encode("utf-8")
    info = BentoInfo.from_dict(load_yaml(manifest))
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".{folder.name}.pulling-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        used, resumed, local_bytes = _download_files(
            client,
            list(info.files),
            partial,
            threads=threads,
            strategy=strategy,
            progress=progress,
            tag=exact,
            local=_local_model_files(info),
        )
        (partial / MANIFEST_NAME).write_bytes(manifest)
        if folder.exists():
            folder.rmdir()
        os.rename(partial, folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(partial)
    total = sum(f.size for f in info.files)
    summary = TransferSummary(
        "pull",
        tags=[exact],
        files=len(info.files),
        files_sent=len(info.files),
        bytes_sent=total - resumed - local_bytes,
        bytes_skipped=local_bytes,
        bytes_resumed=resumed,
        strategies=used,
        seconds=time.monotonic() - started,
    )
    return Bento(info, folder), summary
