"""Presigned push and pull through a real registry process and real client processes."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import httpx
import pytest

from tiffin.testing.fixtures import free_port
from tiffin_registry.testing import assert_same_files, cli_json, make_model

pytestmark = pytest.mark.slow




@pytest.fixture
def registry(start_registry_factory, monkeypatch):
    server = start_registry_factory(tokens=True, env={"TIFFIN_PRESIGNED_EXPIRES": "6"})
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
    monkeypatch.setenv("TIFFIN_REGISTRY_TOKEN", server.env("write")["TIFFIN_REGISTRY_TOKEN"])
    return server


def test_round_trip_with_signed_urls(registry, cli, other_home) -> None:
    model = make_model("clf", extra_bytes=2_000_000)
    pushed = cli_json(cli("models", "push", "clf", "--strategy", "presigned", "-o", "json"))
    assert pushed["strategies"] == {"presigned": 2}
    read_only = {"TIFFIN_HOME": str(other_home), **{k: v for k, v in registry.env("read").items()}}
    pulled = cli_json(cli("models", "pull", "clf:latest", "-o", "json", env=read_only))
    assert pulled["strategies"] == {"presigned": 2}  # the best both sides have, unforced
    assert_same_files(model, other_home)
    assert list((Path(registry.storage) / "uploads").iterdir()) == []


def _offer(registry, data: bytes, direction: str = "upload") -> dict:
    sha = hashlib.sha256(data).hexdigest()
    headers = {"Authorization": f"Bearer {registry.env('write')['TIFFIN_REGISTRY_TOKEN']}"}
    answer = httpx.post(
        f"{registry.url}/api/v1/blobs/{sha}/{direction}",
        json={"size": len(data), "strategies": ["presigned"]},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["strategy"] == "presigned"
    return answer.json()


def _has_blob(registry, sha: str) -> bool:
    return (Path(registry.storage) / "blobs" / "sha256" / sha[:2] / sha).exists()


def test_tampered_replayed_and_expired_urls_are_refused(registry) -> None:
    data = os.urandom(4096)
    sha = hashlib.sha256(data).hexdigest()
    first = _offer(registry, data)
    url = first["offer"]["url"]
    base, _, signature = url.partition("?sig=")
    expires, _, mac = signature.partition(".")

    tampered = [
        f"{base}?sig={expires}.{mac[:-3]}abc",  # the signature altered
        f"{base}?sig={int(expires) + 3600}.{mac}",  # the expiry pushed back
        base,  # no signature at all
    ]
    for bad in tampered:
        refused = httpx.put(bad, content=data)
        assert refused.status_code == 403, (bad, refused.text)
        assert "ask the registry for a new one" in refused.json()["error"]

    # replayed for another blob: another upload's session path with this signature
    other = _offer(registry, os.urandom(10))
    other_base = other["offer"]["url"].partition("?sig=")[0]
    assert httpx.put(f"{other_base}?sig={signature}", content=data).status_code == 403
    assert not _has_blob(registry, sha)

    # wrong bytes under the valid signature: refused, nothing stored (and, being a 400 rather
    # than a 403, proof that the URL had not expired during the checks above)
    wrong = httpx.put(url, content=b"x" * len(data))
    assert wrong.status_code == 400 and "sha256" in wrong.text
    assert not _has_blob(registry, sha)

    # a fresh, valid URL works; once it expires, it does not
    fresh = _offer(registry, data)["offer"]["url"]
    assert httpx.put(fresh, content=data).status_code == 201
    assert _has_blob(registry, sha)
    download = _offer(registry, data, "download")["offer"]["url"]
    assert httpx.get(download).content == data
    assert httpx.get(download, headers={"Range": "bytes=10-19"}).content == data[10:20]
    assert httpx.get(download.replace(sha, "0" * 64)).status_code == 403
    expiry = int(download.partition("?sig=")[2].partition(".")[0])
    while time.time() <= expiry + 1:  # wait for the short-lived URL to expire
        time.sleep(0.2)
    assert httpx.get(download).status_code == 403


@pytest.mark.parametrize(
    "public_url",
    [f"http://127.0.0.1:{free_port()}", "http://presigned-host.invalid:8080"],
    ids=["connection-refused", "dns"],
)
def test_an_unreachable_presigned_host_falls_back_to_proxy(
    start_registry_factory, cli, other_home, public_url, monkeypatch
) -> None:
    server = start_registry_factory(env={"TIFFIN_PRESIGNED_BASE_URL": public_url})
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
    monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)
    model = make_model("clf", extra_bytes=100_000)
    pushed = cli("models", "push", "clf", "-o", "json")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["strategies"] == {"proxy": 2}
    said = [line for line in pushed.stderr.splitlines() if "cannot reach" in line]
    assert len(said) == 1 and "sending through the registry instead" in said[0], pushed.stderr

    pulled = cli("models", "pull", "clf:latest", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["strategies"] == {"proxy": 2}
    assert_same_files(model, other_home)
