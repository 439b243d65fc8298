"""Basic auth (htpasswd) and the bearer-token challenge flow against a real Distribution server;
credentials from Docker's config.json, ``tiffin oci login``, and the catalog being refused."""

from __future__ import annotations

import hashlib
import time

import pytest

from tiffin.exceptions import RegistryError, Unauthorized
from tiffin_oci import OCIRemoteStore
from tiffin_oci.testing import make_model, pull, push, same_files

pytestmark = pytest.mark.slow


def test_basic_auth_without_credentials_is_one_line_naming_login(basic_registry):
    model = make_model()
    with OCIRemoteStore(basic_registry.url()) as store, pytest.raises(Unauthorized) as info:
        push(store, model)
    text = str(info.value)
    assert "\n" not in text and f"tiffin oci login oci://{basic_registry.host}" in text


def test_basic_auth_with_a_wrong_password_is_refused(basic_registry, docker_login, account):
    docker_login(basic_registry.host, account[0], "wrong")
    with OCIRemoteStore(basic_registry.url()) as store, pytest.raises(Unauthorized) as info:
        store.list_versions("model", "iris")
    assert "refused" in str(info.value) and "wrong" not in str(info.value)


def test_basic_auth_with_dockers_credentials_round_trips(basic_registry, tmp_path, docker_login):
    docker_login(basic_registry.host)
    model = make_model()
    with OCIRemoteStore(basic_registry.url()) as store:
        assert push(store, model).files_sent == 3
        pull(store, "model", str(model.tag), tmp_path / "pulled")
    same_files(model.path, tmp_path / "pulled")


def test_tiffin_oci_login_stores_what_the_remote_then_uses(basic_registry, cli, account):
    user, password = account
    done = cli("oci", "login", basic_registry.url(), "-u", user, "--password-stdin", input=password)
    assert done.returncode == 0, done.stderr
    assert "config.json" in done.stdout
    model = make_model()
    with OCIRemoteStore(basic_registry.url()) as store:
        push(store, model)
        assert store.get_version("model", "iris").version == model.tag.version
    bad = cli("oci", "login", "http://nope", "-u", user, "--password-stdin", input="x")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_the_bearer_token_flow_pushes_and_pulls(token_registry, tmp_path, docker_login, account):
    registry, tokens = token_registry
    docker_login(registry.host)
    model = make_model(big=2 << 20)
    with OCIRemoteStore(registry.url(), chunk_size=1 << 20, monolithic_limit=1 << 20) as store:
        push(store, model, threads=3)
        pull(store, "model", str(model.tag), tmp_path / "pulled")
        assert [v.version for v in store.list_versions("model")] == [model.tag.version]
    same_files(model.path, tmp_path / "pulled")
    scopes = {s for r in tokens.requests for s in r["scope"]}
    assert "repository:team/models/iris:pull,push" in scopes
    assert all(r["user"] == account[0] for r in tokens.requests)
    # tokens are reused: far fewer token requests than registry requests
    assert len(tokens.requests) < registry.requests("HEAD") + registry.requests("PUT")


def test_anonymous_tokens_pull_but_cannot_push(token_registry, tmp_path, docker_login):
    registry, tokens = token_registry
    docker_login(registry.host)
    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
    (tmp_path / "docker" / "config.json").unlink()
    tokens.anonymous_pull = True
    with OCIRemoteStore(registry.url()) as store:
        pull(store, "model", str(model.tag), tmp_path / "pulled")
        with pytest.raises(Unauthorized) as info:
            push(store, make_model("other"))
    same_files(model.path, tmp_path / "pulled")
    assert "\n" not in str(info.value)


def test_without_credentials_the_token_service_refusal_is_one_line(token_registry):
    registry, _ = token_registry
    with OCIRemoteStore(registry.url()) as store, pytest.raises(Unauthorized) as info:
        store.list_versions("model", "iris")
    assert "token service" in str(info.value) and "tiffin oci login" in str(info.value)


def test_a_refused_catalog_is_said_in_one_line_and_a_name_still_lists(token_registry, docker_login):
    registry, tokens = token_registry
    docker_login(registry.host)
    tokens.catalog = False
    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        with pytest.raises(RegistryError, match="does not offer the catalog API") as info:
            store.list_versions("model")
        assert "\n" not in str(info.value)
        assert [v.version for v in store.list_versions("model", "iris")] == [model.tag.version]


def test_an_expired_token_is_fetched_again(token_registry, docker_login, monkeypatch, tmp_path):
    registry, tokens = token_registry
    docker_login(registry.host)
    tokens.lifetime = -52  # Distribution allows 60 s of clock skew: valid for 8 s
    monkeypatch.setattr("tiffin_oci._auth._FRESH_SECONDS", 0.5)
    model = make_model()
    blob = tmp_path / "blob"
    blob.write_bytes(b"one more blob")
    digest = hashlib.sha256(blob.read_bytes()).hexdigest()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)  # its last token: pull,push on team/models/iris
        fetched = len(tokens.requests)
        time.sleep(9)  # that token has expired; an upload asks for exactly its scope again
        store.client.upload("team/models/iris", digest, blob, blob.stat().st_size)
        assert len(tokens.requests) == fetched + 1
        assert store.client.blob_size("team/models/iris", digest) == blob.stat().st_size
