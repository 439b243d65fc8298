"""docs/plugins.md's walkthrough is the real package examples/plugins/lightgbm, and it passes the kit.

Every code block of the guide preceded by ``<!-- file: PATH -->`` must equal that file, so the
guide cannot drift from the package; the package's own tests (the framework contract) then run
with it installed, as an author following the guide would run them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "examples" / "plugins" / "lightgbm"
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)```\n", re.S)


def test_every_file_the_guide_shows_is_the_example_package_file() -> None:
    blocks = {m["path"]: m["code"] for m in FILE_BLOCK.finditer(GUIDE.read_text())}
    assert set(blocks) >= {
        "examples/plugins/lightgbm/pyproject.toml",
        "examples/plugins/lightgbm/src/tiffin_lightgbm/__init__.py",
        "examples/plugins/lightgbm/src/tiffin_lightgbm/_adapter.py",
        "examples/plugins/lightgbm/tests/conftest.py",
        "examples/plugins/lightgbm/tests/test_contract.py",
    }
    for path, code in blocks.items():
        assert (ROOT / path).read_text() == code, (
            f"docs/plugins.md's block for {path} differs from the file: change both together"
        )


@pytest.mark.slow
def test_the_walkthrough_plugin_passes_the_contract(run_plugin_suite) -> None:
    pytest.importorskip("lightgbm", reason="tests/requirements.txt installs lightgbm")
    done = run_plugin_suite(
        "lightgbm", EXAMPLE / "src" / "tiffin_lightgbm", EXAMPLE / "tests", timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout and "skipped" not in done.stdout
