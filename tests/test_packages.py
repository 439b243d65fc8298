"""Every first-party package together: one shared version, all plugins listed by the CLI."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import tiffin
from tiffin.testing.fixtures import run_cli

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = [
    ROOT / "core",
    *sorted(
        p
        for p in (ROOT / "plugins").iterdir()
        if (p / "pyproject.toml").exists() and not p.name.startswith("_")
    ),
]


def _project(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("folder", PACKAGE_DIRS, ids=lambda p: p.name)
def test_one_version_for_every_first_party_package(folder: Path) -> None:
    project = _project(folder)
    assert project["version"] == tiffin.__version__, (
        f"{project['name']} is not at {tiffin.__version__}"
    )
    assert metadata.version(project["name"]) == tiffin.__version__, (
        f"{project['name']} installed stale"
    )


@pytest.mark.parametrize("folder", PACKAGE_DIRS, ids=lambda p: p.name)
def test_every_package_ships_py_typed_so_type_checkers_read_its_annotations(folder: Path) -> None:
    dist = _project(folder)["name"]
    module = "tiffin" if dist == "tiffin" else dist.replace("-", "_")
    installed = {str(f) for f in metadata.files(dist) or ()}
    assert (folder / "src" / module / "py.typed").is_file(), f"{dist}: add src/{module}/py.typed"
    # an editable install lists only its .pth; a wheel lists the marker itself
    if not any(f.endswith(".pth") for f in installed):
        assert f"{module}/py.typed" in installed, f"{dist}'s wheel lacks {module}/py.typed"


@pytest.mark.parametrize("folder", PACKAGE_DIRS[1:], ids=lambda p: p.name)
def test_plugins_follow_the_naming_rules(folder: Path) -> None:
    project = _project(folder)
    dist = project["name"]
    assert dist.startswith("tiffin-")
    entry_points = project["entry-points"]["tiffin"]
    assert len(entry_points) == 1, f"{dist} should declare exactly one entry point in group tiffin"
    ((_name, module),) = entry_points.items()
    assert module == dist.replace("-", "_") and (folder / "src" / module / "__init__.py").exists()
    assert any(
        re.sub(r"\[[^]]*\]", "", d.replace(" ", "")).startswith("tiffin>=") and "<" in d
        for d in project["dependencies"]
    ), f"{dist} must depend on tiffin by a compatible range"


def test_plugins_command_lists_every_installed_plugin_with_its_hooks() -> None:
    done = run_cli("plugins", "--output", "json")
    assert done.returncode == 0, done.stderr
    records = {r["name"]: r for r in json.loads(done.stdout)}
    for folder in PACKAGE_DIRS[1:]:
        project = _project(folder)
        ((name, _module),) = project["entry-points"]["tiffin"].items()
        record = records[name]
        assert record["distribution"] == project["name"]
        assert record["version"] == tiffin.__version__
        assert record["status"] == "loaded", record["error"]
        assert all(h.startswith("register_") for h in record["hooks"])
        # tiffin-registry is the one plugin without hooks: core's `tiffin registry serve|gc`
        # import it by name (and say which package to install when it is missing)
        assert record["hooks"] or name == "registry", f"{name} implements no hook"
