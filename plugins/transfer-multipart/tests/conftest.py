"""Multipart tests: real ``tiffin registry serve`` processes and real client processes.

Parts are made small (1 MiB, threshold 1 MiB) so a few MiB exercise many parts; the registry
reads the part size from its own environment, the client the threshold from the test's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tiffin.testing.fixtures", "tiffin.testing.skips", "tiffin_registry.testing"]

MiB = 1024 * 1024
PART_SIZE = MiB


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> int:
    """Client settings for small parts and quick retries; returns the part size."""
    monkeypatch.setenv("TIFFIN_MULTIPART_THRESHOLD", "1MiB")
    monkeypatch.setenv("TIFFIN_MULTIPART_RETRY_DELAY", "0.01")
    monkeypatch.setenv("TIFFIN_MULTIPART_RETRIES", "12")
    return PART_SIZE


@pytest.fixture
def multipart_registry(
    start_registry_factory: Callable[..., Any], small_parts: int, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """An anonymous registry cutting uploads into 1 MiB parts, configured for this test's clients."""
    server = start_registry_factory(env={"TIFFIN_MULTIPART_PART_SIZE": str(PART_SIZE)})
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
    monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)
    return server


@pytest.fixture
def other_home(tmp_path: Path) -> Path:
    """A second, empty TIFFIN_HOME: where a colleague pulls to."""
    home = tmp_path / "colleague-home"
    home.mkdir()
    return home
