"""Deploying from the registry: ``tiffin serve TAG`` pulls what the local store lacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tiffin.testing.fixtures import free_port, wait_for_http
from tiffin_registry.testing import SERVICE, RegistryServer, make_bento, make_model

pytestmark = pytest.mark.slow


def _serve(target: str, env: dict[str, str], cwd: Path | None = None):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tiffin", "serve", target, "--port", str(port)],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def test_serve_a_bento_tag_that_only_the_registry_has(
    registry: RegistryServer, cli, tmp_path: Path, other_home: Path
) -> None:
    make_model("scaler", factor=4.0)
    bento = make_bento(tmp_path / "project")
    assert cli("push", str(bento.tag)).returncode == 0
    env = {**registry.env(), "TIFFIN_HOME": str(other_home)}
    process, url = _serve(str(bento.tag), env)
    try:
        wait_for_http(f"{url}/readyz", process, timeout=120)
        answer = httpx.post(f"{url}/predict", json=[1, 2], timeout=30)
        assert answer.json() == {"scaled": [4.0, 8.0]}
    finally:
        _stop(process)
    assert (other_home / "bentos" / "scaler-svc" / bento.tag.version / "bento.yaml").is_file()
    assert (other_home / "models" / "scaler").is_dir()  # its models came along


def test_a_runner_model_missing_here_is_pulled_at_start(
    registry: RegistryServer, cli, tmp_path: Path, other_home: Path
) -> None:
    model = make_model("scaler", factor=5.0)
    assert cli("models", "push", "scaler").returncode == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(SERVICE.format(model="scaler", name="svc"))
    env = {**registry.env(), "TIFFIN_HOME": str(other_home)}
    process, url = _serve("service.py:svc", env, cwd=project)
    try:
        wait_for_http(f"{url}/readyz", process, timeout=120)
        assert httpx.post(f"{url}/predict", json=[1], timeout=30).json() == {"scaled": [5.0]}
    finally:
        _stop(process)
    assert (other_home / "models" / "scaler" / model.tag.version / "model.yaml").is_file()


def test_auto_pull_off(registry: RegistryServer, cli, tmp_path: Path, other_home: Path) -> None:
    make_model("scaler")
    bento = make_bento(tmp_path / "project")
    assert cli("push", str(bento.tag)).returncode == 0
    env = {**registry.env(), "TIFFIN_HOME": str(other_home), "TIFFIN_AUTO_PULL": "0"}
    result = cli("serve", str(bento.tag), "--port", str(free_port()), env=env)
    assert result.returncode == 1
    assert "scaler-svc" in result.stderr and "Traceback" not in result.stderr
    assert not (other_home / "bentos").exists()
