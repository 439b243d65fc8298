"""plugins/_template stays a working plugin: installed as-is, it passes the framework contract."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "plugins" / "_template"


def test_the_template_plugin_passes_the_contract(run_plugin_suite) -> None:
    done = run_plugin_suite("example", TEMPLATE / "src" / "tiffin_example", TEMPLATE / "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout
