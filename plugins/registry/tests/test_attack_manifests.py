"""Attacks through manifests (issue 25, Medium): alias bombs, wrong field types, unsafe paths,
deep nesting. Each is a 400 naming the field, and the registry keeps answering."""

from __future__ import annotations

import hashlib
import time

import httpx
import pytest

from tiffin_registry.testing import RegistryServer

pytestmark = pytest.mark.slow

SHA = hashlib.sha256(b"x").hexdigest()


def _bomb(levels: int) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines)


def _put(server: RegistryServer, text: str, kind: str = "models", name: str = "m",
         version: str = "v1") -> httpx.Response:
    return httpx.put(f"{server.url}/api/v1/{kind}/{name}/versions/{version}",
                     content=text.encode(), timeout=30)


@pytest.fixture
def server(start_registry_factory) -> RegistryServer:
    return start_registry_factory()


def test_a_yaml_alias_bomb_is_refused_and_the_registry_keeps_answering(server) -> None:
    text = f"name: m\nversion: v1\nfiles: []\nframework: sklearn\nmetadata:\n  {_bomb(8)}\n"
    text = "name: m\nversion: v1\nfiles: []\n" + _bomb(8).replace("a: &a", "metadata: &a", 1)
    assert len(text) < 1000
    started = time.monotonic()
    response = _put(server, text)
    assert response.status_code == 400, response.text
    assert "anchor or alias" in response.json()["error"]
    assert time.monotonic() - started < 5
    assert httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200
    listed = httpx.get(f"{server.url}/api/v1/models/versions").json()
    assert listed["items"] == []


def test_framework_must_be_a_string(server) -> None:
    response = _put(server, "name: m\nversion: v1\nfiles: []\nframework: [1, 2, 3]\n")
    assert response.status_code == 400 and "'framework'" in response.json()["error"]


@pytest.mark.parametrize("models", ["3", "[1, 2]", "{a: b}"])
def test_bento_models_must_be_a_list_of_tags(server, models) -> None:
    response = _put(server, f"name: b\nversion: v1\nfiles: []\nservice: s:svc\nmodels: {models}\n",
                    kind="bentos", name="b")
    assert response.status_code == 400, response.text
    assert "models" in response.json()["error"]


@pytest.mark.parametrize("metadata", ["just a string", "[" * 40 + "]" * 40])
def test_metadata_must_be_a_bounded_mapping(server, metadata) -> None:
    response = _put(server, f"name: m\nversion: v1\nfiles: []\nmetadata: {metadata}\n")
    assert response.status_code == 400, response.text
    assert "metadata" in response.json()["error"] or "deeper" in response.json()["error"]


@pytest.mark.parametrize("path", [".", "a//b", "./a", "a/./b", "a/", "model.yaml", "a\\\\b",
                                  "/etc/passwd", "../up", "a\\0b"])
def test_file_paths_follow_the_clients_rule(server, path) -> None:
    text = f'name: m\nversion: v1\nfiles:\n- {{path: "{path}", size: 1, sha256: {SHA}}}\n'
    response = _put(server, text)
    assert response.status_code == 400, (path, response.text)
    assert "files[0].path" in response.json()["error"]


def test_a_nul_in_a_label_is_refused(server) -> None:
    response = _put(server, 'name: m\nversion: v1\nfiles: []\nlabels: {a: "x\\0y"}\n')
    assert response.status_code == 400, response.text
