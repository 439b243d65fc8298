"""Atomic writes, and writes that happen only when nothing is there yet (two writers, one wins).

A single ``PutObject`` is atomic on S3: readers see the old object or the new one, never a part.
``if_absent`` adds ``If-None-Match: *``, which AWS S3 (since 2024-08), MinIO, SeaweedFS and R2
honour: the server refuses the second writer with ``412 Precondition Failed``, so exactly one
writer wins however they race.

Some S3-compatible servers ignore that header (they would let the second writer overwrite the
first) or refuse it as unsupported. So the first conditional write to a bucket in a process
*probes* it: it writes a throw-away object twice with the header and learns whether the second
write is refused. Where it is not, the **fallback** is: ``HEAD`` (something there: lose),
``PUT`` with a random writer token in the object's metadata, ``HEAD`` again (our token: win).
That loses only the rare race of two writers within one round trip of each other; run
registries with several replicas on a server that supports conditional writes.
``TIFFIN_S3_CONDITIONAL_WRITES=native|fallback`` skips the probe.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from typing import Any

from tiffin.exceptions import InvalidArgument, ServiceUnavailable
from tiffin_s3 import _checks
from tiffin_s3._url import S3Location, parse

__all__ = ["ConditionalWrites"]

_WRITER_META = "tiffin-writer"
_CONFLICT_RETRIES = 6
_modes: dict[tuple[str, str], str] = {}
_modes_lock = threading.Lock()


def _code(exc: Any) -> tuple[str, int]:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code") or "")
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code, status


def _refused(exc: Any) -> bool:
    code, status = _code(exc)
    return code == "PreconditionFailed" or status == 412


def _unsupported(exc: Any) -> bool:
    code, status = _code(exc)
    return code in ("NotImplemented", "InvalidArgument", "InvalidRequest") or status == 501


def _conflict(exc: Any) -> bool:
    code, status = _code(exc)
    return code == "ConditionalRequestConflict" or status == 409


class ConditionalWrites:
    """The ``write_atomic`` capability of :class:`tiffin_s3.S3Storage` (needs ``requests``)."""

    def write_atomic(self, url: str, data: Any, if_absent: bool = False) -> bool:
        """Write all of ``data`` to ``url`` or nothing; with ``if_absent``, only if nothing is there.

        Returns whether this call wrote (always True without ``if_absent``).
        """
        location = parse(url, need_key=True)
        payload = _checks.body(data)
        with self.requests(location, "write") as conn:  # type: ignore[attr-defined]
            client = conn.client
            if not if_absent:
                client.put_object(Bucket=location.bucket, Key=location.key, Body=payload)
                return True
            if not isinstance(payload, bytes):
                payload = payload.read()  # retried below; manifests and markers are small
            if _mode(conn, location) == "native":
                written = _put_if_none_match(conn, location, payload)
                if written is not None:
                    return written
                _set_mode(conn, location, "fallback")  # the server refused the header itself
            return _put_checked(conn, location, payload)


def _mode(conn: Any, location: S3Location) -> str:
    forced = os.environ.get("TIFFIN_S3_CONDITIONAL_WRITES", "").strip().lower()
    if forced in ("native", "fallback"):
        return forced
    if forced not in ("", "auto"):
        raise InvalidArgument(
            f"TIFFIN_S3_CONDITIONAL_WRITES must be native, fallback or auto, got {forced!r}"
        )
    key = (conn.endpoint_url, location.bucket)
    with _modes_lock:
        mode = _modes.get(key)
    if mode is None:
        mode = _probe(conn, location)
        _set_mode(conn, location, mode)
    return mode


def _set_mode(conn: Any, location: S3Location, mode: str) -> None:
    with _modes_lock:
        _modes[(conn.endpoint_url, location.bucket)] = mode


def _probe(conn: Any, location: S3Location) -> str:
    """Whether the server refuses a second ``If-None-Match: *`` write of one key."""
    from botocore.exceptions import ClientError

    probe = f"{location.key}.tiffin-probe-{uuid.uuid4().hex}"
    client = conn.client
    try:
        for attempt in (1, 2):
            try:
                client.put_object(Bucket=location.bucket, Key=probe, Body=b"", IfNoneMatch="*")
            except ClientError as exc:
                if attempt == 2 and _refused(exc):
                    return "native"
                if _unsupported(exc):
                    return "fallback"
                raise
        return "fallback"  # the second write went through: the header is ignored
    finally:
        with contextlib.suppress(ClientError):
            client.delete_object(Bucket=location.bucket, Key=probe)


def _put_if_none_match(conn: Any, location: S3Location, payload: bytes) -> bool | None:
    """True: written; False: something was there; None: the server does not take the header."""
    from botocore.exceptions import ClientError

    for attempt in range(_CONFLICT_RETRIES):
        try:
            conn.client.put_object(
                Bucket=location.bucket, Key=location.key, Body=payload, IfNoneMatch="*"
            )
            return True
        except ClientError as exc:
            if _refused(exc):
                return False
            if _conflict(exc):  # another conditional write of this key is in flight
                time.sleep(0.05 * 2**attempt)
                continue
            if _unsupported(exc):
                return None
            raise
    if _exists(conn, location):
        return False
    raise ServiceUnavailable(
        f"cannot write {location.url}: concurrent writers kept conflicting; retry later"
    )


def _exists(conn: Any, location: S3Location) -> bool:
    from botocore.exceptions import ClientError

    try:
        conn.client.head_object(Bucket=location.bucket, Key=location.key)
    except ClientError as exc:
        if _code(exc)[1] == 404:
            return False
        raise
    return True


def _put_checked(conn: Any, location: S3Location, payload: bytes) -> bool:
    """The fallback: look, write with a writer token, and check whose token is there."""
    if _exists(conn, location):
        return False
    token = uuid.uuid4().hex
    conn.client.put_object(
        Bucket=location.bucket, Key=location.key, Body=payload, Metadata={_WRITER_META: token}
    )
    head = conn.client.head_object(Bucket=location.bucket, Key=location.key)
    return head.get("Metadata", {}).get(_WRITER_META) == token
