"""Importing tiffin, listing plugins and resolving tiffin.torch never import torch."""

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
seen = {}
seen["import"] = "torch" in sys.modules
records = {r.name: r for r in _plugins.plugin_records()}
seen["status"] = records["torch"].status
seen["hooks"] = list(records["torch"].hooks)
_plugins.data_containers()
seen["containers"] = "torch" in sys.modules
tiffin.torch
seen["resolve"] = "torch" in sys.modules
run_cli(build_app, ["plugins"])
seen["cli"] = "torch" in sys.modules
print(json.dumps(seen))
"""


def test_torch_is_imported_only_when_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "loaded"
    assert set(seen["hooks"]) == {"register_frameworks", "register_data_containers"}
    assert not seen["import"], "import tiffin imported torch"
    assert not seen["containers"], "collecting data containers imported torch"
    assert not seen["resolve"], "resolving tiffin.torch imported torch"
    assert not seen["cli"], "tiffin plugins imported torch"
    assert "torch" in done.stdout  # the table lists the plugin
