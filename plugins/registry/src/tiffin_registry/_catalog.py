"""Repositories and versions: commit (one transaction that checks every blob), find, list, delete.

A repository is a model or bento name; a version is one pushed manifest. The manifest text is
kept exactly as pushed (pull writes the same bytes) and parsed here only to learn its name,
version, labels, creation time and file list, so the registry does not depend on every field
a future client may add.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tiffin.exceptions import Conflict, InvalidArgument, NotFound
from tiffin.store import validate_name, validate_version
from tiffin_registry._db import as_utc, now
from tiffin_registry._manifest import check_path, check_shape, load_plain_yaml, optional_string
from tiffin_registry._tables import blobs, repositories, version_files, version_labels, versions

__all__ = ["KINDS", "Catalog", "MissingBlobs", "parse_manifest"]

#: API path segment -> (the word, the manifest file name)
KINDS = {"models": ("model", "model.yaml"), "bentos": ("bento", "bento.yaml")}
_IN_CHUNK = 500


class MissingBlobs(InvalidArgument):
    """A version names blobs the registry does not have (push them first)."""

    error_kind = "missing_blobs"

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"unknown kind {kind!r}: the registry holds 'models' and 'bentos'")
    return kind


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def parse_manifest(kind: str, name: str, version: str, text: bytes) -> dict[str, Any]:
    """The fields the registry needs from a pushed manifest; InvalidArgument (400) on any flaw."""
    what, reserved = KINDS[kind]
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"the {what} manifest is not valid UTF-8: {exc}") from None
    if "\0" in decoded:
        raise InvalidArgument(f"the {what} manifest holds a NUL character")
    try:
        data = load_plain_yaml(decoded, what)
    except InvalidArgument:
        raise
    except Exception as exc:
        raise InvalidArgument(f"the {what} manifest is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"the {what} manifest must be a mapping")
    check_shape(data, "the manifest")
    if data.get("name") != name or str(data.get("version")) != version:
        raise InvalidArgument(
            f"the manifest names {data.get('name')}:{data.get('version')}, but it was pushed as "
            f"{name}:{version}"
        )
    files = data.get("files") or []
    if not isinstance(files, list):
        raise InvalidArgument("the manifest's 'files' must be a list")
    parsed_files: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for i, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise InvalidArgument(f"files[{i}] must be a mapping with path, size and sha256")
        path, size, digest = entry.get("path"), entry.get("size"), entry.get("sha256")
        path = check_path(path, f"files[{i}].path", reserved)
        if path in seen:
            raise InvalidArgument(f"files[{i}].path {path!r} is listed twice")
        seen.add(path)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidArgument(f"files[{i}].size must be a non-negative integer")
        from tiffin_registry._access import check_sha256

        check_sha256(digest)
        parsed_files.append((path, str(digest), size))  # check_sha256 refused a non-string
    labels = data.get("labels") or {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise InvalidArgument("the manifest's 'labels' must map strings to strings")
    created = data.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created)
        except ValueError:
            created = None
    if not isinstance(created, datetime):
        created = now()
    summary: dict[str, Any] = {}
    for key in ("metadata", "signatures", "apis", "options", "context"):
        if data.get(key) is not None and not isinstance(data[key], dict | list):
            raise InvalidArgument(f"the {what} manifest's {key!r} must be a mapping")
    if kind == "models":
        summary["framework"] = optional_string(data, "framework", what)
    else:
        summary["service"] = optional_string(data, "service", what)
        models = data.get("models") or []
        if not isinstance(models, list):
            raise InvalidArgument(f"the {what} manifest's 'models' must be a list of models")
        tags = []
        for i, m in enumerate(models):
            tag = m.get("tag") if isinstance(m, dict) else m
            if not isinstance(tag, str):
                raise InvalidArgument(f"the {what} manifest's models[{i}] must name a tag")
            tags.append(tag)
        summary["models"] = tags
    return {
        "text": decoded,
        "files": parsed_files,
        "labels": dict(labels),
        "created_at": as_utc(created),
        "summary": summary,
    }


class Catalog:
    """Versions of models and bentos in the database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- blobs --------------------------------------------------------------------------------

    def missing_blobs(self, wanted: list[tuple[str, int]]) -> list[str]:
        """Which ``(sha256, size)`` are not stored (a size mismatch counts as missing); the
        present ones are marked as just seen, so gc spares them while this push runs."""
        sizes = dict(wanted)
        have: dict[str, int] = {}
        digests = sorted(sizes)
        with self.engine.begin() as c:
            for part in _chunks(digests):
                rows = c.execute(  # an unverified blob counts as missing: the push heals it
                    sa.select(blobs.c.sha256, blobs.c.size).where(
                        blobs.c.sha256.in_(part), blobs.c.verified.is_(True)
                    )
                )
                have.update({r.sha256: int(r.size) for r in rows})
                c.execute(blobs.update().where(blobs.c.sha256.in_(part)).values(last_seen_at=now()))
        return [d for d in digests if have.get(d) != sizes[d]]

    # -- writing ------------------------------------------------------------------------------

    def _repository_id(self, c: sa.Connection, kind: str, name: str) -> int | None:
        return c.execute(
            sa.select(repositories.c.id).where(
                repositories.c.kind == kind, repositories.c.name == name
            )
        ).scalar()

    def _ensure_repository(self, kind: str, name: str) -> None:
        with self.engine.begin() as c:
            if self._repository_id(c, kind, name) is not None:
                return
        try:
            with self.engine.begin() as c:
                c.execute(repositories.insert().values(kind=kind, name=name, created_at=now()))
        except sa.exc.IntegrityError:
            pass  # created meanwhile by a concurrent push

    def commit(
        self, kind: str, name: str, version: str, text: bytes, *, force: bool, actor: str
    ) -> tuple[bool, dict[str, Any]]:
        """Store a version whose blobs all exist; ``(created, record)``. Identical re-pushes are
        no-ops; a different manifest for an existing version is a Conflict unless ``force``."""
        check_kind(kind)
        validate_name(name, what=f"{KINDS[kind][0]} name")
        validate_version(version)
        m = parse_manifest(kind, name, version, text)
        self._ensure_repository(kind, name)
        tag = f"{name}:{version}"
        try:
            with self.engine.begin() as c:
                repo_id = self._repository_id(c, kind, name)
                existing = c.execute(
                    sa.select(versions.c.id, versions.c.manifest).where(
                        versions.c.repository_id == repo_id, versions.c.version == version
                    )
                ).first()
                if existing is not None:
                    if existing.manifest == m["text"]:
                        return False, self._record(c, existing.id)
                    if not force:
                        raise Conflict(
                            f"{KINDS[kind][0]} {tag} already exists in the registry with "
                            f"different contents; push with --force to replace it"
                        )
                    c.execute(versions.delete().where(versions.c.id == existing.id))
                self._check_blobs(c, m["files"], tag)
                version_id = c.execute(
                    versions.insert().values(
                        repository_id=repo_id,
                        version=version,
                        manifest=m["text"],
                        summary=m["summary"],
                        size=sum(size for _, _, size in m["files"]),
                        file_count=len(m["files"]),
                        created_at=m["created_at"],
                        pushed_at=now(),
                        pushed_by=actor,
                    )
                ).inserted_primary_key[0]  # type: ignore[index, unused-ignore]  # typed only with SQLAlchemy installed
                if m["files"]:
                    c.execute(
                        version_files.insert(),
                        [
                            {"version_id": version_id, "path": p, "sha256": d, "size": s}
                            for p, d, s in m["files"]
                        ],
                    )
                if m["labels"]:
                    c.execute(
                        version_labels.insert(),
                        [
                            {"version_id": version_id, "key": k, "value": v}
                            for k, v in m["labels"].items()
                        ],
                    )
                return True, self._record(c, version_id)
        except sa.exc.IntegrityError:
            # a concurrent push of the same version committed first
            with self.engine.connect() as c:
                row = c.execute(
                    sa.select(versions.c.id, versions.c.manifest)
                    .join(repositories)
                    .where(
                        repositories.c.kind == kind,
                        repositories.c.name == name,
                        versions.c.version == version,
                    )
                ).first()
                if row is not None and row.manifest == m["text"]:
                    return False, self._record(c, row.id)
            raise Conflict(
                f"{KINDS[kind][0]} {tag} was pushed by someone else at the same time with "
                f"different contents; pull it, or push with --force to replace it"
            ) from None

    def _check_blobs(self, c: sa.Connection, files: list[tuple[str, str, int]], tag: str) -> None:
        wanted = {d: s for _, d, s in files}
        have: dict[str, int] = {}
        for part in _chunks(sorted(wanted)):
            # touching the rows first makes a concurrent gc's delete of them wait for (then
            # skip) this transaction, or makes this commit see them gone
            c.execute(blobs.update().where(blobs.c.sha256.in_(part)).values(last_seen_at=now()))
            rows = c.execute(
                sa.select(blobs.c.sha256, blobs.c.size).where(blobs.c.sha256.in_(part))
            )
            have.update({r.sha256: int(r.size) for r in rows})
        missing = sorted(d for d, s in wanted.items() if have.get(d) != s)
        if missing:
            raise MissingBlobs(
                f"{tag} names {len(missing)} file(s) the registry does not have (first: "
                f"{missing[0]}); upload them before committing (tiffin push does)",
                missing,
            )

    def delete(self, kind: str, name: str, version: str, actor: str) -> str:
        """Delete one exact version: never ``latest`` nor a prefix, which name whatever happens
        to match at the time of the request."""
        check_kind(kind)
        what = KINDS[kind][0]
        with self.engine.begin() as c:
            row = c.execute(
                sa.select(versions.c.id, versions.c.version)
                .join(repositories)
                .where(
                    repositories.c.kind == kind,
                    repositories.c.name == name,
                    versions.c.version == version,
                )
            ).first()
            if row is None:
                raise NotFound(
                    f"the registry has no {what} {name}:{version}; deleting takes an exact "
                    f"version (not 'latest' nor a prefix)"
                )
            c.execute(versions.delete().where(versions.c.id == row.id))
        return f"{name}:{row.version}"

    # -- reading ------------------------------------------------------------------------------

    def _resolve(self, c: sa.Connection, kind: str, name: str, version: str) -> Any:
        what = KINDS[kind][0]
        query = (
            sa.select(versions.c.id, versions.c.version)
            .join(repositories)
            .where(repositories.c.kind == kind, repositories.c.name == name)
        )
        if version in ("", "latest"):
            row = c.execute(query.order_by(versions.c.version.desc()).limit(1)).first()
        else:
            row = c.execute(query.where(versions.c.version == version)).first()
            if row is None:
                escaped = version.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                rows = c.execute(
                    query.where(versions.c.version.like(escaped + "%", escape="\\")).limit(2)
                ).all()
                if len(rows) > 1:
                    raise InvalidArgument(
                        f"version prefix {version!r} of {what} {name!r} is ambiguous; give more "
                        f"characters"
                    )
                row = rows[0] if rows else None
        if row is None:
            raise NotFound(
                f"the registry has no {what} {name}:{version or 'latest'}"
                if version not in ("", "latest")
                else f"the registry has no {what} named {name!r}"
            )
        return row

    def get(self, kind: str, name: str, version: str) -> dict[str, Any]:
        check_kind(kind)
        with self.engine.connect() as c:
            row = self._resolve(c, kind, name, version)
            record = self._record(c, row.id)
            files = c.execute(
                sa.select(version_files.c.path, version_files.c.size, version_files.c.sha256)
                .where(version_files.c.version_id == row.id)
                .order_by(version_files.c.path)
            ).all()
            manifest: str = c.execute(
                sa.select(versions.c.manifest).where(versions.c.id == row.id)
            ).scalar_one()
        record["files"] = [{"path": f.path, "size": int(f.size), "sha256": f.sha256} for f in files]
        record["manifest"] = manifest
        return record

    def _record(self, c: sa.Connection, version_id: int) -> dict[str, Any]:
        return self._records(
            c, sa.select(*_VERSION_COLUMNS).join(repositories).where(versions.c.id == version_id)
        )[0]

    def _records(self, c: sa.Connection, query: Any) -> list[dict[str, Any]]:
        rows = c.execute(query).all()
        ids = [r.id for r in rows]
        labels: dict[int, dict[str, str]] = {i: {} for i in ids}
        for part in _chunks(ids):
            for lab in c.execute(
                sa.select(version_labels).where(version_labels.c.version_id.in_(part))
            ):
                labels[lab.version_id][lab.key] = lab.value
        return [
            {
                "kind": r.kind,
                "name": r.name,
                "version": r.version,
                "tag": f"{r.name}:{r.version}",
                "labels": labels[r.id],
                "size": int(r.size),
                "file_count": int(r.file_count),
                "created_at": as_utc(r.created_at).isoformat(),
                "pushed_at": as_utc(r.pushed_at).isoformat(),
                **dict(r.summary or {}),
            }
            for r in rows
        ]

    def list_versions(
        self,
        kind: str,
        name: str | None,
        labels: dict[str, str],
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Versions newest first; ``(page, more)``."""
        check_kind(kind)
        query = sa.select(*_VERSION_COLUMNS).join(repositories).where(repositories.c.kind == kind)
        if name is not None:
            query = query.where(repositories.c.name == name)
        for key, value in labels.items():
            query = query.where(
                sa.exists().where(
                    version_labels.c.version_id == versions.c.id,
                    version_labels.c.key == key,
                    version_labels.c.value == value,
                )
            )
        query = query.order_by(versions.c.version.desc(), repositories.c.name).offset(offset)
        with self.engine.connect() as c:
            if name is not None and self._repository_id(c, kind, name) is None:
                raise NotFound(f"the registry has no {KINDS[kind][0]} named {name!r}")
            page = self._records(c, query.limit(limit + 1))
        return page[:limit], len(page) > limit

    def list_repositories(
        self, kind: str, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Repositories with at least one version, by name, with their newest version."""
        check_kind(kind)
        counts = (
            sa.select(
                versions.c.repository_id,
                sa.func.count().label("n"),
                sa.func.max(versions.c.version).label("latest"),
                sa.func.max(versions.c.pushed_at).label("updated"),
            )
            .group_by(versions.c.repository_id)
            .subquery()
        )
        query = (
            sa.select(repositories.c.name, counts.c.n, counts.c.latest, counts.c.updated)
            .join(counts, counts.c.repository_id == repositories.c.id)
            .where(repositories.c.kind == kind)
            .order_by(repositories.c.name)
            .offset(offset)
            .limit(limit + 1)
        )
        with self.engine.connect() as c:
            rows = c.execute(query).all()
        items = [
            {
                "name": r.name,
                "versions": int(r.n),
                "latest": r.latest,
                "updated_at": as_utc(r.updated).isoformat() if r.updated else None,
            }
            for r in rows
        ]
        return items[:limit], len(items) > limit


_VERSION_COLUMNS = [
    versions.c.id,
    repositories.c.kind,
    repositories.c.name,
    versions.c.version,
    versions.c.summary,
    versions.c.size,
    versions.c.file_count,
    versions.c.created_at,
    versions.c.pushed_at,
]
