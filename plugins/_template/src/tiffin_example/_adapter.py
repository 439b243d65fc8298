"""The adapter: how the framework saves and loads a model. Import the framework in methods."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from tiffin.frameworks import FrameworkAdapter

MODEL_FILE = "model.pkl"


class ExampleAdapter(FrameworkAdapter):
    """``tiffin.example``: replace pickle with your framework's own save format."""

    name = "example"
    distribution = "tiffin-example"
    supports_cpu_multi_threading = True

    def framework_version(self) -> str:
        # import your framework here and return its __version__
        return "1.0"

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]:
        return {"predict": {"batchable": False}}

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None:
        (Path(path) / MODEL_FILE).write_bytes(pickle.dumps(model))
        return None

    def load(self, model: Any, **kwargs: Any) -> Any:
        return pickle.loads((Path(model.path) / MODEL_FILE).read_bytes())


class ExampleModel:
    """A stand-in model so the template's contract test runs before you add a framework."""

    def __init__(self, factor: int = 2) -> None:
        self.factor = factor

    def predict(self, rows: list[int]) -> list[int]:
        return [row * self.factor for row in rows]
