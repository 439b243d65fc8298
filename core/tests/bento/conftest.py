"""Bento tests build real project folders: a tiny custom model and a service that uses it.

The model is a text file holding a factor, saved with ``tiffin.models.create``; the runnable
reads it through ``tiffin.models.get`` so a test can tell which copy of the model was used.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

SERVICE = """
import tiffin
from tiffin.io import JSON

MODEL = tiffin.models.get("{model}:latest")


class Scale(tiffin.Runnable):
    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self):
        model = tiffin.models.get(str(MODEL.tag))
        self.factor = float((model.path / "factor.txt").read_text())

    @tiffin.Runnable.method(batchable=False)
    def scale(self, values):
        return [v * self.factor for v in values]


scale_runner = tiffin.Runner(Scale, name="scale", models=[MODEL])
svc = tiffin.Service("{name}", runners=[scale_runner])


@svc.api(input=JSON(), output=JSON())
async def predict(values):
    from helpers.words import greeting

    return {{"scaled": await scale_runner.scale.async_run(values), "greeting": greeting()}}
"""


def save_factor_model(
    name: str = "scaler", factor: float = 3.0, labels: dict[str, str] | None = None
):
    """A tiny custom model: one text file with the factor."""
    import tiffin

    with tiffin.models.create(name, labels=labels or {}, metadata={"factor": factor}) as model:
        (model.path / "factor.txt").write_text(str(factor))
    return model


def write_project(
    folder: Path, *, name: str = "scaler-svc", model: str = "scaler", bentofile: str | None = None
) -> Path:
    """A realistic project folder: service, a helper package, data, secrets, a venv and .git."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service.py").write_text(SERVICE.format(model=model, name=name))
    (folder / "helpers").mkdir(exist_ok=True)
    (folder / "helpers" / "__init__.py").write_text("")
    (folder / "helpers" / "words.py").write_text("def greeting():\n    return 'hello from src'\n")
    (folder / "README.md").write_text("# scaler\n")
    (folder / ".env").write_text("API_KEY=very-secret\n")
    (folder / "secrets").mkdir(exist_ok=True)
    (folder / "secrets" / "token.txt").write_text("s3cr3t\n")
    (folder / "notebooks").mkdir(exist_ok=True)
    (folder / "notebooks" / "explore.ipynb").write_text("{}\n")
    (folder / ".git").mkdir(exist_ok=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / ".venv" / "lib").mkdir(parents=True, exist_ok=True)
    (folder / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (folder / ".venv" / "lib" / "big.py").write_text("x = 1\n")
    (folder / "env2").mkdir(exist_ok=True)  # a venv under another name
    (folder / "env2" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "service.cpython-311.pyc").write_bytes(b"\0")
    if bentofile is not None:
        (folder / "bentofile.yaml").write_text(textwrap.dedent(bentofile))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """``project(bentofile=...)``: a saved factor model plus a project folder using it."""

    def make(subdir: str = "project", *, factor: float = 3.0, **kwargs) -> Path:
        save_factor_model(kwargs.get("model", "scaler"), factor)
        return write_project(tmp_path / subdir, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _forget_loaded_bentos():
    """``tiffin.load`` makes a bento's models resolvable process-wide; undo it between tests."""
    yield
    from tiffin import models

    models.stores().clear_front()


@pytest.fixture
def nothing_written(tiffin_home: Path) -> Callable[[], None]:
    """Call it after a failed build: no bento is listed and no staging folder is left."""

    def check() -> None:
        import tiffin

        assert tiffin.list() == []
        staging = tiffin_home / ".staging"
        left = sorted(p.name for p in staging.iterdir()) if staging.exists() else []
        assert left == [], f"staging folders left behind: {left}"
        assert not (tiffin_home / "bentos").exists() or not any((tiffin_home / "bentos").iterdir())

    return check
