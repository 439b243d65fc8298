"""Attacks on UI sessions and the signing key (issue 25, Low)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import TOKENS, RegistryServer, make_model

pytestmark = pytest.mark.slow


def _login_csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/login").text)
    assert found
    return found.group(1)


def _sign_in(client: httpx.Client, token: str, headers: dict | None = None) -> httpx.Response:
    csrf = _login_csrf(client)
    return client.post("/ui/login", data={"token": token, "csrf": csrf}, headers=headers or {})


def test_the_login_form_needs_its_csrf_token(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(tokens=True)
    with httpx.Client(base_url=server.url) as client:
        forced = client.post("/ui/login", data={"token": TOKENS["read"]})  # login CSRF
        assert forced.status_code == 403
        assert "tiffin_ui_session" not in forced.headers.get("set-cookie", "")
        assert _sign_in(client, TOKENS["read"]).status_code == 303


def test_sign_out_revokes_the_session(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(tokens=True)
    with httpx.Client(base_url=server.url) as client:
        assert _sign_in(client, TOKENS["write"]).status_code == 303
        cookie = client.cookies["tiffin_ui_session"]
        page = client.get("/ui/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        assert client.post("/ui/logout", data={"csrf": csrf.group(1)}).status_code == 303
    with httpx.Client(base_url=server.url, cookies={"tiffin_ui_session": cookie}) as kept:
        answer = kept.get("/ui/")
        assert answer.status_code == 303 and "/ui/login" in answer.headers["location"]


def test_the_cookie_is_secure_behind_an_https_proxy(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(tokens=True)
    with httpx.Client(base_url=server.url) as client:
        answer = _sign_in(client, TOKENS["read"], {"X-Forwarded-Proto": "https"})
        assert answer.status_code == 303
        assert "secure" in answer.headers["set-cookie"].lower()
    with httpx.Client(base_url=server.url) as plain:
        assert "secure" not in _sign_in(plain, TOKENS["read"]).headers["set-cookie"].lower()


def test_readers_do_not_see_token_fingerprints(start_registry_factory, cli, tmp_path) -> None:
    server: RegistryServer = start_registry_factory(tokens=True)
    model = make_model("scaler")
    pushed = cli("models", "push", str(model.tag), env=server.env("write"))
    assert pushed.returncode == 0, pushed.stderr
    pages = ["/ui/models/scaler", f"/ui/models/scaler/{model.tag.version}"]
    with httpx.Client(base_url=server.url) as reader:
        _sign_in(reader, TOKENS["read"])
        for page in pages:
            assert "token:" not in reader.get(page).text, page
    with httpx.Client(base_url=server.url) as writer:
        _sign_in(writer, TOKENS["write"])
        assert "token:" in writer.get(pages[1]).text


def test_the_database_alone_cannot_forge_a_session(start_registry_factory, tmp_path) -> None:
    """An old registry's secret in ``settings`` moves out once (sessions stay valid), and the
    database holds no key afterwards."""
    from tiffin_registry._db import connect, migrate, signing_secret

    storage = tmp_path / "storage"
    storage.mkdir()
    engine = connect(f"sqlite:///{storage / 'registry.db'}")
    migrate(engine)
    old = signing_secret(engine)  # what a registry before the fix created
    engine.dispose()
    server = start_registry_factory(storage, tokens=True)
    with sqlite3.connect(storage / "registry.db") as db:
        assert db.execute("SELECT count(*) FROM settings WHERE key = 'signing_secret'"
                          ).fetchone() == (0,)
    key_file = storage / "signing.key"
    assert bytes.fromhex(key_file.read_text().strip()) == old
    assert key_file.stat().st_mode & 0o077 == 0
    with httpx.Client(base_url=server.url) as client:
        assert _sign_in(client, TOKENS["write"]).status_code == 303
        cookie = client.cookies["tiffin_ui_session"]
    server.stop()
    again = start_registry_factory(storage, tokens=True)  # same key: the session survives
    with httpx.Client(base_url=again.url, cookies={"tiffin_ui_session": cookie}) as client:
        assert client.get("/ui/").status_code == 200
    assert Path(key_file).exists()
