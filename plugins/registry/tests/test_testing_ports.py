"""tiffin_registry.testing starts a registry again on another port when its port was taken."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tiffin_registry import testing
from tiffin_registry.testing import start_registry

pytestmark = pytest.mark.slow


def test_a_registry_whose_port_was_taken_starts_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thief = socket.socket()
    thief.bind(("127.0.0.1", 0))
    thief.listen()
    stolen = thief.getsockname()[1]
    picks = iter([stolen])
    real = testing.free_port
    monkeypatch.setattr(testing, "free_port", lambda: next(picks, None) or real())
    try:
        server = start_registry(tmp_path / "storage", log=tmp_path / "registry.log")
    finally:
        thief.close()
    try:
        assert server.port != stolen
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert "already in use" in (tmp_path / "registry.log").read_text().lower()
    finally:
        server.stop()
