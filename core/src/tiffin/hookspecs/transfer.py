"""Transfer strategies: ``register_transfer_strategies``, both halves of a strategy, and the
objects a strategy's registry half receives (:class:`RegistryAccess`, :class:`UploadSession`).

The whole wire protocol is in ``docs/registry-api.md``; the walk-through in ``docs/plugins.md``.
In short: the client asks the registry for an *offer* (``POST /api/v1/blobs/{sha256}/upload``
or ``.../download``) listing the strategies it has installed, best first; the registry answers
with the first one it also has whose registry half makes an offer; the client hands that offer
to its own half of the same strategy. When a strategy cannot be used, the fallback is *typed*:
the registry half returns ``None`` instead of an offer, or the client half raises
:class:`tiffin.exceptions.TransferUnavailable`, and the client asks again without it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec
from tiffin.hookspecs.storage import StorageBackend

if TYPE_CHECKING:
    import fsspec
    import httpx
    from starlette.requests import Request
    from starlette.routing import BaseRoute

__all__ = [
    "ClientTransferStrategy",
    "RegistryAccess",
    "RegistryTransferStrategy",
    "SupportsAccepts",
    "SupportsClientDownload",
    "SupportsClientUpload",
    "SupportsRegistryAbort",
    "SupportsRegistryOfferDownload",
    "SupportsRegistryOfferUpload",
    "SupportsRegistryRoutes",
    "TransferStrategy",
    "UploadSession",
    "register_transfer_strategies",
]

#: ``progress(n_bytes)``: bytes moved since the last call (negative to take some back).
Progress = Callable[[int], None]


@runtime_checkable
class TransferStrategy(Protocol):
    """One way of moving a blob (one file, named by its sha256) between a client and a registry.

    Tiffin ships ``proxy`` (bytes stream through the registry); ``tiffin-presigned`` and
    ``tiffin-multipart`` add others. Required of every strategy:

    - ``name``: a lowercase identifier; what ``--strategy NAME`` selects and what the registry
      advertises.
    - ``priority``: an int; the client lists its strategies highest first (``proxy`` is 0, so
      any plugin with a positive priority is preferred when both sides have it).

    Everything else is optional, one small protocol per ability, checked with ``isinstance``;
    a strategy may be client-only or registry-only. Client half: :class:`SupportsAccepts`,
    :class:`SupportsClientUpload`, :class:`SupportsClientDownload` (all three:
    :class:`ClientTransferStrategy`). Registry half: :class:`SupportsRegistryOfferUpload`,
    :class:`SupportsRegistryOfferDownload`, :class:`SupportsRegistryAbort`,
    :class:`SupportsRegistryRoutes` (all four: :class:`RegistryTransferStrategy`).
    Test one with ``tiffin_registry.testing.TransferStrategyContract``.
    """

    name: str
    priority: int


# -- client half ---------------------------------------------------------------------------------


@runtime_checkable
class SupportsAccepts(Protocol):
    """``accepts(size)``: whether the client should use this strategy for a blob of ``size``
    bytes (multipart declines small blobs). Without it: yes."""

    def accepts(self, size: int) -> bool: ...


@runtime_checkable
class SupportsClientUpload(Protocol):
    """``client_upload(offer, path, size, http, progress)``: send the local file ``path``.

    ``offer`` is the dict the registry half returned; ``size`` the file's size (its sha256 is
    the one offered). ``http`` is an ``httpx.Client`` whose ``base_url`` is the registry and
    which carries the registry's token: use it for registry URLs only, and a plain client for
    anything else (a presigned S3 URL). ``progress(n_bytes)`` reports bytes moved since the last
    call. Success means the registry has verified the blob (digest and size) and it exists.
    Raise :class:`tiffin.exceptions.TransferUnavailable` to fall back to the next strategy, any
    other :class:`tiffin.exceptions.TiffinError` to fail the push
    (:func:`tiffin.transfer.raise_for_registry` maps a registry's error answer to one).
    Return ``None``, or, when the upload resumed an interrupted one, the number of bytes the
    registry already had (push summaries report them as ``bytes_resumed``).
    """

    def client_upload(
        self, offer: dict[str, Any], path: Path, size: int, http: httpx.Client, progress: Progress
    ) -> int | None: ...


@runtime_checkable
class SupportsClientDownload(Protocol):
    """``client_download(offer, path, size, http, progress) -> sha256 | None``: write the blob.

    ``path`` may already hold the first bytes of an interrupted download: continue after them
    (:class:`tiffin.transfer.ResumableDownload`) rather than start over. Return the sha256 of
    the whole file when computed on the way (saves core a second read), else ``None``; core
    verifies it either way and lands the file only when it matches.
    """

    def client_download(
        self, offer: dict[str, Any], path: Path, size: int, http: httpx.Client, progress: Progress
    ) -> str | None: ...


@runtime_checkable
class ClientTransferStrategy(
    TransferStrategy, SupportsAccepts, SupportsClientUpload, SupportsClientDownload, Protocol
):
    """A strategy's whole client half."""


# -- what the registry half receives --------------------------------------------------------------


@runtime_checkable
class UploadSession(Protocol):
    """An upload in progress, recorded in the registry's database (so ``gc`` spares its blob).

    ``id`` (URL-safe), ``sha256`` and ``size`` (what the client announced), ``strategy`` (its
    name), ``state`` (``"open"``, ``"done"``, ``"aborted"``), ``data`` (a JSON-able dict the
    strategy owns), ``created_at`` and ``updated_at`` (aware UTC datetimes). Read only: change
    ``data`` with :meth:`RegistryAccess.update_session`.
    """

    @property
    def id(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def strategy(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...


@runtime_checkable
class RegistryAccess(Protocol):
    """What a registry hands a strategy's registry half: storage, sessions, auth, signing.

    Implemented by ``tiffin-registry`` (``tiffin_registry.access``); a strategy never touches
    the database or the storage layout except through these. Blocking methods are plain
    functions (call them from async routes with ``starlette.concurrency.run_in_threadpool``);
    ``receive`` and ``authorize`` are coroutines.
    """

    # storage
    @property
    def storage_url(self) -> str:
        """The root URL of the registry's storage (``/srv/registry``, ``s3://b/p``)."""

    @property
    def backend(self) -> StorageBackend:
        """The storage backend owning it: test its abilities with ``isinstance``
        (``SupportsPresign``, ``SupportsMultipart``)."""

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The storage's fsspec filesystem."""

    def blob_url(self, sha256: str) -> str:
        """Where a verified blob lives, as a URL for the backend's capabilities. Read only."""

    def blob_path(self, sha256: str) -> str:
        """Where a verified blob lives, as a path within :attr:`fs`. Read only."""

    def staging_url(self, session_id: str) -> str:
        """Where an upload writes its bytes before :meth:`finalize` (a URL)."""

    def staging_path(self, session_id: str) -> str:
        """Where an upload writes its bytes before :meth:`finalize` (a path within ``fs``)."""

    def has_blob(self, sha256: str) -> bool:
        """Whether a verified blob of that digest exists."""

    def blob_size(self, sha256: str) -> int | None:
        """The blob's size, or ``None`` when absent."""

    def open_blob(self, sha256: str) -> BinaryIO:
        """The blob for reading (seekable); :class:`tiffin.exceptions.NotFound` when absent."""

    def finalize(self, session_id: str) -> None:
        """Read the staged object back, check its size and sha256 against the session, then
        make the blob exist atomically and close the session. A mismatch deletes the staged
        object and raises :class:`tiffin.exceptions.DigestMismatch`; nothing is stored."""

    async def receive(self, session_id: str, chunks: AsyncIterator[bytes]) -> None:
        """Stream ``chunks`` into the staging object, hashing on the way, then check and land
        as :meth:`finalize` does. Bytes that stop early or run long are refused."""

    # upload sessions
    def create_session(
        self, sha256: str, size: int, strategy: str, data: dict[str, Any] | None = None
    ) -> UploadSession:
        """Open a session (the registry opens one before ``registry_offer_upload``)."""

    def get_session(self, session_id: str) -> UploadSession:
        """An open session; :class:`tiffin.exceptions.NotFound` when unknown or closed."""

    def update_session(self, session_id: str, data: dict[str, Any]) -> None:
        """Replace the session's ``data`` and mark it alive."""

    def abort_session(self, session_id: str) -> None:
        """Close the session and remove its staged object."""

    # auth and signing
    async def authorize(self, request: Request, scope: str) -> str:
        """The caller's identity if its bearer token has ``scope`` (``"read"`` or ``"write"``);
        else raise :class:`tiffin.exceptions.Unauthorized` or ``Forbidden``."""

    def sign(self, message: str, expires_s: int) -> str:
        """An HMAC-SHA256 signature of ``message`` valid ``expires_s`` seconds, with a secret
        every replica shares: for URLs the registry serves without a token."""

    def verify_signature(self, message: str, signature: str) -> bool:
        """Whether ``signature`` was made by :meth:`sign` for ``message`` and has not expired."""


# -- registry half ------------------------------------------------------------------------------


@runtime_checkable
class SupportsRegistryOfferUpload(Protocol):
    """``registry_offer_upload(registry, session, base_url) -> dict | None``.

    The offer for one upload: a JSON-able dict the client half understands (URLs, part sizes,
    expiry). The registry has just opened ``session``; keep strategy state with
    ``registry.update_session(id, data)``. ``base_url`` is the absolute URL under which this
    strategy's routes are mounted (``http://host:port/api/v1/transfer/<name>``). Return
    ``None`` to decline (the storage lacks a capability); the registry tries the next. Raising
    disables the strategy on this registry (one warning) and aborts the session.
    """

    def registry_offer_upload(
        self, registry: RegistryAccess, session: UploadSession, base_url: str
    ) -> dict[str, Any] | None: ...


@runtime_checkable
class SupportsRegistryOfferDownload(Protocol):
    """``registry_offer_download(registry, sha256, size, base_url) -> dict | None``."""

    def registry_offer_download(
        self, registry: RegistryAccess, sha256: str, size: int, base_url: str
    ) -> dict[str, Any] | None: ...


@runtime_checkable
class SupportsRegistryAbort(Protocol):
    """``registry_abort(registry, session)``: free what an abandoned upload holds besides its
    staging object (part files, a storage-side multipart upload); ``tiffin registry gc``
    calls it for open sessions idle longer than the grace period."""

    def registry_abort(self, registry: RegistryAccess, session: UploadSession) -> None: ...


@runtime_checkable
class SupportsRegistryRoutes(Protocol):
    """``registry_routes(registry) -> list[starlette.routing.BaseRoute]``.

    Routes mounted under ``/api/v1/transfer/<name>/``. Check access in each with
    ``await registry.authorize(request, "read" | "write")``; raise
    :class:`tiffin.exceptions.TiffinError` subclasses for client mistakes (answered as JSON
    errors with their ``status_code``). Raising here, or returning anything but a list of
    routes, disables the strategy on this registry with one warning.
    """

    def registry_routes(self, registry: RegistryAccess) -> Sequence[BaseRoute]: ...


@runtime_checkable
class RegistryTransferStrategy(
    TransferStrategy,
    SupportsRegistryOfferUpload,
    SupportsRegistryOfferDownload,
    SupportsRegistryAbort,
    SupportsRegistryRoutes,
    Protocol,
):
    """A strategy's whole registry half."""


@hookspec
def register_transfer_strategies(register: Callable[[TransferStrategy], None]) -> None:
    """Register transfer strategies.

    :param register: call ``register(strategy)`` once per :class:`TransferStrategy` instance;
        a name registered twice is a warning and the first wins (the built-in ``proxy`` first).

    Called once per process when a client pushes or pulls, and when a registry starts (which
    offers, and mounts the routes of, every strategy with a registry half).
    """
