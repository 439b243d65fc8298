"""``tiffin models ...`` as a subprocess: tables, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tiffin
from tiffin.testing.fixtures import run_cli


def save(
    name: str, labels: dict[str, str] | None = None, data: bytes = b"w" * 2048
) -> tiffin.Model:
    with tiffin.models.create(name, labels=labels) as m:
        (m.path / "weights.bin").write_bytes(data)
    return m


def assert_one_line_error(result, fragment: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_list_table_and_json() -> None:
    a = save("alpha", {"stage": "dev"})
    b = save("beta", {"stage": "prod"})

    table = run_cli("models", "list")
    assert table.returncode == 0, table.stderr
    assert str(a.tag) in table.stdout and str(b.tag) in table.stdout
    assert "stage=prod" in table.stdout
    assert table.stdout.index(str(b.tag)) < table.stdout.index(str(a.tag))  # newest first

    listed = json.loads(run_cli("models", "list", "--output", "json").stdout)
    assert [m["tag"] for m in listed] == [str(b.tag), str(a.tag)]
    assert listed[0]["labels"] == {"stage": "prod"}
    assert listed[0]["size"] == 2048
    assert Path(listed[0]["path"]) == b.path

    only = json.loads(run_cli("models", "list", "alpha", "-o", "json").stdout)
    assert [m["tag"] for m in only] == [str(a.tag)]
    by_label = json.loads(
        run_cli("models", "list", "--label", "stage=prod", "--output", "json").stdout
    )
    assert [m["tag"] for m in by_label] == [str(b.tag)]


def test_list_of_an_empty_store() -> None:
    result = run_cli("models", "list")
    assert result.returncode == 0
    assert "no models" in result.stdout
    assert json.loads(run_cli("models", "list", "-o", "json").stdout) == []


def test_get_prints_the_manifest_as_yaml_or_json() -> None:
    m = save("iris")
    as_yaml = yaml.safe_load(run_cli("models", "get", "iris:latest").stdout)
    assert as_yaml["version"] == m.tag.version
    assert as_yaml["files"][0]["path"] == "weights.bin"
    as_json = json.loads(
        run_cli("models", "get", f"iris:{m.tag.version[:12]}", "--output", "json").stdout
    )
    assert as_json == as_yaml


def test_delete_asks_unless_yes() -> None:
    m = save("doomed")
    refused = run_cli("models", "delete", "doomed", input="")
    assert_one_line_error(refused, "pass --yes")
    assert tiffin.models.list() == [m]

    done = run_cli("models", "delete", "doomed", "--yes")
    assert done.returncode == 0, done.stderr
    assert str(m.tag) in done.stdout
    assert tiffin.models.list() == []


def test_export_and_import(tmp_path: Path) -> None:
    m = save("shipped", data=os.urandom(100_000))
    archive = tmp_path / "shipped.tar.gz"
    exported = run_cli("models", "export", "shipped", str(archive), "--compression", "gz")
    assert exported.returncode == 0, exported.stderr
    assert archive.read_bytes()[:2] == b"\x1f\x8b"
    assert exported.stderr == ""  # no progress bar when stderr is not a terminal

    other_home = tmp_path / "elsewhere"
    imported = run_cli("models", "import", str(archive), env={"TIFFIN_HOME": str(other_home)})
    assert imported.returncode == 0, imported.stderr
    assert str(m.tag) in imported.stdout
    assert (other_home / "models" / "shipped" / m.tag.version / "weights.bin").read_bytes() == (
        m.path / "weights.bin"
    ).read_bytes()


def test_forced_progress_goes_to_stderr(tmp_path: Path) -> None:
    save("bar")
    result = run_cli(
        "models", "export", "bar", str(tmp_path / "bar.tar"), env={"TIFFIN_PROGRESS": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert "export bar:" in result.stderr
    assert result.stdout.startswith("Exported model bar:")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("models", "get", "unknown"), "no model named 'unknown'"),
        (("models", "get", "Bad Name"), "is not valid"),
        (("models", "delete", "unknown", "--yes"), "no model named 'unknown'"),
        (("models", "export", "unknown", "/tmp/x.tar"), "no model named"),
        (("models", "list", "--label", "novalue"), "KEY=VALUE"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(run_cli(*args), fragment)


def test_unreadable_archive_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_text("this is not an archive\n" * 100)
    assert_one_line_error(run_cli("models", "import", str(junk)), "not a valid tar archive")
    assert_one_line_error(run_cli("models", "import", str(tmp_path / "missing.tar")), "no archive")
    assert tiffin.models.list() == []


def test_a_piped_table_is_never_cut() -> None:
    # piped, rich assumed 80 columns and cut or dropped columns; scripts that grep lost data
    model = save("a-rather-long-model-name-for-a-sentiment-classifier", labels={"stage": "prod"})
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [row] = done.stdout.splitlines()[1:]
    created = model.info.created_at.strftime("%Y-%m-%d %H:%M:%S")
    assert str(model.tag) in row and created in row and "stage=prod" in row


def test_a_damaged_version_can_be_deleted_as_the_error_advises() -> None:
    damaged, kept = save("damaged"), save("kept")
    (damaged.path / "model.yaml").write_text(": [not yaml")
    result = run_cli("models", "get", "damaged")
    assert_one_line_error(result, "is damaged and cannot be read")
    assert "delete that folder" in result.stderr
    result = run_cli("models", "delete", "damaged", "--yes")
    assert result.returncode == 0, result.stderr
    assert f"Deleted model {damaged.tag}" in result.stdout
    assert not damaged.path.exists()
    assert tiffin.models.list() == [kept]
