"""``PATCH /api/v1/{kind}/{name}/versions/{version}/labels``: labels edited after a push.

Labels are version metadata beside the manifest (table ``version_labels``): the manifest and
its digest never change, so pushing the same version again still matches. Needs a write
token; every change goes to the audit log with what was set and removed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiffin.exceptions import InvalidArgument
from tiffin_registry._access import Registry
from tiffin_registry._api import read_json
from tiffin_registry._catalog import Catalog, check_kind
from tiffin_registry._tables import version_labels

__all__ = ["edit_labels", "label_routes"]

MAX_KEY = 255


def _changes(body: Any) -> tuple[dict[str, str], list[str]]:
    if not isinstance(body, dict) or set(body) - {"set", "remove"}:
        raise InvalidArgument('the body must be {"set": {"key": "value"}, "remove": ["key"]}')
    to_set, to_remove = body.get("set") or {}, body.get("remove") or []
    if not isinstance(to_set, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in to_set.items()
    ):
        raise InvalidArgument("'set' must map label keys to string values")
    if not isinstance(to_remove, list) or not all(isinstance(k, str) for k in to_remove):
        raise InvalidArgument("'remove' must be a list of label keys")
    for key in [*to_set, *to_remove]:
        if not key or len(key) > MAX_KEY or "=" in key:
            raise InvalidArgument(f"label key {key!r} must be 1-{MAX_KEY} characters, without '='")
    both = sorted(set(to_set) & set(to_remove))
    if both:
        raise InvalidArgument(f"label {both[0]!r} is both set and removed")
    if not to_set and not to_remove:
        raise InvalidArgument("nothing to change: give labels to set or to remove")
    return to_set, to_remove


def edit_labels(
    catalog: Catalog, kind: str, name: str, version: str, body: Any
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Apply the body's changes in one transaction: ``(tag, labels now, the change)``."""
    to_set, to_remove = _changes(body)
    with catalog.engine.begin() as c:
        row = catalog._resolve(c, kind, name, version)
        keys = [*to_set, *to_remove]
        if keys:
            c.execute(
                version_labels.delete().where(
                    version_labels.c.version_id == row.id, version_labels.c.key.in_(keys)
                )
            )
        if to_set:
            c.execute(
                version_labels.insert(),
                [{"version_id": row.id, "key": k, "value": v} for k, v in to_set.items()],
            )
        labels = {
            r.key: r.value
            for r in c.execute(
                sa.select(version_labels.c.key, version_labels.c.value)
                .where(version_labels.c.version_id == row.id)
                .order_by(version_labels.c.key)
            )
        }
    return f"{name}:{row.version}", labels, {"set": to_set, "remove": to_remove}


def label_routes(registry: Registry, catalog: Catalog) -> list[BaseRoute]:
    """The route, mounted beside the API's under ``/api/v1``."""

    async def labels(request: Request) -> Response:
        actor = await registry.authorize(request, "write")
        kind = check_kind(request.path_params["kind"])
        name, version = request.path_params["name"], request.path_params["version"]
        body = await read_json(request)
        tag, now, change = await run_in_threadpool(edit_labels, catalog, kind, name, version, body)
        await run_in_threadpool(registry.audit, actor, "label", f"{kind}/{tag}", **change)
        return JSONResponse({"tag": tag, "labels": now})

    return [Route("/{kind}/{name}/versions/{version}/labels", labels, methods=["PATCH"])]
