"""The ``oci://`` remote: tiffin's remote-store protocol over an OCI registry.

See :mod:`tiffin_oci._mapping` for the layout and :mod:`tiffin_oci._client` for the protocol.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from tiffin.exceptions import Conflict, InvalidArgument, NotFound, RegistryError, TiffinError
from tiffin.hookspecs import RemoteVersion, StoredFile, TransferOptions, TransferSummary
from tiffin.store import tiffin_home
from tiffin_oci import _mapping as m
from tiffin_oci._client import DistributionClient
from tiffin_oci._credentials import Credentials, load_credentials
from tiffin_oci._url import OCIURL, check_tag, parse_url, repository

__all__ = ["OCIRemoteStore"]

_KINDS = {"model": "models", "bento": "bentos"}
#: Versions whose manifests a listing reads at once (two requests each).
_LIST_THREADS = 8


def _folder(kind: str) -> str:
    try:
        return _KINDS[kind]
    except KeyError:
        raise InvalidArgument(f"kind must be 'model' or 'bento', got {kind!r}") from None


def _safe(path: str, what: str) -> str:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or any(p in ("", ".", "..") for p in path.split("/")):
        raise RegistryError(f"the manifest of {what} names an unsafe path {path!r}")
    return path


class _Counter:
    """Thread-safe byte counter feeding ``options.progress(done, total)``."""

    def __init__(self, total: int, options: TransferOptions) -> None:
        self.total, self.done, self.progress = total, 0, options.progress
        self._lock = threading.Lock()

    def __call__(self, n: int) -> None:
        with self._lock:
            self.done += n
            done = self.done
        if self.progress is not None:
            self.progress(done, self.total)


class OCIRemoteStore:
    """Models and bentos in one namespace of an OCI registry (see :mod:`tiffin_oci`).

    Core counts a version's tag and files in the summary; this store adds what moved.
    """

    #: every pulled file's size and sha256 are checked before it lands (core need not rehash)
    verifies_digests = True

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        credentials: Credentials | None = None,
        insecure: bool | None = None,
        chunk_size: int | None = None,
        monolithic_limit: int | None = None,
    ) -> None:
        self.url = url
        self.location: OCIURL = parse_url(url, insecure=insecure)
        if credentials is None and token:
            user, sep, password = token.partition(":")
            credentials = (user, password) if sep else ("tiffin", token)
        self._credentials = credentials
        self._options = {
            k: v
            for k, v in (("chunk_size", chunk_size), ("monolithic_limit", monolithic_limit))
            if v is not None
        }
        self._client: DistributionClient | None = None
        self._client_lock = threading.Lock()

    # opening must not touch the network: the client is made on first use
    @property
    def client(self) -> DistributionClient:
        with self._client_lock:  # core may push a bento's models from several threads at once
            return self._make_client()

    def _make_client(self) -> DistributionClient:
        if self._client is None:
            credentials = self._credentials or load_credentials(self.location.host)
            self._client = DistributionClient(
                self.location,
                credentials,
                state_dir=tiffin_home() / ".staging" / "oci-uploads",
                **self._options,
            )
            try:
                self._client.ping()  # one request: an OCI registry, and the credentials it wants
            except BaseException:
                self._client.close()
                self._client = None
                raise
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> OCIRemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self) -> None:
        """Check that an OCI registry answers at the URL and takes the credentials (``GET
        /v2/``, answering its challenge); one-line errors otherwise."""
        self.client.ping()

    def repository(self, kind: str, name: str) -> str:
        return repository(self.location.namespace, _folder(kind), name)

    # -- reading ------------------------------------------------------------------------------

    def names(self, kind: str) -> list[str]:
        """Names of ``kind`` in the namespace, from the catalog API."""
        repos = self.client.catalog()
        if repos is None:
            raise RegistryError(
                f"{self.location.host} does not offer the catalog API, so tiffin cannot list "
                f"every {kind}; name one (`tiffin {'models ' if kind == 'model' else ''}list "
                f"NAME --remote`)"
            )
        prefix = f"{self.location.namespace}/{_folder(kind)}/"
        return sorted(
            {
                r[len(prefix) :]
                for r in repos
                if r.startswith(prefix) and "/" not in r[len(prefix) :]
            }
        )

    def _oci_manifest(self, repo: str, reference: str) -> tuple[dict[str, Any], str] | None:
        got = self.client.get_manifest(repo, reference)
        if got is None:
            return None
        data, digest, _ = got
        return m.load_json(data, f"the manifest of {repo}:{reference}"), digest

    def _version(self, kind: str, name: str, tag: str, oci: dict[str, Any]) -> RemoteVersion:
        repo = self.repository(kind, name)
        config = oci.get("config") or {}
        digest, size = str(config.get("digest", "")), int(config.get("size", -1))
        if oci.get("artifactType") != m.artifact_type(kind):
            raise RegistryError(
                f"{repo}:{tag} is not a tiffin {kind} (artifactType "
                f"{oci.get('artifactType')!r}); it was not pushed by tiffin"
            )
        manifest = self.client.blob_bytes(repo, digest, size)
        info = m.parse_tiffin_manifest(manifest)
        # another tag for a version (``oras tag ... prod``) names that version
        if str(info["name"]) != name or (tag != info["version"] and not m.is_alias(oci, tag)):
            raise RegistryError(
                f"{repo}:{tag} holds the manifest of {info['name']}:{info['version']}"
            )
        notes = oci.get("annotations") or {}
        labels = {
            k[len(m.LABEL_PREFIX) :]: v for k, v in notes.items() if k.startswith(m.LABEL_PREFIX)
        }
        created = info.get("created_at")
        return RemoteVersion(
            kind=kind,
            name=name,
            version=str(info["version"]),
            manifest=manifest,
            size=sum(int(f.get("size", 0)) for f in info.get("files") or ()),
            created_at=None if created is None else str(notes.get(m.CREATED) or created),
            labels=labels,
            bare=notes.get(m.PREFIX + "bare") == "true",
        )

    def _tags(self, kind: str, name: str) -> list[str]:
        return [
            t for t in self.client.tags(self.repository(kind, name)) if not t.startswith("sha256-")
        ]

    def _versions_of(self, kind: str, name: str) -> list[RemoteVersion]:
        repo = self.repository(kind, name)

        def one(tag: str) -> RemoteVersion | None:
            got = self._oci_manifest(repo, tag)
            if got is None or got[0].get("artifactType") != m.artifact_type(kind):
                return None  # something else shares the repository
            if m.is_alias(got[0], tag):
                return None  # another tag for a version (``oras tag ... prod``): listed once
            return self._version(kind, name, tag, got[0])

        with ThreadPoolExecutor(max_workers=_LIST_THREADS) as pool:
            found = [v for v in pool.map(one, self._tags(kind, name)) if v is not None]
        found.sort(key=lambda v: (v.created_at or "", v.version), reverse=True)
        return found

    def list_versions(
        self, kind: str, name: str | None = None, labels: dict[str, str] | None = None
    ) -> list[RemoteVersion]:
        names = [name] if name is not None else self.names(kind)
        wanted = dict(labels or {})
        found = [
            v
            for n in names
            for v in self._versions_of(kind, n)
            if all(v.labels.get(k) == val for k, val in wanted.items())
        ]
        found.sort(key=lambda v: (v.created_at or "", v.version), reverse=True)
        return found

    def get_version(self, kind: str, tag: str) -> RemoteVersion:
        name, _, version = str(tag).partition(":")
        repo = self.repository(kind, name)
        what = f"{kind} {name!r}"
        if not version or version == "latest":
            versions = self._versions_of(kind, name)
            if not versions:
                raise NotFound(f"{self.url} holds no {what} (repository {repo})")
            return versions[0]
        got = self._oci_manifest(repo, check_tag(version))
        if got is None:
            tags = [t for t in self._tags(kind, name) if t.startswith(version)]
            if len(tags) > 1:
                raise InvalidArgument(
                    f"version prefix {version!r} of {what} is ambiguous on {self.url}: "
                    f"{', '.join(sorted(tags)[:10])}"
                )
            if not tags:
                raise NotFound(f"{self.url} holds no {kind} {name}:{version} (repository {repo})")
            version = tags[0]
            got = self._oci_manifest(repo, version)
            if got is None:
                raise NotFound(f"{self.url} holds no {kind} {name}:{version} (deleted meanwhile)")
        return self._version(kind, name, version, got[0])

    # -- pushing ------------------------------------------------------------------------------

    def _send_blobs(
        self,
        repo: str,
        blobs: dict[str, tuple[Path | bytes, int, list[str]]],
        options: TransferOptions,
        summary: TransferSummary,
        counts: dict[str, int],
    ) -> None:
        """Make ``repo`` hold every blob (sha256 hex -> (file, size, repositories to mount
        from)): ``HEAD`` first, then a mount, then an upload; in parallel.

        ``counts`` says how many of the version's files each blob is (0 for the config blob):
        the summary counts files and their bytes, not bookkeeping."""
        client = self.client
        counter = _Counter(sum(size for _, size, _ in blobs.values()), options)
        lock = threading.Lock()

        def one(item: tuple[str, tuple[Path | bytes, int, list[str]]]) -> None:
            digest, (path, size, sources) = item
            how, sent = "present", 0
            if client.blob_size(repo, digest) is None:
                how = "upload"
                for source in sources:
                    if (
                        source != repo
                        and client.blob_size(source, digest) is not None
                        and client.mount(repo, digest, source)
                    ):
                        how = "mount"
                        break
                if how == "upload":
                    sent = client.upload(repo, digest, path, size, counter)
            if how != "upload":
                counter(size)
            n = counts.get(digest, 0)
            with lock:
                if how != "present":
                    key = "oci" if how == "upload" else "oci-mount"
                    summary.strategies[key] = summary.strategies.get(key, 0) + 1
                if not n:
                    return
                if how == "upload":
                    summary.files_sent += 1
                    summary.bytes_sent += sent
                    summary.bytes_resumed += size - sent
                    summary.files_skipped += n - 1
                    summary.bytes_skipped += size * (n - 1)
                else:
                    summary.files_skipped += n
                    summary.bytes_skipped += size * n

        threads = options.threads
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise InvalidArgument(f"threads must be a positive integer, got {threads!r}")
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, sorted(blobs.items())))

    def _blob_map(
        self, folder: Path, files: Sequence[StoredFile], sources: list[str], prefix: str = ""
    ) -> dict[str, tuple[Path | bytes, int, list[str]]]:
        blobs: dict[str, tuple[Path | bytes, int, list[str]]] = {}
        for f in files:
            blobs.setdefault(
                f.sha256, (folder / prefix / _safe(f.path, "the push"), f.size, sources)
            )
        return blobs

    def push_version(
        self,
        kind: str,
        folder: Path,
        manifest: bytes,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None:
        info = m.parse_tiffin_manifest(manifest)
        name, version = str(info["name"]), check_tag(str(info["version"]))
        repo = self.repository(kind, name)
        exact = f"{name}:{version}"
        total = sum(f.size for f in files)
        carried = m.carried_models(info, files) if kind == "bento" else {}
        in_models = {id(f) for group in carried.values() for f in group}
        own = [f for f in files if id(f) not in in_models]
        extra = {m.PREFIX + "bare": "true"} if options.bare else {}
        if carried:
            extra[m.PREFIX + "models"] = ",".join(sorted(carried))
        oci = m.build_manifest(kind, manifest, [] if options.bare else own, extra=extra)
        digest = m.sha256_digest(oci)
        existing = self.client.head_manifest(repo, version)
        if existing == digest:
            summary.unchanged.append(exact)
            summary.files_skipped += len(files)
            summary.bytes_skipped += total
            return
        if existing is not None and not options.force:
            raise Conflict(
                f"{self.url} already has {kind} {exact} with different contents; push with "
                f"--force (force=True) to replace it"
            )
        counts: dict[str, int] = {}
        for f in files if not options.bare else ():
            counts[f.sha256] = counts.get(f.sha256, 0) + 1
        if options.bare:
            summary.bare.append(exact)
        blobs = {} if options.bare else self._blob_map(folder, own, [])
        blobs.setdefault(m.sha256_digest(manifest)[7:], (manifest, len(manifest), []))
        referrers: list[tuple[str, bytes]] = []
        subject = m.descriptor(
            m.MANIFEST_TYPE, digest, len(oci), artifactType=m.artifact_type(kind)
        )
        if carried and not options.bare:
            for tag, group in sorted(carried.items()):
                model_name, _, model_version = tag.partition(":")
                base = f"{m.MODELS_DIR}/{model_name}/{model_version}/"
                model_yaml = next((f for f in group if f.path == base + "model.yaml"), None)
                if model_yaml is None:
                    raise InvalidArgument(f"the bento's copy of model {tag} has no model.yaml")
                model_manifest = (folder / model_yaml.path).read_bytes()
                model_files = [
                    _Relative(f.path[len(base) :], f.size, f.sha256)
                    for f in group
                    if f is not model_yaml
                ]
                source = [self.repository("model", model_name)]
                for f in group:
                    blobs.setdefault(f.sha256, (folder / _safe(f.path, exact), f.size, source))
                ref = m.build_manifest("model", model_manifest, model_files, subject=subject)
                referrers.append((tag, ref))
        self._send_blobs(repo, blobs, options, summary, counts)
        if referrers:
            listed, indexed = [], True
            for tag, ref in referrers:
                ref_digest, known = self.client.put_manifest_subject(
                    repo, ref_digest_tag(ref), ref, m.MANIFEST_TYPE
                )
                indexed = indexed and known
                listed.append(
                    m.descriptor(
                        m.MANIFEST_TYPE,
                        ref_digest,
                        len(ref),
                        artifactType=m.artifact_type("model"),
                        annotations={m.PREFIX + "model": tag},
                    )
                )
            if not indexed:  # no referrers API: the OCI 1.1 tag-schema fallback
                self.client.put_manifest(
                    repo, m.referrers_tag(digest), m.build_index(listed), m.INDEX_TYPE
                )
        self.client.put_manifest(repo, version, oci, m.MANIFEST_TYPE)
        if existing is not None:  # forced over another manifest: drop its referrers' index
            old_index = self.client.head_manifest(repo, m.referrers_tag(existing))
            if old_index is not None:
                with contextlib.suppress(TiffinError):
                    self.client.delete_manifest(repo, old_index)

    # -- pulling ------------------------------------------------------------------------------

    def pull_version(
        self,
        version: RemoteVersion,
        folder: Path,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None:
        kind, name = version.kind, version.name
        repo = self.repository(kind, name)
        exact = f"{name}:{version.version}"
        if version.bare:
            raise NotFound(
                f"{kind} {exact} on {self.url} was pushed bare (manifest only): its files are "
                f"not there; push it again without --bare"
            )
        groups: dict[str, list[StoredFile]] = {}
        for f in files:
            _safe(f.path, exact)
            groups.setdefault(f.sha256, []).append(f)
        info = m.parse_tiffin_manifest(version.manifest)
        fallback: dict[str, str] = {}
        for tag, group in m.carried_models(info, files).items():
            for f in group:
                fallback[f.sha256] = self.repository("model", tag.partition(":")[0])
        partial_dir = tiffin_home() / ".staging" / "oci-downloads"
        counter = _Counter(sum(g[0].size for g in groups.values()), options)
        lock = threading.Lock()
        client = self.client

        def one(group: list[StoredFile]) -> None:
            first = group[0]
            partial = partial_dir / f"sha256-{first.sha256}"
            source = repo
            if first.sha256 in fallback and client.blob_size(repo, first.sha256) is None:
                source = fallback[first.sha256]
            resumed = client.download(source, first.sha256, first.size, partial, counter)
            destination = folder / first.path
            destination.parent.mkdir(parents=True, exist_ok=True)
            for other in group[1:]:
                (folder / other.path).parent.mkdir(parents=True, exist_ok=True)
                with open(partial, "rb") as src, open(folder / other.path, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
            os.replace(partial, destination)  # verified: only now does it land
            with lock:
                summary.files_sent += len(group)
                summary.bytes_sent += first.size - resumed
                summary.bytes_resumed += resumed
                summary.strategies["oci"] = summary.strategies.get("oci", 0) + 1

        with ThreadPoolExecutor(max_workers=max(1, options.threads)) as pool:
            list(pool.map(one, groups.values()))

    # -- labels -------------------------------------------------------------------------------

    def _referrers_of(self, repo: str, digest: str) -> tuple[list[dict[str, Any]], str | None]:
        """The referrers of ``digest`` and the digest of its fallback index (None if none)."""
        refs = self.client.referrers(repo, digest)
        index = self._oci_manifest(repo, m.referrers_tag(digest))
        if refs is None:
            refs = list(index[0].get("manifests") or ()) if index is not None else []
        return refs, index[1] if index is not None else None

    def set_labels(
        self, kind: str, tag: str, to_set: dict[str, str], to_remove: list[str]
    ) -> RemoteVersion:
        """Change a version's labels after its push: the annotations of its OCI manifest (the
        tiffin manifest, its config, never changes); a bento's referrers move along."""
        found = self.get_version(kind, tag)
        repo = self.repository(kind, found.name)
        got = self._oci_manifest(repo, found.version)
        if got is None:
            raise NotFound(f"{self.url} holds no {kind} {found.name}:{found.version}")
        oci, old = got
        notes = dict(oci.get("annotations") or {})
        for key in to_remove:
            notes.pop(m.LABEL_PREFIX + key, None)
        for key, value in to_set.items():
            notes[m.LABEL_PREFIX + key] = str(value)
        data = m.encode({**oci, "annotations": notes})
        digest = m.sha256_digest(data)
        if digest != old:
            refs, old_index = self._referrers_of(repo, old)
            subject = m.descriptor(
                m.MANIFEST_TYPE, digest, len(data), artifactType=oci.get("artifactType")
            )
            listed, indexed, replaced = [], True, []
            for ref in refs:
                body = self.client.get_manifest(repo, str(ref["digest"]))
                if body is None:
                    continue
                moved = m.encode({**m.load_json(body[0], "a referrer"), "subject": subject})
                new_ref, known = self.client.put_manifest_subject(
                    repo, m.sha256_digest(moved), moved, m.MANIFEST_TYPE
                )
                indexed = indexed and known
                replaced.append(str(ref["digest"]))
                listed.append({**ref, "digest": new_ref, "size": len(moved)})
            if listed and not indexed:
                self.client.put_manifest(
                    repo, m.referrers_tag(digest), m.build_index(listed), m.INDEX_TYPE
                )
            self.client.put_manifest(repo, found.version, data, m.MANIFEST_TYPE)
            for stale in [*replaced, *([old_index] if old_index else [])]:
                with contextlib.suppress(TiffinError):
                    self.client.delete_manifest(repo, stale)
        labels = {
            k[len(m.LABEL_PREFIX) :]: v for k, v in notes.items() if k.startswith(m.LABEL_PREFIX)
        }
        return RemoteVersion(
            kind=found.kind,
            name=found.name,
            version=found.version,
            manifest=found.manifest,
            size=found.size,
            created_at=found.created_at,
            labels=labels,
            bare=found.bare,
        )

    # -- deleting -----------------------------------------------------------------------------

    def delete_version(self, kind: str, tag: str) -> None:
        found = self.get_version(kind, tag)
        repo = self.repository(kind, found.name)
        digest = self.client.head_manifest(repo, found.version)
        if digest is None:
            raise NotFound(f"{self.url} holds no {kind} {found.name}:{found.version}")
        refs = self.client.referrers(repo, digest)
        index = self._oci_manifest(repo, m.referrers_tag(digest))
        if refs is None and index is not None:
            refs = list(index[0].get("manifests") or ())
        self.client.delete_manifest(repo, digest)
        for ref in refs or ():
            with contextlib.suppress(NotFound):
                self.client.delete_manifest(repo, str(ref["digest"]))
        if index is not None:
            with contextlib.suppress(NotFound):
                self.client.delete_manifest(repo, index[1])


def ref_digest_tag(data: bytes) -> str:
    """Referrer manifests are pushed by digest (untagged), as OCI 1.1 clients do."""
    return m.sha256_digest(data)


class _Relative:
    """A file entry with its path relative to a carried model's folder."""

    __slots__ = ("path", "sha256", "size")

    def __init__(self, path: str, size: int, sha256: str) -> None:
        self.path, self.size, self.sha256 = path, size, sha256
