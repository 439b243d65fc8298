"""Garbage collection: blobs no version references, and uploads abandoned for too long.

A blob is deleted only when no version names it, no open upload is writing it, and nothing
has touched it for the grace period: neither created nor reported present to a push (the
``last_seen_at`` stamp ``POST /blobs/check`` refreshes). So a push that is between "the
registry has this blob" and its commit keeps the blob alive. The database row goes first, in a
transaction that re-checks all of that; the storage object after.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from tiffin import plugins
from tiffin.exceptions import InvalidArgument
from tiffin.hookspecs import SupportsRegistryAbort
from tiffin_registry._access import Registry
from tiffin_registry._db import now
from tiffin_registry._tables import blobs, upload_sessions, version_files

__all__ = ["collect_garbage", "parse_duration"]

logger = logging.getLogger("tiffin.registry")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``30s``, ``15m``, ``24h``, ``7d`` (or plain seconds) as seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not match:
        raise InvalidArgument(f"--grace {text!r} is not a duration like 30m, 24h or 7d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _abort_with_strategy(registry: Registry, row: Any) -> None:
    """Let the session's strategy free what it holds beyond the staging object (the parts of
    a multipart upload, an S3 multipart upload) through its optional ``registry_abort``."""
    strategy = plugins.transfer_strategies().get(row.strategy)
    if not isinstance(strategy, SupportsRegistryAbort):
        return
    session = SimpleNamespace(
        id=row.id, sha256=row.sha256, size=int(row.size), strategy=row.strategy,
        state=row.state, data=dict(row.data or {}),
    )
    try:
        strategy.registry_abort(registry, session)
    except Exception as exc:  # one strategy's failure must not stop the collection
        logger.warning(
            "gc: the %s strategy could not abort upload %s: %s: %s",
            row.strategy, row.id, type(exc).__name__, exc,
        )


def collect_garbage(registry: Registry, *, grace_s: float, dry_run: bool = False) -> dict[str, Any]:
    cutoff = now() - timedelta(seconds=grace_s)
    engine, storage = registry.engine, registry.storage
    referenced = sa.select(version_files.c.sha256).where(version_files.c.sha256 == blobs.c.sha256)
    uploading = sa.select(upload_sessions.c.id).where(
        upload_sessions.c.sha256 == blobs.c.sha256,
        upload_sessions.c.state == "open",
        upload_sessions.c.updated_at >= cutoff,
    )
    unused = (
        sa.select(blobs.c.sha256, blobs.c.size)
        .where(~sa.exists(referenced), ~sa.exists(uploading))
        .where(blobs.c.created_at < cutoff, blobs.c.last_seen_at < cutoff)
    )
    deleted_blobs, freed = 0, 0
    with engine.connect() as c:
        candidates = c.execute(unused).all()
        kept = c.execute(sa.select(sa.func.count()).select_from(blobs)).scalar_one()
    for row in candidates:
        if dry_run:
            deleted_blobs += 1
            freed += int(row.size)
            continue
        with engine.begin() as c:  # re-check inside the transaction that deletes the row
            gone = c.execute(
                blobs.delete().where(
                    blobs.c.sha256 == row.sha256,
                    ~sa.exists(referenced),
                    ~sa.exists(uploading),
                    blobs.c.last_seen_at < cutoff,
                )
            ).rowcount
        if gone:
            storage.remove(storage.blob_path(row.sha256))
            deleted_blobs += 1
            freed += int(row.size)
    with engine.connect() as c:
        stale = c.execute(
            sa.select(
                upload_sessions.c.id,
                upload_sessions.c.state,
                upload_sessions.c.sha256,
                upload_sessions.c.size,
                upload_sessions.c.strategy,
                upload_sessions.c.data,
            ).where(
                upload_sessions.c.updated_at < cutoff
            )
        ).all()
    abandoned = [row for row in stale if row.state == "open"]
    if not dry_run:
        for row in abandoned:
            _abort_with_strategy(registry, row)
            storage.remove(storage.staging_path(row.id))
        ids = [row.id for row in stale]
        for i in range(0, len(ids), 500):  # finished sessions' records go too
            with engine.begin() as c:
                c.execute(
                    upload_sessions.delete().where(
                        upload_sessions.c.id.in_(ids[i : i + 500]),
                        upload_sessions.c.updated_at < cutoff,
                    )
                )
    if not dry_run:
        registry.audit("gc", "gc", "blobs", deleted=deleted_blobs, bytes=freed)
    return {
        "dry_run": dry_run,
        "blobs_deleted": deleted_blobs,
        "bytes_freed": freed,
        "blobs_kept": int(kept) - deleted_blobs,
        "uploads_deleted": len(abandoned),
    }
