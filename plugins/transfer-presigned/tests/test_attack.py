"""Attacks on presigned uploads on local storage (issue 25, High): a replayed presigned PUT
cannot rewrite a landed blob, and a session is written only through its own strategy."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import wait_until

pytestmark = pytest.mark.slow

SIZE = 300_000


def _offer(url: str, sha256: str) -> dict:
    answer = httpx.post(f"{url}/api/v1/blobs/{sha256}/upload",
                        json={"size": SIZE, "strategies": ["presigned"]}, timeout=30)
    assert answer.json()["strategy"] == "presigned", answer.text
    return answer.json()


def test_two_puts_to_one_presigned_url_one_writer(start_registry_factory) -> None:
    server = start_registry_factory()
    content = os.urandom(SIZE)
    sha256 = hashlib.sha256(content).hexdigest()
    put_url = _offer(server.url, sha256)["offer"]["url"]
    uploads = Path(server.storage) / "uploads"
    release, slow_result = threading.Event(), []

    def junk() -> Iterator[bytes]:
        yield b"J" * 1024
        release.wait(60)
        yield b"J" * (SIZE - 1024)

    def slow_put() -> None:
        try:
            slow_result.append(httpx.put(put_url, content=junk(),
                                         headers={"Content-Length": str(SIZE)},
                                         timeout=60).status_code)
        except httpx.HTTPError as exc:
            slow_result.append(type(exc).__name__)

    slow = threading.Thread(target=slow_put)
    slow.start()
    try:
        wait_until(lambda: any(uploads.iterdir()), what="the slow PUT's staging file")
        second = httpx.put(put_url, content=content, timeout=30)
    finally:
        release.set()
        slow.join(60)
    assert second.status_code == 409, second.text
    assert slow_result == [400], slow_result
    # nothing landed under that name; the owner's next push lands the right bytes
    fresh = _offer(server.url, sha256)["offer"]["url"]
    assert httpx.put(fresh, content=content, timeout=30).status_code == 201
    down = httpx.post(f"{server.url}/api/v1/blobs/{sha256}/download",
                      json={"strategies": ["presigned"]}).json()["offer"]["url"]
    assert httpx.get(down).content == content


def test_the_proxy_route_does_not_write_a_presigned_session(start_registry_factory) -> None:
    server = start_registry_factory()
    content = os.urandom(SIZE)
    sha256 = hashlib.sha256(content).hexdigest()
    session = _offer(server.url, sha256)["session"]
    response = httpx.put(f"{server.url}/api/v1/transfer/proxy/uploads/{session}", content=content)
    assert response.status_code == 404, response.text
    assert "proxy" in response.json()["error"]
