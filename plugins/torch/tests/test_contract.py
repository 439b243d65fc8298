"""tiffin-torch passes the framework contract, unchanged."""

from __future__ import annotations

from typing import Any

from tiffin.testing import FrameworkContract


class TestTorchContract(FrameworkContract):
    framework = "torch"
    # a module's own method: runners have no __call__ attribute to look up (runner.run() is it)
    signatures = {"forward": {"batchable": False}}
    predict_method = "forward"

    def model(self) -> Any:
        import torch

        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
        return net.requires_grad_(False).eval()

    def inputs(self) -> Any:
        import torch

        return torch.linspace(-1, 1, 24).reshape(6, 4)

    def more_inputs(self) -> Any:
        import torch

        return torch.linspace(2, 0, 12).reshape(3, 4)

    def compare(self, a: Any, b: Any) -> None:
        import torch

        # a batch of 9 rows may take another kernel path than 6 or 3: equal up to rounding
        torch.testing.assert_close(torch.as_tensor(a), torch.as_tensor(b))
