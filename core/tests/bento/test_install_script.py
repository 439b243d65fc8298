"""env/python/install.sh and the lock: the distributions actually installed, pip options honoured."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

import tiffin
from tiffin._bento._config import PythonOptions
from tiffin._bento._requirements import requirements_for

BENTOFILE = """\
service: service.py:svc
python:
  index_url: https://pypi.example/simple
  extra_index_urls: [https://download.pytorch.org/whl/cpu]
  find_links: ./wheelhouse
  pip_args: --pre --timeout 60
"""


def fake_python(folder: Path) -> Path:
    """A `python` that prints the arguments it was given, one per line."""
    folder.mkdir()
    exe = folder / "python"
    exe.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_install_script_uses_the_bentofile_pip_options_from_any_directory(project, tmp_path):
    bento = tiffin.build(build_ctx=project(bentofile=BENTOFILE))
    script = bento.path / "env" / "python" / "install.sh"
    assert os.access(script, os.X_OK)
    dockerfile = (bento.path / "env" / "docker" / "Dockerfile").read_text()
    assert "env/python/install.sh" in dockerfile
    fake_python(tmp_path / "bin")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (bento.path / "env" / "python" / "wheels").mkdir()
    (bento.path / "env" / "python" / "wheels" / "tiffin-0.1.0-py3-none-any.whl").write_bytes(b"")
    done = subprocess.run(
        ["sh", str(script), "--quiet"],
        cwd=elsewhere,
        env={**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    args = done.stdout.splitlines()
    assert args[:4] == ["-m", "pip", "install", "--no-deps"]  # a locked bento: no re-resolving
    joined = " ".join(args)
    assert "--index-url https://pypi.example/simple" in joined
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in joined
    assert "--find-links ./wheelhouse" in joined
    assert "--pre --timeout 60" in joined
    assert f"--find-links {bento.path / 'env' / 'python' / 'wheels'}" in joined
    assert f"-r {bento.path / 'env' / 'python' / 'requirements.txt'}" in joined
    assert args[-1] == "--quiet"


def _fake_distribution(site: Path, name: str, version: str, module: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "top_level.txt").write_text(module + "\n")
    (site / module).mkdir()
    (site / module / "__init__.py").write_text("")


def test_the_lock_pins_the_distribution_actually_installed(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _fake_distribution(site, "fakelib-cpu", "2.5.0+cpu", "fakelib")
    monkeypatch.syspath_prepend(str(site))
    lines = requirements_for([], PythonOptions(packages=("fakelib>=2",)), tmp_path)
    assert "fakelib-cpu==2.5.0" in lines  # the lean build stays itself; no local label
    assert not any(line.startswith("fakelib>") or line.startswith("fakelib==") for line in lines)


def test_a_requirement_that_is_not_installed_is_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="'no-such-dist-here' is not installed here"):
        lines = requirements_for([], PythonOptions(packages=("no-such-dist-here",)), tmp_path)
    assert "no-such-dist-here" in lines


def test_a_bad_pip_args_string_is_refused(project):
    from tiffin.exceptions import InvalidArgument

    with pytest.raises(InvalidArgument, match="pip_args"):
        tiffin.build(build_ctx=project(bentofile="python:\n  pip_args: [--pre]\n"))
