"""The oci:// remote through tiffin itself: TIFFIN_REGISTRY_URL=oci://..., the CLI's push, pull,
``--remote`` listings, ``--with-models`` and auto-pull, and the Python API."""

from __future__ import annotations

import json
import textwrap

import httpx
import pytest

import tiffin
from tiffin.exceptions import Unauthorized
from tiffin.store import open_remote
from tiffin_oci import OCIRemoteStore
from tiffin_oci.testing import make_model, same_files

pytestmark = pytest.mark.slow


def _json(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_open_remote_gives_the_oci_store(registry):
    store = open_remote(registry.url())
    assert isinstance(store, OCIRemoteStore) and store.url == registry.url()
    store.close()


def test_models_push_list_get_and_pull_through_the_cli(registry, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    model = make_model(labels={"stage": "prod"})
    pushed = _json(cli("models", "push", "iris:latest", "-o", "json"))
    assert pushed["bytes_sent"] == sum(f.size for f in model.info.files) - 4096
    again = _json(cli("models", "push", "iris:latest", "--force", "-o", "json"))
    assert again["bytes_sent"] == 0

    listed = _json(cli("models", "list", "--remote", "-o", "json"))
    assert [row["tag"] for row in listed] == [str(model.tag)]
    shown = cli("models", "get", "iris", "--remote")
    assert shown.returncode == 0 and model.tag.version in shown.stdout

    other = tmp_path / "other-home"
    monkeypatch.setenv("TIFFIN_HOME", str(other))
    pulled = _json(cli("models", "pull", "iris:latest", "-o", "json"))
    assert pulled["bytes_sent"] == sum(f.size for f in model.info.files) - 4096
    same_files(model.path, other / "models" / "iris" / model.tag.version)
    assert tiffin.models.get("iris").info.labels == {"stage": "prod"}


def test_python_push_and_pull_reach_oci(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    model = make_model()
    tiffin.models.push(str(model.tag))
    assert [str(m.tag) for m in tiffin.models.list_remote()] == [str(model.tag)]
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    tiffin.models.pull(str(model.tag))
    same_files(model.path, tiffin.models.get(str(model.tag)).path)


def test_a_name_oci_cannot_carry_is_one_line_from_the_cli(registry, cli, monkeypatch):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    with tiffin.models.create("bad..name") as m:
        (m.path / "f").write_text("x")
    done = cli("models", "push", "bad..name:latest")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot name an OCI repository" in done.stderr and "[a-z0-9]+" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


SERVICE = textwrap.dedent(
    """
    import tiffin
    from tiffin.io import JSON

    MODEL = tiffin.models.get("scaler:latest")


    class Scale(tiffin.Runnable):
        SUPPORTED_RESOURCES = ("cpu",)
        SUPPORTS_CPU_MULTI_THREADING = True

        def __init__(self):
            path = tiffin.models.get(str(MODEL.tag)).path
            self.factor = float((path / "factor.txt").read_text())

        @tiffin.Runnable.method(batchable=False)
        def scale(self, values):
            return [v * self.factor for v in values]


    runner = tiffin.Runner(Scale, name="scale", models=[MODEL])
    svc = tiffin.Service("scaler-svc", runners=[runner])


    @svc.api(input=JSON(), output=JSON())
    async def predict(values):
        return await runner.scale.async_run(values)
    """
)


def _build(tmp_path):
    with tiffin.models.create("scaler") as model:
        (model.path / "factor.txt").write_text("3.0")
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(SERVICE)
    (project / "bentofile.yaml").write_text("service: service.py:svc\n")
    return tiffin.build(build_ctx=str(project))


def test_a_bento_pushed_then_pulled_with_models_serves(registry, cli, serve, tmp_path, monkeypatch):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    bento = _build(tmp_path)
    pushed = _json(cli("push", str(bento.tag), "-o", "json"))
    assert set(pushed["tags"]) >= {str(bento.tag), bento.info.models[0].tag}
    assert pushed["strategies"].get("oci-mount", 0) >= 1  # the model's blobs, mounted

    folder = tmp_path / "bento-folder"
    _json(cli("pull", str(bento.tag), "--to", str(folder), "-o", "json"))
    same_files(bento.path, folder)

    other = tmp_path / "other-home"
    monkeypatch.setenv("TIFFIN_HOME", str(other))
    monkeypatch.setenv("TIFFIN_AUTO_PULL", "0")
    _json(cli("pull", str(bento.tag), "--with-models", "-o", "json"))
    assert tiffin.models.get(bento.info.models[0].tag).tag  # the model landed in the store
    server = serve(str(bento.tag), cwd=tmp_path, env={"TIFFIN_HOME": str(other)})
    response = httpx.post(server.url + "/predict", json=[1, 2], timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == [3.0, 6.0]


def test_serve_auto_pulls_a_bento_from_oci(registry, cli, serve, tmp_path, monkeypatch):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    bento = _build(tmp_path)
    assert cli("push", str(bento.tag)).returncode == 0
    empty = tmp_path / "empty-home"
    empty.mkdir()
    server = serve(
        str(bento.tag),
        cwd=tmp_path,
        env={"TIFFIN_HOME": str(empty), "TIFFIN_AUTO_PULL": "1"},
    )
    response = httpx.post(server.url + "/predict", json=[2], timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == [6.0]


def test_tiffin_registry_login_with_user_colon_password_reaches_a_basic_registry(
    basic_registry, cli, account, tmp_path
):
    user, password = account
    url = basic_registry.url()
    # --no-check: core's check speaks the tiffin registry's API (see the report); ours is check()
    done = cli("registry", "login", url, "--token", f"{user}:{password}", "--no-check")
    assert done.returncode == 0, done.stderr
    model = make_model()
    pushed = _json(cli("models", "push", str(model.tag), "-o", "json"))
    assert pushed["files_sent"] == 3
    with OCIRemoteStore(url, token=f"{user}:{password}") as store:
        store.check()
    with OCIRemoteStore(url, token=f"{user}:nope") as store, pytest.raises(Unauthorized):
        store.check()


def test_without_the_catalog_the_cli_says_so_in_one_line_and_a_name_lists(
    token_registry, docker_login, cli, monkeypatch
):
    registry, tokens = token_registry
    docker_login(registry.host)
    tokens.catalog = False
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    model = make_model()
    assert cli("models", "push", str(model.tag)).returncode == 0
    done = cli("models", "list", "--remote")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "does not offer the catalog API" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    named = _json(cli("models", "list", "iris", "--remote", "-o", "json"))
    assert [row["tag"] for row in named] == [str(model.tag)]


def test_a_tampered_blob_is_refused_by_the_cli_and_nothing_is_stored(
    registry, cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    model = make_model()
    assert cli("models", "push", str(model.tag)).returncode == 0
    entry = next(f for f in model.info.files if f.path == "weights.bin")
    registry.blob_file(entry.sha256).write_bytes(b"\0" * entry.size)
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "other-home"))
    done = cli("models", "pull", str(model.tag))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "refused" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert tiffin.models.list() == []


def test_models_label_remote_edits_the_oci_annotations(registry, cli, monkeypatch):
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url())
    model = make_model(labels={"stage": "dev"})
    assert cli("models", "push", str(model.tag)).returncode == 0
    done = cli("models", "label", str(model.tag), "stage=prod", "--remote")
    assert done.returncode == 0, done.stderr
    with OCIRemoteStore(registry.url()) as store:
        assert store.get_version("model", str(model.tag)).labels == {"stage": "prod"}
