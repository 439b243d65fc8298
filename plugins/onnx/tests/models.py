"""The sample models of these tests, each with its ONNX export (built once per process)."""

from __future__ import annotations

import functools
import io
from typing import Any

import numpy as np


@functools.cache
def iris() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    return x.astype(np.float32), y


@functools.cache
def _iris_clf() -> Any:
    from sklearn.linear_model import LogisticRegression

    x, y = iris()
    return LogisticRegression(max_iter=500).fit(x, y)


def iris_onnx() -> tuple[Any, Any]:
    """A LogisticRegression and its ONNX graph: input ``X`` (float32, [N, 4]), outputs
    ``label`` and ``probabilities`` (no ZipMap, so both are plain tensors)."""
    from skl2onnx import to_onnx

    clf = _iris_clf()
    proto = to_onnx(clf, iris()[0][:1], options={id(clf): {"zipmap": False}})
    return clf, proto


@functools.cache
def _torch_net() -> Any:
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    return net.eval()


def _export(module: Any, args: tuple[Any, ...], inputs: list[str], outputs: list[str]) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.onnx.export(
        module,
        args,
        buffer,
        input_names=inputs,
        output_names=outputs,
        dynamic_axes={name: {0: "batch"} for name in inputs + outputs},
        dynamo=False,
    )
    return buffer.getvalue()


def torch_onnx() -> tuple[Any, bytes]:
    """A small MLP and its ONNX export: input ``features`` [batch, 4], output ``scores``."""
    import torch

    net = _torch_net()
    return net, _export(net, (torch.zeros(2, 4),), ["features"], ["scores"])


@functools.cache
def _two_net() -> Any:
    import torch

    class Two(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = torch.nn.Linear(3, 2)
            self.b = torch.nn.Linear(5, 2)

        def forward(self, left: Any, right: Any) -> Any:
            total = self.a(left) + self.b(right)
            return total, total.argmax(dim=1)

    torch.manual_seed(1)
    return Two().eval()


def torch_two_onnx() -> tuple[Any, bytes]:
    """A module of two inputs (``left`` [b, 3], ``right`` [b, 5]) and two outputs
    (``total`` [b, 2] float, ``best`` [b] int64), exported to ONNX."""
    import torch

    net = _two_net()
    return net, _export(
        net, (torch.zeros(2, 3), torch.zeros(2, 5)), ["left", "right"], ["total", "best"]
    )
