"""Errors as HTTP responses: a JSON body ``{"error": ..., "kind": ...}``, never a traceback.

User mistakes (:class:`tiffin.exceptions.TiffinError` with a 4xx or 503 status) say what was
wrong; anything else is logged with its traceback under an error id, and the response carries
only that id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.responses import JSONResponse

from tiffin.exceptions import TiffinError
from tiffin.io._base import OutputMismatch, current_request, header

logger = logging.getLogger("tiffin.server")

__all__ = ["error_response", "internal_error", "output_mismatch", "tiffin_error_response"]


def error_response(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        {"error": message, "kind": kind, **extra}, status_code=status, headers=headers
    )


def internal_error(where: str, exc: BaseException) -> JSONResponse:
    """Log ``exc`` with a fresh error id; answer 500 naming only the id."""
    error_id = uuid.uuid4().hex[:16]
    logger.error("error id %s: %s raised %s", error_id, where, type(exc).__name__, exc_info=exc)
    return error_response(
        500,
        f"internal server error (error id {error_id}; details are in the server log)",
        "internal",
        error_id=error_id,
    )


def _request_id() -> str:
    """The request's ``X-Request-ID`` when it sent a sane one, else a fresh id."""
    request = current_request()
    raw = header(request, b"x-request-id") if request is not None else None
    if raw:
        text = raw.decode("latin-1").strip()
        if 0 < len(text) <= 128 and all(c.isalnum() or c in "-_.:" for c in text):
            return text
    return uuid.uuid4().hex[:16]


def output_mismatch(where: str, exc: TiffinError) -> JSONResponse:
    """An API's output its descriptor refuses: logged with the request id, and a 500 saying
    what was expected and what came (the API's contract, no secret of the server's)."""
    request_id = _request_id()
    logger.error("request %s: %s: %s", request_id, where, exc.message)
    return error_response(
        500,
        f"{exc.message} (request id {request_id})",
        exc.error_kind,
        headers={"x-request-id": request_id},
        request_id=request_id,
    )


def tiffin_error_response(where: str, exc: TiffinError) -> JSONResponse:
    if isinstance(exc, OutputMismatch):
        return output_mismatch(where, exc)
    status = exc.status_code
    if status >= 500 and status != 503:
        return internal_error(where, exc)
    return error_response(status, exc.message, exc.error_kind)
