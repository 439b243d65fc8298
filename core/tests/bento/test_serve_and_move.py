"""A bento serves the same anywhere: by tag from another folder, after export and import into an
empty store, from its folder, and in-process with ``tiffin.load``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import tiffin

BENTOFILE = "service: service.py:svc\nexclude: [.env, secrets/, notebooks/]\n"


def predict(server, values):
    response = httpx.post(server.url + "/predict", json=values, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_serve_by_tag_from_another_folder(project, serve, tmp_path):
    folder = project(bentofile=BENTOFILE)
    bento = tiffin.build(build_ctx=folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    server = serve(str(bento.tag), cwd=elsewhere)

    assert predict(server, [1, 2]) == {"scaled": [3.0, 6.0], "greeting": "hello from src"}
    assert httpx.get(server.url + "/docs.json").json()["paths"].keys() >= {"/predict"}


def test_export_then_import_into_an_empty_home_and_serve_with_the_carried_models(
    project, serve, tmp_path, monkeypatch
):
    folder = project(bentofile=BENTOFILE)
    bento = tiffin.build(build_ctx=folder)
    model_tag = bento.info.models[0].tag
    archive = tmp_path / "scaler.bento"

    assert tiffin.export_bento(str(bento.tag), str(archive)) == str(archive)
    assert archive.stat().st_size > 0

    new_home = tmp_path / "new_home"
    monkeypatch.setenv("TIFFIN_HOME", str(new_home))
    assert tiffin.list() == [] and tiffin.models.list() == []
    # a newer, different model of the same name in the new store must not replace the bento's own
    with tiffin.models.create("scaler") as other:
        (other.path / "factor.txt").write_text("10")

    imported = tiffin.import_bento(str(archive))

    assert imported.tag == bento.tag
    assert imported.info.files == bento.info.files
    assert str(tiffin.models.get(model_tag).tag) == model_tag  # carried model joined the store
    assert (tiffin.models.get(model_tag).path / "factor.txt").read_text() == "3.0"
    assert tiffin.import_bento(str(archive)) == imported  # importing again is a no-op

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = serve("scaler-svc:latest", cwd=elsewhere, env={"TIFFIN_HOME": str(new_home)})
    assert predict(server, [2]) == {"scaled": [6.0], "greeting": "hello from src"}


def test_serve_a_bento_folder_with_an_empty_store(project, serve, tmp_path):
    folder = project(bentofile=BENTOFILE)
    bento = tiffin.build(build_ctx=folder)
    empty_home = tmp_path / "empty"
    empty_home.mkdir()

    server = serve(str(bento.path), cwd=tmp_path, env={"TIFFIN_HOME": str(empty_home)})

    assert predict(server, [1]) == {"scaled": [3.0], "greeting": "hello from src"}
    assert not (empty_home / "models").exists()  # the models came from the bento folder


def test_load_gives_a_service_that_runs_in_process(project, tmp_path, monkeypatch):
    import asyncio

    folder = project(bentofile=BENTOFILE)
    bento = tiffin.build(build_ctx=folder)
    monkeypatch.chdir(tmp_path)

    svc = tiffin.load(str(bento.tag))

    assert isinstance(svc, tiffin.Service) and svc.name == "scaler-svc"
    for runner in svc.runners:
        runner.init_local()
    try:
        result = asyncio.run(svc.apis["predict"].func([1, 4]))
    finally:
        for runner in svc.runners:
            runner.destroy_local() if hasattr(runner, "destroy_local") else None
    assert result == {"scaled": [3.0, 12.0], "greeting": "hello from src"}
    assert tiffin.load(bento.path).name == "scaler-svc"


def test_a_tampered_archive_is_refused_and_nothing_is_imported(project, tmp_path, monkeypatch):
    folder = project(bentofile=BENTOFILE)
    bento = tiffin.build(build_ctx=folder)
    archive = tmp_path / "scaler.bento"
    tiffin.export_bento(str(bento.tag), str(archive))
    data = bytearray(archive.read_bytes())
    marker = data.find(b"hello from src")
    assert marker > 0
    data[marker : marker + 5] = b"HELLO"
    archive.write_bytes(bytes(data))
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "other_home"))

    with pytest.raises(tiffin.exceptions.InvalidArchive, match="sha256"):
        tiffin.import_bento(str(archive))
    assert tiffin.list() == [] and tiffin.models.list() == []


def test_serve_an_unknown_tag_is_one_clear_line(cli, tmp_path):
    done = cli("serve", "no-such-bento:latest", cwd=tmp_path)
    assert done.returncode == 1
    assert "no-such-bento" in done.stderr and "Traceback" not in done.stderr


def test_cli_export_and_import(project, cli, tmp_path):
    folder = project(bentofile=BENTOFILE)
    bento = tiffin.build(build_ctx=folder)
    archive = tmp_path / "scaler.bento"

    done = cli("export", str(bento.tag), str(archive))
    assert done.returncode == 0, done.stderr
    assert str(archive) in done.stdout

    new_home = tmp_path / "h2"
    done = cli("import", str(archive), env={"TIFFIN_HOME": str(new_home)})
    assert done.returncode == 0, done.stderr
    assert str(bento.tag) in done.stdout
    assert Path(new_home, "bentos", "scaler-svc", bento.tag.version, "bento.yaml").is_file()
    assert Path(new_home, "models", "scaler").is_dir()
