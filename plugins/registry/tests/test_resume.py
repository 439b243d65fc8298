"""A pull killed half-way leaves nothing listed, and the next pull resumes with HTTP Range."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tiffin_registry.testing import RegistryServer, make_model, wait_until

pytestmark = pytest.mark.slow

SIZE = 64 << 20  # far more than the socket buffers between the two processes


def test_killed_pull_resumes(registry: RegistryServer, cli, other_home) -> None:
    model = make_model("big", extra_bytes=SIZE)
    assert cli("models", "push", "big").returncode == 0
    weights = next(f for f in model.info.files if f.size == SIZE)
    part = other_home / ".downloads" / f"{weights.sha256}.part"
    env = {**os.environ, **registry.env(), "TIFFIN_HOME": str(other_home)}
    pull = subprocess.Popen(
        [sys.executable, "-m", "tiffin", "models", "pull", "big", "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: part.exists() and part.stat().st_size > 0,
            timeout=120,
            what="the download's first bytes",
        )
        registry.process.send_signal(signal.SIGSTOP)  # the registry freezes mid-download...
        try:
            pull.kill()  # ...and the pull is killed
            pull.wait(timeout=30)
        finally:
            registry.process.send_signal(signal.SIGCONT)
    finally:
        if pull.poll() is None:
            pull.kill()
    have = part.stat().st_size
    assert 0 < have < SIZE
    listed = cli("models", "list", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    assert json.loads(listed.stdout) == []  # nothing half-pulled is visible

    resumed = cli("models", "pull", "big", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["bytes_resumed"] == have
    copy = other_home / "models" / "big" / model.tag.version / weights.path
    assert copy.read_bytes() == (model.path / weights.path).read_bytes()
    assert not part.exists()
