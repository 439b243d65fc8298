"""Client input that made the registry answer 5xx, though the API promises none (issue 25,
Low): each is a 400 naming the field, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import RegistryServer

pytestmark = pytest.mark.slow

SHA = hashlib.sha256(b"x").hexdigest()
JSON = {"Content-Type": "application/json"}


def test_api_inputs_are_400s_with_the_field_named(registry: RegistryServer) -> None:
    url = registry.url
    cases = [
        ("GET", "/api/v1/models/versions?cursor=" + str(2**64), None, "cursor"),
        ("GET", "/api/v1/models?cursor=" + str(2**63), None, "cursor"),
        ("POST", "/api/v1/blobs/check", b'{"blobs": ' + b"[" * 1000 + b"]" * 1000 + b"}", "JSON"),
        ("POST", f"/api/v1/blobs/{SHA}/upload",
         b'{"size": %d, "strategies": ["proxy"]}' % 2**63, '"size"'),
        ("POST", "/api/v1/blobs/check",
         b'{"blobs": [{"sha256": "%s", "size": %d}]}' % (SHA.encode(), 6 << 40), "size"),
        ("GET", "/api/v1/models/versions?label=a%3Dx%00y", None, "NUL"),
        ("PUT", "/api/v1/bentos/b/versions/v1",
         b"name: b\nversion: v1\nfiles: []\nmodels: 3\n", "models"),
    ]
    for method, path, body, field in cases:
        answer = httpx.request(method, url + path, content=body,
                               headers=JSON if method == "POST" else {})
        assert answer.status_code == 400, (path, answer.text)
        assert field in answer.json()["error"], (path, answer.json())
    assert httpx.get(url + "/healthz").status_code == 200


def test_deletes_take_exact_versions_only(registry: RegistryServer) -> None:
    put = httpx.put(f"{registry.url}/api/v1/models/m/versions/v1abc",
                    content=b"name: m\nversion: v1abc\nfiles: []\n")
    assert put.status_code == 201, put.text
    for ref in ("latest", "v1", "v1ab"):
        answer = httpx.delete(f"{registry.url}/api/v1/models/m/versions/{ref}")
        assert answer.status_code == 404, (ref, answer.text)
        assert "exact version" in answer.json()["error"]
    assert httpx.get(f"{registry.url}/api/v1/models/m/versions/latest").status_code == 200
    assert httpx.delete(f"{registry.url}/api/v1/models/m/versions/v1abc").status_code == 200


def test_ui_inputs_are_400s(start_registry_factory) -> None:
    server = start_registry_factory()
    put = httpx.put(f"{server.url}/api/v1/models/m/versions/v1",
                    content=b"name: m\nversion: v1\nfiles: []\n")
    assert put.status_code == 201
    page = httpx.get(f"{server.url}/ui/models/m?page={10**30}")
    assert page.status_code == 400 and "page" in page.text
    search = httpx.get(f"{server.url}/ui/", params={"q": "a" * 60_000})
    assert search.status_code == 400 and "search" in search.text


@pytest.mark.parametrize("metadata", ["just a string", "[" * 300 + "1" + "]" * 300])
def test_ui_pages_of_versions_stored_before_the_checks(start_registry_factory, metadata) -> None:
    """A version an older registry accepted (metadata a string, 300 levels deep) still shows."""
    server = start_registry_factory()
    put = httpx.put(f"{server.url}/api/v1/models/m/versions/v1",
                    content=b"name: m\nversion: v1\nfiles: []\n")
    assert put.status_code == 201
    with sqlite3.connect(Path(server.storage) / "registry.db") as db:
        db.execute("UPDATE versions SET manifest = ?",
                   (f"name: m\nversion: v1\nfiles: []\nmetadata: {metadata}\n",))
    page = httpx.get(f"{server.url}/ui/models/m/v1")
    assert page.status_code == 200, page.text[:500]
    assert "No metadata" in page.text
