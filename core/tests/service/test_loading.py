"""Finding the service a TARGET names, and one clear line when the user's module is broken."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tiffin._target import resolve_target
from tiffin.exceptions import InvalidArgument, NotFound

STANDIN = Path(__file__).with_name("standin_io.py")

TWO_SERVICES = """
    import tiffin
    from standin_io import Echo
    svc_a = tiffin.Service("a")
    svc_b = tiffin.Service("b")
"""

ONE_SERVICE = """
    import tiffin
    from standin_io import Echo
    svc = tiffin.Service("one")

    @svc.api(input=Echo(), output=Echo())
    def echo(x):
        return x
"""


def write(folder: Path, name: str, code: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(STANDIN, folder / "standin_io.py")
    path = folder / name
    path.write_text(textwrap.dedent(code))
    return path


@pytest.mark.parametrize("target", ["svc_one.py:svc", "svc_one:svc", "svc_one.py", "svc_one"])
def test_target_forms(tmp_path: Path, target: str) -> None:
    write(tmp_path, "svc_one.py", ONE_SERVICE)
    assert resolve_target(target, working_dir=tmp_path).name == "one"


def test_a_file_in_another_folder_puts_its_folder_on_sys_path(tmp_path: Path) -> None:
    path = write(tmp_path / "project", "svc_far.py", ONE_SERVICE)
    assert resolve_target(f"{path}:svc").name == "one"


def test_several_services_need_a_name(tmp_path: Path) -> None:
    write(tmp_path, "svc_two.py", TWO_SERVICES)
    with pytest.raises(InvalidArgument, match=r"2 services \(svc_a, svc_b\).*'svc_two.py:svc_a'"):
        resolve_target("svc_two.py", working_dir=tmp_path)
    assert resolve_target("svc_two.py:svc_b", working_dir=tmp_path).name == "b"


def test_missing_attribute_lists_the_services(tmp_path: Path) -> None:
    write(tmp_path, "svc_miss.py", TWO_SERVICES)
    with pytest.raises(InvalidArgument, match="no attribute 'nope'; it defines svc_a, svc_b"):
        resolve_target("svc_miss.py:nope", working_dir=tmp_path)


def test_neither_file_nor_module(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="neither a Python file"):
        resolve_target("iris_classifier:latest", working_dir=tmp_path)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("def broken(:\n", r"svc_bad.py:1: syntax error"),
        (
            "import not_a_module_anywhere\n",
            r"importing .*svc_bad.py failed: ModuleNotFoundError: No module named 'not_a_module_anywhere'",
        ),
        ("raise RuntimeError('boom')\n", r"importing .*svc_bad.py failed: RuntimeError: boom"),
    ],
)
def test_broken_modules_are_one_line_on_the_cli(
    tmp_path: Path, cli, code: str, message: str
) -> None:
    write(tmp_path, "svc_bad.py", code)
    result = cli("serve", "svc_bad.py:svc", "--port", "0", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    import re

    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.stderr


def test_missing_attribute_on_the_cli(tmp_path: Path, cli) -> None:
    write(tmp_path, "svc_one.py", ONE_SERVICE)
    result = cli("serve", "svc_one.py:nope", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: svc_one.py has no attribute 'nope'; it defines svc"
