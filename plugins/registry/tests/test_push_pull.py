"""Push and pull through a real registry process, with real client processes (the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiffin_registry.testing import RegistryServer, cli_json, make_bento, make_model

pytestmark = pytest.mark.slow



def test_model_push_then_pull_into_an_empty_home(
    registry: RegistryServer, cli, other_home: Path
) -> None:
    model = make_model("scaler", extra_bytes=300_000, labels={"stage": "dev"})
    summary = cli_json(cli("models", "push", "scaler", "-o", "json"))
    total = sum(f.size for f in model.info.files)
    assert summary["bytes_sent"] == total and summary["bytes_skipped"] == 0
    assert summary["tags"] == [str(model.tag)]

    pulled = cli_json(
        cli("models", "pull", "scaler:latest", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    )
    assert pulled["tags"] == [str(model.tag)]
    copy = other_home / "models" / "scaler" / model.tag.version
    for entry in model.info.files:
        assert (copy / entry.path).read_bytes() == (model.path / entry.path).read_bytes()
    # the manifest lands byte for byte, so the copy is the same version
    assert (copy / "model.yaml").read_bytes() == (model.path / "model.yaml").read_bytes()

    listed = cli_json(cli("models", "list", "--remote", "-o", "json"))
    assert [row["tag"] for row in listed] == [str(model.tag)]
    assert listed[0]["labels"] == {"stage": "dev"}
    got = cli("models", "get", "scaler:latest", "--remote")
    assert got.returncode == 0 and f"version: {model.tag.version}" in got.stdout
    assert cli_json(cli("models", "list", "--remote", "--label", "stage=prod", "-o", "json")) == []
    unknown = cli("models", "get", "nosuchmodel", "--remote")
    assert unknown.returncode == 1 and "no model named 'nosuchmodel'" in unknown.stderr


def test_idempotent_push_and_pull_and_force(registry: RegistryServer, cli) -> None:
    model = make_model("scaler", extra_bytes=50_000)
    assert cli_json(cli("models", "push", "scaler", "-o", "json"))["bytes_sent"] > 0
    again = cli_json(cli("models", "push", "scaler", "-o", "json"))
    assert again["bytes_sent"] == 0 and again["unchanged"] == [str(model.tag)]
    forced = cli_json(cli("models", "push", "scaler", "--force", "-o", "json"))
    assert forced["unchanged"] == [] and forced["bytes_sent"] == 0  # content addressed

    pulled = cli_json(cli("models", "pull", str(model.tag), "-o", "json"))
    assert pulled["unchanged"] == [str(model.tag)] and pulled["bytes_sent"] == 0
    pulled = cli_json(cli("models", "pull", str(model.tag), "--force", "-o", "json"))
    assert pulled["unchanged"] == [] and pulled["bytes_sent"] == sum(
        f.size for f in model.info.files
    )


def test_unchanged_content_in_a_new_version_sends_nothing(registry: RegistryServer, cli) -> None:
    import tiffin

    first = make_model("scaler", extra_bytes=200_000)
    cli_json(cli("models", "push", "scaler", "-o", "json"))
    with tiffin.models.create("scaler") as second:  # same files, new version
        for entry in first.info.files:
            target = second.path / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((first.path / entry.path).read_bytes())
    summary = cli_json(cli("models", "push", "scaler:latest", "-o", "json"))
    assert summary["tags"] == [str(second.tag)]
    assert summary["bytes_sent"] == 0
    assert summary["bytes_skipped"] == sum(f.size for f in first.info.files)
    listed = cli_json(cli("models", "list", "scaler", "--remote", "-o", "json"))
    assert [row["tag"] for row in listed] == [str(second.tag), str(first.tag)]  # newest first


def test_latest_resolves_on_the_registry(registry: RegistryServer, cli, other_home: Path) -> None:
    old = make_model("scaler", factor=1.0)
    cli_json(cli("models", "push", str(old.tag), "-o", "json"))
    new = make_model("scaler", factor=2.0)
    cli_json(cli("models", "push", str(new.tag), "-o", "json"))
    pulled = cli_json(
        cli("models", "pull", "scaler", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    )
    assert pulled["tags"] == [str(new.tag)]


def test_bento_push_sends_models_once_and_pull_brings_them(
    registry: RegistryServer, cli, tmp_path: Path, other_home: Path
) -> None:
    model = make_model("scaler", extra_bytes=100_000)
    bento = make_bento(tmp_path / "project")
    summary = cli_json(cli("push", str(bento.tag), "-o", "json"))
    assert set(summary["tags"]) == {str(model.tag), str(bento.tag)}
    model_bytes = sum(f.size for f in model.info.files)
    bento_bytes = sum(f.size for f in bento.info.files)
    # the bento's models/ folder holds the same files as the model: they are sent once
    assert summary["bytes_sent"] < model_bytes + bento_bytes - model_bytes // 2

    remote_models = cli_json(cli("models", "list", "--remote", "-o", "json"))
    assert [row["tag"] for row in remote_models] == [str(model.tag)]
    remote_bentos = cli_json(cli("list", "--remote", "-o", "json"))
    assert [(r["tag"], r["models"]) for r in remote_bentos] == [(str(bento.tag), [str(model.tag)])]
    assert cli_json(cli("get", "scaler-svc", "--remote", "-o", "json"))["version"] == bento.tag.version

    env = {"TIFFIN_HOME": str(other_home)}
    cli_json(cli("pull", "scaler-svc", "--with-models", "-o", "json", env=env))
    assert (
        other_home / "bentos" / "scaler-svc" / bento.tag.version / "bento.yaml"
    ).read_bytes() == (bento.path / "bento.yaml").read_bytes()
    assert (other_home / "models" / "scaler" / model.tag.version / "model.yaml").is_file()
    listed = cli("list", "-o", "json", env=env)
    assert [row["tag"] for row in json.loads(listed.stdout)] == [str(bento.tag)]

    run = cli("run", str(bento.tag), "predict", "--input", "[1, 2]", env=env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["scaled"] == [3.0, 6.0]


def test_bare_push_needs_the_models_there(registry: RegistryServer, cli, tmp_path: Path) -> None:
    make_model("scaler")
    bento = make_bento(tmp_path / "project")
    refused = cli("push", str(bento.tag), "--bare")
    assert refused.returncode == 1
    assert "--bare" in refused.stderr and "Traceback" not in refused.stderr
    cli_json(cli("models", "push", "scaler", "-o", "json"))
    bare = cli_json(cli("push", str(bento.tag), "--bare", "-o", "json"))
    assert bare["tags"] == [str(bento.tag)]


def test_pull_to_a_folder_leaves_the_store_alone(
    registry: RegistryServer, cli, tmp_path: Path, other_home: Path
) -> None:
    make_model("scaler")
    bento = make_bento(tmp_path / "project")
    cli_json(cli("push", str(bento.tag), "-o", "json"))
    target = tmp_path / "copy"
    env = {"TIFFIN_HOME": str(other_home)}
    cli_json(cli("pull", "scaler-svc", "--to", str(target), "-o", "json", env=env))
    assert (target / "bento.yaml").read_bytes() == (bento.path / "bento.yaml").read_bytes()
    for entry in bento.info.files:
        assert (target / entry.path).read_bytes() == (bento.path / entry.path).read_bytes()
    assert not (other_home / "bentos").exists()
    again = cli("pull", "scaler-svc", "--to", str(target), env=env)
    assert again.returncode == 1 and "not an empty folder" in again.stderr


def test_python_api_push_and_pull(registry: RegistryServer, tmp_path: Path, monkeypatch) -> None:
    import tiffin

    model = make_model("scaler", extra_bytes=10_000)
    summary = tiffin.models.push("scaler")
    assert summary.bytes_sent == sum(f.size for f in model.info.files)
    tiffin.models.delete(str(model.tag))
    pulled = tiffin.models.pull("scaler")
    assert pulled.tag == model.tag and pulled.info == model.info

    make_bento(tmp_path / "project")
    result = tiffin.push("scaler-svc")
    assert result.bytes_sent > 0
    bento = tiffin.get("scaler-svc")
    tiffin.delete(str(bento.tag))
    assert tiffin.pull("scaler-svc").tag == bento.tag


def test_bento_pull_copies_model_files_the_store_has(
    registry: RegistryServer, cli, tmp_path: Path
) -> None:
    import tiffin

    model = make_model("scaler", extra_bytes=200_000)
    bento = make_bento(tmp_path / "project")
    cli_json(cli("push", str(bento.tag), "-o", "json"))
    tiffin.delete(str(bento.tag))  # the model stays in the local model store
    summary = cli_json(cli("pull", str(bento.tag), "-o", "json"))
    weights = sum(f.size for f in model.info.files)
    assert summary["bytes_skipped"] >= weights
    assert summary["bytes_sent"] <= sum(f.size for f in bento.info.files) - weights
    assert tiffin.get(str(bento.tag)).info == bento.info
