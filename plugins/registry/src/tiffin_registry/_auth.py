"""Bearer tokens from a tokens file: one ``TOKEN SCOPE`` per line, scope ``read`` or ``write``.

``write`` includes ``read``. Tokens are compared in constant time, never logged and never
put into an error message; the audit log records a token's short fingerprint instead.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import attrs

from tiffin.exceptions import Forbidden, InvalidArgument, Unauthorized

__all__ = ["ANONYMOUS", "Tokens", "fingerprint", "load_tokens"]

SCOPES = ("read", "write")
ANONYMOUS = "anonymous"
#: Tokens shorter than this are warned about at start (``secrets.token_urlsafe(32)`` gives 43).
MIN_TOKEN_LENGTH = 32


def fingerprint(token: str) -> str:
    """A short, non-reversible name for a token, for audit records."""
    return "token:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


@attrs.frozen
class Tokens:
    """Known tokens with their scopes; ``None`` entries mean an anonymous registry."""

    entries: tuple[tuple[bytes, str], ...] = ()
    #: lines of the tokens file whose token is shorter than :data:`MIN_TOKEN_LENGTH`
    short_lines: tuple[int, ...] = ()

    @property
    def anonymous(self) -> bool:
        return not self.entries

    def check(self, header: str | None, scope: str) -> str:
        """The actor (fingerprint) of a request's ``Authorization`` header allowed ``scope``."""
        if self.anonymous:
            return ANONYMOUS
        token = None
        if header:
            kind, _, value = header.partition(" ")
            if kind.lower() == "bearer" and value.strip():
                token = value.strip()
        if token is None:
            raise Unauthorized("this registry needs a token: send Authorization: Bearer TOKEN")
        given = hashlib.sha256(token.encode("utf-8")).digest()
        found = None
        for digest, token_scope in self.entries:  # every entry, so timing says nothing
            if hmac.compare_digest(given, digest):
                found = token_scope
        if found is None:
            raise Unauthorized("the token is not known to this registry")
        if scope == "write" and found != "write":
            raise Forbidden("this token has read scope; pushing and deleting need a write token")
        return fingerprint(token)


def load_tokens(path: str | Path | None) -> Tokens:
    """Parse a tokens file; a clear line for each mistake in it."""
    if path is None:
        return Tokens()
    file = Path(path).expanduser()
    try:
        text = file.read_text("utf-8")
    except FileNotFoundError:
        raise InvalidArgument(f"--tokens {file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"--tokens {file} cannot be read: {exc}") from None
    entries = []
    short = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split()
        if len(parts) != 2 or parts[1] not in SCOPES:
            raise InvalidArgument(
                f"{file} line {number}: expected 'TOKEN SCOPE' with SCOPE read or write"
            )
        entries.append((hashlib.sha256(parts[0].encode("utf-8")).digest(), parts[1]))
        if len(parts[0]) < MIN_TOKEN_LENGTH:
            short.append(number)
    if not entries:
        raise InvalidArgument(f"{file} holds no tokens; add lines of 'TOKEN SCOPE'")
    return Tokens(tuple(entries), tuple(short))
