"""UI sessions: a signed, HttpOnly, SameSite=Strict cookie holding a scope and a CSRF token.

A token is asked for once on the login page; the cookie then carries the scope it was granted
(never the token). Forms that change anything must echo the session's CSRF token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from datetime import timedelta

import attrs
import sqlalchemy as sa

from tiffin.exceptions import Forbidden, Unauthorized
from tiffin_registry._access import Registry
from tiffin_registry._auth import ANONYMOUS
from tiffin_registry._db import now
from tiffin_registry._tables import ui_revoked

__all__ = ["COOKIE", "Session", "check_token", "read_session", "revoke", "session_cookie"]

COOKIE = "tiffin_ui_session"
LIFETIME_S = 12 * 3600


@attrs.frozen
class Session:
    scope: str  # "read" or "write"
    actor: str  # a token's fingerprint, or "anonymous"
    csrf: str

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def csrf_ok(self, given: object) -> bool:
        return isinstance(given, str) and hmac.compare_digest(given, self.csrf)


def new_session(scope: str, actor: str) -> Session:
    return Session(scope, actor, secrets.token_urlsafe(24))


def session_cookie(registry: Registry, session: Session) -> str:
    payload = json.dumps({"s": session.scope, "a": session.actor, "c": session.csrf})
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{encoded}~{registry.sign('ui-session:' + encoded, LIFETIME_S)}"


def read_session(registry: Registry, cookie: str | None) -> Session | None:
    """The session a cookie holds, or None when absent, forged or expired."""
    if not cookie:
        return None
    encoded, _, signature = cookie.partition("~")
    if not encoded or not registry.verify_signature("ui-session:" + encoded, signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        session = Session(str(data["s"]), str(data["a"]), str(data["c"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if session.scope not in ("read", "write") or _revoked(registry, session):
        return None
    if registry.tokens.anonymous:
        return session if session.actor == ANONYMOUS else None
    if not _still_granted(registry, session):
        return None  # the token left the tokens file (or lost write scope) since sign-in
    return session


def revoke(registry: Registry, session: Session) -> None:
    """Sign ``session`` out for good: its cookie, even kept by someone, opens nothing."""
    stamp = now()
    with registry.engine.begin() as c:
        c.execute(ui_revoked.delete().where(ui_revoked.c.expires_at < stamp))
        exists = c.execute(
            sa.select(ui_revoked.c.session).where(ui_revoked.c.session == session.csrf)
        ).first()
        if exists is None:
            c.execute(ui_revoked.insert().values(
                session=session.csrf, expires_at=stamp + timedelta(seconds=LIFETIME_S)
            ))


def _revoked(registry: Registry, session: Session) -> bool:
    with registry.engine.connect() as c:
        return c.execute(
            sa.select(ui_revoked.c.session).where(ui_revoked.c.session == session.csrf)
        ).first() is not None


def _still_granted(registry: Registry, session: Session) -> bool:
    for digest, scope in registry.tokens.entries:
        if fingerprint_of_digest(digest) == session.actor:
            return session.scope == "read" or scope == "write"
    return False


def fingerprint_of_digest(digest: bytes) -> str:
    """The audit fingerprint (see :func:`tiffin_registry._auth.fingerprint`) of a token's sha256."""
    return "token:" + digest.hex()[:12]


def check_token(registry: Registry, token: str) -> Session:
    """A session for a token typed on the login page; Unauthorized when it is not known."""
    header = f"Bearer {token.strip()}"
    try:
        actor = registry.tokens.check(header, "write")
        return new_session("write", actor)
    except Forbidden:
        return new_session("read", registry.tokens.check(header, "read"))
    except Unauthorized:
        raise
