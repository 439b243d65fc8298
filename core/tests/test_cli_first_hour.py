"""What a newcomer meets in the first hour: global -q/-v, `tiffin run` with files and bad input,
`tiffin bentos ...`, the APIs of each bento in `tiffin list`, and errors that say what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tiffin
from tiffin.testing.fixtures import run_cli

SERVICE = """
import tiffin
from tiffin.io import JSON, Text

svc = tiffin.Service("echo")


@svc.api(input=Text(), output=Text())
def shout(text):
    return text.upper()


@svc.api(input=JSON(), output=JSON())
def total(values):
    return {"total": sum(values)}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "service.py").write_text(SERVICE)
    return folder


def test_run_reads_an_existing_file_named_by_input(project: Path) -> None:
    (project / "words.txt").write_text("from a file")
    done = run_cli("run", "service.py:svc", "shout", "--input", "./words.txt", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "FROM A FILE"  # not a TTY: exactly the response body
    at = run_cli("run", "service.py:svc", "shout", "--input", "@words.txt", cwd=project)
    assert at.stdout == "FROM A FILE"
    literal = run_cli("run", "service.py:svc", "shout", "--input", "./missing.txt", cwd=project)
    assert literal.stdout == "./MISSING.TXT"  # no such file: the text itself


def test_run_with_input_the_api_fails_on_is_one_line(project: Path) -> None:
    done = run_cli("run", "service.py:svc", "total", "--input", '["a", 1]', cwd=project)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: API 'total' failed on this input: TypeError")
    verbose = run_cli("-v", "run", "service.py:svc", "total", "--input", '["a", 1]', cwd=project)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_global_flags_before_or_after_the_command_never_hide_results(project: Path) -> None:
    assert run_cli("build", "-s", "service.py:svc", "-q", cwd=project).returncode == 0
    for args in (("-q", "list", "-o", "json"), ("list", "-o", "json", "--quiet"), ("list", "-v", "-o", "json")):
        done = run_cli(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert [row["apis"] for row in json.loads(done.stdout)] == [["shout", "total"]]
    table = run_cli("-v", "list")
    assert "apis" in table.stdout and "shout, total" in table.stdout


def test_bentos_is_an_alias_group(project: Path) -> None:
    assert run_cli("build", "-s", "service.py:svc", cwd=project).returncode == 0
    done = run_cli("bentos", "list", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["tag"].startswith("echo:")


def test_serve_of_a_path_that_does_not_exist_says_so(tmp_path: Path) -> None:
    done = run_cli("serve", "./no/such/bento", cwd=tmp_path)
    assert done.returncode == 1
    assert "'./no/such/bento' does not exist" in done.stderr and "Traceback" not in done.stderr


def test_importing_an_archive_with_the_wrong_command_names_the_right_one(project: Path, tmp_path: Path) -> None:
    with tiffin.models.create("m") as m:
        (m.path / "w.txt").write_text("w")
    model_archive = tmp_path / "m.tiffin"
    assert run_cli("models", "export", "m:latest", str(model_archive)).returncode == 0
    wrong = run_cli("import", str(model_archive))
    assert wrong.returncode == 1 and "it is a model archive" in wrong.stderr
    assert "`tiffin models import URL`" in wrong.stderr

    assert run_cli("build", "-s", "service.py:svc", cwd=project).returncode == 0
    bento_archive = tmp_path / "echo.bento"
    exported = run_cli("export", "echo:latest", str(bento_archive))
    assert exported.stdout.startswith("Exported bento echo:")
    wrong = run_cli("models", "import", str(bento_archive))
    assert wrong.returncode == 1 and "it is a bento archive" in wrong.stderr
    assert "`tiffin import URL`" in wrong.stderr


def test_messages_speak_with_one_voice(tmp_path: Path) -> None:
    with tiffin.models.create("m") as m:
        (m.path / "w.txt").write_text("w")
    done = run_cli("models", "export", "m:latest", str(tmp_path / "m.tiffin"))
    assert done.stdout.startswith(f"Exported model {m.tag} to ")


def test_run_ends_with_a_newline_on_a_terminal(project: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "tiffin", "run", "service.py:svc", "shout", "--input", "hi"],
        cwd=project,
        stdout=follower,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    os.close(follower)
    out = os.read(leader, 1000)
    os.close(leader)
    assert done.returncode == 0, done.stderr
    assert out.replace(b"\r\n", b"\n") == b"HI\n"
