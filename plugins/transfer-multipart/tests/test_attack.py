"""Attacks on multipart landing (issue 25, High): a part PUT held open across ``/complete``
must not write into the landed blob."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.slow

MiB = 1024 * 1024


def test_a_slow_part_put_across_complete_cannot_rewrite_the_blob(multipart_registry) -> None:
    url = multipart_registry.url
    content = os.urandom(2 * MiB + 4321)
    sha256 = hashlib.sha256(content).hexdigest()
    answer = httpx.post(f"{url}/api/v1/blobs/{sha256}/upload",
                        json={"size": len(content), "strategies": ["multipart"]}, timeout=30)
    offer = answer.json()["offer"]
    part_size = offer["part_size"]
    part_url = offer["part_url"]
    release, got_first, slow_result = threading.Event(), threading.Event(), []

    def junk() -> Iterator[bytes]:
        yield b"J" * 1024
        got_first.set()
        release.wait(60)
        yield b"J" * (part_size - 1024)

    def slow_put() -> None:
        try:
            response = httpx.put(part_url.format(part_number=1), content=junk(),
                                 headers={"Content-Length": str(part_size)}, timeout=60)
            slow_result.append(response.status_code)
        except httpx.HTTPError as exc:
            slow_result.append(type(exc).__name__)

    slow = threading.Thread(target=slow_put)
    slow.start()
    try:
        assert got_first.wait(30)
        parts = []
        for number, start in enumerate(range(0, len(content), part_size), 1):
            put = httpx.put(part_url.format(part_number=number),
                            content=content[start:start + part_size], timeout=30)
            assert put.status_code == 200, put.text
            parts.append({"part_number": number, "etag": put.json()["etag"]})
        done = httpx.post(offer["complete_url"], json={"parts": parts}, timeout=60)
        assert done.status_code == 201, done.text
    finally:
        release.set()
        slow.join(60)
    # the slow writer's session is closed: its late bytes count for nothing
    assert slow_result and slow_result[0] != 200, slow_result
    served = httpx.get(f"{url}/api/v1/transfer/multipart/blobs/{sha256}", timeout=30)
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == sha256
    # and nothing of the session is left in staging (no .parts of a closed session)
    leftovers = os.listdir(os.path.join(multipart_registry.storage, "uploads"))
    assert leftovers == [], leftovers


def test_complete_and_sign_bodies_are_capped(multipart_registry) -> None:
    url = multipart_registry.url
    content = os.urandom(1000)
    sha256 = hashlib.sha256(content).hexdigest()
    offer = httpx.post(f"{url}/api/v1/blobs/{sha256}/upload",
                       json={"size": len(content), "strategies": ["multipart"]}).json()["offer"]

    def endless() -> Iterator[bytes]:
        for _ in range(40):  # 40 MiB, over the 16 MiB cap of every JSON body
            yield b" " * MiB

    response = httpx.post(offer["complete_url"], content=endless(), timeout=60,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
