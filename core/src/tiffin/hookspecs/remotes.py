"""Remotes: which URL schemes push, pull, ``--remote``, auto-pull and ``BentoModel`` reach.

A *remote* is a place, named by a URL, that holds versions of models and bentos away from
this machine: the tiffin registry (``http://``, ``https://``, built into core) or an OCI
registry (``oci://``, from ``tiffin-oci``). Nothing else in tiffin knows which kind of remote
it talks to. The values below are what core and a remote hand each other; they are public and
stable (:mod:`tiffin.store` re-exports them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from tiffin.hookspecs._markers import hookspec

__all__ = [
    "KINDS",
    "Remote",
    "RemoteStore",
    "RemoteVersion",
    "StoredFile",
    "SupportsSetLabels",
    "TransferOptions",
    "TransferSummary",
    "register_remotes",
]


#: The two kinds of stored thing, spelled once: a model and a bento.
KINDS: tuple[str, ...] = ("model", "bento")


@attrs.frozen
class TransferOptions:
    """How one copy (push, pull, export, import) runs; one value for every door onto it.

    - ``force``: replace a version the destination already has (push: a different manifest;
      pull: download again even when stored locally).
    - ``threads``: files (blobs) moved at once, a positive int.
    - ``strategy``: force one transfer strategy by name (``"proxy"``, ``"multipart"``...);
      ``None`` lets the client and the remote choose. A remote without strategies ignores it.
    - ``progress``: ``progress(done_bytes, total_bytes)``, called from any thread as bytes move.
    - ``with_models``: bentos only: also move (push) or store (pull) the models it carries.
    - ``bare``: push the manifest only (no file contents); the remote records the version as
      bare and a pull of it says what is missing.
    """

    force: bool = False
    threads: int = 10
    strategy: str | None = None
    progress: Callable[[int, int], None] | None = None
    with_models: bool = True
    bare: bool = False


@attrs.define
class TransferSummary:
    """What one copy did; a remote fills in the counters of the versions it moved.

    ``action`` is ``"push"``, ``"pull"``, ``"export"`` or ``"import"``; ``tags`` the exact
    ``name:version`` moved (a bento's models included); ``files`` the files they list;
    ``files_sent``/``bytes_sent`` what crossed to the destination this time;
    ``files_skipped``/``bytes_skipped`` what the destination had already (or was copied from
    the local store); ``bytes_resumed`` what an interrupted earlier transfer had already moved;
    ``seconds`` wall time; ``unchanged`` versions that were already there identically (no-op);
    ``strategies`` blobs moved per strategy name; ``bare`` versions pushed without contents
    (core fills it).
    """

    action: str
    tags: list[str] = attrs.Factory(list)
    files: int = 0
    files_sent: int = 0
    files_skipped: int = 0
    bytes_sent: int = 0
    bytes_skipped: int = 0
    bytes_resumed: int = 0
    seconds: float = 0.0
    unchanged: list[str] = attrs.Factory(list)
    strategies: dict[str, int] = attrs.Factory(dict)
    bare: list[str] = attrs.Factory(list)


@attrs.frozen
class RemoteVersion:
    """One version as a remote holds it (what ``list_versions`` and ``get_version`` return).

    ``kind`` is ``"model"`` or ``"bento"``; ``manifest`` the exact bytes of its ``model.yaml`` /
    ``bento.yaml`` (the file list with sizes and sha256s; core verifies every file against it);
    ``size`` the total bytes of its files; ``created_at`` an ISO 8601 string or ``None``;
    ``labels`` as the remote shows them now; ``bare`` whether only the manifest was pushed;
    ``details`` other plain fields the remote shows about it (``framework``, ``service``...).
    Listings may leave ``manifest`` empty (``b""``); ``get_version`` always fills it.
    """

    kind: str
    name: str
    version: str
    manifest: bytes = b""
    size: int = 0
    created_at: str | None = None
    labels: dict[str, str] = attrs.Factory(dict)
    bare: bool = False
    details: dict[str, Any] = attrs.Factory(dict)

    @property
    def tag(self) -> str:
        """``name:version``."""
        return f"{self.name}:{self.version}"


@runtime_checkable
class StoredFile(Protocol):
    """One file of a version, as listed in its manifest: ``path`` (posix, relative to the
    version folder), ``size`` and ``sha256`` (hex)."""

    @property
    def path(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str: ...


@runtime_checkable
class RemoteStore(Protocol):
    """A remote opened for one URL: list, get, push, pull and delete versions of a kind.

    ``kind`` is always one of :data:`KINDS`; a ``tag`` is ``"name"``, ``"name:latest"``,
    ``"name:version"`` or a unique version prefix. Errors are :class:`tiffin.exceptions.TiffinError`
    subclasses with one readable line: :class:`~tiffin.exceptions.NotFound` for an unknown name
    or version, :class:`~tiffin.exceptions.Conflict` for a different version already there,
    :class:`~tiffin.exceptions.RegistryUnreachable` when nothing answers,
    :class:`~tiffin.exceptions.Unauthorized` / :class:`~tiffin.exceptions.Forbidden`.
    Never put a token in a message.

    - ``url``: the remote's URL as given (no credentials in it).
    - ``list_versions(kind, name=None, labels=None) -> list[RemoteVersion]``: every version
      (of ``name``, carrying every ``labels`` pair), newest first.
    - ``get_version(kind, tag) -> RemoteVersion``: the version ``tag`` names (``latest`` is the
      newest).
    - ``push_version(kind, folder, manifest, files, options, summary) -> None``: make the
      remote hold the version whose files are under ``folder`` and whose exact manifest bytes are
      ``manifest`` (``files`` is its file list): send only what the remote lacks, then commit the
      version last, so it is visible whole or not at all. The same manifest already there adds
      the tag to ``summary.unchanged``; a different one is a ``Conflict`` unless
      ``options.force``. With ``options.bare`` send no file contents. Add what moved to
      ``summary`` (``files_sent``, ``bytes_sent``, ``files_skipped``, ``bytes_skipped``,
      ``bytes_resumed``, ``strategies``).
    - ``pull_version(version, folder, files, options, summary) -> None``: write every one of
      ``files`` of ``version`` (from ``get_version``) under ``folder`` (an empty staging folder
      core commits afterwards; core writes the manifest itself). A file whose sha256 or size
      does not match must not be left there. Core hashes each file again before it commits,
      unless the store declares ``verifies_digests = True`` (it checked every file's size and
      sha256 itself, as the tiffin registry's client does).
      Update ``summary`` as for a push (``bytes_sent``: bytes received).
    - ``delete_version(kind, tag) -> None``.
    - ``close() -> None``: release connections.

    Optional: :class:`SupportsSetLabels` (labels changed after a push, ``tiffin models label
    --remote``); ``verifies_digests = True`` (see ``pull_version``).
    """

    url: str

    def list_versions(
        self, kind: str, name: str | None = None, labels: dict[str, str] | None = None
    ) -> list[RemoteVersion]: ...

    def get_version(self, kind: str, tag: str) -> RemoteVersion: ...

    def push_version(
        self,
        kind: str,
        folder: Path,
        manifest: bytes,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None: ...

    def pull_version(
        self,
        version: RemoteVersion,
        folder: Path,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None: ...

    def delete_version(self, kind: str, tag: str) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class SupportsSetLabels(Protocol):
    """A remote store that changes a version's labels after a push (beside its manifest,
    which never changes): ``set_labels(kind, tag, to_set, to_remove) -> RemoteVersion``."""

    def set_labels(
        self, kind: str, tag: str, to_set: dict[str, str], to_remove: list[str]
    ) -> RemoteVersion: ...


@runtime_checkable
class Remote(Protocol):
    """Opens remote stores for the URL schemes it serves.

    - ``schemes``: lowercase URL schemes (``("oci",)``; core's tiffin registry client serves
      ``("http", "https")``).
    - ``open(url, token) -> RemoteStore``: a store for ``url``; ``token`` is the credential the
      user configured for it (``TIFFIN_REGISTRY_TOKEN`` or ``tiffin registry login``), or
      ``None``. Opening must not touch the network; the first call does.
    """

    schemes: tuple[str, ...]

    def open(self, url: str, token: str | None) -> RemoteStore: ...


@hookspec
def register_remotes(register: Callable[[Remote], None]) -> None:
    """Register remotes: which URL schemes push, pull, ``--remote`` and auto-pull can reach.

    :param register: call ``register(remote)`` once per :class:`Remote`. A scheme claimed twice
        is a warning naming both plugins; the first registered (core's ``http``/``https``
        first) wins.

    Called once per process, the first time a remote URL is opened (push, pull, a ``--remote``
    listing, auto-pull). The URL comes from ``TIFFIN_REGISTRY_URL`` or ``tiffin registry login``.
    """
