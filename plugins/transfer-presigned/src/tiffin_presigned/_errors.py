"""A presigned transfer's failures as one readable line (never showing the URL's signature)."""

from __future__ import annotations

import httpx

from tiffin.exceptions import Forbidden, RegistryError, TiffinError

__all__ = ["check"]


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            if isinstance(body.get(key), str):
                return body[key]
    return str(body)[:300]


def check(response: httpx.Response | None, doing: str, exc: Exception | None = None) -> None:
    """Raise a :class:`TiffinError` for a failed response or a broken connection."""
    if exc is not None:
        raise TiffinError(
            f"{doing} failed: {type(exc).__name__}: {' '.join(str(exc).split()) or 'connection lost'}; "
            f"run the same command again"
        ) from None
    assert response is not None
    if response.status_code < 400:
        return
    if response.is_stream_consumed is False:
        response.read()
    where = str(response.request.url.copy_with(query=None))
    message = f"{doing} failed: {where} answered {response.status_code}: {_detail(response)}"
    if response.status_code == 403:
        raise Forbidden(message)
    raise RegistryError(message)
