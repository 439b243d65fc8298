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

logger = logging.getLogger("tiffin.server")

__all__ = ["error_response", "internal_error", "tiffin_error_response"]


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


def tiffin_error_response(where: str, exc: TiffinError) -> JSONResponse:
    status = exc.status_code
    if status >= 500 and status not in (503, 504):  # busy, or a timeout: said as they are
        return internal_error(where, exc)
    return error_response(status, exc.message, exc.error_kind)
