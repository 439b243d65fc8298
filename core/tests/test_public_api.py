"""The public surface is exactly what DESIGN.md names, and importing it is cheap."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

import tiffin

EXPECTED = {
    # values and classes
    "Bento",
    "Context",
    "Cookie",
    "Model",
    "Runnable",
    "Runner",
    "Service",
    "Tag",
    "__version__",
    "hookimpl",
    # bentos
    "build",
    "get",
    "list",
    "delete",
    "export_bento",
    "import_bento",
    "load",
    "push",
    "pull",
    "list_remote",
    "get_remote",
    # public modules
    "client",
    "containers",
    "exceptions",
    "frameworks",
    "io",
    "models",
    "store",
    "testing",
}

HEAVY = (
    "numpy",
    "pandas",
    "sklearn",
    "torch",
    "starlette",
    "uvicorn",
    "httpx",
    "rich",
    "pytest",
    "fsspec",
)


def test_all_is_exact() -> None:
    assert set(tiffin.__all__) == EXPECTED
    assert len(tiffin.__all__) == len(set(tiffin.__all__))
    assert tiffin.__all__ == sorted(tiffin.__all__, key=lambda n: (n[0].islower(), n))


def test_dir_lists_every_public_name() -> None:
    assert set(tiffin.__all__) <= set(dir(tiffin))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_public_name_resolves(name: str) -> None:
    if name == "testing":
        value = importlib.import_module("tiffin.testing")
        assert value.FrameworkContract.__name__ == "FrameworkContract"
        return
    assert getattr(tiffin, name) is not None


def test_import_tiffin_is_cheap() -> None:
    code = (
        "import sys, tiffin\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "plugins = [m for m in sys.modules if m.startswith(('tiffin_', 'tiffin._plugins', 'tiffin.builtin'))]\n"
        "print(heavy, plugins)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"


def test_import_tiffin_testing_does_not_import_pytest() -> None:
    code = "import sys, tiffin.testing, tiffin.frameworks\nprint('pytest' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_star_import_gives_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from tiffin.frameworks import *", namespace)
    assert "FrameworkAdapter" in namespace
    exec("from tiffin.testing import *", namespace)
    assert "FrameworkContract" in namespace
