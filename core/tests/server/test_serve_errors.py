"""``tiffin serve`` / ``tiffin run`` mistakes: one line on stderr, exit 1, nothing served."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tiffin.testing.fixtures import run_cli

SERVICE = """
import tiffin
from tiffin.io import JSON

svc = tiffin.Service("echo")

@svc.api(input=JSON(), output=JSON())
def echo(x):
    return x
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "service.py").write_text(SERVICE)
    return tmp_path


def _one_error_line(done, *fragments: str) -> None:
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_one_line(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_cli("serve", "service.py:svc", "--port", str(port), cwd=project)
    _one_error_line(done, "already in use", "--port")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--port", "99999"), "99999"),
        (("--log-level", "loud"), "loud"),
        (("--host", "nohost.invalid"), "nohost.invalid"),
    ],
)
def test_bad_serve_options_are_one_line(project: Path, args: tuple[str, ...], fragment: str) -> None:
    done = run_cli("serve", "service.py:svc", *args, cwd=project)
    assert done.returncode in (1, 2), done.stderr  # 2: Typer's own usage error for a range
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr


def test_run_input_naming_a_directory_says_so(project: Path) -> None:
    done = run_cli("run", "service.py:svc", "echo", "--input", f"@{project}", cwd=project)
    _one_error_line(done, "is a directory")
