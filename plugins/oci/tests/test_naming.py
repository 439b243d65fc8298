"""``oci://`` URLs, the OCI naming rules, credentials and the plugin's registration (no server)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

import tiffin
import tiffin_oci
from tiffin.exceptions import InvalidArgument
from tiffin.hookspecs import Remote, RemoteStore, TransferOptions, TransferSummary
from tiffin_oci import OCIRemote, OCIRemoteStore
from tiffin_oci._auth import parse_challenge
from tiffin_oci._credentials import load_credentials, login, logout
from tiffin_oci._url import parse_url, repository


def test_loopback_is_plain_http_and_everything_else_https():
    assert parse_url("oci://127.0.0.1:5000/team").base == "http://127.0.0.1:5000"
    assert parse_url("oci://localhost:5000/a/b").namespace == "a/b"
    assert parse_url("oci://ghcr.io/my-org/tiffin").base == "https://ghcr.io"
    assert parse_url("oci://reg.lan:5000/team?insecure=1").base == "http://reg.lan:5000"
    assert parse_url("oci://reg.lan/team", insecure=True).insecure


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://ghcr.io/x", "an OCI remote looks like oci://"),
        ("oci://ghcr.io", "names no namespace"),
        ("oci://ghcr.io/My-Org", "cannot name an OCI repository"),
    ],
)
def test_bad_urls_are_refused_in_one_line(url, message):
    with pytest.raises(InvalidArgument, match=message) as info:
        parse_url(url)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["a..b", "a.", "a_-b", "a___b", "x.-y"])
def test_a_tiffin_name_that_is_no_oci_component_is_refused_naming_the_rule(name):
    with pytest.raises(InvalidArgument) as info:
        repository("team", "models", name)  # valid tiffin names that OCI cannot carry
    text = str(info.value)
    assert "\n" not in text and name in text and "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*" in text


def test_valid_names_map_to_the_documented_repositories():
    assert repository("team", "models", "iris_clf") == "team/models/iris_clf"
    assert repository("a/b", "bentos", "svc-2.0") == "a/b/bentos/svc-2.0"


def test_push_of_such_a_name_is_refused_before_any_network(tmp_path):
    with tiffin.models.create("bad..name") as m:
        (m.path / "f").write_text("x")
    model = tiffin.models.get("bad..name")
    store = OCIRemoteStore("oci://127.0.0.1:9/team")  # nothing listens on port 9
    with pytest.raises(InvalidArgument, match="cannot name an OCI repository"):
        store.push_version(
            "model",
            model.path,
            (model.path / "model.yaml").read_bytes(),
            model.info.files,
            TransferOptions(),
            TransferSummary("push"),
        )


def test_credentials_come_from_dockers_config_json(tmp_path):
    path = tmp_path / "docker" / "config.json"
    path.parent.mkdir()
    auth = base64.b64encode(b"bob:pa:ss").decode()
    path.write_text(json.dumps({"auths": {"https://reg.example:5000": {"auth": auth}}}))
    assert load_credentials("reg.example:5000") == ("bob", "pa:ss")
    assert load_credentials("other.example") is None


def test_login_writes_what_docker_reads_and_logout_removes_it(tmp_path):
    path = login("reg.example", "carol", "pw")
    assert path == tmp_path / "docker" / "config.json"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    entry = json.loads(path.read_text())["auths"]["reg.example"]
    assert base64.b64decode(entry["auth"]) == b"carol:pw"
    assert load_credentials("reg.example") == ("carol", "pw")
    assert logout("reg.example") and load_credentials("reg.example") is None
    assert not logout("reg.example")


def test_environment_credentials_win(monkeypatch):
    monkeypatch.setenv("TIFFIN_OCI_USERNAME", "env-user")
    monkeypatch.setenv("TIFFIN_OCI_PASSWORD", "env-pw")
    assert load_credentials("anything") == ("env-user", "env-pw")


def test_bearer_challenges_are_parsed():
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:team/models/iris:pull,push"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:team/models/iris:pull,push",
    }


def test_the_plugin_registers_the_oci_scheme_and_meets_the_protocols():
    registered: list[object] = []
    tiffin_oci.register_remotes(registered.append)
    (remote,) = registered
    assert isinstance(remote, OCIRemote) and isinstance(remote, Remote)
    assert remote.schemes == ("oci",)
    store = remote.open("oci://127.0.0.1:5000/team", None)
    assert isinstance(store, RemoteStore) and store.url == "oci://127.0.0.1:5000/team"
    store.close()


def test_a_token_is_a_password_or_user_colon_password():
    assert OCIRemoteStore("oci://r.example/x", token="u:p")._credentials == ("u", "p")
    assert OCIRemoteStore("oci://r.example/x", token="t0k")._credentials == ("tiffin", "t0k")


def test_registering_and_the_cli_do_not_import_httpx():
    code = (
        "import sys, tiffin_oci\n"
        "tiffin_oci.register_remotes(lambda r: None)\n"
        "import tiffin_oci._cli\n"
        "print('httpx' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
