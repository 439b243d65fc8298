"""Importing tiffin, listing plugins and resolving tiffin.xgboost never import xgboost."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
import tiffin
from tiffin import _plugins
from tiffin.cli import build_app
from tiffin.cli._common import run_cli
seen = {"import": "xgboost" in sys.modules}
records = {r.name: r for r in _plugins.plugin_records()}
seen["status"] = records["xgboost"].status
tiffin.xgboost
seen["resolve"] = "xgboost" in sys.modules
run_cli(build_app, ["plugins"])
seen["cli"] = "xgboost" in sys.modules
seen["sklearn"] = "sklearn" in sys.modules
print(json.dumps(seen))
"""


def test_xgboost_is_imported_only_when_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "loaded"
    assert not seen["import"], "import tiffin imported xgboost"
    assert not seen["resolve"], "resolving tiffin.xgboost imported xgboost"
    assert not seen["cli"], "tiffin plugins imported xgboost"
    assert not seen["sklearn"], "tiffin plugins imported sklearn (through xgboost?)"


def test_a_missing_xgboost_is_a_clear_error() -> None:
    script = (
        "import sys; sys.modules['xgboost'] = None\n"
        "import tiffin\n"
        "from tiffin.exceptions import MissingPlugin\n"
        "try:\n"
        "    tiffin.xgboost.framework_version()\n"
        "except MissingPlugin as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "pip install xgboost" in done.stdout and "xgboost-cpu" in done.stdout
