"""tiffin-onnx passes the framework contract every tiffin framework plugin must pass.

What is saved (an ONNX graph) is not what is called (the session running it): the adapter
declares ``signature_target``, so the kit predicts on that, and ``reference`` holds every
answer to the original scikit-learn or PyTorch model's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tiffin.testing import FrameworkContract

from .models import iris, iris_onnx, torch_onnx


class TestOnnxContract(FrameworkContract):
    framework = "onnx"
    predict_method = "run"
    heavy_modules = ("onnx", "onnxruntime", "numpy")

    def model(self) -> Any:
        proto = iris_onnx()[1]
        del proto.graph.output[1:]  # the label only: the kit compares one array
        return proto

    def inputs(self) -> Any:
        return iris()[0][:10]

    def reference(self, inputs: Any) -> Any:
        return iris_onnx()[0].predict(inputs)  # scikit-learn's own answer

    def more_inputs(self) -> Any:
        return iris()[0][-7:]


class TestTorchExportedContract(FrameworkContract):
    framework = "onnx"
    predict_method = "run"
    heavy_modules = ("onnx", "onnxruntime", "torch")

    def model(self) -> Any:
        return torch_onnx()[1]  # the bytes torch.onnx.export wrote

    def inputs(self) -> Any:
        return np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)

    def more_inputs(self) -> Any:
        return np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)

    def reference(self, inputs: Any) -> Any:
        import torch

        with torch.no_grad():
            return torch_onnx()[0](torch.from_numpy(np.asarray(inputs))).numpy()

    def compare(self, a: Any, b: Any) -> None:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
