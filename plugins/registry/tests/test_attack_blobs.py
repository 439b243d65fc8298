"""Attacks on blob landing: a verified blob stays verified (issue 25, High).

A write-token holder opens an upload session for someone else's sha256, starts a slow PUT that
holds the staging file open, lets a second PUT land the right bytes, then writes junk: before
the fix the junk went into the landed blob, every pull failed and no push could heal it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import RegistryServer, make_model, wait_until

pytestmark = pytest.mark.slow

SIZE = 256 * 1024


def _offer(url: str, sha256: str, size: int, strategy: str) -> dict:
    answer = httpx.post(
        f"{url}/api/v1/blobs/{sha256}/upload",
        json={"size": size, "strategies": [strategy]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["strategy"] == strategy, body
    return body


def _served(url: str, sha256: str) -> bytes | None:
    """The bytes the registry serves as ``sha256`` through the proxy strategy (None: refused)."""
    response = httpx.get(f"{url}/api/v1/transfer/proxy/blobs/{sha256}", timeout=30)
    if response.status_code != 200:
        return None
    return response.content


def _slow_put(url: str, size: int, release: threading.Event, result: list) -> None:
    """A PUT that sends a first chunk, waits, then sends junk up to ``size`` bytes."""

    def body() -> Iterator[bytes]:
        yield b"J" * 1024
        release.wait(60)
        yield b"J" * (size - 1024)

    try:
        response = httpx.put(url, content=body(), headers={"Content-Length": str(size)},
                             timeout=60)
        result.append(response.status_code)
    except httpx.HTTPError as exc:
        result.append(type(exc).__name__)


def test_a_second_put_into_a_session_cannot_rewrite_the_landed_blob(
    start_registry_factory,
) -> None:
    server: RegistryServer = start_registry_factory()
    content = os.urandom(SIZE)
    sha256 = hashlib.sha256(content).hexdigest()
    offer = _offer(server.url, sha256, SIZE, "proxy")
    uploads = Path(server.storage) / "uploads"
    before = set(os.listdir(uploads))

    release, slow_result = threading.Event(), []
    slow = threading.Thread(target=_slow_put, args=(offer["offer"]["url"], SIZE, release,
                                                    slow_result))
    slow.start()
    try:
        # the slow writer has its staging file open
        wait_until(lambda: set(os.listdir(uploads)) - before != set(), what="staging file")
        second = httpx.put(offer["offer"]["url"], content=content, timeout=30)
    finally:
        release.set()
        slow.join(60)
    # one writer per session: the second PUT is refused while the first holds the session
    assert second.status_code == 409, second.text
    assert "another request" in second.json()["error"]
    assert slow_result == [400], slow_result
    served = _served(server.url, sha256)
    assert served is None or hashlib.sha256(served).hexdigest() == sha256

    # the owner's push then uploads and lands the right bytes, which every pull gets
    fresh = _offer(server.url, sha256, SIZE, "proxy")
    assert httpx.put(fresh["offer"]["url"], content=content, timeout=30).status_code == 201
    assert _served(server.url, sha256) == content


def test_a_put_after_landing_is_refused(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory()
    content = os.urandom(SIZE)
    sha256 = hashlib.sha256(content).hexdigest()
    url = _offer(server.url, sha256, SIZE, "proxy")["offer"]["url"]
    assert httpx.put(url, content=content, timeout=30).status_code == 201
    again = httpx.put(url, content=b"J" * SIZE, timeout=30)
    assert again.status_code == 404, again.text
    assert _served(server.url, sha256) == content


def test_blob_uploads_are_audited_with_their_actor(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(tokens=True)
    from tiffin_registry.testing import TOKENS

    headers = {"Authorization": f"Bearer {TOKENS['write']}"}
    content = os.urandom(1000)
    sha256 = hashlib.sha256(content).hexdigest()
    answer = httpx.post(f"{server.url}/api/v1/blobs/{sha256}/upload",
                        json={"size": 1000, "strategies": ["proxy"]}, headers=headers)
    put = httpx.put(answer.json()["offer"]["url"], content=content, headers=headers)
    assert put.status_code == 201, put.text
    with sqlite3.connect(Path(server.storage) / "registry.db") as db:
        rows = db.execute("SELECT actor, action, subject FROM audit_log").fetchall()
    assert ("token:" + hashlib.sha256(TOKENS["write"].encode()).hexdigest()[:12], "blob",
            f"sha256:{sha256}") in rows


def test_a_blob_whose_bytes_do_not_match_is_never_served_and_a_push_heals_it(
    start_registry_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blob recorded by a registry from before the fix (unverified) holding junk: it is not
    served under its name, the blob check reports it missing, and the next push re-uploads it."""
    server: RegistryServer = start_registry_factory()
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
    model = make_model("scaler", extra_bytes=50_000)
    files = [p for p in Path(model.path).rglob("*") if p.is_file() and p.name != "model.yaml"]
    victim = max(files, key=lambda p: p.stat().st_size)
    data = victim.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    # what an old registry left behind: a row (unverified, as migrated) and junk at rest
    blob = Path(server.storage) / "blobs" / "sha256" / sha256[:2] / sha256
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(b"J" * len(data))
    with sqlite3.connect(Path(server.storage) / "registry.db") as db:
        db.execute(
            "INSERT INTO blobs (sha256, size, created_at, last_seen_at, verified) "
            "VALUES (?, ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)",
            (sha256, len(data)),
        )
    assert _served(server.url, sha256) is None
    check = httpx.post(f"{server.url}/api/v1/blobs/check",
                       json={"blobs": [{"sha256": sha256, "size": len(data)}]})
    assert check.json()["missing"] == [sha256]

    import tiffin

    tiffin.models.push(str(model.tag))
    assert _served(server.url, sha256) == data
    deadline = time.monotonic() + 5
    while blob.read_bytes() != data and time.monotonic() < deadline:
        time.sleep(0.05)
    assert blob.read_bytes() == data
