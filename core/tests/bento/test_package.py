"""A bento is a Python package: ``pip install ./<bento folder>`` installs a package named after
it, whose ``load()`` returns the service ready to call, and a ``<name> serve|run`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

import tiffin
from tiffin.testing.fixtures import free_port, wait_for_http


@pytest.fixture
def bento(project):
    return tiffin.build(build_ctx=project(bentofile="service: service.py:svc\nlabels: {a: b}\n"))


def test_the_bento_carries_a_pyproject_and_a_module(bento) -> None:
    pyproject = tomllib.loads((bento.path / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["name"] == "scaler-svc"
    assert project["dynamic"] == ["version"]  # 0+<version> from bento.yaml: files stay the same
    assert project["scripts"] == {"scaler-svc": "scaler_svc:main"}
    requirements = (bento.path / "env/python/requirements.txt").read_text().splitlines()
    assert project["dependencies"] == [r for r in requirements if r and not r.startswith("#")]
    assert any(d.startswith("tiffin==") for d in project["dependencies"])
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["env/package/scaler_svc"]
    assert wheel["force-include"]["models"] == "scaler_svc/bento/models"
    module = bento.path / "env/package/scaler_svc/__init__.py"
    compile(module.read_text(), str(module), "exec")
    assert {f.path for f in bento.info.files} >= {
        "pyproject.toml",
        "env/package/scaler_svc/__init__.py",
        "env/package/hatch_build.py",
    }


def _install(bento, target: Path) -> dict[str, str]:
    """``pip install ./<bento>`` into ``target`` (no index: dependencies are this venv's)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(bento.path)],
        capture_output=True, text=True, timeout=300, cwd=bento.path.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    path = os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "TIFFIN_HOME": str(target.parent / "empty-home")}


@pytest.mark.slow
def test_pip_install_gives_a_package_whose_load_is_ready_to_call(bento, tmp_path) -> None:
    env = _install(bento, tmp_path / "site")
    assert not (bento.path / "build").exists()  # the stored bento is left as it was
    version = bento.tag.version.lower()
    assert (tmp_path / "site" / f"scaler_svc-0+{version}.dist-info").is_dir()
    code = (
        "import asyncio, json, scaler_svc\n"
        "svc = scaler_svc.load()\n"
        "out = asyncio.run(svc.apis['predict'].func([1, 2]))\n"
        "print(json.dumps([svc.name, scaler_svc.TAG, out]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    name, tag, out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (name, tag) == ("scaler-svc", str(bento.tag))
    assert out == {"scaled": [3.0, 6.0], "greeting": "hello from src"}  # the bento's own model

    script = tmp_path / "site" / "bin" / "scaler-svc"
    run = subprocess.run(
        [sys.executable, str(script), "run", "predict", "--input", "[2]"],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"scaled": [6.0], "greeting": "hello from src"}

    usage = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2 and "usage: scaler-svc serve" in usage.stderr


@pytest.mark.slow
def test_the_command_serves_the_bento(bento, tmp_path) -> None:
    env = _install(bento, tmp_path / "site")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(tmp_path / "site/bin/scaler-svc"), "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", server, timeout=120)
        answer = httpx.post(f"http://127.0.0.1:{port}/predict", json=[1.5], timeout=30)
        assert answer.json() == {"scaled": [4.5], "greeting": "hello from src"}
    finally:
        server.terminate()
        server.communicate(timeout=30)
