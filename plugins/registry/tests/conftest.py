"""Registry tests run real ``tiffin registry serve`` processes and real client processes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tiffin.testing.fixtures", "tiffin.testing.skips", "tiffin_registry.testing"]


@pytest.fixture
def other_home(tmp_path: Path) -> Path:
    """A second, empty TIFFIN_HOME: where a colleague pulls to."""
    home = tmp_path / "colleague-home"
    home.mkdir()
    return home
