"""The key that signs UI sessions and presigned URLs, kept out of the database.

Whoever can read the database must not be able to forge a write session. The key is read from
the file ``--signing-key-file`` / ``TIFFIN_REGISTRY_SIGNING_KEY_FILE`` names (every replica
given the same file); without one it lives in the registry's storage as ``signing.key``
(beside the blobs, never served: only ``blobs/sha256/...`` paths are), which every replica
over that storage shares. A key that an older registry kept in the ``settings`` table is
moved out once: written to the key's place (so sessions and URLs stay valid), then deleted.
"""

from __future__ import annotations

import contextlib
import os
import secrets

import sqlalchemy as sa

from tiffin.exceptions import InvalidArgument, NotFound
from tiffin_registry._db import forget_legacy_secret, take_legacy_secret
from tiffin_registry._storage import BlobStorage

__all__ = ["KEY_FILE_ENV", "KEY_NAME", "load_signing_key"]

KEY_FILE_ENV = "TIFFIN_REGISTRY_SIGNING_KEY_FILE"
KEY_NAME = "signing.key"
_MIN_KEY = 32


def _check(key: bytes, where: str) -> bytes:
    if len(key) < _MIN_KEY:
        raise InvalidArgument(
            f"the signing key in {where} is {len(key)} bytes; use at least {_MIN_KEY} random "
            f"bytes (e.g. `openssl rand -hex 32 > FILE`)"
        )
    return key


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return _check(f.read().strip(), path)
    except OSError as exc:
        raise InvalidArgument(
            f"{KEY_FILE_ENV}={path!r} cannot be read ({exc.strerror}); point it at a file "
            f"holding the shared signing key"
        ) from None


def _read_stored(storage: BlobStorage, path: str) -> bytes | None:
    if not storage.exists(path):
        return None
    try:
        with storage.open_read(path) as f:
            return f.read().strip() or None
    except (FileNotFoundError, NotFound):
        return None


def _write_stored(storage: BlobStorage, path: str, key: bytes) -> None:
    if storage.local:  # whole or not at all: written aside, then linked in if still absent
        tmp = f"{path}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(key + b"\n")
            os.link(tmp, path)
        finally:
            os.unlink(tmp)
        return
    with storage.fs.open(path, "wb") as f:
        f.write(key + b"\n")


def load_signing_key(engine: sa.Engine, storage: BlobStorage) -> bytes:
    """The signing key (see the module); moves a key the database still holds out of it."""
    legacy = take_legacy_secret(engine)
    configured = os.environ.get(KEY_FILE_ENV)
    if configured:
        key = _read_file(configured)
    else:
        path = f"{storage.root}/{KEY_NAME}"
        text = _read_stored(storage, path)
        if not text:
            fresh = (legacy or secrets.token_bytes(32)).hex().encode()
            with contextlib.suppress(FileExistsError):  # another replica wrote it first
                _write_stored(storage, path, fresh)
            text = _read_stored(storage, path) or fresh
        try:  # hex, as written here: the same key bytes the database held
            key = _check(bytes.fromhex(text.decode("ascii")), path)
        except (ValueError, UnicodeDecodeError):
            key = _check(text, path)
    if legacy is not None:
        forget_legacy_secret(engine)
    return key
