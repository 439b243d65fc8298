"""What the registry hands transfer strategies: storage, upload sessions, auth and signing.

:class:`Registry` implements ``tiffin.hookspecs.RegistryAccess`` (documented there and in
``docs/registry-api.md``). It also owns the blob records of the database; the catalog of
repositories and versions is in ``_catalog``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, BinaryIO

import attrs
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool

from tiffin.exceptions import Conflict, DigestMismatch, InvalidArgument, NotFound
from tiffin_registry._auth import Tokens
from tiffin_registry._db import as_utc, now
from tiffin_registry._keys import load_signing_key
from tiffin_registry._storage import BlobStorage
from tiffin_registry._tables import audit_log, blobs, upload_sessions

__all__ = ["Registry", "UploadSession", "check_sha256"]

_HEX = set("0123456789abcdef")

#: Session states in which one request holds the session and writes or lands its bytes.
_HELD = ("receiving", "landing")


def check_sha256(value: object) -> str:
    if not (isinstance(value, str) and len(value) == 64 and set(value) <= _HEX):
        raise InvalidArgument(f"{value!r} is not a sha256 digest (64 lowercase hex digits)")
    return value


@attrs.frozen
class UploadSession:
    """An upload in progress (see ``tiffin.hookspecs.UploadSession``)."""

    id: str
    sha256: str
    size: int
    strategy: str
    state: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    actor: str | None = None


def _session(row: Any) -> UploadSession:
    return UploadSession(
        id=row.id,
        sha256=row.sha256,
        size=int(row.size),
        strategy=row.strategy,
        state=row.state,
        data=dict(row.data or {}),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        actor=row.actor,
    )


class Registry:
    """One registry process's view of its database, storage and tokens."""

    def __init__(self, engine: sa.Engine, storage: BlobStorage, tokens: Tokens) -> None:
        self.engine = engine
        self.storage = storage
        self.tokens = tokens
        self._secret = load_signing_key(engine, storage)

    # -- RegistryAccess: storage ---------------------------------------------------------------

    @property
    def storage_url(self) -> str:
        return self.storage.url

    @property
    def backend(self) -> Any:
        return self.storage.backend

    @property
    def fs(self) -> Any:
        return self.storage.fs

    def blob_url(self, sha256: str) -> str:
        return self.storage.blob_url(check_sha256(sha256))

    def blob_path(self, sha256: str) -> str:
        return self.storage.blob_path(check_sha256(sha256))

    def staging_url(self, session_id: str) -> str:
        return self.storage.staging_url(session_id)

    def staging_path(self, session_id: str) -> str:
        return self.storage.staging_path(session_id)

    def blob_size(self, sha256: str) -> int | None:
        """The size of a stored blob whose bytes hash to its name, else None.

        A blob recorded before verification at rest existed (schema revision 0002) is hashed
        here once: a match marks it verified, a mismatch deletes it, so it is never served under
        that name and the next push uploads it again.
        """
        check_sha256(sha256)
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(blobs.c.size, blobs.c.verified).where(blobs.c.sha256 == sha256)
            ).first()
        if row is None:
            return None
        if row.verified:
            return int(row.size)
        if self.storage.verify_at_rest(sha256, int(row.size)):
            with self.engine.begin() as c:
                c.execute(blobs.update().where(blobs.c.sha256 == sha256).values(verified=True))
            return int(row.size)
        self._drop_damaged(sha256)
        return None

    def _drop_damaged(self, sha256: str) -> None:
        with self.engine.begin() as c:
            gone = c.execute(
                blobs.delete().where(blobs.c.sha256 == sha256, blobs.c.verified.is_(False))
            ).rowcount
        if gone:
            self.storage.remove(self.storage.blob_path(sha256))
            self.audit("registry", "blob-damaged", f"sha256:{sha256}")

    def has_blob(self, sha256: str) -> bool:
        return self.blob_size(sha256) is not None

    def open_blob(self, sha256: str) -> BinaryIO:
        check_sha256(sha256)
        if not self.has_blob(sha256):
            raise NotFound(f"no blob {sha256} in this registry")
        try:
            return self.storage.open_read(self.storage.blob_path(sha256))
        except FileNotFoundError:
            raise NotFound(
                f"the blob {sha256} is recorded but missing from storage; the registry's "
                f"operator should restore it from a backup"
            ) from None

    def record_blob(self, sha256: str, size: int, actor: str | None = None) -> None:
        """Note a landed blob, verified at rest (idempotent: two uploads of one blob may both
        land); audited with the ``actor`` whose upload landed it."""
        stamp = now()
        values = {"size": size, "last_seen_at": stamp, "verified": True}
        try:
            with self.engine.begin() as c:
                c.execute(blobs.insert().values(sha256=sha256, created_at=stamp, **values))
        except sa.exc.IntegrityError:
            with self.engine.begin() as c:
                c.execute(blobs.update().where(blobs.c.sha256 == sha256).values(**values))
        self.audit(actor or "unknown", "blob", f"sha256:{sha256}", size=size)

    def finalize(self, session_id: str) -> None:
        """Land what a strategy staged: copied into a private object, hashed, then renamed."""
        session = self._claim(session_id, "landing")
        staged = self.storage.staging_path(session_id)
        try:
            fresh, size, actual = self.storage.verified_copy(staged)
        except FileNotFoundError:
            self._close_session(session_id, "open")
            raise InvalidArgument(
                f"upload {session_id} has no bytes staged yet; send them before completing"
            ) from None
        except BaseException:
            self._close_session(session_id, "open")
            raise
        self.storage.remove(staged)
        if (size, actual) != (session.size, session.sha256):
            self.storage.remove(fresh)
            self._close_session(session_id, "aborted")
            raise DigestMismatch(
                f"the upload of {session.sha256} ({session.size} bytes) produced {size} bytes "
                f"with sha256 {actual}; nothing was stored"
            )
        self.storage.land(fresh, session.sha256)
        self.record_blob(session.sha256, session.size, session.actor)
        self._close_session(session_id, "done")

    async def receive(self, session_id: str, chunks: AsyncIterator[bytes]) -> None:
        """Stream one request's bytes into its own staging file; one writer per session."""
        session = await run_in_threadpool(self._claim, session_id, "receiving")
        staged = self.storage.private_path(self.storage.staging_path(session_id))
        try:
            await self.storage.receive(staged, chunks, session.size, session.sha256)
        except DigestMismatch:
            await run_in_threadpool(self._close_session, session_id, "aborted")
            raise
        except BaseException:  # cut off: the client may send the bytes again
            await run_in_threadpool(self._close_session, session_id, "open")
            raise
        await run_in_threadpool(self.record_blob, session.sha256, session.size, session.actor)
        await run_in_threadpool(self._close_session, session_id, "done")

    def _claim(self, session_id: str, state: str) -> UploadSession:
        """Take an open session for one request (``receiving`` or ``landing``), atomically."""
        session = self.get_session(session_id)
        with self.engine.begin() as c:
            taken = c.execute(
                upload_sessions.update()
                .where(upload_sessions.c.id == session_id, upload_sessions.c.state == "open")
                .values(state=state, updated_at=now())
            ).rowcount
        if not taken:
            self.get_session(session_id)  # raises the right error
            raise Conflict(f"upload {session_id} changed state; ask for a new upload")
        return session

    # -- RegistryAccess: upload sessions ------------------------------------------------------

    def create_session(
        self,
        sha256: str,
        size: int,
        strategy: str,
        data: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> UploadSession:
        stamp = now()
        session_id = secrets.token_urlsafe(18)
        with self.engine.begin() as c:
            c.execute(
                upload_sessions.insert().values(
                    id=session_id,
                    sha256=sha256,
                    size=size,
                    strategy=strategy,
                    state="open",
                    data=data or {},
                    created_at=stamp,
                    updated_at=stamp,
                    actor=actor,
                )
            )
        return UploadSession(
            session_id, sha256, size, strategy, "open", data or {}, stamp, stamp, actor
        )

    def get_session(self, session_id: str) -> UploadSession:
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(upload_sessions).where(upload_sessions.c.id == session_id)
            ).first()
        if row is not None and row.state in _HELD:
            raise Conflict(
                f"another request is writing or landing upload {session_id}; one writer per "
                f"upload: wait for it, or ask for a new upload"
            )
        if row is None or row.state != "open":
            raise NotFound(f"no open upload {session_id!r}: it finished, expired or never existed")
        return _session(row)

    def update_session(self, session_id: str, data: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            done = c.execute(
                upload_sessions.update()
                .where(upload_sessions.c.id == session_id, upload_sessions.c.state == "open")
                .values(data=data, updated_at=now())
            ).rowcount
        if not done:
            raise NotFound(f"no open upload {session_id!r}")

    def abort_session(self, session_id: str) -> None:
        self.storage.remove(self.storage.staging_path(session_id))
        self._close_session(session_id, "aborted")

    def _close_session(self, session_id: str, state: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                upload_sessions.update()
                .where(upload_sessions.c.id == session_id)
                .values(state=state, updated_at=now())
            )

    # -- RegistryAccess: auth and signing -----------------------------------------------------

    async def authorize(self, request: Any, scope: str) -> str:
        """The request's actor (a token fingerprint or ``anonymous``) if it may use ``scope``."""
        actor = self.tokens.check(request.headers.get("authorization"), scope)
        request.state.actor = actor
        return actor

    def sign(self, message: str, expires_s: int) -> str:
        expires = int(time.time()) + int(expires_s)
        mac = hmac.new(self._secret, f"{expires}:{message}".encode(), hashlib.sha256).digest()
        return f"{expires}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def verify_signature(self, message: str, signature: str) -> bool:
        expires_text, _, mac_text = (signature or "").partition(".")
        if not expires_text.isdigit() or int(expires_text) < time.time():
            return False
        expected = hmac.new(
            self._secret, f"{expires_text}:{message}".encode(), hashlib.sha256
        ).digest()
        given = base64.urlsafe_b64encode(expected).decode().rstrip("=")
        return hmac.compare_digest(given, mac_text)

    # -- audit --------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, subject: str, **detail: Any) -> None:
        with self.engine.begin() as c:
            c.execute(
                audit_log.insert().values(
                    at=now(), actor=actor, action=action, subject=subject, detail=detail
                )
            )
