"""Errors tiffin raises on purpose.

Every error a *user* can cause derives from :class:`TiffinError`: the CLI prints its message
as one line and exits 1, and the HTTP server maps its ``status_code`` to a response. Anything
else escaping tiffin is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "BadInput",
    "Conflict",
    "DigestMismatch",
    "Forbidden",
    "InvalidArchive",
    "InvalidArgument",
    "MissingPlugin",
    "NotFound",
    "PluginError",
    "RegistryError",
    "RegistryUnreachable",
    "RunnerMethodNotFound",
    "RunnerNotStarted",
    "ServiceUnavailable",
    "TiffinError",
    "TransferUnavailable",
    "Unauthorized",
    "UnsupportedMediaType",
]


class TiffinError(Exception):
    """A problem the user can fix; the message says what was wrong and how to fix it."""

    status_code: int = 500
    error_kind: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgument(TiffinError, ValueError):
    """An argument, name, tag or configuration value is not acceptable."""

    status_code = 400
    error_kind = "invalid_argument"


class BadInput(InvalidArgument):
    """A request's payload does not match what the API's IO descriptor accepts (HTTP 400)."""

    error_kind = "bad_input"


class UnsupportedMediaType(BadInput):
    """The request's ``Content-Type`` is not one the API's input descriptor accepts (HTTP 415)."""

    status_code = 415
    error_kind = "unsupported_media_type"


class NotFound(TiffinError, LookupError):
    """A model, bento, route or file that was asked for does not exist."""

    status_code = 404
    error_kind = "not_found"


class Conflict(TiffinError):
    """The thing being created already exists, or exists differently."""

    status_code = 409
    error_kind = "conflict"


class InvalidArchive(TiffinError):
    """An archive being imported is unreadable, tampered with or unsafe; nothing was written."""

    status_code = 400
    error_kind = "invalid_archive"


class ServiceUnavailable(TiffinError):
    """The server cannot take the request now (overloaded, runner down); retry later (HTTP 503)."""

    status_code = 503
    error_kind = "unavailable"


class PluginError(TiffinError):
    """A plugin broke the contract: a bad registration, a duplicate name, a failed import."""

    error_kind = "plugin_error"


class MissingPlugin(TiffinError, AttributeError):
    """The feature asked for lives in a plugin that is not installed; the message names it."""

    error_kind = "missing_plugin"


class RunnerNotStarted(TiffinError):
    """A runner was called before ``init_local()`` or before a server started it."""


class RunnerMethodNotFound(TiffinError, AttributeError):
    """``runner.<name>`` names no method of the runnable."""


# -- the registry (client and server) ----------------------------------------------------------


class RegistryError(TiffinError):
    """The registry refused or failed a request; the message is the registry's own explanation."""

    status_code = 502
    error_kind = "registry_error"


class RegistryUnreachable(RegistryError):
    """No registry answered at the configured URL (wrong URL, server down, network)."""

    status_code = 503
    error_kind = "registry_unreachable"


class Unauthorized(RegistryError):
    """The request carried no token, or one the registry does not know (HTTP 401)."""

    status_code = 401
    error_kind = "unauthorized"


class Forbidden(RegistryError):
    """The token is known but its scope does not allow this request (HTTP 403)."""

    status_code = 403
    error_kind = "forbidden"


class DigestMismatch(InvalidArgument):
    """Bytes received do not have the sha256 or size they were announced with; nothing was kept."""

    error_kind = "digest_mismatch"


class TransferUnavailable(TiffinError):
    """A transfer strategy cannot move this blob here; the client falls back to the next one.

    Raised by a strategy's client side (and answered by the registry as ``"strategy": null``)
    instead of a free-text error, so that fallback never depends on matching messages.
    """

    status_code = 409
    error_kind = "transfer_unavailable"
