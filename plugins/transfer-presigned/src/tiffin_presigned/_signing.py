"""What a presigned URL on local storage signs, and who holds the secret.

A URL signs its method, the upload session (uploads) or blob (downloads), the blob's sha256
and size, and an expiry: so an expired URL, one whose path or query was altered, and one
replayed for another blob all fail the check (HTTP 403).

The secret is the registry's own (kept in its database, so every replica behind a load
balancer agrees), or the key in the file ``TIFFIN_REGISTRY_SIGNING_KEY_FILE`` names, for
operators who manage secrets themselves (every replica must then read the same file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from typing import Any

from tiffin.exceptions import InvalidArgument

__all__ = ["Signer", "download_message", "upload_message"]

KEY_FILE_ENV = "TIFFIN_REGISTRY_SIGNING_KEY_FILE"


def upload_message(session_id: str, sha256: str, size: int) -> str:
    return f"presigned:PUT:{session_id}:{sha256}:{size}"


def download_message(sha256: str) -> str:
    return f"presigned:GET:{sha256}"


def _read_key(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            key = f.read().strip()
    except OSError as exc:
        raise InvalidArgument(
            f"{KEY_FILE_ENV}={path!r} cannot be read ({exc.strerror}); point it at a file "
            f"holding the shared signing key"
        ) from None
    if len(key) < 32:
        raise InvalidArgument(
            f"the signing key in {path!r} is {len(key)} bytes; use at least 32 random bytes "
            f"(e.g. `openssl rand -hex 32 > {path}`)"
        )
    return key


class Signer:
    """Signs and checks messages with the key file's secret, else the registry's."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry
        path = os.environ.get(KEY_FILE_ENV)
        self._key = _read_key(path) if path else None

    def sign(self, message: str, expires_s: int) -> str:
        if self._key is None:
            return self._registry.sign(message, expires_s)
        expires = int(time.time()) + int(expires_s)
        return f"{expires}.{self._mac(expires, message)}"

    def verify(self, message: str, signature: str) -> bool:
        if self._key is None:
            return bool(self._registry.verify_signature(message, signature))
        expires, _, mac = (signature or "").partition(".")
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._mac(int(expires), message), mac)

    def _mac(self, expires: int, message: str) -> str:
        assert self._key is not None
        digest = hmac.new(self._key, f"{expires}:{message}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
