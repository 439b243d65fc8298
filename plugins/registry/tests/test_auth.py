"""The token matrix: no token, an unknown one, read and write, on every route of the API."""

from __future__ import annotations

import httpx
import pytest

from tiffin_registry.testing import TOKENS, RegistryServer

pytestmark = pytest.mark.slow

SHA = "ab" * 32
MANIFEST = b"name: m\nversion: v1\nfiles: []\n"

#: (method, path, json body or raw bytes, scope needed, status once allowed)
ROUTES = [
    ("GET", "/api/v1/", None, "read", 200),
    ("GET", "/api/v1/openapi.json", None, "read", 200),
    ("GET", "/api/v1/transfer", None, "read", 200),
    ("GET", "/api/v1/models", None, "read", 200),
    ("GET", "/api/v1/bentos/versions", None, "read", 200),
    ("GET", "/api/v1/models/m/versions", None, "read", 404),
    ("GET", "/api/v1/models/m/versions/latest", None, "read", 404),
    ("POST", f"/api/v1/blobs/{SHA}/download", {"strategies": ["proxy"]}, "read", 404),
    ("GET", f"/api/v1/transfer/proxy/blobs/{SHA}", None, "read", 404),
    ("POST", "/api/v1/blobs/check", {"blobs": [{"sha256": SHA, "size": 1}]}, "write", 200),
    ("POST", f"/api/v1/blobs/{SHA}/upload", {"size": 1, "strategies": ["proxy"]}, "write", 200),
    ("PUT", "/api/v1/transfer/proxy/uploads/nosuchsession", b"x", "write", 404),
    ("PUT", "/api/v1/models/m/versions/v1", MANIFEST, "write", 201),
    ("PATCH", "/api/v1/models/m/versions/v1/labels", {"set": {"stage": "prod"}}, "write", 200),
    ("DELETE", "/api/v1/models/m/versions/v1", None, "write", 200),
]


def _call(server: RegistryServer, method: str, path: str, body, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {"json": body} if isinstance(body, dict) else {"content": body}
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture
def secured(start_registry_factory) -> RegistryServer:
    return start_registry_factory(tokens=True)


def test_every_route_by_every_kind_of_token(secured: RegistryServer) -> None:
    for method, path, body, scope, allowed in ROUTES:
        where = f"{method} {path}"
        for token in (None, "not-a-known-token"):
            response = _call(secured, method, path, body, token)
            assert response.status_code == 401, where
            assert response.json()["kind"] == "unauthorized", where
        read = _call(secured, method, path, body, TOKENS["read"])
        if scope == "read":
            assert read.status_code == allowed, (where, read.text)
        else:
            assert read.status_code == 403, where
            assert read.json()["kind"] == "forbidden"
        write = _call(secured, method, path, body, TOKENS["write"])
        # the PUT commits a version, the DELETE after it deletes it: both succeed with write
        assert write.status_code == allowed, (where, write.text)
    assert httpx.get(secured.url + "/healthz").status_code == 200  # probes need no token
    logs = secured.logs()
    for token in TOKENS.values():
        assert token not in logs


def test_cli_with_each_token(secured: RegistryServer, cli) -> None:
    from tiffin_registry.testing import make_model

    make_model("scaler")
    anonymous = cli("models", "push", "scaler", env=secured.env())
    assert anonymous.returncode == 1
    assert "401" in anonymous.stderr and "TIFFIN_REGISTRY_TOKEN" in anonymous.stderr
    reader = cli("models", "push", "scaler", env=secured.env("read"))
    assert reader.returncode == 1 and "403" in reader.stderr
    assert TOKENS["read"] not in reader.stderr
    writer = cli("models", "push", "scaler", env=secured.env("write"))
    assert writer.returncode == 0, writer.stderr
    listed = cli("models", "list", "--remote", "-o", "json", env=secured.env("read"))
    assert listed.returncode == 0 and "scaler" in listed.stdout
    for result in (anonymous, reader, writer, listed):
        assert "Traceback" not in result.stderr


def test_login_stores_the_token_for_this_user_only(secured: RegistryServer, cli, tmp_path) -> None:
    import os
    import stat

    config = tmp_path / "config"
    env = {"TIFFIN_CONFIG_DIR": str(config)}
    wrong = cli("registry", "login", secured.url, "--token", "nope", env=env)
    assert wrong.returncode == 1 and "401" in wrong.stderr
    assert not (config / "registry.json").exists()
    done = cli("registry", "login", secured.url, "--token", TOKENS["read"], env=env)
    assert done.returncode == 0, done.stderr
    mode = stat.S_IMODE(os.stat(config / "registry.json").st_mode)
    assert mode == 0o600
    listed = cli("models", "list", "--remote", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"
