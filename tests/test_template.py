"""plugins/_template stays a working plugin: installed as-is, it passes the framework contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tiffin.testing.fixtures import PluginSite

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "plugins" / "_template"


def test_the_template_plugin_passes_the_contract(tmp_path: Path) -> None:
    site = PluginSite(tmp_path / "site")
    package = site.add("example", "", distribution="tiffin-example")
    shutil.rmtree(package)
    shutil.copytree(TEMPLATE / "src" / "tiffin_example", package)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(TEMPLATE / "tests"), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env={**os.environ, **site.env, "TIFFIN_STRICT_PLUGINS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout
