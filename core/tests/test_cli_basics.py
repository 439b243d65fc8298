"""The CLI shell: --version, --help, plain errors, and a light start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import tiffin
from tiffin.testing.fixtures import run_cli

HEAVY = (
    "numpy",
    "pandas",
    "sklearn",
    "torch",
    "starlette",
    "uvicorn",
    "httpx",
    "rich",
    "fsspec",
    "pytest",
)


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout == f"tiffin {tiffin.__version__}\n"


def test_help_lists_the_commands() -> None:
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: tiffin" in done.stdout
    assert "plugins" in done.stdout and "--version" in done.stdout
    assert done.stderr == ""


def test_no_arguments_shows_help() -> None:
    done = run_cli()
    assert "Usage: tiffin" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    done = run_cli("no-such-command")
    assert done.returncode == 2
    assert "No such command" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import json, runpy, sys\n"
        "sys.argv = ['tiffin', '--help']\n"
        "try:\n    runpy.run_module('tiffin', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"sys.stderr.write(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Usage: tiffin" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_plugins_lists_the_builtins() -> None:
    done = run_cli("plugins", "--output", "json")
    assert done.returncode == 0, done.stderr
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert records["builtin.local-storage"] == {
        "name": "builtin.local-storage",
        "distribution": "tiffin",
        "version": tiffin.__version__,
        "module": "tiffin.builtin.local_storage",
        "status": "loaded",
        "hooks": ["register_storage_backends"],
        "error": None,
        "builtin": True,
        "registered": ["scheme:file", "scheme:local"],
        "disabled_by": None,
    }
    assert all(r["status"] == "loaded" for r in records.values() if r["builtin"])

    table = run_cli("plugins")
    assert table.returncode == 0
    header = table.stdout.splitlines()[0].split()
    assert header == ["name", "distribution", "version", "hooks", "provides", "status"]
    assert any(
        line.split()[:3] == ["builtin.local-storage", "tiffin", tiffin.__version__]
        for line in table.stdout.splitlines()
    )
