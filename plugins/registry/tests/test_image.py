"""The registry as an image: plugins/registry/Dockerfile passes hadolint, copies and installs
paths that exist, and its entrypoint turns the environment into `tiffin registry serve`."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from tiffin.testing.fixtures import free_port, wait_for_http
from tiffin_registry.testing import write_tokens

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "plugins" / "registry" / "Dockerfile"
ENTRYPOINT = ROOT / "plugins" / "registry" / "docker" / "entrypoint.sh"


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} is a test requirement (plugins/registry/tests/requirements.txt)"
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [_tool("hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_what_the_dockerfile_copies_and_installs_exists() -> None:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    copied = re.findall(r"^COPY (\S+) ", text, re.M)
    assert copied and all((ROOT / src).exists() for src in copied), copied
    install = next(line for line in text.splitlines() if line.startswith("RUN pip install"))
    for word in install.split("&&")[0].split()[3:]:
        m = re.fullmatch(r"\"?\./([^\[\"]+)(?:\[([^\]]+)\])?\"?", word)
        assert m, word
        folder = ROOT / m[1]
        assert any(folder == ROOT / c.rstrip("/") for c in copied), f"{word} is not copied"
        extras = tomllib.loads((folder / "pyproject.toml").read_text())["project"].get(
            "optional-dependencies", {}
        )
        assert not m[2] or m[2] in extras, f"{word}: no such extra"
    assert "plugins/registry/docker/entrypoint.sh" in install
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
    assert all(f"!{c}" in ignore for c in copied)  # the build context sends what is copied


def _fake_tiffin(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "tiffin"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"}


def _entrypoint(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=30
    )


def test_the_entrypoint_maps_the_environment_to_serve_options(tmp_path) -> None:
    tokens = write_tokens(tmp_path / "tokens")
    env = {
        **_fake_tiffin(tmp_path),
        "TIFFIN_REGISTRY_STORAGE": "s3://models/registry",
        "TIFFIN_REGISTRY_DB": "postgresql+psycopg://tiffin@db/tiffin",
        "TIFFIN_REGISTRY_TOKENS": str(tokens),
        "PORT": "8080",
    }
    done = _entrypoint(env, "--log-level", "debug")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "registry", "serve", "--storage", "s3://models/registry", "--host", "0.0.0.0",
        "--port", "8080", "--tokens", str(tokens), "--db",
        "postgresql+psycopg://tiffin@db/tiffin", "--log-level", "debug",
    ]  # fmt: skip


def test_the_entrypoint_without_a_tokens_file_is_one_line(tmp_path) -> None:
    env = {**_fake_tiffin(tmp_path), "TIFFIN_REGISTRY_TOKENS": str(tmp_path / "absent")}
    done = _entrypoint(env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: no tokens file at {tmp_path / 'absent'}: mount one (lines of 'TOKEN "
        f"read|write'; see docs/registry.md) or set TIFFIN_REGISTRY_TOKENS to its path"
    ]


@pytest.mark.slow
def test_the_entrypoint_serves_a_registry(tmp_path) -> None:
    tokens = write_tokens(
        tmp_path / "tokens", {"read": secrets.token_urlsafe(32), "write": secrets.token_urlsafe(32)}
    )
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TIFFIN_REGISTRY_STORAGE": str(tmp_path / "data"),
        "TIFFIN_REGISTRY_TOKENS": str(tokens),
        "PORT": str(port),
    }
    process = subprocess.Popen(
        ["sh", str(ENTRYPOINT), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=60)
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/models")
        assert response.status_code == 401  # tokens required
        assert (tmp_path / "data" / "registry.db").is_file()  # SQLite inside the volume
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
