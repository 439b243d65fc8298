"""A client's mistakes get a 4xx with a reason, never a 500; bad bytes are never stored."""

from __future__ import annotations

import hashlib
import socket

import httpx
import pytest

from tiffin_registry.testing import RegistryServer

pytestmark = pytest.mark.slow


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _offer(server: RegistryServer, data: bytes, sha: str | None = None) -> dict:
    response = httpx.post(
        f"{server.url}/api/v1/blobs/{sha or _sha(data)}/upload",
        json={"size": len(data), "strategies": ["proxy"]},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _missing(server: RegistryServer, data: bytes) -> bool:
    body = {"blobs": [{"sha256": _sha(data), "size": len(data)}]}
    return httpx.post(f"{server.url}/api/v1/blobs/check", json=body).json()["missing"] != []


def _staged(server: RegistryServer) -> list:
    from pathlib import Path

    return list((Path(server.storage) / "uploads").iterdir())


BAD_REQUESTS = [
    ("POST", "/api/v1/blobs/check", b"{not json", 400, "invalid_argument"),
    ("POST", "/api/v1/blobs/check", b"[]", 400, "invalid_argument"),
    (
        "POST",
        "/api/v1/blobs/check",
        b'{"blobs": [{"sha256": "xyz", "size": 1}]}',
        400,
        "invalid_argument",
    ),
    (
        "POST",
        "/api/v1/blobs/check",
        b'{"blobs": [{"sha256": "' + b"a" * 64 + b'", "size": -1}]}',
        400,
        "invalid_argument",
    ),
    (
        "POST",
        "/api/v1/blobs/nothex/upload",
        b'{"size": 1, "strategies": ["proxy"]}',
        400,
        "invalid_argument",
    ),
    (
        "POST",
        "/api/v1/blobs/" + "a" * 64 + "/upload",
        b'{"size": "1", "strategies": ["proxy"]}',
        400,
        "invalid_argument",
    ),
    (
        "POST",
        "/api/v1/blobs/" + "a" * 64 + "/upload",
        b'{"size": 1, "strategies": []}',
        400,
        "invalid_argument",
    ),
    ("GET", "/api/v1/things", None, 404, "not_found"),
    ("GET", "/api/v1/models/versions?limit=0", None, 400, "invalid_argument"),
    ("GET", "/api/v1/models/versions?cursor=abc", None, 400, "invalid_argument"),
    ("GET", "/api/v1/models/versions?label=nokey", None, 400, "invalid_argument"),
    ("PUT", "/api/v1/models/Bad%20Name/versions/v1", b"name: x", 400, "invalid_argument"),
    ("PUT", "/api/v1/models/m/versions/v1", b"name: [unclosed", 400, "invalid_argument"),
    ("PUT", "/api/v1/models/m/versions/v1", b"- a list", 400, "invalid_argument"),
    ("PUT", "/api/v1/models/m/versions/v1", b"name: other\nversion: v1\n", 400, "invalid_argument"),
    (
        "PUT",
        "/api/v1/models/m/versions/v1",
        b"name: m\nversion: v1\nfiles:\n- {path: ../x, size: 1, sha256: " + b"a" * 64 + b"}\n",
        400,
        "invalid_argument",
    ),
    ("PUT", "/api/v1/models/m/versions/v1", b"\xff\xfe", 400, "invalid_argument"),
    ("DELETE", "/api/v1/models/m/versions/v1", None, 404, "not_found"),
    ("PATCH", "/api/v1/models/m/versions/v1", None, 405, "method_not_allowed"),
    ("GET", "/api/v1/transfer/proxy/blobs/" + "a" * 64, None, 404, "not_found"),
]


def test_bad_requests_say_what_was_wrong(registry) -> None:
    for method, path, body, status, kind in BAD_REQUESTS:  # one registry for all of them
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        response = httpx.request(method, registry.url + path, content=body, headers=headers)
        assert response.status_code == status, (method, path, response.text)
        assert response.json()["kind"] == kind, (method, path)
        assert response.json()["error"]


def test_a_manifest_naming_missing_blobs_is_refused_with_the_list(registry) -> None:
    digest = "c" * 64
    manifest = f"name: m\nversion: v1\nfiles:\n- path: a\n  size: 3\n  sha256: {digest}\n"
    response = httpx.put(f"{registry.url}/api/v1/models/m/versions/v1", content=manifest)
    assert response.status_code == 400
    assert response.json()["kind"] == "missing_blobs"
    assert response.json()["missing"] == [digest]
    listed = httpx.get(f"{registry.url}/api/v1/models/versions").json()
    assert listed["items"] == []  # nothing half-visible


def test_an_oversized_manifest_is_413(registry) -> None:
    from tiffin_registry._api import MAX_MANIFEST

    url = httpx.URL(registry.url)
    with socket.create_connection((url.host, url.port)) as conn:
        conn.sendall(
            f"PUT /api/v1/models/m/versions/v1 HTTP/1.1\r\nHost: {url.host}\r\n"
            f"Content-Length: {MAX_MANIFEST + 1}\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_corrupted_upload_is_refused_and_nothing_stored(registry) -> None:
    good = b"the real bytes " * 1000
    offer = _offer(registry, good)
    evil = bytearray(good)
    evil[5] ^= 0xFF
    response = httpx.put(offer["offer"]["url"], content=bytes(evil))
    assert response.status_code == 400
    assert response.json()["kind"] == "digest_mismatch"
    assert _missing(registry, good)
    assert _staged(registry) == []
    # the same session cannot be reused: a fresh offer is needed
    again = httpx.put(offer["offer"]["url"], content=good)
    assert again.status_code == 404


def test_an_upload_that_stops_early_is_not_stored(registry) -> None:
    data = b"0123456789" * 100_000
    offer = _offer(registry, data)
    url = httpx.URL(offer["offer"]["url"])
    with socket.create_connection((url.host, url.port)) as conn:
        conn.sendall(
            f"PUT {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[: len(data) // 2]
        )
    from tiffin_registry.testing import wait_until

    wait_until(lambda: _staged(registry) == [], what="the partial upload's removal")
    assert _missing(registry, data)
    short = httpx.put(_offer(registry, data)["offer"]["url"], content=data[:-1])
    assert short.status_code == 400 and short.json()["kind"] == "digest_mismatch"
    assert _missing(registry, data)


def test_a_corrupted_blob_in_storage_is_refused_by_pull(registry, cli, other_home) -> None:
    from pathlib import Path

    from tiffin_registry.testing import make_model

    model = make_model("scaler", extra_bytes=100_000)
    assert cli("models", "push", "scaler").returncode == 0
    weights = next(f for f in model.info.files if f.path.endswith("w.bin"))
    blob = Path(registry.storage) / "blobs" / "sha256" / weights.sha256[:2] / weights.sha256
    damaged = bytearray(blob.read_bytes())
    damaged[10] ^= 0xFF
    blob.write_bytes(bytes(damaged))
    result = cli("models", "pull", "scaler", env={"TIFFIN_HOME": str(other_home)})
    assert result.returncode == 1
    assert "sha256" in result.stderr and "nothing was kept" in result.stderr
    assert not (other_home / "models" / "scaler").exists()
