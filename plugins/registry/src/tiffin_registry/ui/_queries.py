"""What the pages show, read from the database alone (one or two indexed queries a page).

Storage is never listed: a version page reads at most its own requirements file and
Dockerfile (two known blobs), every other page is rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tiffin.exceptions import InvalidArgument
from tiffin_registry._access import Registry
from tiffin_registry._catalog import KINDS
from tiffin_registry._db import as_utc
from tiffin_registry._manifest import check_shape, load_plain_yaml
from tiffin_registry._tables import repositories, version_labels, versions

__all__ = ["PAGE_SIZE", "Search", "list_repositories", "list_versions", "parse_search", "version"]

PAGE_SIZE = 50
_TEXT_FILES = {"requirements": "env/python/requirements.txt", "dockerfile": "env/docker/Dockerfile"}
_TEXT_LIMIT = 64 * 1024


class Search:
    """A search box's query: words match names, ``key=value`` words match labels."""

    def __init__(self, names: list[str], labels: dict[str, str]) -> None:
        self.names, self.labels = names, labels


#: The longest search accepted (each word is a LIKE clause).
MAX_SEARCH = 256
MAX_WORDS = 16


def parse_search(query: str) -> Search:
    """The words of a search box; InvalidArgument (400) for one too long to run."""
    if len(query) > MAX_SEARCH or len(query.split()) > MAX_WORDS or "\0" in query:
        raise InvalidArgument(
            f"the search is too long: at most {MAX_SEARCH} characters in {MAX_WORDS} words"
        )
    names: list[str] = []
    labels: dict[str, str] = {}
    for word in query.split():
        key, eq, value = word.partition("=")
        if eq and key:
            labels[key] = value
        else:
            names.append(word)
    return Search(names, labels)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _has_label(key: str, value: str) -> Any:
    return sa.exists().where(
        version_labels.c.version_id == versions.c.id,
        version_labels.c.key == key,
        version_labels.c.value == value,
    )


def list_repositories(engine: sa.Engine, kind: str, search: Search) -> list[dict[str, Any]]:
    """Repositories of ``kind`` matching ``search``: name, latest version, when, how many."""
    stats = sa.select(
        versions.c.repository_id,
        sa.func.count().label("n"),
        sa.func.max(versions.c.version).label("latest"),
        sa.func.max(versions.c.pushed_at).label("updated"),
    ).group_by(versions.c.repository_id)
    for key, value in search.labels.items():
        stats = stats.where(_has_label(key, value))
    sub = stats.subquery()
    query = (
        sa.select(repositories.c.name, sub.c.n, sub.c.latest, sub.c.updated)
        .join(sub, sub.c.repository_id == repositories.c.id)
        .where(repositories.c.kind == kind)
        .order_by(repositories.c.name)
    )
    for word in search.names:
        query = query.where(repositories.c.name.like(_like(word.lower()), escape="\\"))
    with engine.connect() as c:
        rows = c.execute(query).all()
    return [
        {
            "name": r.name,
            "versions": int(r.n),
            "latest": r.latest,
            "updated_at": as_utc(r.updated) if r.updated else None,
        }
        for r in rows
    ]


def _labels(c: sa.Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        rows = c.execute(
            sa.select(version_labels)
            .where(version_labels.c.version_id.in_(ids))
            .order_by(version_labels.c.key)
        )
        for row in rows:
            found[row.version_id][row.key] = row.value
    return found


def _apis(kind: str, manifest: str) -> list[dict[str, Any]]:
    if kind != "bentos":
        return []
    apis = _shown_fields(manifest).get("apis") or []
    return [a for a in apis if isinstance(a, dict)]


def list_versions(
    engine: sa.Engine, kind: str, name: str, page: int
) -> tuple[list[dict[str, Any]], int] | None:
    """One page of a repository's versions, newest first, and the number of pages; None when
    the repository does not exist."""
    with engine.connect() as c:
        repo_id = c.execute(
            sa.select(repositories.c.id).where(
                repositories.c.kind == kind, repositories.c.name == name
            )
        ).scalar()
        if repo_id is None:
            return None
        total = c.execute(
            sa.select(sa.func.count()).where(versions.c.repository_id == repo_id)
        ).scalar_one()
        columns = [
            versions.c.id,
            versions.c.version,
            versions.c.summary,
            versions.c.size,
            versions.c.file_count,
            versions.c.pushed_at,
            versions.c.pushed_by,
        ]
        if kind == "bentos":
            columns.append(versions.c.manifest)
        rows = c.execute(
            sa.select(*columns)
            .where(versions.c.repository_id == repo_id)
            .order_by(versions.c.version.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        labels = _labels(c, [r.id for r in rows])
    items = [
        {
            "version": r.version,
            "labels": labels[r.id],
            "size": int(r.size),
            "file_count": int(r.file_count),
            "pushed_at": as_utc(r.pushed_at),
            "pushed_by": r.pushed_by,
            "summary": dict(r.summary or {}),
            "apis": _apis(kind, r.manifest) if kind == "bentos" else [],
        }
        for r in rows
    ]
    return items, max(1, -(-int(total) // PAGE_SIZE))


def _shown_fields(manifest: str) -> dict[str, Any]:
    """The manifest's fields as the page shows them: a version stored before manifests were
    checked (a string as metadata, 300 levels of nesting) loses the fields that do not fit."""
    try:
        data = load_plain_yaml(manifest, "stored")  # no alias expands on a page
    except Exception:
        return {}
    if not isinstance(data, dict):
        return {}
    shown: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("metadata", "signatures") and not isinstance(value, dict):
            continue
        if key in ("apis", "models") and not isinstance(value, list):
            continue
        try:
            check_shape(value, str(key))
        except InvalidArgument:
            continue
        shown[key] = value
    return shown


def version(registry: Registry, catalog: Any, kind: str, name: str, ver: str) -> dict[str, Any]:
    """A version's record, files and parsed manifest (NotFound when absent)."""
    record = catalog.get(kind, name, ver)
    data = _shown_fields(record["manifest"])
    with registry.engine.connect() as c:
        pusher = c.execute(
            sa.select(versions.c.pushed_by)
            .join(repositories)
            .where(
                repositories.c.kind == kind,
                repositories.c.name == name,
                versions.c.version == record["version"],
            )
        ).scalar()
    texts: dict[str, str] = {}
    if kind == "bentos":
        by_path = {f["path"]: f for f in record["files"]}
        for key, path in _TEXT_FILES.items():
            entry = by_path.get(path)
            if entry is None:
                continue
            try:
                with registry.open_blob(entry["sha256"]) as blob:
                    raw = blob.read(_TEXT_LIMIT + 1)
            except Exception:
                continue
            text = raw[:_TEXT_LIMIT].decode("utf-8", errors="replace")
            texts[key] = text + ("\n…" if len(raw) > _TEXT_LIMIT else "")
    return {
        "record": record,
        "data": data,
        "pushed_by": pusher,
        "texts": texts,
        "what": KINDS[kind][0],
    }
