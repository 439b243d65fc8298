from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = [
    "tiffin.testing.fixtures",
    "tiffin.testing.skips",
    "tiffin_registry.testing",
    "tiffin_s3.testing",
]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_plugin_suite(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_plugin_suite(name, src, tests)``: a plugin's own tests, with the plugin installed.

    The package folder ``src`` (``tiffin_<name>``) becomes the installed distribution
    ``tiffin-<name>`` with its entry point; pytest then runs ``tests`` in a subprocess, with
    ``TIFFIN_STRICT_PLUGINS=1`` (a plugin that fails to load fails the run).
    """

    def run(
        name: str, src: Path, tests: Path, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        # imported here: a conftest's own imports come before pytest_plugins can rewrite them
        from tiffin.testing.fixtures import PluginSite

        site = PluginSite(tmp_path / "site")
        package = site.add(name, "", distribution=f"tiffin-{name}")
        shutil.rmtree(package)
        shutil.copytree(src, package)
        return subprocess.run(
            [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env={**os.environ, **site.env, "TIFFIN_STRICT_PLUGINS": "1"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
