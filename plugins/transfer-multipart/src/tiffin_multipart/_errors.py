"""Turning a registry's or a storage server's final "no" into one readable line."""

from __future__ import annotations

import httpx

from tiffin.exceptions import TiffinError

__all__ = ["TransferFailed", "failure"]


class TransferFailed(TiffinError):
    """A blob could not be moved; the message says which, why, and what to try."""

    error_kind = "transfer_failed"

    def __init__(self, message: str, status_code: int = 502) -> None:
        super().__init__(message)
        self.status_code = status_code


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return " ".join(text.split())[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return str(body)[:300]


def failure(exc: BaseException, doing: str) -> TransferFailed:
    """The error to raise after retries ran out (or for a final 4xx) while ``doing`` something."""
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        return TransferFailed(
            f"{doing} failed: {response.request.method} {_safe(response.request.url)} answered "
            f"{response.status_code}: {_detail(response)}",
            status_code=response.status_code,
        )
    if isinstance(exc, httpx.TransportError):
        return TransferFailed(
            f"{doing} failed after retries: {type(exc).__name__}: {exc or 'connection lost'}; "
            f"check the network and run the same command again (finished parts are kept)"
        )
    return TransferFailed(f"{doing} failed: {type(exc).__name__}: {exc}")


def _safe(url: httpx.URL) -> str:
    """A URL without its query: presigned URLs carry their signature there."""
    return str(url.copy_with(query=None))
