"""The framework contract every tiffin framework plugin passes."""

from __future__ import annotations

from typing import Any

from tiffin.testing import FrameworkContract


class TestExampleContract(FrameworkContract):
    framework = "example"
    heavy_modules = ()  # your framework's top-level modules, e.g. ("lightgbm",)

    def model(self) -> Any:
        from tiffin_example._adapter import ExampleModel

        return ExampleModel(factor=3)

    def inputs(self) -> Any:
        return [1, 2, 3]

    def more_inputs(self) -> Any:
        return [10, 20]
