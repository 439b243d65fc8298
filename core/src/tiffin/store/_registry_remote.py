"""The tiffin registry as a remote store (``http://``, ``https://``): the ``/api/v1/`` client.

Push uploads the blobs the registry lacks, concurrently, each through the best transfer
strategy both sides have (see ``_negotiate``), then commits the version in one request; a
version already there with the same manifest is a no-op, a different one a
:class:`~tiffin.exceptions.Conflict` unless ``force``. Pull downloads every file through the
resumable ``$TIFFIN_HOME/.downloads`` area, each verified before it lands. The wire format is
the registry's documented API; nothing here changes it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from tiffin._converter import load_yaml
from tiffin.exceptions import Conflict, InvalidArgument, NotFound, RegistryError
from tiffin.hookspecs import (
    RemoteVersion,
    StoredFile,
    TransferOptions,
    TransferSummary,
)
from tiffin.store._negotiate import ByteCounter, download_blob, upload_blob_resumed
from tiffin.store._registry_client import RegistryClient
from tiffin.store._registry_config import RegistryConfig, normalize_url
from tiffin.store.tag import Tag

__all__ = ["RegistryRemoteStore", "manifest_tag"]

_LISTED = {"kind", "name", "version", "tag", "labels", "size", "created_at", "manifest", "files"}


def _api(kind: str) -> str:
    """The path segment under ``/api/v1/`` for a kind: ``models`` or ``bentos``."""
    return f"{kind}s"


def _version(kind: str, record: dict[str, Any]) -> RemoteVersion:
    manifest = record.get("manifest")
    return RemoteVersion(
        kind=kind,
        name=record["name"],
        version=record["version"],
        manifest=manifest.encode("utf-8") if isinstance(manifest, str) else b"",
        size=int(record.get("size") or 0),
        created_at=record.get("created_at"),
        labels=dict(record.get("labels") or {}),
        bare=bool(record.get("bare", False)),
        details={k: v for k, v in record.items() if k not in _LISTED and k != "bare"},
    )


def _safe_relpath(path: str, tag: str) -> str:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or any(p in ("", ".", "..") for p in path.split("/")):
        raise RegistryError(f"the registry's manifest of {tag} names an unsafe path {path!r}")
    return path


class RegistryRemoteStore:
    """A tiffin registry opened for one URL (see :class:`tiffin.hookspecs.RemoteStore`)."""

    #: every file is checked (size and sha256) before it lands, by ``download_blob``
    verifies_digests = True

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = normalize_url(url)
        self.client = RegistryClient(RegistryConfig(self.url, token))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RegistryRemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------

    def list_versions(
        self, kind: str, name: str | None = None, labels: dict[str, str] | None = None
    ) -> list[RemoteVersion]:
        return [_version(kind, r) for r in self.client.list_versions(_api(kind), name, labels)]

    def get_version(self, kind: str, tag: str) -> RemoteVersion:
        parsed = Tag.parse(tag)
        try:
            record = self.client.get_version(_api(kind), parsed.name, parsed.version or "latest")
        except NotFound as exc:
            raise NotFound(f"{exc} (registry {self.url})") from None
        return _version(kind, record)

    def set_labels(
        self, kind: str, tag: str, to_set: dict[str, str], to_remove: list[str]
    ) -> RemoteVersion:
        """Change a version's labels (kept beside its manifest, which never changes)."""
        parsed = Tag.parse(tag)
        path = f"/{_api(kind)}/{parsed.name}/versions/{parsed.version or 'latest'}/labels"
        record = self.client.json("PATCH", path, json={"set": to_set, "remove": to_remove})
        name, _, version = str(record.get("tag", "")).partition(":")
        return RemoteVersion(
            kind=kind,
            name=record.get("name", name),
            version=record.get("version", version),
            labels=dict(record.get("labels") or {}),
        )

    def delete_version(self, kind: str, tag: str) -> None:
        parsed = Tag.parse(tag)
        self.client.delete_version(_api(kind), parsed.name, parsed.version or "latest")

    # -- push ---------------------------------------------------------------------------------

    def push_version(
        self,
        kind: str,
        folder: Path,
        manifest: bytes,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None:
        tag = manifest_tag(manifest)
        name, version = tag.name, tag.version or ""
        total = sum(f.size for f in files)
        existing = None if options.force else self.client.find_version(_api(kind), name, version)
        if existing is not None:
            if existing.get("manifest") != manifest.decode("utf-8"):
                raise Conflict(
                    f"the registry at {self.url} already has {kind} {tag} with different "
                    f"contents; push with --force (force=True) to replace it"
                )
            summary.unchanged.append(str(tag))
            summary.files_skipped += len(files)
            summary.bytes_skipped += total
            return
        sent_files = sent_bytes = resumed_bytes = 0
        if not options.bare:
            unique: dict[str, StoredFile] = {}
            for entry in files:
                unique.setdefault(entry.sha256, entry)
            missing = self.client.missing_blobs([(d, e.size) for d, e in unique.items()])
            to_send = [unique[d] for d in unique if d in missing]
            counter = ByteCounter(sum(e.size for e in to_send), options.progress)

            def send(entry: StoredFile) -> tuple[str | None, int]:
                return upload_blob_resumed(
                    self.client,
                    entry.sha256,
                    entry.size,
                    folder / entry.path,
                    counter,
                    options.strategy,
                )

            with ThreadPoolExecutor(max_workers=options.threads) as pool:
                used = list(pool.map(send, to_send))
            for entry, (strategy, resumed) in zip(to_send, used, strict=True):
                if strategy is not None:
                    sent_files += 1
                    sent_bytes += entry.size - resumed
                    resumed_bytes += resumed
                    summary.strategies[strategy] = summary.strategies.get(strategy, 0) + 1
        try:
            self.client.commit(
                _api(kind), name, version, manifest, options.force, bare=options.bare
            )
        except InvalidArgument as exc:
            body = getattr(exc, "body", {}) or {}
            if not options.bare or body.get("kind") != "missing_blobs":
                raise
            raise InvalidArgument(
                f"the registry at {self.url} does not record bare versions (a bare push sends "
                f"the manifest only, and it lacks {len(body.get('missing') or [])} of {kind} "
                f"{tag}'s files); push without bare"
            ) from None
        summary.files_sent += sent_files
        summary.bytes_sent += sent_bytes
        summary.files_skipped += len(files) - sent_files
        summary.bytes_resumed += resumed_bytes
        summary.bytes_skipped += total - sent_bytes - resumed_bytes

    # -- pull ---------------------------------------------------------------------------------

    def pull_version(
        self,
        version: RemoteVersion,
        folder: Path,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None:
        by_digest: dict[str, list[StoredFile]] = {}
        for entry in files:
            _safe_relpath(entry.path, version.tag)
            by_digest.setdefault(entry.sha256, []).append(entry)
        counter = ByteCounter(sum(g[0].size for g in by_digest.values()), options.progress)

        def fetch(group: list[StoredFile]) -> tuple[str, int, int]:
            first = group[0]
            destination = folder / first.path
            name, had = download_blob(
                self.client, first.sha256, first.size, destination, counter, options.strategy
            )
            for other in group[1:]:
                (folder / other.path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(destination, folder / other.path)
            return name, had, first.size

        with ThreadPoolExecutor(max_workers=options.threads) as pool:
            for name, had, size in pool.map(fetch, by_digest.values()):
                summary.strategies[name] = summary.strategies.get(name, 0) + 1
                summary.bytes_resumed += had
                summary.bytes_sent += size - had
                summary.files_sent += 1


def manifest_tag(manifest: bytes) -> Tag:
    """The ``name:version`` a manifest's own fields name."""
    data = load_yaml(manifest)
    if not isinstance(data, dict) or "name" not in data or "version" not in data:
        raise RegistryError("a manifest without a name and a version cannot be pushed")
    return Tag(str(data["name"]), str(data["version"]))
